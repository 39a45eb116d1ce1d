"""LLM backends: each is a LangChain chat model; ``make_chat_model`` picks one from settings.

Backends live in one registry: ``register_backend(name, factory)`` adds one (the built-ins are
registered the same way, below), and the ``llm_backend`` setting, the CLI's ``--llm-backend`` choices
and ``make_chat_model`` all read it. A third-party backend registers itself on import::

    from assistant.llm import register_backend

    def my_chat_model(settings, gguf_path):
        return MyChatModel(url=settings.openai_base_url, timeout=settings.request_timeout)

    register_backend("mine", my_chat_model)

Nothing heavy is imported here: a factory imports its client library when it is called.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings

BackendFactory = Callable[["Settings", Callable[[], Path]], "BaseChatModel"]
"""Builds a backend's chat model from the settings; ``gguf_path`` prepares and returns the local GGUF
(call it only when the backend runs one, so remote backends never trigger model preparation)."""

BackendLabel = Callable[["Settings"], str]
"""The model in use as shown to the user (``qwen2.5:3b @ ollama http://...``)."""

_BACKENDS: dict[str, BackendFactory] = {}
_LABELS: dict[str, BackendLabel] = {}


def register_backend(name: str, factory: BackendFactory, label: BackendLabel | None = None) -> None:
    """Make ``name`` a valid ``llm_backend`` whose chat model ``factory`` builds, shown to the user as
    ``label(settings)`` (default: ``NAME: llm_model``); a later registration of a name replaces it."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"invalid backend name {name!r}")
    _BACKENDS[name] = factory
    _LABELS[name] = label or (lambda settings: f"{name}: {settings.llm_model}")


def backend_label(settings: Settings) -> str:
    """The LLM in use, as shown to the user."""
    label = _LABELS.get(settings.llm_backend)
    return label(settings) if label is not None else settings.llm_model


def backend_names() -> list[str]:
    """The registered backends, in registration order (the built-ins first)."""
    return list(_BACKENDS)


def make_chat_model(settings: Settings, gguf_path: Callable[[], Path]) -> BaseChatModel:
    """The chat model for ``settings`` (the embedded llama.cpp runtime by default).

    ``gguf_path`` is called only by backends that run a local GGUF, so remote backends never
    trigger model preparation.
    """
    try:
        factory = _BACKENDS[settings.llm_backend]
    except KeyError:
        raise ValueError(
            f"unknown llm_backend {settings.llm_backend!r} (known: {', '.join(_BACKENDS)})"
        ) from None
    return factory(settings, gguf_path)


def _embedded(settings: Settings, gguf_path: Callable[[], Path]) -> BaseChatModel:
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


def _openai(settings: Settings, gguf_path: Callable[[], Path]) -> BaseChatModel:
    from assistant.llm.openai_compatible import openai_chat_model

    return openai_chat_model(settings)


def _ollama(settings: Settings, gguf_path: Callable[[], Path]) -> BaseChatModel:
    from assistant.llm.ollama import ollama_chat_model

    return ollama_chat_model(settings)


register_backend("embedded", _embedded, lambda s: s.llm_path.name if s.llm_path else s.llm_model)
register_backend("openai", _openai, lambda s: f"{s.openai_model or s.llm_model} @ {s.openai_base_url}")
register_backend(
    "ollama", _ollama, lambda s: f"{s.ollama_model or s.llm_model} @ ollama {s.ollama_base_url}"
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
