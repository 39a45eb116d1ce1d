"""The Chroma collection of passages: write whole articles, read manifests, query by vector."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vectorstore.documents import Article, Passage

_GET_PAGE = 5000


# Chroma's default HNSW search (ef_search 100, 16 neighbours) missed the exact nearest passage for 4 of
# eval-dev's 208 questions on 3,390 passages (9 after articles were replaced), mostly questions in a
# script few passages share (Hindi, Arabic); from ef_search 300 on, the results equal exact search.
_HNSW_EF_SEARCH = 500
_HNSW_BUILD = {"ef_construction": 200, "max_neighbors": 32}


class StoreError(RuntimeError):
    """The collection cannot be used as asked; the message says why."""


_LOW_SPACE = 64 * 1024 * 1024


def write_failure(exc: BaseException, directory: Path | None) -> str:
    """One line saying why writing to the stores failed (full disk, read-only directory, other) and
    that what was written before is intact (each write replaces whole articles; ingest resumes)."""
    import errno
    import shutil

    text = (str(exc).strip().splitlines() or [""])[0][:200]
    lowered = text.lower()
    code = getattr(exc, "errno", None)
    try:
        free = shutil.disk_usage(directory).free if directory is not None else None
    except OSError:
        free = None
    where = f" in {directory}" if directory is not None else ""
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in lowered or "no space" in lowered or (
        free is not None and free < _LOW_SPACE
    ):
        cause = "the disk is full"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in lowered or "read-only" in lowered:
        cause = "the data directory is read-only"
    elif code == errno.EFBIG or "too large" in lowered:
        cause = "a file size limit was reached"
    else:
        cause = "the write failed"
    return (
        f"could not write to the collection{where}: {cause} ({type(exc).__name__}: {text}); articles stored "
        "before are intact; run the ingest again once fixed, it finishes the rest"
    )


@dataclass(frozen=True)
class StoredArticle:
    """What the collection knows about one article."""

    article_id: str
    source: str
    title: str
    date: int | None
    lang: str
    content_hash: str
    chunking: str
    passages_expected: int
    passages_found: int
    outlet: str = ""
    cluster: str = ""

    @property
    def complete(self) -> bool:
        """All of its passages are present (an interrupted write leaves this False)."""
        return self.passages_found == self.passages_expected


@dataclass
class Hit:
    """A passage returned by a search, with its metadata and score."""

    passage_id: str
    text: str
    metadata: dict[str, Any]
    score: float


def epoch(date: datetime | None) -> int | None:
    """Seconds since the epoch (naive dates are taken as UTC)."""
    if date is None:
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return int(date.timestamp())


def passage_metadata(article: Article, passage: Passage, total: int, chunking: str = "") -> dict[str, Any]:
    """Filterable metadata stored with each passage (no None values: Chroma refuses them)."""
    meta: dict[str, Any] = {
        "chunking": chunking,
        "article_id": article.article_id,
        "source": article.source,
        "title": article.title,
        "lang": article.lang,
        "outlet": article.outlet,
        "cluster": article.extra.get("cluster") or article.article_id,
        "content_hash": article.content_hash,
        "chunk": passage.index,
        "n_chunks": total,
        "start": passage.start,
        "end": passage.end,
    }
    if article.date is not None:
        meta["date"] = epoch(article.date)
        meta["date_iso"] = article.date.isoformat()
    return meta


class ChromaStore:
    """A persistent Chroma collection that records the embedding model it was built with."""

    def __init__(
        self,
        path: Path,
        collection: str,
        embedding_model: str,
        embedding_function: Any,
        url: str | None = None,
        precision: str = "fp32",
    ):
        """Open (or create) ``collection``: embedded on disk at ``path``, or on the Chroma server at ``url``.
        ``precision`` (``fp32`` or ``int8``) is recorded for a new collection; an existing one keeps its own."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Chroma tries to rebuild a stored embedding function by name; ours is always passed in.
        warnings.filterwarnings("ignore", message="Could not reconstruct embedding function")
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            parts = urlsplit(url)
            try:
                self.client = chromadb.HttpClient(
                    host=parts.hostname or "localhost",
                    port=parts.port or (443 if parts.scheme == "https" else 8000),
                    ssl=parts.scheme == "https",
                    settings=settings,
                )
                self.client.heartbeat()
            except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
                raise StoreError(f"cannot reach the Chroma server at {url} ({type(exc).__name__})") from None
        else:
            path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(path), settings=settings)
        self.collection = self.client.get_or_create_collection(
            name=collection,
            embedding_function=embedding_function,
            configuration={"hnsw": {"space": "cosine", **_HNSW_BUILD, "ef_search": _HNSW_EF_SEARCH}},
            metadata={"embedding_model": embedding_model, "embedding_precision": precision},
        )
        self._widen_search()
        built_with = (self.collection.metadata or {}).get("embedding_model")
        if built_with and built_with != embedding_model:
            raise StoreError(
                f"collection {collection!r} was built with embedding model {built_with!r}, not "
                f"{embedding_model!r}; use --collection to pick another collection or re-create this one"
            )

    def _widen_search(self) -> None:
        """Collections made before the search width was raised get it now (the graph itself is kept)."""
        hnsw = (self.collection.configuration or {}).get("hnsw") or {}
        if int(hnsw.get("ef_search") or 0) < _HNSW_EF_SEARCH:
            self.collection.modify(configuration={"hnsw": {"ef_search": _HNSW_EF_SEARCH}})

    @property
    def embedding_precision(self) -> str:
        """The precision the collection's passages were embedded with (``fp32`` when not recorded)."""
        return str((self.collection.metadata or {}).get("embedding_precision", "fp32"))

    def count(self) -> int:
        """Number of passages stored."""
        return self.collection.count()

    def _all_metadatas(self, where: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every passage's metadata, a page at a time (never all of them in memory at once)."""
        offset = 0
        while True:
            page = self.collection.get(where=where, include=["metadatas"], limit=_GET_PAGE, offset=offset)
            metas = page["metadatas"] or []
            yield from metas
            if len(metas) < _GET_PAGE:
                return
            offset += _GET_PAGE

    def articles(self, article_ids: list[str] | None = None) -> dict[str, StoredArticle]:
        """Every stored article (or those of ``article_ids`` that exist, without reading the others),
        keyed by article id."""
        where = None
        if article_ids is not None:
            if not article_ids:
                return {}
            where = {"article_id": {"$in": list(article_ids)}}
        found: dict[str, int] = defaultdict(int)
        first: dict[str, dict[str, Any]] = {}
        for meta in self._all_metadatas(where):
            aid = meta["article_id"]
            found[aid] += 1
            if aid not in first or meta.get("chunk", 0) < first[aid].get("chunk", 0):
                first[aid] = meta
        return {
            aid: StoredArticle(
                article_id=aid,
                source=meta.get("source", ""),
                title=meta.get("title", ""),
                date=meta.get("date"),
                lang=meta.get("lang", ""),
                content_hash=meta.get("content_hash", ""),
                chunking=meta.get("chunking", ""),
                passages_expected=int(meta.get("n_chunks", 0)),
                passages_found=found[aid],
                outlet=meta.get("outlet", ""),
                cluster=meta.get("cluster") or aid,
            )
            for aid, meta in first.items()
        }

    def write_articles(self, items: list[tuple[Article, list[Passage], list[list[float]]]], chunking: str = "") -> None:
        """Replace each article's passages with the given ones; ``chunking`` records the passage size
        settings they were cut with.

        Passages are upserted in place (ids are ``article:index``) and only then is an old version's
        surplus tail deleted, so a reader sees the old or the new text of a passage, never a gap; an
        interrupted write leaves ``n_chunks`` disagreeing with the passages found, which the next
        ingest detects and rewrites.
        """
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        vectors: list[list[float]] = []
        for article, passages, embeddings in items:
            for passage, vector in zip(passages, embeddings, strict=True):
                ids.append(passage.passage_id)
                docs.append(passage.text)
                metas.append(passage_metadata(article, passage, len(passages), chunking))
                vectors.append(vector)
        new_ids = set(ids)
        stale: list[str] = []
        if items:  # one lookup for the whole batch, not one per article
            article_ids = [article.article_id for article, _, _ in items]
            where = {"article_id": article_ids[0]} if len(article_ids) == 1 else {"article_id": {"$in": article_ids}}
            stale = [pid for pid in self.collection.get(where=where, include=[])["ids"] if pid not in new_ids]
        max_batch = getattr(self.client, "get_max_batch_size", lambda: 5000)()
        for at in range(0, len(ids), max_batch):
            sl = slice(at, at + max_batch)
            self.collection.upsert(ids=ids[sl], documents=docs[sl], metadatas=metas[sl], embeddings=vectors[sl])
        if stale:
            self.collection.delete(ids=stale)

    def set_cluster(self, article_id: str, cluster: str) -> None:
        """Record the near-duplicate cluster of a stored article on all its passages (no re-embedding)."""
        ids = self.collection.get(where={"article_id": article_id}, include=[])["ids"]
        if ids:
            self.collection.update(ids=ids, metadatas=[{"cluster": cluster}] * len(ids))

    def passage_ids(self, where: dict[str, Any]) -> set[str]:
        """Ids of every passage matching a ``where`` clause (to filter the keyword leg before ranking)."""
        ids: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(where=where, include=[], limit=_GET_PAGE, offset=offset)
            ids.update(page["ids"])
            if len(page["ids"]) < _GET_PAGE:
                return ids
            offset += _GET_PAGE

    def delete_article(self, article_id: str) -> int:
        """Delete one article's passages; returns how many there were."""
        return self._delete_articles([article_id])

    def _delete_articles(self, article_ids: list[str]) -> int:
        """Delete the passages of several articles with one lookup; returns how many there were."""
        if not article_ids:
            return 0
        where = {"article_id": article_ids[0]} if len(article_ids) == 1 else {"article_id": {"$in": article_ids}}
        existing = self.collection.get(where=where, include=[])["ids"]
        if existing:
            self.collection.delete(ids=existing)
        return len(existing)

    def article_passages(self, article_id: str) -> list[Hit]:
        """All passages of one article, in order."""
        page = self.collection.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        hits = [
            Hit(pid, doc or "", dict(meta or {}), 0.0)
            for pid, doc, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True)
        ]
        return sorted(hits, key=lambda h: h.metadata.get("chunk", 0))

    def get_passages(self, ids: list[str]) -> list[Hit]:
        """Passages by id, in the order given (missing ones are left out)."""
        if not ids:
            return []
        page = self.collection.get(ids=ids, include=["documents", "metadatas"])
        by_id = {
            pid: Hit(pid, doc or "", dict(meta or {}), 0.0)
            for pid, doc, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` passages nearest to ``vector``; score is cosine similarity."""
        n = self.count()
        if n == 0:
            return []
        res = self.collection.query(
            query_embeddings=[vector],
            n_results=min(k, n),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Hit(pid, doc or "", dict(meta or {}), 1.0 - float(dist))
            for pid, doc, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
        ]
