"""Syndicated and near-duplicate articles: MinHash over word shingles, grouped with LSH into clusters.

Signatures live in SQLite beside the keyword index, so an incremental ingest puts a new copy of a wire
story into the cluster its earlier copies already formed. A cluster's id is the article id of its
first member; every passage carries it in its metadata (``cluster``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NUM_PERM = 128
SCHEME = "affine32"  # datasketch >= 2.0 hashing scheme; signatures are stored as uint32
SHINGLE_WORDS = 3
# Estimated Jaccard similarity of shingle sets above which two articles are one story. Measured on the
# test fixtures: a wire story republished with another intro and footer scores 0.6-0.8, two reports
# of the same event written separately below 0.1.
THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
# Boilerplate: a line (footer, cookie banner, "follow us on ...") that at least this many other articles
# of the same outlet hold is left out of the signature. Syndicated copies come from other outlets, so a
# wire story republished everywhere keeps its lines; a footer shared by 300 articles of one site does not
# make them near-duplicates of each other.
BOILERPLATE_OTHERS = 2
_LINE_MIN_CHARS = 30
_MIN_SHINGLES = 10  # fewer left after removing boilerplate: the article is compared on its whole text


def line_keys(text: str) -> list[int]:
    """64-bit keys of the article's lines that are long enough to be boilerplate (normalized: NFKC,
    lower case, spaces collapsed), in order, without repeats."""
    import hashlib

    keys = []
    for line in unicodedata.normalize("NFKC", text).lower().split("\n"):
        norm = " ".join(line.split())
        if len(norm) >= _LINE_MIN_CHARS:
            keys.append(int.from_bytes(hashlib.sha1(norm.encode("utf-8", "replace")).digest()[:8], "big", signed=True))
    return list(dict.fromkeys(keys))


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Lower-cased NFKC word ``size``-grams of ``text`` (its words, when it is shorter than that)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    if len(words) < size:
        return set(words)
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(text: str):  # -> datasketch.MinHash (imported lazily: it pulls in scipy)
    """The MinHash of an article's shingles."""
    from datasketch import MinHash

    mh = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    mh.update_batch([s.encode("utf-8") for s in shingles(text)])
    return mh


@dataclass(frozen=True)
class Member:
    """One article of a cluster, as shown in "also reported by"."""

    article_id: str
    cluster: str
    outlet: str
    source: str
    title: str
    date: int | None


class DuplicateIndex:
    """Clusters of near-duplicate articles of one collection, persisted in SQLite."""

    def __init__(self, directory: Path, threshold: float = THRESHOLD):
        directory.mkdir(parents=True, exist_ok=True)
        self.threshold = threshold
        self.lock = threading.RLock()
        self.db = sqlite3.connect(
            directory / "duplicates.sqlite", timeout=30, isolation_level=None, check_same_thread=False
        )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, cluster TEXT NOT NULL,"
            " outlet TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, date INTEGER, signature BLOB NOT NULL)"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS by_cluster ON articles(cluster)")
        # which article holds which line, per outlet: lines many articles of one outlet share are boilerplate
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS lines (outlet TEXT NOT NULL, line INTEGER NOT NULL, article_id TEXT NOT NULL,"
            " PRIMARY KEY (outlet, line, article_id))"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS lines_by_article ON lines(article_id)")
        self._lsh = None
        self._signatures: dict[str, object] = {}

    def _load(self):
        """The LSH index over every stored signature (built once per process)."""
        if self._lsh is None:
            from datasketch import MinHash, MinHashLSH

            self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
            for aid, blob in self.db.execute("SELECT article_id, signature FROM articles"):
                mh = MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(blob, dtype=np.uint32), scheme=SCHEME)
                self._lsh.insert(aid, mh)
                self._signatures[aid] = mh
        return self._lsh

    def cluster_of(self, article_id: str) -> str | None:
        """The cluster an article was put in, or None if it is not indexed."""
        with self.lock:
            row = self.db.execute("SELECT cluster FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def assign(
        self, article_id: str, text: str, outlet: str = "", source: str = "", title: str = "", date: int | None = None
    ) -> str:
        """Index one article (replacing its earlier version) and return its cluster: that of the most
        similar indexed article above the threshold, else a new cluster named after it. Lines that other
        articles of the same outlet share (boilerplate) are left out of the comparison."""
        with self.lock:
            lsh = self._load()
            self._forget(article_id)
            keys = line_keys(text)
            mh = signature(self._without_boilerplate(text, outlet, keys))
            self.db.executemany(
                "INSERT OR IGNORE INTO lines VALUES (?, ?, ?)", [(outlet, key, article_id) for key in keys]
            )
            best, best_sim = None, self.threshold
            for other in lsh.query(mh):
                sim = mh.jaccard(self._signatures[other])
                if sim >= best_sim:
                    best, best_sim = other, sim
            cluster = (self.cluster_of(best) if best else None) or article_id
            blob = np.asarray(mh.hashvalues, dtype=np.uint32).tobytes()
            self.db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                (article_id, cluster, outlet, source, title, date, blob),
            )
            lsh.insert(article_id, mh)
            self._signatures[article_id] = mh
        return cluster

    def _without_boilerplate(self, text: str, outlet: str, keys: list[int]) -> str:
        """``text`` without the lines that at least ``BOILERPLATE_OTHERS`` other articles of ``outlet`` hold
        (the whole text when too little would be left to compare)."""
        common = set()
        for key in keys:
            row = self.db.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM lines WHERE outlet = ? AND line = ? LIMIT ?)",
                (outlet, key, BOILERPLATE_OTHERS),
            ).fetchone()
            if row[0] >= BOILERPLATE_OTHERS:
                common.add(key)
        if not common:
            return text
        kept = [line for line in text.split("\n") if not (set(line_keys(line)) & common)]
        rest = "\n".join(kept)
        return rest if len(shingles(rest)) >= _MIN_SHINGLES else text

    def _forget(self, article_id: str) -> None:
        if self._lsh is not None and article_id in self._signatures:
            self._lsh.remove(article_id)
            del self._signatures[article_id]
        self.db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM lines WHERE article_id = ?", (article_id,))

    def remove(self, article_id: str) -> None:
        """Drop one article from its cluster (the in-memory LSH only if it is loaded: building it just to
        forget one signature would cost time in proportion to the whole collection)."""
        with self.lock:
            self._forget(article_id)

    def members(self, cluster: str) -> list[Member]:
        """Every article of one cluster, oldest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT article_id, cluster, outlet, source, title, date FROM articles WHERE cluster = ?"
                " ORDER BY COALESCE(date, 0), article_id",
                (cluster,),
            ).fetchall()
        return [Member(*row) for row in rows]

    def indexed(self) -> set[str]:
        """Ids of every indexed article."""
        with self.lock:
            return {row[0] for row in self.db.execute("SELECT article_id FROM articles")}

    def close(self) -> None:
        """Close the database."""
        self.db.close()
