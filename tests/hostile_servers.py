"""Misbehaving HTTP servers on 127.0.0.1 for the resource-bound tests and ``benchmarks/hostile_resources.py``.

``HostileServer(mode)`` answers every request the same way:

- ``endless``: an OpenAI-compatible SSE stream (or Ollama NDJSON under ``/api/``) that never ends, as fast
  as the socket takes it;
- ``slow-token``: the same stream, one token every ``interval`` seconds;
- ``endless-line``: one SSE line that never ends (no new line, ever);
- ``slow-byte``: an HTML page sent one byte every ``interval`` seconds;
- ``endless-page``: an HTML page without Content-Length that never ends;
- ``script``: an OpenAI-compatible SSE stream of the tokens in ``script``, then ``[DONE]`` (a hostile answer).

``sent`` counts the tokens (or bytes) sent, ``disconnected`` is set when the client hung up.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HostileServer(ThreadingHTTPServer):
    """One misbehaving server (see the module docstring); use as a context manager."""

    daemon_threads = True

    def __init__(self, mode: str, interval: float = 1.0, script: list[str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.script = script or []
        self.interval = interval
        self.sent = 0
        self.disconnected = threading.Event()
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:  # clients hang up on purpose
        pass


def _sse(token: str) -> bytes:
    chunk = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "hostile",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": token}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _ndjson(token: str) -> bytes:
    line = {"model": "hostile", "created_at": "2025-01-01T00:00:00Z", "done": False}
    line["message"] = {"role": "assistant", "content": token}
    return json.dumps(line).encode() + b"\n"


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/api/tags":
            body = b'{"models": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self._page()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.server.mode in {"slow-byte", "endless-page"}:
            return self._page()
        ollama = self.path.startswith("/api/")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        frame = _ndjson if ollama else _sse
        try:
            if self.server.mode == "script":
                for token in self.server.script:
                    self.wfile.write(frame(token))
                    self.server.sent += 1
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                return
            if self.server.mode == "endless-line":
                self.wfile.write(b'data: {"choices": [{"delta": {"content": "')
                block = b"A" * 65536
                while not self.server.stopping.is_set():
                    self.wfile.write(block)
                    self.server.sent += len(block)
                return
            slow = self.server.mode == "slow-token"
            while not self.server.stopping.is_set():
                self.wfile.write(frame("Saya BebasBot. " if self.server.sent % 7 == 0 else "kata "))
                self.wfile.flush()
                self.server.sent += 1
                if slow:
                    time.sleep(self.server.interval)
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnected.set()

    def _page(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        if self.server.mode == "slow-byte":
            self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            if self.server.mode == "slow-byte":
                for byte in (b"<html><body><p>" + b"x" * 99985)[:100000]:
                    if self.server.stopping.is_set():
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    self.server.sent += 1
                    time.sleep(self.server.interval)
                return
            block = b"<p>" + b"lorem ipsum " * 5000 + b"</p>"
            while not self.server.stopping.is_set():
                self.wfile.write(block)
                self.server.sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnected.set()
