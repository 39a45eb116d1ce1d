"""Ollama's native API (``/api/chat``) through langchain-ollama."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def ollama_chat_model(settings: Settings) -> BaseChatModel:
    """A streaming ``ChatOllama`` for ``ollama_base_url`` that also understands the OpenAI-style call options
    the chain binds (``max_tokens``, ``temperature``), which Ollama expects inside ``options``."""
    from langchain_ollama import ChatOllama

    class _OllamaChatModel(ChatOllama):
        def _chat_params(self, messages: list[Any], stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
            overrides = {}
            if "max_tokens" in kwargs:
                overrides["num_predict"] = kwargs.pop("max_tokens")
            if "temperature" in kwargs:
                overrides["temperature"] = kwargs.pop("temperature")
            params = super()._chat_params(messages, stop, **kwargs)
            params["options"] = {**(params.get("options") or {}), **overrides}
            return params

    return _OllamaChatModel(
        base_url=settings.ollama_base_url,
        model=settings.ollama_model or settings.llm_model,
        temperature=settings.temperature,
        num_predict=settings.max_tokens,
        num_ctx=settings.context_size,
        seed=42,
        client_kwargs={"timeout": settings.request_timeout},
    )
