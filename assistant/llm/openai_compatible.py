"""Any OpenAI-compatible chat server (Ollama's /v1, llama.cpp's server, vLLM, LM Studio, OpenAI)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from assistant.settings import Settings, SettingsError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def openai_chat_model(settings: Settings) -> BaseChatModel:
    """A streaming ``ChatOpenAI`` pointed at ``openai_base_url`` (no retries: a down server fails fast)."""
    if not settings.openai_base_url:
        raise SettingsError("llm_backend 'openai' needs openai_base_url (e.g. http://127.0.0.1:11434/v1)")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.openai_base_url,
        model=settings.openai_model or settings.llm_model,
        api_key=os.environ.get(settings.openai_api_key_env) or "not-needed",
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.request_timeout,
        max_retries=0,
        seed=42,  # reproducible where the server honours it (llama.cpp, vLLM, OpenAI)
        streaming=True,
    )
