"""Any OpenAI-compatible chat server (Ollama's /v1, llama.cpp's server, vLLM, LM Studio, OpenAI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.errors import SettingsError
from assistant.llm.bounded import bounded_http_client, call_limit, capped

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings


def openai_chat_model(settings: Settings) -> BaseChatModel:
    """A streaming ``ChatOpenAI`` pointed at ``openai_base_url`` (no retries: a down server fails fast),
    bounded on the client side: ``request_timeout`` for each whole call, ``max_tokens`` chunks, and a byte
    cap (``assistant.llm.bounded``)."""
    if not settings.openai_base_url:
        raise SettingsError("llm_backend 'openai' needs openai_base_url (e.g. http://127.0.0.1:11434/v1)")
    from langchain_openai import ChatOpenAI

    class _BoundedChatOpenAI(ChatOpenAI):
        token_cap: int = 400

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            return capped(super()._stream(*args, **kwargs), call_limit(kwargs, self.token_cap))

    return _BoundedChatOpenAI(
        base_url=settings.openai_base_url,
        model=settings.openai_model or settings.llm_model,
        api_key=os.environ.get(settings.openai_api_key_env) or "not-needed",
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.request_timeout,
        max_retries=0,
        seed=42,  # reproducible where the server honours it (llama.cpp, vLLM, OpenAI)
        streaming=True,
        token_cap=settings.max_tokens,
        http_client=bounded_http_client(settings.request_timeout, settings.max_tokens),
    )
