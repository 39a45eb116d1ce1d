"""The native Ollama backend over real HTTP on loopback.

No Ollama binary can be installed here (only PyPI answers), so the tests start a small server that speaks
Ollama's ``/api/chat`` protocol (NDJSON streaming, ``options``, ``logprobs``) and generates with the real
GGUF through the real llama.cpp runtime. The client side is the real langchain-ollama ``ChatOllama``.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.cli import main

QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"


class OllamaShim(ThreadingHTTPServer):
    """Ollama's chat API in front of an in-process llama.cpp model; records what it was asked."""

    daemon_threads = True

    def __init__(self, llm: Any) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.llm = llm
        self.requests: list[dict[str, Any]] = []
        self.finished: list[dict[str, Any]] = []  # {"tokens": n, "disconnected": bool} per stream

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: OllamaShim

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/api/tags":
            return self._json({"models": [{"name": "qwen-test", "model": "qwen-test"}]})
        self.send_error(404)

    def do_POST(self) -> None:
        if self.path != "/api/chat":
            return self.send_error(404)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        options = body.get("options") or {}
        call: dict[str, Any] = {"temperature": options.get("temperature", 0.8)}
        if options.get("num_predict"):
            call["max_tokens"] = options["num_predict"]
        if options.get("stop"):
            call["stop"] = options["stop"]
        if body.get("logprobs"):
            call.update(logprobs=True, top_logprobs=body.get("top_logprobs") or 1)
        messages = [(m["role"], m["content"]) for m in body["messages"]]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        stream = self.server.llm.stream(messages, **call)
        tokens, disconnected = 0, False
        try:
            for chunk in stream:
                line = {"model": body["model"], "created_at": _now(), "done": False}
                line["message"] = {"role": "assistant", "content": chunk.content}
                logprobs = (chunk.response_metadata.get("logprobs") or {}).get("content")
                if logprobs:
                    line["logprobs"] = logprobs
                self._line(line)
                tokens += 1
            self._line(
                {
                    "model": body["model"],
                    "created_at": _now(),
                    "done": True,
                    "done_reason": "stop",
                    "message": {"role": "assistant", "content": ""},
                }
            )
        except (BrokenPipeError, ConnectionResetError):
            disconnected = True
        finally:
            stream.close()  # cancels llama.cpp's generation at its next token
            self.server.finished.append({"tokens": tokens, "disconnected": disconnected})

    def _line(self, payload: dict[str, Any]) -> None:
        self.wfile.write(json.dumps(payload).encode() + b"\n")
        self.wfile.flush()

    def _json(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@pytest.fixture(scope="module")
def ollama_server(gguf_path):
    from assistant.llm.embedded import EmbeddedChatModel

    server = OllamaShim(EmbeddedChatModel(model_path=str(gguf_path), n_threads=2, n_ctx=4096))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _settings(url: str, **extra: Any) -> Any:
    from assistant.settings import load_settings

    return load_settings(llm_backend="ollama", ollama_base_url=url, ollama_model="qwen-test", **extra)


def test_call_options_travel_inside_ollama_options():
    """The chain binds OpenAI-style options; Ollama expects them in ``options`` (unit test, no server)."""
    from langchain_core.messages import HumanMessage

    from assistant.llm.ollama import ollama_chat_model

    llm = ollama_chat_model(_settings("http://127.0.0.1:9"))
    params = llm._chat_params([HumanMessage("hi")], max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=10)
    assert params["options"]["num_predict"] == 1 and params["options"]["temperature"] == 0.0
    assert params["logprobs"] is True and params["top_logprobs"] == 10
    assert "max_tokens" not in params and params["model"] == "qwen-test"


def test_ollama_logprobs_shape_gives_the_refusal_probability():
    from langchain_core.messages import AIMessage

    from assistant.chain import no_probability

    message = AIMessage(
        "",
        response_metadata={
            "logprobs": [
                {
                    "token": "Yes",
                    "logprob": -0.1,
                    "top_logprobs": [{"token": "Yes", "logprob": -0.1}, {"token": "No", "logprob": -2.4}],
                }
            ]
        },
    )
    assert no_probability(message) == pytest.approx(0.0911, abs=1e-3)


@pytest.mark.e2e
def test_answers_through_native_ollama_api(ollama_server, embedding_path, sample_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    assert main(["ingest", str(sample_path)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("ASSISTANT_TEMPERATURE", "0")
    flags = ["--llm-backend", "ollama", "--ollama-base-url", ollama_server.url, "--ollama-model", "qwen-test"]
    assert main([*flags, "--ask", QUESTION, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "Kim Jong Un" in result["answer"] and result["citations"], result["answer"]
    assert result["signals"]["no_probability"] is not None  # the yes/no check got logprobs through Ollama
    check, answer = ollama_server.requests[-2:]
    assert check["options"]["num_predict"] == 1 and check["logprobs"] is True
    assert answer["stream"] is True and answer["options"]["num_predict"] == 400


@pytest.mark.e2e
def test_closing_the_stream_cancels_generation_on_the_server(ollama_server):
    from assistant.llm.ollama import ollama_chat_model

    llm = ollama_chat_model(_settings(ollama_server.url, max_tokens=300, temperature=0.0))
    done_before = len(ollama_server.finished)
    stream = llm.stream("Write a long story about a lighthouse keeper, in ten paragraphs.")
    received = [next(stream) for _ in range(3)]
    stream.close()
    assert all(chunk.content is not None for chunk in received)
    deadline = time.monotonic() + 30
    while len(ollama_server.finished) == done_before and time.monotonic() < deadline:
        time.sleep(0.1)
    (record,) = ollama_server.finished[done_before:]
    assert record["disconnected"] and record["tokens"] < 60, record


def test_ollama_down_is_a_one_line_warning_and_the_passages_are_shown(ask_with_dead_backend):
    ask_with_dead_backend(["--llm-backend", "ollama", "--ollama-base-url", "{url}"])
