"""Remote LLM servers that never stop, or crawl: the client stops them (issue 17, list 1).

Real misbehaving servers on 127.0.0.1 (``tests/hostile_servers.py``), the real LangChain clients."""

from __future__ import annotations

import time

import pytest
from hostile_servers import HostileServer

from assistant.errors import is_timeout
from assistant.llm import make_chat_model
from assistant.settings import load_settings


def _model(backend: str, url: str, **extra):
    if backend == "openai":
        settings = load_settings(llm_backend="openai", openai_base_url=url + "/v1", openai_model="x", **extra)
    else:
        settings = load_settings(llm_backend="ollama", ollama_base_url=url, ollama_model="x", **extra)
    return make_chat_model(settings, lambda: None)


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_an_endless_stream_stops_at_max_tokens_and_the_server_is_hung_up_on(backend):
    with HostileServer("endless") as server:
        model = _model(backend, server.url, max_tokens=50, request_timeout=30)
        started = time.monotonic()
        chunks = [c for c in model.stream("hi") if c.text]
        assert len(chunks) == 50
        assert time.monotonic() - started < 10
        assert server.disconnected.wait(5)


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_a_token_a_second_is_cut_off_at_request_timeout(backend):
    with HostileServer("slow-token", interval=0.5) as server:
        model = _model(backend, server.url, max_tokens=400, request_timeout=2)
        started = time.monotonic()
        got: list[str] = []
        with pytest.raises(Exception) as caught:
            for chunk in model.stream("hi"):
                got.append(chunk.text)
        elapsed = time.monotonic() - started
        assert 1.5 < elapsed < 4, elapsed
        assert "Timeout" in type(caught.value).__name__
        assert is_timeout(caught.value)  # recognised by its type (assistant.errors), as the CLI reports it
        assert 1 <= len([g for g in got if g]) <= 6


def test_the_call_bound_max_tokens_is_the_limit():
    with HostileServer("endless") as server:
        model = _model("openai", server.url, max_tokens=300, request_timeout=30)
        assert len([c for c in model.bind(max_tokens=3).stream("hi") if c.text]) == 3
        assert model.bind(max_tokens=1).invoke("hi").content.strip() in {"Saya BebasBot.", "kata"}


def test_one_endless_line_is_refused_with_bounded_memory():
    import resource

    with HostileServer("endless-line") as server:
        model = _model("openai", server.url, max_tokens=100, request_timeout=30)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(Exception) as caught:
            list(model.stream("hi"))
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert "more than" in str(caught.value)
        assert server.sent < 20_000_000
        assert grown_mb < 100
