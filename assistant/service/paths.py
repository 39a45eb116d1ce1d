"""Where a data directory's service keeps its socket, lock, state and log."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

#: Unix socket paths are limited to about 108 bytes; longer ones go to the temp folder
_MAX_SOCKET_PATH = 100


def socket_path(settings: Any) -> Path:
    """The service's Unix socket: ``service.sock`` in the data directory (in the temp folder, named by
    a hash of the data directory, when that path would be too long for a socket)."""
    path = Path(settings.data_dir) / "service.sock"
    if len(str(path).encode()) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(Path(settings.data_dir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"assistant-{digest}.sock"


def lock_path(settings: Any) -> Path:
    """Held by the running service: one per data directory."""
    return Path(settings.data_dir) / "service.lock"


def info_path(settings: Any) -> Path:
    """Which process serves, on which socket and address, with which settings."""
    return Path(settings.data_dir) / "service.json"


def log_path(settings: Any) -> Path:
    """One line per request."""
    return Path(settings.data_dir) / "service.log"
