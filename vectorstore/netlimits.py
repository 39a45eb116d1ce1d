"""Deadlines and size caps for HTTP reads, enforced at the socket.

httpx's timeouts bound each read; a server that sends one byte a second never trips them. Here a
deadline bounds the whole exchange: every socket read and write of a request is given at most the time
left, so a download or an answer stops at its deadline however the server paces its bytes. A byte
cap bounds what a response may hold, so memory stays bounded whatever a server sends.

Use ``BoundedTransport`` as an httpx transport: with ``total_timeout``, each request gets its own deadline
(an LLM call); inside ``with deadline(seconds):`` every request in that block shares one (a page with its
redirects). With ``public_only``, it connects only to public internet addresses (``vectorstore.netguard``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_local = threading.local()


class ResponseTooLarge(httpx.HTTPError):
    """A response went past its byte cap (the message names the cap)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def _remaining() -> float | None:
    at = getattr(_local, "deadline", None)
    return None if at is None else at - time.monotonic()


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Every request made through a ``BoundedTransport`` in this thread, inside the block, must finish
    within ``seconds`` of entering it (None: no deadline). Nested deadlines keep the earlier one."""
    previous = getattr(_local, "deadline", None)
    if seconds is not None:
        at = time.monotonic() + seconds
        _local.deadline = at if previous is None else min(previous, at)
    try:
        yield
    finally:
        _local.deadline = previous


def _bounded(timeout: float | None) -> float | None:
    left = _remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise httpcore.ReadTimeout("deadline reached")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _Stream(self.inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend, public_only: bool = False) -> None:
        self.inner = inner
        self.public_only = public_only

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        if self.public_only:
            return _Stream(self._connect_public(host, port, timeout, local_address, socket_options))
        return _Stream(self.inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options))

    def _connect_public(
        self, host: str, port: int, timeout: float | None, local_address: str | None, socket_options: Any
    ) -> httpcore.NetworkStream:
        """A connection to one of ``host``'s addresses, all checked to be public first: the address checked
        is the address connected to (raises ``vectorstore.netguard.PrivateAddress``). TLS still names and
        verifies ``host`` (httpcore passes it to ``start_tls``)."""
        from vectorstore.netguard import public_addresses

        try:
            addresses = public_addresses(host, port)
        except OSError as exc:  # what httpcore says of a name that cannot be resolved
            raise httpcore.ConnectError(str(exc)) from None
        failure: Exception | None = None
        for address in addresses:  # as socket.create_connection: the next address when one fails
            try:
                return self.inner.connect_tcp(address, port, _bounded(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _Stream(self.inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _CappedBody(httpx.SyncByteStream):
    """A response body that raises past ``max_bytes`` and releases its deadline when closed."""

    def __init__(self, inner: httpx.SyncByteStream, max_bytes: int | None, release: Any) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self.release = release

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self.inner:
            seen += len(chunk)
            if self.max_bytes is not None and seen > self.max_bytes:
                raise ResponseTooLarge(f"the server sent more than {self.max_bytes / 1e6:.1f} MB")
            yield chunk

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.release()


class BoundedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose socket reads and writes honour ``deadline`` (and, with
    ``total_timeout``, a deadline of its own per request: headers and the whole body), and whose
    response bodies are cut off with ``ResponseTooLarge`` past ``max_bytes``. With ``public_only``, it
    connects only to public addresses (``vectorstore.netguard``; others raise ``PrivateAddress``)."""

    def __init__(
        self,
        total_timeout: float | None = None,
        max_bytes: int | None = None,
        public_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        pool = self._pool  # httpx builds the pool without a way to pass httpcore's network_backend
        pool._network_backend = _Backend(pool._network_backend, public_only)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` under its deadline; the deadline lasts until the response is closed."""
        previous = getattr(_local, "deadline", None)
        if self.total_timeout is not None:
            at = time.monotonic() + self.total_timeout
            _local.deadline = at if previous is None else min(previous, at)

        def release() -> None:
            _local.deadline = previous

        try:
            response = super().handle_request(request)  # a deadline reached is httpx.ReadTimeout here
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _CappedBody(response.stream, self.max_bytes, release)
        return response
