"""The keyword leg of retrieval: bm25s over passages, tokens kept in SQLite beside Chroma.

Tokens are stored per passage (so adding or removing one article touches only its rows); the BM25
matrix is rebuilt from them when they changed and cached on disk with the generation it was built at.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import unicodedata
from pathlib import Path
from typing import Any

from vectorstore.text import NO_SPACE_RUN
from vectorstore.versions import REMOVED, VersionRegistry

# Scripts written without spaces between words: indexed as character bigrams (and unigrams).
_NO_SPACE = NO_SPACE_RUN
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_REMOVED = 2000  # removed passages filtered at search time before the matrix is rebuilt


def tokenize(text: str) -> list[str]:
    """Unicode-aware tokens: lower-cased NFKC words; runs of CJK/Thai/Lao/Khmer/Myanmar characters
    become their characters and character bigrams. No stemming (it is English-only in most tools)."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for word in _WORD.findall(text):
        pos = 0
        for run in _NO_SPACE.finditer(word):
            if run.start() > pos:
                tokens.append(word[pos : run.start()])
            chars = run.group()
            tokens.extend(chars)
            tokens.extend(chars[i : i + 2] for i in range(len(chars) - 1))
            pos = run.end()
        if pos < len(word):
            tokens.append(word[pos:])
    return tokens


class KeywordIndex:
    """BM25 over every passage of a collection."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        # shared by the chat's worker threads; every use goes through self.lock
        self.db = sqlite3.connect(
            directory / "tokens.sqlite", timeout=30, isolation_level=None, check_same_thread=False
        )
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS passages (passage_id TEXT PRIMARY KEY, article_id TEXT NOT NULL,"
            " tokens TEXT NOT NULL)"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS by_article ON passages(article_id)")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        # passages deleted since the BM25 matrix was built: filtered out of results until the next rebuild
        self.db.execute("CREATE TABLE IF NOT EXISTS removed (passage_id TEXT PRIMARY KEY)")
        # which version (content hash / chunking) of each article the rows were made from, and which one
        # readers see: the commit registry
        self.registry = VersionRegistry(self.db, self.lock)
        self._bm25: Any = None
        self._ids: list[str] = []
        self._built_at = -1

    def _generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def replace_article(self, article_id: str, passages: list[tuple[str, str]], version: str = "") -> None:
        """Set the passages ``(passage_id, text)`` of one article, made from ``version`` of it (one transaction)."""
        self.replace_articles([(article_id, passages, version)])

    def replace_articles(self, articles: list[tuple[str, list[tuple[str, str]], str]]) -> None:
        """Set the passages of several articles ``(article_id, [(passage_id, text)], version)`` and commit
        their versions in the registry, all in one transaction: the moment readers of both legs switch
        to the new versions."""
        tokenized = [
            (aid, [(pid, aid, " ".join(tokenize(text))) for pid, text in passages], version)
            for aid, passages, version in articles
        ]
        with self.lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for aid, rows, version in tokenized:
                self.db.execute("DELETE FROM passages WHERE article_id = ?", (aid,))
                self.db.executemany("INSERT OR REPLACE INTO passages VALUES (?, ?, ?)", rows)
                self.db.execute("INSERT OR REPLACE INTO versions VALUES (?, ?)", (aid, version))
            self.db.execute("DELETE FROM removed")  # the next search rebuilds without them
            self.registry.touch([aid for aid, _, _ in tokenized])
            self._bump()

    def delete_article(self, article_id: str, tombstone: bool = False) -> None:
        """Remove one article's passages; with ``tombstone``, its registry row becomes ``REMOVED`` (readers
        stop seeing its passages in Chroma at once; the removal drops the tombstone once they are deleted),
        else the row goes. The BM25 matrix is not rebuilt for a removal (that would cost
        time in proportion to the whole collection): its passages are filtered out of results until the
        next addition rebuilds it, unless many removals have piled up."""
        with self.lock, self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR IGNORE INTO removed SELECT passage_id FROM passages WHERE article_id = ?", (article_id,)
            )
            self.db.execute("DELETE FROM passages WHERE article_id = ?", (article_id,))
            if tombstone:
                self.db.execute("INSERT OR REPLACE INTO versions VALUES (?, ?)", (article_id, REMOVED))
            else:
                self.db.execute("DELETE FROM versions WHERE article_id = ?", (article_id,))
            self.registry.touch([article_id])
            removed = self.db.execute("SELECT COUNT(*) FROM removed").fetchone()[0]
            if removed > _MAX_REMOVED:
                self.db.execute("DELETE FROM removed")
                self._bump()

    def article_passage_counts(self) -> dict[str, int]:
        """How many passages each article has here (to check agreement with Chroma)."""
        with self.lock:
            rows = self.db.execute("SELECT article_id, COUNT(*) FROM passages GROUP BY article_id").fetchall()
        return dict(rows)

    def article_states(self) -> dict[str, tuple[int, str]]:
        """``(passages, version)`` of every article here: what ingest compares with Chroma after a crash."""
        with self.lock:
            counts = self.article_passage_counts()
            versions = dict(self.db.execute("SELECT article_id, version FROM versions WHERE version != ?", (REMOVED,)))
        return {aid: (counts.get(aid, 0), versions.get(aid, "")) for aid in counts.keys() | versions.keys()}

    def _load(self) -> None:
        import bm25s

        generation = self._generation()
        if self._bm25 is not None and self._built_at == generation:
            return
        cache = self.directory / f"bm25-{generation}"
        if cache.is_dir():
            try:
                bm25 = bm25s.BM25.load(str(cache))
                ids = (cache / "ids.txt").read_text(encoding="utf-8").split("\n")
            except Exception:  # noqa: BLE001 - removed by a newer writer while reading: rebuild from the rows
                pass
            else:
                self._bm25, self._ids, self._built_at = bm25, ids, generation
                return
        # one read transaction: the generation and the rows are of the same snapshot (other processes write)
        self.db.execute("BEGIN")
        try:
            generation = self._generation()
            rows = self.db.execute("SELECT passage_id, tokens FROM passages ORDER BY passage_id").fetchall()
        finally:
            self.db.execute("COMMIT")
        self._ids = [r[0] for r in rows]
        self._bm25 = bm25s.BM25()
        if rows:
            self._bm25.index([r[1].split() for r in rows], show_progress=False)
            with contextlib.suppress(OSError):  # a read-only data directory: the index works from memory
                self._save(self.directory / f"bm25-{generation}")
        self._built_at = generation

    def _save(self, cache: Path) -> None:
        """Write the BM25 matrix to a private temp folder and rename it into place, so a reader in
        another process sees a whole cache or none; older generations are then removed."""
        import os
        import secrets
        import shutil
        import time

        tmp = cache.with_name(f"{cache.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            self._bm25.save(str(tmp))
            (tmp / "ids.txt").write_text("\n".join(self._ids), encoding="utf-8")
            tmp.rename(cache)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not cache.is_dir():  # not just "another process saved the same generation first"
                raise
        generation = int(cache.name.split("-")[1])
        for old in self.directory.glob("bm25-*"):
            if old.name.endswith(".tmp"):  # left by a killed process
                with contextlib.suppress(OSError):
                    if time.time() - old.stat().st_mtime > 600:
                        shutil.rmtree(old, ignore_errors=True)
            elif old.name.split("-")[1].isdigit() and int(old.name.split("-")[1]) < generation:
                shutil.rmtree(old, ignore_errors=True)

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best passages for ``query`` as ``(passage_id, bm25 score)``, best first; with
        ``allowed``, only among those passage ids (the filter applies before ranking, not after)."""
        with self.lock:
            return self._search(query, k, allowed)

    def _search(self, query: str, k: int, allowed: set[str] | None) -> list[tuple[str, float]]:
        import numpy as np

        self._load()
        tokens = tokenize(query)
        if not self._ids or not tokens or allowed == set():
            return []
        vocab = getattr(self._bm25, "vocab_dict", {}) or {}
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return []
        removed = {r[0] for r in self.db.execute("SELECT passage_id FROM removed")}
        mask = None
        if allowed is not None:
            mask = np.fromiter((pid in allowed for pid in self._ids), dtype=np.float32, count=len(self._ids))
        docs, scores = self._bm25.retrieve(
            [tokens], k=min(k + len(removed), len(self._ids)), show_progress=False, n_threads=1, weight_mask=mask
        )
        hits = [(self._ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
        return [hit for hit in hits if hit[0] not in removed][:k]

    def document_frequencies(self, tokens: list[str]) -> tuple[int, dict[str, int]]:
        """How many passages the index holds, and how many of them contain each of ``tokens``."""
        with self.lock:
            self._load()
            if not self._ids:
                return 0, {}
            vocab = getattr(self._bm25, "vocab_dict", {}) or {}
            indptr = self._bm25.scores["indptr"]  # column pointers: one column of passages per token
            frequencies = {}
            for token in tokens:
                at = vocab.get(token)
                frequencies[token] = int(indptr[at + 1] - indptr[at]) if at is not None and at + 1 < len(indptr) else 0
            return len(self._ids), frequencies

    def close(self) -> None:
        """Close the database."""
        self.db.close()
