"""The Chroma collection of passages: write whole articles, read manifests, query by vector.

(Over 400 lines: the adapter keeps every Chroma call in one place, with the visibility rules of the
version registry that each read must apply.)"""

from __future__ import annotations

import contextlib
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vectorstore.documents import Article, Passage
from vectorstore.documents_binary import page_of
from vectorstore.memory import release_freed_memory
from vectorstore.versions import RegistryView, VersionRegistry, passage_version, version_tag

_GET_PAGE = 5000
_REREADS = 5  # times a reader re-reads the articles that changed while it read, before leaving them out


# Chroma's default HNSW search (ef_search 100, 16 neighbours) missed the exact nearest passage for 4 of
# eval-dev's 208 questions on 3,390 passages (9 after articles were replaced), mostly questions in a
# script few passages share (Hindi, Arabic); from ef_search 300 on, the results equal exact search.
_HNSW_EF_SEARCH = 500
_HNSW_BUILD = {"ef_construction": 200, "max_neighbors": 32}


class StoreError(RuntimeError):
    """The collection cannot be used as asked; the message says why."""


class EmptyStore(StoreError):
    """There is no collection yet (nothing was created by looking for it)."""


class MissingDataDir(EmptyStore):
    """The data directory itself does not exist (a mistyped ``--data-dir``, or nothing ingested yet)."""


class StoreDamaged(StoreError):
    """A file of the collection is damaged or missing; the message names it and says what it held."""


CHROMA_DB = "chroma.sqlite3"
_HOLDS = "it holds the passages, their vectors and metadata"
_RECOVER = "run `assistant doctor` to see what can be recovered (`--repair` recovers it)"


def forget_embedded_client(path: Path) -> None:
    """Stop and forget the Chroma system this process keeps for the folder ``path`` (Chroma shares one
    per folder), so the next open reads the files again: after a failed open, or before a damaged
    folder is set aside and a new one made in its place."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:  # pragma: no cover - chromadb is a dependency
        return
    key = str(path)
    system = SharedSystemClient._identifier_to_system.pop(key, None)
    SharedSystemClient._identifier_to_refcount.pop(key, None)
    if system is not None:
        with contextlib.suppress(Exception):  # a broken system may fail to stop; it is forgotten either way
            system.stop()


def _within(seconds: float, make: Any) -> Any:
    """``make()`` run in a daemon thread, given ``seconds``: Chroma's ``HttpClient`` talks to the server
    while it is built, with no timeout at all (the thread of a server that never answers is abandoned)."""
    import concurrent.futures
    import threading

    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="chroma-connect").start()
    try:
        return future.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"no answer within {seconds:g}s") from None


def _bound_http_session(client: Any, timeout: float) -> None:
    """Give a Chroma ``HttpClient`` an HTTP session with a deadline per request (its own has no timeout at
    all, so a server that stops answering would hang every question)."""
    import httpx

    from vectorstore.netlimits import BoundedTransport

    server = getattr(client, "_server", None)
    session = getattr(server, "_session", None)
    if not isinstance(session, httpx.Client):
        return
    bounded = httpx.Client(
        timeout=timeout, transport=BoundedTransport(total_timeout=timeout), headers=session.headers
    )
    server._session = bounded
    session.close()


def embedded_store_problem(path: Path) -> str | None:
    """Why the embedded Chroma folder at ``path`` cannot be opened, before Chroma touches it (so a damaged
    database is never mistaken for a new, empty one); None when it looks whole or does not exist yet."""
    from vectorstore.health import sqlite_problem

    db = path / CHROMA_DB
    if not db.exists():
        segments = [p for p in path.iterdir() if p.is_dir()] if path.is_dir() else []
        if segments:
            return f"{db} is missing but {len(segments)} vector index folder(s) are there; {_HOLDS}; {_RECOVER}"
        return None
    problem = sqlite_problem(db)
    return f"{db} {problem}; {_HOLDS}; {_RECOVER}" if problem else None


_LOW_SPACE = 64 * 1024 * 1024


def write_failure(exc: BaseException, directory: Path | None) -> str:
    """One line saying why writing to the stores failed (full disk, read-only directory, other) and
    that what was written before is intact (each write replaces whole articles; ingest resumes)."""
    import shutil

    from vectorstore.faults import storage_fault

    text = (str(exc).strip().splitlines() or [""])[0][:200]
    try:
        free = shutil.disk_usage(directory).free if directory is not None else None
    except OSError:
        free = None
    where = f" in {directory}" if directory is not None else ""
    fault = storage_fault(exc)
    if fault == "full" or (fault is None and free is not None and free < _LOW_SPACE):
        cause = "the disk is full"
    elif fault == "readonly":
        cause = "the data directory is read-only"
    elif fault == "too_large":
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
    page = page_of(article.extra, passage.start)
    if page is not None:  # PDF articles: the page the passage starts on
        meta["page"] = page
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
        registry: VersionRegistry | None = None,
        timeout: float = 60.0,
        create: bool = True,
    ):
        """Open (or create) ``collection``: embedded on disk at ``path``, or on the Chroma server at ``url``.
        ``precision`` (``fp32`` or ``int8``) is recorded for a new collection; an existing one keeps its own.
        ``registry`` (the keyword index's) says which version of each article readers see; without it
        every stored passage is visible. ``timeout``: seconds each request to a Chroma server may take in
        all (Chroma's own HTTP client waits forever). ``create=False``: a missing collection is an EmptyStore
        error instead of being created."""
        self.registry = registry
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Chroma tries to rebuild a stored embedding function by name; ours is always passed in.
        warnings.filterwarnings("ignore", message="Could not reconstruct embedding function")
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            try:
                parts = urlsplit(url)
                self.client = _within(
                    timeout,
                    lambda: chromadb.HttpClient(
                        host=parts.hostname or "localhost",
                        port=parts.port or (443 if parts.scheme == "https" else 8000),
                        ssl=parts.scheme == "https",
                        settings=settings,
                    ),
                )
                _bound_http_session(self.client, timeout)
                self.client.heartbeat()
            except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
                raise StoreError(f"cannot reach the Chroma server at {url} ({type(exc).__name__})") from None
        else:
            problem = embedded_store_problem(path)
            if problem:
                raise StoreDamaged(problem)
            path.mkdir(parents=True, exist_ok=True)
        self._open(path, url, collection, embedding_function, embedding_model, precision, settings, create)
        built_with = (self.collection.metadata or {}).get("embedding_model")
        if built_with and built_with != embedding_model:
            raise StoreError(
                f"collection {collection!r} was built with embedding model {built_with!r}, not "
                f"{embedding_model!r}; use --collection to pick another collection or re-create this one"
            )

    def _open(
        self,
        path: Path,
        url: str | None,
        collection: str,
        embedding_function: Any,
        embedding_model: str,
        precision: str,
        settings: Any,
        create: bool = True,
    ) -> None:
        """Open the client and the collection with Chroma's native stderr captured: a panic or an error
        becomes one StoreDamaged line naming the file (checked in full only then)."""
        import chromadb

        from vectorstore.faults import storage_fault
        from vectorstore.health import captured_stderr, chroma_failure, sqlite_problem

        with captured_stderr() as native:
            try:
                if not url:
                    self.client = chromadb.PersistentClient(path=str(path), settings=settings)
                if not create and collection not in {c.name for c in self.client.list_collections()}:
                    raise EmptyStore(f"no collection {collection!r} in {url or path} yet")
                self.collection = self.client.get_or_create_collection(
                    name=collection,
                    embedding_function=embedding_function,
                    configuration={"hnsw": {"space": "cosine", **_HNSW_BUILD, "ef_search": _HNSW_EF_SEARCH}},
                    metadata={"embedding_model": embedding_model, "embedding_precision": precision},
                )
                self._widen_search()
                self.collection.count()
                failure: BaseException | None = None
            except BaseException as exc:  # a Rust panic arrives as a PanicException (a BaseException)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failure = exc
        if failure is None:
            return
        if not url:
            forget_embedded_client(path)
        if isinstance(failure, StoreError):
            raise failure
        reason = chroma_failure(failure, native[0] if native else "")
        if storage_fault(failure, reason) is not None:
            raise StoreError(write_failure(failure, path.parent)) from None  # not damage: the disk or its rights
        if url:
            raise StoreError(f"the Chroma server at {url} failed to open collection {collection!r} ({reason})")
        db = path / CHROMA_DB
        problem = sqlite_problem(db, thorough=True)
        where = f"{db} {problem}" if problem else f"the collection in {path} cannot be opened ({reason})"
        raise StoreDamaged(f"{where}; {_HOLDS}; {_RECOVER}") from None

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

    @staticmethod
    def _where(article_ids: list[str] | set[str]) -> dict[str, Any]:
        ids = sorted(article_ids)
        return {"article_id": ids[0]} if len(ids) == 1 else {"article_id": {"$in": ids}}

    def _by_article(
        self, where: dict[str, Any] | None, summary: bool = False
    ) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
        """Every passage matching ``where`` as ``(id, metadata)``, grouped by article, paged. With
        ``summary``, one ``(passages found, metadata of its first passage)`` per version of each article
        instead: memory in proportion to the articles, not the passages (100k passages held 430 MB)."""
        grouped: dict[str, list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
        versions: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        offset = 0
        while True:
            page = self.collection.get(where=where, include=["metadatas"], limit=_GET_PAGE, offset=offset)
            metas = page["metadatas"] or []
            for pid, meta in zip(page["ids"], metas, strict=True):
                aid = str(meta["article_id"])
                if not summary:
                    grouped[aid].append((pid, dict(meta)))
                    continue
                key = (aid, passage_version(meta))
                found, first = versions.get(key, (0, meta))
                versions[key] = (found + 1, meta if meta.get("chunk", 0) < first.get("chunk", 0) else first)
            if len(metas) < _GET_PAGE:
                break
            offset += _GET_PAGE
            # a page of Chroma's metadata leaves ~70 MB of freed heap behind, which is not reused for
            # the next page (at 100k passages the read peaked 300 MB higher without this)
            release_freed_memory()
        for (aid, _version), row in versions.items():
            grouped[aid].append(row)
        return grouped

    def visible_passages(
        self, article_ids: list[str] | None = None, summary: bool = False
    ) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
        """``(id, metadata)`` of the passages readers see, grouped by article (every article, or those of
        ``article_ids``): the committed version of each article, read consistently: the articles whose
        registry rows changed while Chroma was read are read again (up to a few times, then left out).
        ``summary``: ``(passages, first passage's metadata)`` per version instead (see ``_by_article``)."""
        if article_ids is not None and not article_ids:
            return {}
        wanted = set(article_ids) if article_ids is not None else None
        where = self._where(wanted) if wanted is not None else None
        if self.registry is None:
            return dict(self._by_article(where, summary))
        since = self.registry.generation()
        grouped = self._by_article(where, summary)
        view = self.registry.view(wanted)
        for _ in range(_REREADS):
            changed = view.changed_since(since)  # the view holds rows of the wanted articles only
            if not changed:
                break
            since = view.generation
            fresh = self._by_article(self._where(changed), summary)
            for aid in changed:
                grouped.pop(aid, None)
                if aid in fresh:
                    grouped[aid] = fresh[aid]
            view = self.registry.view(wanted)
        else:
            for aid in view.changed_since(since):
                grouped.pop(aid, None)
        visible = {
            aid: [(pid, meta) for pid, meta in rows if view.visible(aid, passage_version(meta))]
            for aid, rows in grouped.items()
        }
        return {aid: rows for aid, rows in visible.items() if rows}

    def articles(self, article_ids: list[str] | None = None) -> dict[str, StoredArticle]:
        """Every stored article (or those of ``article_ids`` that exist, without reading the others),
        keyed by article id, as readers see it: one version each (its passages only)."""
        result = {}
        for aid, versions in self.visible_passages(article_ids, summary=True).items():
            # one version, but for a collection without a registry caught mid-write: the fuller one
            found, meta = max(versions, key=lambda v: (v[0] == int(v[1].get("n_chunks", 0)), v[0]))
            result[aid] = StoredArticle(
                article_id=aid,
                source=meta.get("source", ""),
                title=meta.get("title", ""),
                date=meta.get("date"),
                lang=meta.get("lang", ""),
                content_hash=meta.get("content_hash", ""),
                chunking=meta.get("chunking", ""),
                passages_expected=int(meta.get("n_chunks", 0)),
                passages_found=found,
                outlet=meta.get("outlet", ""),
                cluster=meta.get("cluster") or aid,
            )
        return result

    def versions_stored(self, article_ids: list[str]) -> dict[str, dict[str, list[str]]]:
        """Passage ids of every version stored of each of ``article_ids`` (visible or not), by version."""
        if not article_ids:
            return {}
        found: dict[str, dict[str, list[str]]] = {}
        for aid, rows in self._by_article(self._where(article_ids)).items():
            for pid, meta in rows:
                found.setdefault(aid, {}).setdefault(passage_version(meta), []).append(pid)
        return found

    def write_articles(self, items: list[tuple[Article, list[Passage], list[list[float]]]], chunking: str = "") -> None:
        """Add the passages of new versions of articles; ``chunking`` records the passage size settings
        they were cut with. Nothing stored is overwritten: passages of a version have ids of their own
        (``article:tag:index``), so readers keep seeing the committed version until the registry commits
        the new one (see ``vectorstore.versions``); ``delete_other_versions`` then drops the old one."""
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
        max_batch = self._max_batch()
        for at in range(0, len(ids), max_batch):
            sl = slice(at, at + max_batch)
            # upsert: rewriting an incomplete article of the same version writes the same ids again
            self.collection.upsert(ids=ids[sl], documents=docs[sl], metadatas=metas[sl], embeddings=vectors[sl])

    def delete_other_versions(self, keep: dict[str, str]) -> int:
        """Delete the passages of each article of ``keep`` (article id -> version) that are not of that
        version (one lookup for all); returns how many."""
        if not keep:
            return 0
        own = {aid: f"{aid}:{version_tag(version)}:" for aid, version in keep.items()}
        ids = self.collection.get(where=self._where(list(keep)), include=["metadatas"])
        stale = [
            pid
            for pid, meta in zip(ids["ids"], ids["metadatas"] or [], strict=True)
            if not pid.startswith(own[str(meta["article_id"])])
        ]
        self.delete_passages(stale)
        return len(stale)

    def delete_passages(self, ids: list[str]) -> None:
        """Delete passages by id."""
        max_batch = self._max_batch()
        for at in range(0, len(ids), max_batch):
            self.collection.delete(ids=ids[at : at + max_batch])

    def _max_batch(self) -> int:
        """The most records Chroma takes in one call."""
        return int(getattr(self.client, "get_max_batch_size", lambda: 5000)())

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
        """Delete one article's passages (every version); returns how many there were."""
        existing = self.collection.get(where=self._where([article_id]), include=[])["ids"]
        self.delete_passages(existing)
        return len(existing)

    def article_passages(self, article_id: str) -> list[Hit]:
        """All passages of one article as readers see it (its committed version), in order."""
        for _ in range(_REREADS):
            since = self.registry.generation() if self.registry is not None else 0
            page = self.collection.get(where={"article_id": article_id}, include=["documents", "metadatas"])
            hits = [
                Hit(pid, doc or "", dict(meta or {}), 0.0)
                for pid, doc, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True)
            ]
            if self.registry is None:
                break
            view = self.registry.view([article_id])
            if not view.changed_since(since):
                hits = self.visible(hits, view)
                break
        else:
            hits = []  # changing all the time: left out, like a reader of the manifest would
        return sorted(hits, key=lambda h: h.metadata.get("chunk", 0))

    @staticmethod
    def visible(hits: list[Hit], view: RegistryView) -> list[Hit]:
        """The hits readers may see under ``view`` (the registry rows of their articles). A hit without
        metadata is a passage deleted while the search ran (its id still in the vector index): left out."""
        return [
            h
            for h in hits
            if h.metadata.get("article_id")
            and view.visible(str(h.metadata["article_id"]), passage_version(h.metadata))
        ]

    def get_passages(self, ids: list[str]) -> list[Hit]:
        """Passages by id, in the order given (missing ones are left out; visible or not: see ``visible``)."""
        if not ids:
            return []
        page = self.collection.get(ids=ids, include=["documents", "metadatas"])
        by_id = {
            pid: Hit(pid, doc or "", dict(meta or {}), 0.0)
            for pid, doc, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def query(self, vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` passages nearest to ``vector``, visible or not (see ``visible``); score is cosine similarity."""
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
            Hit(pid, doc or "", dict(meta), 1.0 - float(dist))
            for pid, doc, meta, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            )
            if meta  # none: deleted by another process while the vector index still had it
        ]
