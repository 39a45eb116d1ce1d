"""``assistant serve``: one resident service per data directory, on a Unix socket (and HTTP if asked).

It keeps the models and the collection open, logs one line per request to ``service.log`` in the data
directory, and stops after ``service_idle_timeout`` seconds without requests. ``service.json`` beside
the socket says which process serves, where, and with which settings.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from assistant.service.paths import info_path, lock_path, log_path, socket_path
from assistant.settings import Settings


class ServiceError(Exception):
    """The service cannot start (another one runs, an address is refused, a token is missing)."""


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) as a host and a port; raises ``ServiceError``."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ServiceError(f"--http needs HOST:PORT, e.g. 127.0.0.1:8765 (got {text!r})")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _take_lock(settings: Settings) -> Any:
    """The data directory's service lock (held for the service's life); raises ``ServiceError`` naming
    the running service when another one holds it."""
    import fcntl

    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        running = _read_info(settings)
        where = f"pid {running.get('pid')}, socket {running.get('socket')}" if running else "starting"
        raise ServiceError(f"a service is already running for {settings.data_dir} ({where})") from None
    return handle


def _read_info(settings: Settings) -> dict[str, Any]:
    try:
        return json.loads(info_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _unix_socket(path: Path) -> socket.socket:
    """A listening Unix socket at ``path``, readable and writable by its owner only."""
    if path.exists() or path.is_symlink():
        path.unlink()  # a stale socket of a service that died (the lock says none runs)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(64)
    return sock


def _tcp_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServiceError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(64)
    return sock


def serve(settings: Settings, http: str | None = None, say: Any = print, assistant: Any = None) -> int:
    """Run the service until it is idle for ``service_idle_timeout`` seconds or is stopped (SIGTERM,
    Ctrl+C); ``http``: also listen on ``HOST:PORT``. Returns the exit code."""
    import uvicorn

    from assistant.service.http import ServiceState, create_app

    address = parse_address(http) if http else None
    # a token in the environment protects the TCP listener even on loopback (other local users); beyond
    # loopback one is required
    token = (os.environ.get(settings.api_token_env) or None) if address else None
    if address and not is_loopback(address[0]) and not token:
        raise ServiceError(
            f"listening on {address[0]} (beyond this machine) needs a bearer token in ${settings.api_token_env}"
        )
    # the socket's folder first: an unsafe one is refused before anything is locked or loaded
    sock_path = socket_path(settings, create=True)
    lock = _take_lock(settings)
    sockets: list[socket.socket] = []
    try:
        if assistant is None:
            from assistant.app import Assistant

            assistant = Assistant(settings, reader=False, warn=lambda m: say(f"warning: {m}"))
        started = time.perf_counter()
        assistant.warm()
        warm_s = time.perf_counter() - started
        state = ServiceState(assistant, log_path(settings), token)
        sockets.append(_unix_socket(sock_path))
        if address:
            sockets.append(_tcp_socket(*address))
        tcp = sockets[1].getsockname()[:2] if address else None
        info = {
            "pid": os.getpid(),
            "socket": str(sock_path),
            "http": f"http://{tcp[0]}:{tcp[1]}" if tcp else None,
            "settings_key": state.key,
            "data_dir": str(settings.data_dir),
            "started": time.time(),
        }
        info_path(settings).write_text(json.dumps(info), encoding="utf-8")
        state.log(f"start pid={os.getpid()} socket={sock_path} http={info['http']} warm={warm_s:.2f}s")
        say(f"serving {settings.data_dir} on {sock_path}" + (f" and {info['http']}" if tcp else ""))
        config = uvicorn.Config(create_app(state), log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        watchdog = threading.Thread(
            target=_stop_when_idle, args=(server, state, settings.service_idle_timeout), daemon=True
        )
        watchdog.start()
        if threading.current_thread() is threading.main_thread():
            # uvicorn re-raises the SIGTERM it handled once it has stopped; exit through the cleanup below
            signal.signal(signal.SIGTERM, _exit_on_term)
        server.run(sockets=sockets)
        state.log("stop")
        return 0
    finally:
        for sock in sockets:
            sock.close()
        for path in (sock_path, info_path(settings)):
            try:
                if path == info_path(settings) and _read_info(settings).get("pid") not in (os.getpid(), None):
                    continue
                path.unlink()
            except OSError:
                pass
        lock.close()


def _exit_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _stop_when_idle(server: Any, state: Any, timeout: float) -> None:
    """Ask ``server`` to stop once nothing ran or waited for ``timeout`` seconds."""
    while not server.should_exit:
        time.sleep(min(1.0, timeout / 4))
        idle = time.monotonic() - state.last_request
        if state.active == 0 and state.turns.waiting == 0 and idle > timeout:
            state.log(f"idle for {idle:.0f}s: stopping")
            server.should_exit = True
