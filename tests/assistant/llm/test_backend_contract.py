"""What every LLM backend promises the answerer, checked the same way for each: replies stream token by
token, closing the stream stops the generation at its source, and a backend that is not there fails
fast with an exception that ``describe_llm_error`` turns into one line.

No model is loaded: the OpenAI-compatible and Ollama backends talk (through their real LangChain clients)
to a small scripted server on 127.0.0.1; the embedded backend runs the real chat model, stream bridge
and server cache over a stand-in for ``xllamacpp.Server`` put in the cache."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.chain import describe_llm_error
from assistant.llm import llama_server, make_chat_model
from assistant.settings import load_settings

BACKENDS = ["embedded", "openai", "ollama"]
TOKENS = ["Kim", " Jong", " Un", " memerintahkannya", "."]


class Script:
    """What the stand-in generates: ``tokens`` (then stop), or tokens without end; records progress."""

    def __init__(self, tokens: list[str], interval: float = 0.0, endless: bool = False) -> None:
        self.tokens, self.interval, self.endless = tokens, interval, endless
        self.sent = 0
        self.stopped = threading.Event()  # the generation stopped before its end (cancelled, hung up on)

    def pieces(self):
        n = 0
        while self.endless or n < len(self.tokens):
            yield self.tokens[n % len(self.tokens)]
            n += 1
            if self.interval:
                time.sleep(self.interval)


class ScriptedServer(ThreadingHTTPServer):
    """OpenAI's ``/v1/chat/completions`` (SSE) and Ollama's ``/api/chat`` (NDJSON), streaming a script."""

    daemon_threads = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:  # clients hang up on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"models": [{"name": "x", "model": "x"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ollama = self.path.startswith("/api/")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        script = self.server.script
        try:
            for token in script.pieces():
                self._write(self._ollama(token) if ollama else self._openai(token))
                script.sent += 1
            self._write(self._ollama("", done=True) if ollama else self._openai("", done=True))
            if not ollama:
                self._write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            script.stopped.set()

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    @staticmethod
    def _openai(token: str, done: bool = False) -> bytes:
        choice = {"index": 0, "delta": {"content": token} if token else {}, "finish_reason": "stop" if done else None}
        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "x", "choices": [choice]}
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    @staticmethod
    def _ollama(token: str, done: bool = False) -> bytes:
        line: dict[str, Any] = {"model": "x", "created_at": "2025-01-01T00:00:00Z", "done": done}
        line["message"] = {"role": "assistant", "content": token}
        if done:
            line.update(done_reason="stop", prompt_eval_count=3, eval_count=len(TOKENS))
        return json.dumps(line).encode() + b"\n"


class FakeXllamaServer:
    """``xllamacpp.Server.handle_chat_completions`` over a script: one callback per chunk, stopping when
    the callback returns True (as llama.cpp cancels its task)."""

    def __init__(self, script: Script) -> None:
        self.script = script

    def handle_chat_completions(self, request: dict[str, Any], callback: Any) -> None:
        for token in self.script.pieces():
            if callback({"id": "x", "choices": [{"delta": {"content": token}, "finish_reason": None}]}):
                self.script.stopped.set()
                return
            self.script.sent += 1
        callback({"id": "x", "choices": [{"delta": {}, "finish_reason": "stop"}]})
        callback({"id": "x", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": len(TOKENS)}})


@pytest.fixture
def backend(request, tmp_path, free_port):
    """``make(script)``: the backend's chat model generating ``script``; ``make(None)``: one whose
    source is not there (a closed port; a GGUF that does not exist)."""
    name = request.param
    servers: list[ScriptedServer] = []
    keys: list[Any] = []

    def make(script: Script | None, **extra: Any) -> Any:
        settings = {"max_tokens": 400, "request_timeout": 10, **extra}
        if name == "embedded":
            model = make_chat_model(load_settings(llm_backend="embedded", **settings), lambda: tmp_path / "x.gguf")
            if script is not None:
                keys.append(model._server_key)
                llama_server._servers[model._server_key] = llama_server.ServerHandle(FakeXllamaServer(script))
            return model
        if script is None:
            url = f"http://127.0.0.1:{free_port()}"
        else:
            servers.append(ScriptedServer(script))
            url = servers[-1].url
        if name == "openai":
            return make_chat_model(
                load_settings(llm_backend="openai", openai_base_url=url + "/v1", openai_model="x", **settings), None
            )
        return make_chat_model(
            load_settings(llm_backend="ollama", ollama_base_url=url, ollama_model="x", **settings), None
        )

    make.name = name  # type: ignore[attr-defined]
    yield make
    for key in keys:
        llama_server.release_server(key)
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_replies_stream_token_by_token(backend):
    script = Script(TOKENS, interval=0.05)
    model = backend(script)
    texts, sent_at_first = [], None
    for chunk in model.stream("Siapa yang memerintahkan?"):
        if chunk.text and sent_at_first is None:
            sent_at_first = script.sent
        texts.append(chunk.text)
    assert [t for t in texts if t] == TOKENS
    assert sent_at_first is not None and sent_at_first < len(TOKENS)  # the first token came before the last
    assert backend(Script(TOKENS)).invoke("Siapa?").content == "".join(TOKENS)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_closing_the_stream_stops_the_generation(backend):
    script = Script(["kata "], interval=0.02, endless=True)
    stream = backend(script).stream("Tulis cerita panjang.")
    got = 0
    for chunk in stream:
        got += bool(chunk.text)
        if got == 3:
            break
    stream.close()  # what Esc in the chat does
    assert script.stopped.wait(5), f"{backend.name}: still generating after the stream was closed"
    sent = script.sent
    time.sleep(0.3)
    assert script.sent == sent


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_a_backend_that_is_not_there_fails_fast_in_one_line(backend):
    model = backend(None)
    started = time.monotonic()
    with pytest.raises(Exception) as caught:  # each client raises its own type
        model.invoke("Siapa?")
    assert time.monotonic() - started < 5
    reason = describe_llm_error(caught.value)
    assert reason and "\n" not in reason
    if backend.name == "embedded":
        assert "GGUF model not found" in reason
    else:
        assert reason.startswith("cannot reach the LLM server"), reason
