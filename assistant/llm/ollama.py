"""Ollama's native API (``/api/chat``) through langchain-ollama."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.llm.bounded import bounded_transport, call_limit, capped

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings


def ollama_chat_model(settings: Settings) -> BaseChatModel:
    """A streaming ``ChatOllama`` for ``ollama_base_url`` that also understands the OpenAI-style call options
    the chain binds (``max_tokens``, ``temperature``), which Ollama expects inside ``options``; bounded on the
client side like the OpenAI backend (``assistant.llm.bounded``)."""
    from langchain_ollama import ChatOllama

    class _OllamaChatModel(ChatOllama):
        token_cap: int = 400

        def _iterate_over_stream(
            self, messages: list[Any], stop: list[str] | None = None, **kwargs: Any
        ) -> Iterator[Any]:
            limit = call_limit(kwargs, self.token_cap)
            return capped(super()._iterate_over_stream(messages, stop, **kwargs), limit)

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
        token_cap=settings.max_tokens,
        client_kwargs={"timeout": settings.request_timeout},
        sync_client_kwargs={"transport": bounded_transport(settings.request_timeout, settings.max_tokens)},
    )
