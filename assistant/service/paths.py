"""Where a data directory's service keeps its socket, lock, state and log.

The socket is ``service.sock`` in the data directory. When that path is too long for a Unix socket, the
socket goes to a private folder of the user's instead: ``$XDG_RUNTIME_DIR/article-assistant/`` when that
runtime folder is usable (a folder of this user's that nobody else may enter), else
``/tmp/assistant-<uid>/``. The service creates the folder with mode 0700; the service and its clients
use it only while it is a real folder (not a symlink) owned by this user with no group or other
permissions, so another local user can neither squat the socket's place nor point it elsewhere. The
socket's name there is a hash of the data directory, so a client computes the same path.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

#: Unix socket paths are limited to about 108 bytes; longer ones go to the private socket folder
_MAX_SOCKET_PATH = 100
#: where the private socket folder goes when ``$XDG_RUNTIME_DIR`` is unset or unusable (not the
#: ``TMPDIR`` of ``tempfile``: on some systems it is too long for a socket path itself)
_TMP = Path("/tmp")
_RUNTIME_NAME = "article-assistant"


class UnsafeSocketFolder(AssistantError):
    """The private socket folder exists but is not safe to use (a symlink, not a folder, another user's,
    or open to others): neither the service nor a client uses a socket in it."""


def socket_path(settings: Any, create: bool = False) -> Path:
    """The service's Unix socket: ``service.sock`` in the data directory, or, when that path would be too
    long for a socket, a file named by a hash of the data directory in the private socket folder
    (``private_folder``; with ``create``, the folder is made when missing). Raises ``UnsafeSocketFolder``."""
    path = Path(settings.data_dir) / "service.sock"
    if len(str(path).encode()) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(Path(settings.data_dir).resolve()).encode()).hexdigest()[:16]
    name = f"assistant-{digest}.sock"
    return private_folder(len(name) + 1, create) / name


def private_folder(room: int = 0, create: bool = False) -> Path:
    """The user's private socket folder, checked (a missing one is fine unless ``create``, which makes it
    with mode 0700); ``room``: the bytes the socket's name needs after it. Raises ``UnsafeSocketFolder``
    naming the folder when it exists but is not a private folder of this user's."""
    folder = _folder_for(room)
    if create:
        try:
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)  # just made (nobody else may enter it): the umask takes nothing away
        except FileExistsError:
            pass  # checked below, as any other
    try:
        problem = folder_problem(folder)
    except FileNotFoundError:
        return folder  # nothing is there yet, so no socket either (a client finds no service)
    if problem:
        raise UnsafeSocketFolder(
            f"unsafe socket folder {folder}: {problem}; remove it and the service makes it again (mode 700)"
        )
    return folder


def folder_problem(path: Path) -> str | None:
    """Why ``path`` is not a private folder of this user's (a symlink, not a folder, someone else's, group
    or other permissions), or None when it is one. Raises ``FileNotFoundError`` when it is missing."""
    info = os.lstat(path)  # a symlink is looked at, not followed
    if stat.S_ISLNK(info.st_mode):
        return "it is a symlink"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if info.st_uid != os.getuid():
        return f"it belongs to uid {info.st_uid}, not to you (uid {os.getuid()})"
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        return f"others may use it (mode {mode:o}, not 700)"
    return None


def _folder_for(room: int) -> Path:
    """``$XDG_RUNTIME_DIR/article-assistant`` when the runtime folder is private and the socket's path
    fits there, else ``/tmp/assistant-<uid>``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        folder = Path(runtime) / _RUNTIME_NAME
        try:
            usable = folder_problem(Path(runtime)) is None
        except OSError:
            usable = False
        if usable and len(str(folder).encode()) + room <= _MAX_SOCKET_PATH:
            return folder
    return _TMP / f"assistant-{os.getuid()}"


def lock_path(settings: Any) -> Path:
    """Held by the running service: one per data directory."""
    return Path(settings.data_dir) / "service.lock"


def info_path(settings: Any) -> Path:
    """Which process serves, on which socket and address, with which settings."""
    return Path(settings.data_dir) / "service.json"


def log_path(settings: Any) -> Path:
    """One line per request."""
    return Path(settings.data_dir) / "service.log"
