"""Client-side bounds for remote LLM servers: the answer's deadline, its length and its bytes.

A server decides how long it streams and how much it sends; these bounds do not depend on it:

- ``request_timeout`` covers each whole call (connect, prompt processing, every token), enforced at the
  socket by ``vectorstore.netlimits.BoundedTransport``: a server that sends a token a second is cut off;
- at most ``max_tokens`` chunks with text are read (the call's own ``max_tokens`` when it binds one),
  then the stream is closed, which stops the server's generation;
- a response holds at most ``response_bytes(max_tokens)`` bytes, so resident memory is bounded even
  by a server that sends one endless line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from vectorstore.netlimits import BoundedTransport

# bytes a streamed chunk may take (an OpenAI SSE event with 10 top log-probabilities is ~2 KB)
_BYTES_PER_TOKEN = 8192
_BYTES_BASE = 1_000_000


def response_bytes(max_tokens: int) -> int:
    """The most bytes a response to a call of ``max_tokens`` may hold."""
    return _BYTES_BASE + _BYTES_PER_TOKEN * max_tokens


def bounded_transport(timeout: float, max_tokens: int) -> BoundedTransport:
    """The transport every remote backend's HTTP client uses (one deadline per request)."""
    return BoundedTransport(total_timeout=timeout, max_bytes=response_bytes(max_tokens))


def bounded_http_client(timeout: float, max_tokens: int) -> httpx.Client:
    """An httpx client with the bounds above (read timeout ``timeout`` too)."""
    return httpx.Client(transport=bounded_transport(timeout, max_tokens), timeout=timeout)


def capped(chunks: Iterator[Any], limit: int) -> Iterator[Any]:
    """The first ``limit`` chunks of ``chunks`` that carry text (and the others in between); then the
    stream is closed, which closes the response and so stops the server's generation."""
    seen = 0
    try:
        for chunk in chunks:
            if getattr(chunk, "text", ""):
                seen += 1
                if seen > limit:
                    return
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def call_limit(kwargs: dict[str, Any], default: int) -> int:
    """The token limit of one call: its bound ``max_tokens`` (or ``num_predict``), else ``default``."""
    for key in ("max_tokens", "max_completion_tokens", "num_predict"):
        value = kwargs.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return default
