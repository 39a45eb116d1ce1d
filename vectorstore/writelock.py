"""One writer at a time per data directory: a cross-process file lock held while ingest or remove writes.

Readers (questions, ``sources``) never take it: they see the version of each article that the commit
registry in the keyword index's SQLite (WAL) names (``vectorstore.versions``), never a mix of two, and the
BM25 cache is replaced by an atomic rename.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from vectorstore.store import StoreError

LOCK_NAME = "write.lock"


class WriteLockBusy(StoreError):
    """Another process is writing to the same data directory; the message says so in one line."""


@contextmanager
def write_lock(directory: Path, timeout: float, label: str | None = None) -> Iterator[None]:
    """Hold the write lock of ``directory`` (waiting up to ``timeout`` seconds for another writer).

    Raises:
        WriteLockBusy: when another ingest or remove still holds it after ``timeout`` seconds.
    """
    lock = FileLock(str(directory / LOCK_NAME), thread_local=False)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=timeout)
    except Timeout:
        raise WriteLockBusy(
            f"another ingest is running on {label or directory} (waited {timeout:g}s); try again when it has finished"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot write to {label or directory}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()
