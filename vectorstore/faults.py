"""The one classification of storage faults (a full disk, a read-only directory, a file size limit), by
errno first and by the words SQLite, Chroma's native code and the OS use when no errno is attached.

It lives in ``vectorstore`` (which imports nothing from ``assistant``) because the stores phrase their
own write failures; ``assistant.errors`` phrases the same classification for the front ends.
"""

from __future__ import annotations

import errno
from typing import Literal

StorageFault = Literal["full", "readonly", "too_large"]

_FULL_CODES = {errno.ENOSPC, errno.EDQUOT}
_READONLY_CODES = {errno.EROFS, errno.EACCES, errno.EPERM}
_TOO_LARGE_CODES = {errno.EFBIG}
_FULL_WORDS = ("disk is full", "no space")
_READONLY_WORDS = ("readonly", "read-only", "permission denied")
_TOO_LARGE_WORDS = ("file too large",)


def storage_fault(exc: BaseException | None, text: str = "") -> StorageFault | None:
    """What kind of storage fault ``exc`` (and/or ``text``, e.g. what native code printed) reports:
    ``full``, ``readonly``, ``too_large``, or None when it is not one."""
    code = getattr(exc, "errno", None) if exc is not None else None
    if code in _FULL_CODES:
        return "full"
    if code in _READONLY_CODES:
        return "readonly"
    if code in _TOO_LARGE_CODES:
        return "too_large"
    lowered = f"{exc if exc is not None else ''} {text}".lower()
    if any(word in lowered for word in _FULL_WORDS):
        return "full"
    if any(word in lowered for word in _READONLY_WORDS):
        return "readonly"
    if any(word in lowered for word in _TOO_LARGE_WORDS):
        return "too_large"
    return None
