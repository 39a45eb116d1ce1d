"""The CLI's side of the service: find it, start it on demand, ask it. Standard library only, so a
one-off question through a warm service imports no torch, transformers, chromadb or LangChain."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.service.paths import UnsafeSocketFolder, folder_problem, info_path, log_path, socket_path
from assistant.service.protocol import event_from_json, pages_from_json, settings_key
from assistant.types import Event

#: how long a service started on demand may take to load its models and listen
START_TIMEOUT_S = 300.0


class ServiceUnavailable(Exception):
    """No service answers for this data directory (or it runs with other settings)."""


class ServiceGone(Exception):
    """The service stopped answering in the middle of a request."""


class ServiceRefused(Exception):
    """The service answered with an error (``status`` is its HTTP status)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the service's Unix socket."""

    def __init__(self, path: Path, timeout: float | None):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class ServiceClient:
    """Requests to the service of one data directory."""

    def __init__(self, path: Path, timeout: float | None = None):
        self.path = path
        self.timeout = timeout
        self.last_answer_json: dict[str, Any] | None = None

    def _request(self, method: str, url: str, body: Any = None, timeout: float | None = None) -> Any:
        conn = _UnixConnection(self.path, timeout if timeout is not None else self.timeout)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            conn.request(method, url, body=data, headers=headers)
            return conn, conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise ServiceUnavailable(str(exc)) from None

    def _json(self, method: str, url: str, body: Any = None, timeout: float | None = None) -> Any:
        conn, response = self._request(method, url, body, timeout)
        try:
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ServiceGone(str(exc)) from None
        finally:
            conn.close()
        data = _decode(raw)
        if response.status >= 400:
            raise ServiceRefused(str(data.get("error", response.reason)), response.status)
        return data

    def health(self, timeout: float = 2.0) -> dict[str, Any]:
        """``GET /v1/health``."""
        return self._json("GET", "/v1/health", timeout=timeout)

    def ask_json(self, question: str, filters: dict[str, str | None]) -> dict[str, Any]:
        """The answer in its ``--json`` shape."""
        try:
            return self._json("POST", "/v1/ask", {"question": question, "stream": False, **filters})
        except ServiceUnavailable as exc:
            raise ServiceGone(str(exc)) from None

    def stream(
        self, question: str, filters: dict[str, str | None], history: list[tuple[str, str]] | None = None
    ) -> Iterator[Event]:
        """The answer's events as the service streams them; raises ``ServiceGone`` if it stops mid-answer
        and ``ServiceRefused`` for a refused question. The last answer's JSON is kept in ``last_answer_json``."""
        body = {"question": question, "stream": True, "history": history or [], **filters}
        try:
            conn, response = self._request("POST", "/v1/ask", body)
        except ServiceUnavailable as exc:  # it stopped since it was found: answered in-process instead
            raise ServiceGone(str(exc)) from None
        try:
            if response.status >= 400:
                data = _decode(response.read())
                raise ServiceRefused(str(data.get("error", response.reason)), response.status)
            done = False
            while True:
                try:
                    line = response.readline()
                except (OSError, http.client.HTTPException) as exc:
                    raise ServiceGone(str(exc)) from None
                if not line:
                    break
                try:
                    data = json.loads(line)
                    event = event_from_json(data)
                except (ValueError, KeyError, TypeError) as exc:
                    raise ServiceGone(f"unreadable reply ({exc})") from None
                if data.get("kind") == "error":
                    raise ServiceGone(data.get("text", "the service failed"))
                if data.get("kind") == "done":
                    self.last_answer_json = data.get("answer")
                    done = True
                yield event
            if not done:
                raise ServiceGone("the service closed the answer before its end")
        finally:
            conn.close()

    def pages(self) -> dict[int, int]:
        """The PDF page of each source of the last streamed answer."""
        return pages_from_json(self.last_answer_json or {})


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"error": raw[:200].decode("utf-8", "replace")}
    return data if isinstance(data, dict) else {"value": data}


def running_client(settings: Any) -> ServiceClient | None:
    """A client of the service that runs for ``settings``' data directory with the same answer
    settings, or None (none runs, it does not answer, it was started with other settings, or its socket
    is in a folder that is not private: ``assistant.service.paths``)."""
    try:
        path = socket_path(settings)
        if not path.exists():
            path = recorded_socket(settings) or path
        if not path.exists() or not info_path(settings).exists():
            return None
        # checked again now that the socket is there: a folder someone else made since the first check
        # is refused; one that passes is this user's and stays so (nobody else may replace it)
        socket_path(settings)
    except UnsafeSocketFolder:
        return None  # never followed: whoever made the folder may have put their own socket in it
    client = ServiceClient(path)
    try:
        health = client.health()
    except (ServiceUnavailable, ServiceGone, ServiceRefused, ValueError):
        return None
    if health.get("settings_key") != settings_key(settings):
        return None
    return client


def recorded_socket(settings: Any) -> Path | None:
    """The socket the running service wrote into ``service.json``, when it is in the data directory or
    in a private folder of this user's: a service started with another ``$XDG_RUNTIME_DIR`` than this
    client's put its socket elsewhere than the client would compute."""
    try:
        raw = json.loads(info_path(settings).read_text(encoding="utf-8")).get("socket")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(raw, str) or not raw:
        return None
    path = Path(raw)
    if path.parent == Path(settings.data_dir):
        return path
    try:
        return path if folder_problem(path.parent) is None else None
    except OSError:
        return None


def start_service(settings: Any, notify: Callable[[str], None] | None = None) -> ServiceClient:
    """Start ``assistant serve`` for ``settings`` in the background (detached, its output in the
    service log) and wait until it answers; raises ``ServiceUnavailable`` when it does not come up (or
    its socket's folder is not private: then nothing is started)."""
    try:
        socket_path(settings)
    except UnsafeSocketFolder as exc:
        raise ServiceUnavailable(str(exc)) from None
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["ASSISTANT_SERVE_SETTINGS"] = settings.model_dump_json()
    if notify:
        notify("starting the assistant service (it stays up for the next questions)")
    with log_path(settings).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,  # survives this command, and Ctrl+C here does not reach it
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        client = running_client(settings)
        if client is not None:
            return client
        if process.poll() is not None:
            # it exited: another command may have started one at the same moment
            client = _wait_for_other(settings, deadline)
            if client is not None:
                return client
            raise ServiceUnavailable(f"the service exited with code {process.returncode} (see {log_path(settings)})")
        time.sleep(0.1)
    raise ServiceUnavailable(f"the service did not answer within {START_TIMEOUT_S:.0f}s (see {log_path(settings)})")


def _wait_for_other(settings: Any, deadline: float) -> ServiceClient | None:
    """A service another process is starting for the same data directory, once it answers."""
    from assistant.service.paths import lock_path

    while time.monotonic() < deadline and lock_path(settings).exists():
        client = running_client(settings)
        if client is not None:
            return client
        if not _lock_held(settings):
            return None
        time.sleep(0.2)
    return None


def _lock_held(settings: Any) -> bool:
    import fcntl

    from assistant.service.paths import lock_path

    try:
        with lock_path(settings).open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except OSError:
        return False
