"""LLM backends: each is a LangChain chat model; ``make_chat_model`` picks one from settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def make_chat_model(settings: Settings, gguf_path: Callable[[], Path]) -> BaseChatModel:
    """The chat model for ``settings`` (the embedded llama.cpp runtime by default).

    ``gguf_path`` is called only by backends that run a local GGUF, so remote backends never
    trigger model preparation.
    """
    if settings.llm_backend == "openai":
        from assistant.llm.openai_compatible import openai_chat_model

        return openai_chat_model(settings)
    if settings.llm_backend == "ollama":
        from assistant.llm.ollama import ollama_chat_model

        return ollama_chat_model(settings)
    from assistant.llm.embedded import EmbeddedChatModel
    from vectorstore.cpu import usable_cores

    return EmbeddedChatModel(
        model_path=str(gguf_path()),
        # A fixed count, not the momentarily free cores: the answer must not depend on how busy the machine
        # is. The threads sleep instead of spinning when idle (embedded.THREAD_POLL), so sharing the cores
        # with another process slows them without the collapse spinning threads showed.
        n_threads=settings.threads or usable_cores(),
        n_ctx=settings.context_size,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.request_timeout,
        repack_weights=settings.llm_repack_weights,
    )


def unavailable_chat_model(reason: Exception) -> BaseChatModel:
    """A chat model that fails every call with ``reason`` (the real one could not be set up), so the
    answerer still retrieves and falls back to an extractive answer instead of failing outright."""
    from langchain_core.language_models import BaseChatModel

    class UnavailableChatModel(BaseChatModel):
        error: Exception

        @property
        def _llm_type(self) -> str:
            return "unavailable"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            raise self.error

    return UnavailableChatModel(error=reason)
