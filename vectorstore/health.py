"""Checks of the files a collection lives in, and Chroma's native errors in one line.

Chroma's Rust core prints panics and backtraces straight to file descriptor 2; ``captured_stderr``
holds them while Chroma opens a collection, so the user sees one translated line instead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"


def sqlite_problem(path: Path, thorough: bool = False) -> str | None:
    """What is wrong with the SQLite file at ``path`` (one line), or None when it reads (a missing file
    is not this function's business: None). ``thorough`` also runs ``PRAGMA quick_check`` (reads it all)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if size == 0:
        return "is empty (0 bytes)"
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if header != SQLITE_HEADER:
        return "is not a SQLite database (its header is damaged)"
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if thorough:
                rows = db.execute("PRAGMA quick_check").fetchall()
                if rows and rows[0][0] != "ok":
                    return f"is damaged ({str(rows[0][0]).splitlines()[0][:160]})"
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return f"is damaged ({(str(exc).splitlines() or [''])[0][:160]})"
    return None


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Send file descriptor 2 to a temp file for the block (what Chroma's native code prints there);
    the list given to the block receives the captured text after it. Python's own ``sys.stderr`` is
    the same descriptor, so nothing may be printed on purpose inside the block."""
    captured: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield captured
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read(1_000_000).decode("utf-8", "replace"))


def chroma_failure(exc: BaseException, native: str) -> str:
    """One line for a Chroma failure: the exception, or the panic message its native code printed
    (``thread '…' panicked at …: MESSAGE``), without the backtrace."""
    text = (str(exc).strip().splitlines() or [""])[0]
    for line in native.splitlines():
        if "panicked at" in line:
            text = text or line.strip()
            break
    for line in native.splitlines():
        stripped = line.strip()
        if stripped and "panicked at" not in stripped and not stripped.startswith(("note:", "stack backtrace")):
            if not text:
                text = stripped
            break
    text = text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
