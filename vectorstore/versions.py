"""Which version of each article readers see: a commit registry kept beside the keyword rows.

A new version of an article is written under new passage ids (``article:tag:index``, the tag a hash of
the version) next to the old one, so no passage is ever overwritten in place. The registry, tables in
the keyword index's SQLite, says which version of each article is committed:

- ``versions(article_id, version)``: the committed version, set in the same transaction as the article's
  keyword rows (that transaction is the moment both legs of retrieval switch); ``REMOVED`` while a
  removal is under way; ``""`` when unknown (written without a version).
- ``pending(article_id, version)``: versions being written; rows stay until the other versions'
  passages are deleted, so every leftover passage in Chroma has a pending row or a tombstone, and the
  next ingest repairs by looking at those articles only.
- ``changes(article_id, generation)``: the registry generation at which an article's rows last changed
  (never deleted), so a reader can tell which articles changed while it was reading.

A passage is visible iff its article's committed version equals the passage's version; for an article
without a known committed version (stored before the registry, or by another client of a Chroma
server), iff its version is not being written.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

REMOVED = "-removed-"  # the committed version of an article being removed
_GENERATION = "registry"  # meta key of the registry generation (bumped by every change)


def article_version(content_hash: str, chunking: str) -> str:
    """The version string of an article: its content hash and the passage settings it was cut with."""
    return f"{content_hash}/{chunking}"


def version_tag(version: str) -> str:
    """The short tag of a version that goes into passage ids."""
    return hashlib.sha1(version.encode("utf-8")).hexdigest()[:10]


def passage_version(meta: Mapping[str, Any]) -> str:
    """The version of the article a stored passage was cut from (computable for passages of any age)."""
    return article_version(str(meta.get("content_hash", "")), str(meta.get("chunking", "")))


@dataclass(frozen=True)
class RegistryView:
    """The registry rows of some articles, read in one transaction at ``generation``."""

    generation: int = 0
    committed: dict[str, str] = field(default_factory=dict)
    pending: dict[str, set[str]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    def visible(self, article_id: str, version: str) -> bool:
        """Whether readers see passages of ``version`` of ``article_id``."""
        committed = self.committed.get(article_id, "")
        if committed:
            return committed == version
        return version not in self.pending.get(article_id, ())

    def changed_since(self, generation: int) -> set[str]:
        """Articles whose rows changed after ``generation``."""
        return {aid for aid, at in self.changed.items() if at > generation}


class VersionRegistry:
    """The registry tables in the keyword index's database (``db`` and ``lock`` are the index's)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock):
        self.db = db
        self.lock = lock
        db.execute("CREATE TABLE IF NOT EXISTS versions (article_id TEXT PRIMARY KEY, version TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS pending (article_id TEXT NOT NULL, version TEXT NOT NULL,"
            " PRIMARY KEY (article_id, version))"
        )
        db.execute("CREATE TABLE IF NOT EXISTS changes (article_id TEXT PRIMARY KEY, generation INTEGER NOT NULL)")

    def generation(self) -> int:
        """The registry generation: it grows with every change a reader could see."""
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (_GENERATION,)).fetchone()
        return int(row[0]) if row else 0

    def view(self, article_ids: Iterable[str] | None = None) -> RegistryView:
        """The rows of ``article_ids`` (None: of every article), with the generation, in one read."""
        if article_ids is None:
            where, args = "", ()
        else:
            ids = sorted(set(article_ids))
            if not ids:
                return RegistryView(self.generation())
            where, args = " WHERE article_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
        with self.lock:
            self.db.execute("BEGIN")
            try:
                row = self.db.execute("SELECT value FROM meta WHERE key = ?", (_GENERATION,)).fetchone()
                committed = dict(self.db.execute(f"SELECT article_id, version FROM versions{where}", args))
                pending: dict[str, set[str]] = {}
                for aid, version in self.db.execute(f"SELECT article_id, version FROM pending{where}", args):
                    pending.setdefault(aid, set()).add(version)
                changed = dict(self.db.execute(f"SELECT article_id, generation FROM changes{where}", args))
            finally:
                self.db.execute("COMMIT")
        return RegistryView(int(row[0]) if row else 0, committed, pending, changed)

    def touch(self, article_ids: Iterable[str]) -> None:
        """Inside a write transaction: bump the generation and record it as the articles' last change."""
        self.db.execute(
            f"INSERT INTO meta(key, value) VALUES('{_GENERATION}', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        generation = int(self.db.execute("SELECT value FROM meta WHERE key = ?", (_GENERATION,)).fetchone()[0])
        self.db.executemany("INSERT OR REPLACE INTO changes VALUES (?, ?)", [(a, generation) for a in article_ids])

    def mark_pending(self, versions: Mapping[str, str]) -> None:
        """Record that ``versions`` (article id -> version) are about to be written (one transaction)."""
        with self.lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR IGNORE INTO pending VALUES (?, ?)", list(versions.items()))
            self.touch(versions)

    def unfinished(self) -> dict[str, tuple[str, set[str]]]:
        """Articles a write or removal may have left passages of: ``(committed version, pending versions)``
        of each article with pending rows or a tombstone."""
        with self.lock:
            ids = [r[0] for r in self.db.execute(
                "SELECT article_id FROM pending UNION SELECT article_id FROM versions WHERE version = ?", (REMOVED,)
            )]
        view = self.view(ids)
        return {aid: (view.committed.get(aid, ""), view.pending.get(aid, set())) for aid in ids}

    def settle(self, article_ids: Iterable[str]) -> None:
        """The articles' leftover passages are gone: drop their pending rows and tombstones (one transaction)."""
        ids = list(article_ids)
        if not ids:
            return
        with self.lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("DELETE FROM pending WHERE article_id = ?", [(a,) for a in ids])
            self.db.executemany(
                "DELETE FROM versions WHERE article_id = ? AND version = ?", [(a, REMOVED) for a in ids]
            )
            self.touch(ids)

    @staticmethod
    def stale(version: str, committed: str, pending: set[str]) -> bool:
        """Whether a passage of ``version`` is a leftover the repair deletes: of a removed article, of a
        version other than the committed one, or (no committed version known) of a version being written."""
        if committed == REMOVED:
            return True
        if committed:
            return version != committed
        return version in pending
