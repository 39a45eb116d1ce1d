"""The socket of a data dir whose path is too long for one: a private folder of the user's (0700), never a
place another local user could have made first (no models: a stand-in facade)."""

import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from test_service_http import StandIn

from assistant.service import paths
from assistant.service.client import ServiceUnavailable, running_client, start_service
from assistant.service.paths import UnsafeSocketFolder, info_path, socket_path
from assistant.service.server import serve
from assistant.settings import load_settings


@pytest.fixture
def short_dir():
    """A fresh folder with a short path (mode 0700, as ``$XDG_RUNTIME_DIR`` is): pytest's own temp paths
    can be too long to hold a socket."""
    made = tempfile.mkdtemp(prefix="sock-", dir="/tmp")
    yield Path(made)
    shutil.rmtree(made, ignore_errors=True)


@pytest.fixture
def long_settings(tmp_path):
    """Settings whose data dir's ``service.sock`` would be over the socket path limit."""
    data = tmp_path / ("d" * 120) / "data"
    assert len(str(data / "service.sock").encode()) > 108
    return load_settings(data_dir=str(data))


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_short_data_dir_keeps_its_socket_inside(tmp_path):
    settings = load_settings(data_dir=str(tmp_path / "data"))
    assert socket_path(settings, create=True) == tmp_path / "data" / "service.sock"


def test_a_long_data_dir_gets_its_socket_in_a_private_runtime_folder(long_settings, short_dir, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    assert socket_path(long_settings) == short_dir / "article-assistant" / socket_path(long_settings).name
    assert not (short_dir / "article-assistant").exists()  # a client creates nothing
    old = os.umask(0o022)
    try:
        path = socket_path(long_settings, create=True)
    finally:
        os.umask(old)
    assert path.parent == short_dir / "article-assistant" and _mode(path.parent) == 0o700
    assert path.name.startswith("assistant-") and len(str(path).encode()) <= 100
    assert socket_path(long_settings) == path  # what the client computes


def test_without_a_usable_runtime_folder_it_is_tmp_assistant_uid(long_settings, short_dir, monkeypatch):
    monkeypatch.setattr(paths, "_TMP", short_dir)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    folder = short_dir / f"assistant-{os.getuid()}"
    assert socket_path(long_settings, create=True).parent == folder and _mode(folder) == 0o700
    open_runtime = short_dir / "run"
    open_runtime.mkdir(mode=0o755)
    os.chmod(open_runtime, 0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(open_runtime))  # set, but others may enter it: not used
    assert socket_path(long_settings, create=True).parent == folder
    assert not (open_runtime / "article-assistant").exists()


def _unsafe(kind: str, folder: Path) -> str:
    """Make ``folder`` unsafe in the way ``kind`` names; the reason the refusal gives."""
    if kind == "mode 0755":
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
        return "others may use it (mode 755, not 700)"
    if kind == "symlink":
        target = folder.parent / "elsewhere"
        target.mkdir(mode=0o700)
        folder.symlink_to(target)
        return "it is a symlink"
    folder.write_text("squatted")
    return "it is not a folder"


@pytest.mark.parametrize("kind", ["mode 0755", "symlink", "a file"])
def test_an_unsafe_socket_folder_is_refused_in_one_line(kind, long_settings, short_dir, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    folder = short_dir / "article-assistant"
    reason = _unsafe(kind, folder)
    for create in (True, False):
        with pytest.raises(UnsafeSocketFolder) as info:
            socket_path(long_settings, create=create)
        message = str(info.value)
        assert message.splitlines() == [message]
        assert message.startswith(f"unsafe socket folder {folder}: {reason}; remove it")
    # the service refuses before it locks, creates or loads anything
    with pytest.raises(UnsafeSocketFolder):
        serve(long_settings, say=lambda m: None, assistant=StandIn(long_settings))
    assert not Path(long_settings.data_dir).exists()


def test_a_client_follows_no_socket_in_an_unsafe_folder(long_settings, short_dir, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    name = socket_path(long_settings).name
    _unsafe("symlink", short_dir / "article-assistant")
    # someone else's service waits behind the symlink, and service.json says one runs
    planted = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    planted.bind(str(short_dir / "elsewhere" / name))
    planted.listen(1)
    planted.setblocking(False)
    Path(long_settings.data_dir).mkdir(parents=True)
    info_path(long_settings).write_text(json.dumps({"pid": 1, "socket": str(short_dir / "article-assistant" / name)}))

    def no_start(*args, **kwargs):
        raise AssertionError("no service may be started")

    monkeypatch.setattr(subprocess, "Popen", no_start)
    try:
        assert running_client(long_settings) is None
        with pytest.raises(ServiceUnavailable, match=r"^unsafe socket folder .*: it is a symlink"):
            start_service(long_settings)
        with pytest.raises(BlockingIOError):
            planted.accept()  # nobody connected to it
    finally:
        planted.close()


class Warm(StandIn):
    def warm(self):
        pass


def _serving(long_settings):
    """A stand-in service for ``long_settings`` in a thread (it stops after 1 s idle), once it has
    written service.json."""
    settings = long_settings.model_copy(update={"service_idle_timeout": 1.0})
    kwargs = {"say": lambda m: None, "assistant": Warm(settings)}
    thread = threading.Thread(target=serve, args=(settings,), kwargs=kwargs)
    thread.start()
    deadline = time.monotonic() + 20
    while not info_path(settings).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return settings, thread


def test_the_service_and_its_client_meet_in_the_private_folder(long_settings, short_dir, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    settings, thread = _serving(long_settings)
    path = socket_path(settings)
    assert path.parent == short_dir / "article-assistant" and _mode(path) == 0o600
    client = running_client(settings)
    assert client is not None and client.path == path and client.health()["status"] == "ok"
    thread.join(timeout=15)
    assert not thread.is_alive() and not path.exists()


def test_a_client_with_another_runtime_folder_finds_the_socket_the_service_recorded(
    long_settings, short_dir, monkeypatch
):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    settings, thread = _serving(long_settings)
    served = socket_path(settings)
    monkeypatch.delenv("XDG_RUNTIME_DIR")  # this client would compute /tmp/assistant-<uid>/…
    assert socket_path(settings) != served
    client = running_client(settings)
    assert client is not None and client.path == served and client.health()["status"] == "ok"
    thread.join(timeout=15)
    assert not thread.is_alive()
