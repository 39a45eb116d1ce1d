"""The bridge from xllamacpp's streaming callback (called on a worker thread) to a generator.

``Server.handle_chat_completions(request: dict, callback=None)`` takes an OpenAI-shaped request.
With ``"stream": True`` it calls ``callback(chunk: dict)`` once per OpenAI ``chat.completion.chunk``
*synchronously on the calling thread* (the GIL is released while llama.cpp works and re-acquired for
each callback) and returns ``None`` when done. Errors arrive as ``{"error": {"code", "message",
"type"}}`` (returned, or passed to the callback).

If the callback returns ``True`` (or raises) the stream stops: the pending llama.cpp task is
cancelled and the slot is freed at once. The first callback only fires after prompt processing has
finished, so a generation cannot be cancelled during prefill.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from assistant.llm.llama_server import Generation, ServerHandle, register_generation, unregister_generation


class EmbeddedModelTimeout(TimeoutError):
    """The embedded model did not finish within the allowed time (``EmbeddedChatModel.timeout``, the
    whole call's deadline)."""


class EmbeddedModelError(RuntimeError):
    """An error reported by the embedded llama.cpp server for a request.

    Attributes:
        code: HTTP-like status code reported by llama.cpp (e.g. ``400``).
        error_type: llama.cpp error type, e.g. ``"invalid_request_error"`` or
            ``"exceed_context_size_error"``.
        payload: The raw ``error`` object returned by the server.
    """

    def __init__(self, payload: Mapping[str, Any]) -> None:
        """Build the exception from the server's ``error`` object."""
        self.payload = dict(payload)
        self.code: int | None = payload.get("code")
        self.error_type: str | None = payload.get("type")
        super().__init__(str(payload.get("message", "unknown llama.cpp server error")))


_DONE = object()


class _WorkerFailed:
    """Wraps an exception raised on the worker thread."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def stream_chunks(
    handle: ServerHandle, request: dict[str, Any], timeout: float | None = None
) -> Iterator[dict[str, Any]]:
    """Run a streaming chat completion and yield raw chunk dicts as they arrive.

    ``handle_chat_completions`` blocks until generation ends and invokes its
    callback on the calling thread, so it runs on a daemon worker thread and
    chunks are handed over through a queue. Closing this generator sets a
    cancel flag; the callback then returns ``True``, which makes llama.cpp
    cancel the task at the next token.
    """
    chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def on_chunk(chunk: dict[str, Any]) -> bool:
        chunks.put(chunk)
        return cancel.is_set()

    def work() -> None:
        try:
            handle.server.handle_chat_completions(request, on_chunk)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            chunks.put(_WorkerFailed(exc))
        finally:
            chunks.put(_DONE)
            unregister_generation(generation)

    generation = Generation(handle, threading.Thread(target=work, name="xllamacpp-generate", daemon=True))
    cancel = generation.cancel
    register_generation(generation)
    generation.worker.start()
    deadline = None if timeout is None else time.monotonic() + timeout  # for the whole call, not each chunk
    try:
        while True:
            try:
                item = chunks.get(timeout=None if deadline is None else max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise EmbeddedModelTimeout(f"the model did not finish within {timeout:g} s (request_timeout)") from None
            if item is _DONE:
                return
            if isinstance(item, _WorkerFailed):
                raise item.exc
            if "error" in item:
                cancel.set()
                raise EmbeddedModelError(item["error"])
            yield item
            if cancel.is_set():  # closed by release_server() / close_all_models()
                return
    finally:
        # Consumer finished, failed or abandoned the generator: stop llama.cpp
        # at its next token. Do not join; prefill may still be running.
        cancel.set()
