"""The embedded model's server cache, without loading a model: entries are faked."""

from __future__ import annotations

import gc
import threading
import time
import weakref

from assistant.llm import llama_server
from assistant.llm.embedded import EmbeddedChatModel, release_model
from assistant.llm.stream_bridge import stream_chunks


class FakeServer:
    """Stands in for ``xllamacpp.Server``: streams chunks until its callback asks it to stop."""

    TOKENS = 100

    def handle_chat_completions(self, request, callback):
        for n in range(self.TOKENS):
            if callback({"choices": [{"delta": {"content": f"t{n} "}}]}):
                return None
            time.sleep(0.002)
        return None


def _fake_entry(model: EmbeddedChatModel) -> weakref.ref:
    server = FakeServer()
    llama_server._servers[model._server_key] = llama_server.ServerHandle(server=server)
    return weakref.ref(server)


def test_release_evicts_the_cached_server_and_frees_it(tmp_path):
    model = EmbeddedChatModel(model_path=str(tmp_path / "a.gguf"), n_threads=1)
    other = EmbeddedChatModel(model_path=str(tmp_path / "b.gguf"), n_threads=1)
    freed, kept = _fake_entry(model), _fake_entry(other)
    try:
        assert model.release() is True
        assert model._server_key not in llama_server._servers
        gc.collect()
        assert freed() is None  # nothing else held the weights
        assert other._server_key in llama_server._servers and kept() is not None
        assert model.release() is False  # nothing left to release
    finally:
        llama_server._servers.pop(other._server_key, None)


def test_release_model_ignores_other_backends():
    assert release_model(object()) is False


def _join_workers() -> None:
    for worker in [t for t in threading.enumerate() if t.name == "xllamacpp-generate"]:
        worker.join(5)


def test_release_lets_an_answer_being_generated_finish_then_frees_the_server(tmp_path):
    model = EmbeddedChatModel(model_path=str(tmp_path / "c.gguf"), n_threads=1)
    freed = _fake_entry(model)
    chunks = stream_chunks(llama_server.get_server(model._server_key), {"messages": []})
    next(chunks)
    assert model.release() is True
    assert model._server_key not in llama_server._servers
    assert len(list(chunks)) == FakeServer.TOKENS - 1  # not cut short
    _join_workers()
    gc.collect()
    assert freed() is None


def test_unloading_stops_generations(tmp_path):
    """What close_all_models (and interpreter exit) does to each server."""
    model = EmbeddedChatModel(model_path=str(tmp_path / "e.gguf"), n_threads=1)
    freed = _fake_entry(model)
    chunks = stream_chunks(llama_server.get_server(model._server_key), {"messages": []})
    next(chunks)
    assert llama_server.release_server(model._server_key, cancel=True)
    assert len(list(chunks)) < FakeServer.TOKENS - 1
    _join_workers()
    gc.collect()
    assert freed() is None


def test_switch_llm_releases_the_old_model(tmp_path):
    from assistant.models.catalog import GGUF_MODELS
    from assistant.services import Services
    from assistant.settings import Settings

    model = EmbeddedChatModel(model_path=str(tmp_path / "d.gguf"), n_threads=1)
    freed = _fake_entry(model)
    services = Services(Settings(), llm=model)
    assert services.llm is model
    other = next(name for name in GGUF_MODELS if name != services.settings.llm_model)
    services.switch_llm(other)
    assert model._server_key not in llama_server._servers
    held = weakref.ref(model)
    del model
    gc.collect()
    assert freed() is None
    assert held() is None  # the services let go of the old model too
    assert services.settings.llm_model == other


class SlowServer:
    """Sends a token every 0.1 s for 10 s: each token is in time, the whole answer is not."""

    def __init__(self) -> None:
        self.stopped = threading.Event()

    def handle_chat_completions(self, request, callback):
        for n in range(100):
            if callback({"choices": [{"delta": {"content": f"t{n} "}}]}):
                self.stopped.set()
                return None
            time.sleep(0.1)
        return None


def test_the_timeout_is_a_deadline_for_the_whole_answer():
    import pytest

    from assistant.llm.stream_bridge import EmbeddedModelTimeout

    server = SlowServer()
    received = 0
    with pytest.raises(EmbeddedModelTimeout, match="did not finish within 1 s"):
        for _ in stream_chunks(llama_server.ServerHandle(server=server), {"messages": []}, timeout=1.0):
            received += 1
    assert 3 < received < 30  # tokens came, then the deadline ended the call
    assert server.stopped.wait(5)  # and the generation was cancelled, not left running
