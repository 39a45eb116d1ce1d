"""Rebuild the local indexes of a collection from Chroma, which holds every passage and its metadata.

The keyword index (``tokens.sqlite``: BM25 rows and the commit registry) and the near-duplicate
signatures (``duplicates.sqlite``) are derived data: nothing in them is lost when they are rebuilt.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from vectorstore.store import ChromaStore, Hit
from vectorstore.versions import passage_version


def set_aside(path: Path) -> Path | None:
    """Rename a damaged file (and its ``-wal``/``-shm`` companions) to ``NAME.damaged-TIMESTAMP``, so it is
    kept for inspection and a new one can be made; returns the new name (None: there was no file)."""
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            companion.rename(target.with_name(target.name + suffix))
    return target


def _chosen_versions(store: ChromaStore) -> dict[str, tuple[str, list[Hit]]]:
    """Per article, one complete stored version with its passages in order (an article with no complete
    version, left by an interrupted write, is left out: readers never see half an article)."""
    chosen: dict[str, tuple[str, list[Hit]]] = {}
    by_article = store._by_article(None)  # every passage, visible or not: the registry is being rebuilt
    for aid, rows in by_article.items():
        versions: dict[str, list[str]] = {}
        metas: dict[str, dict[str, Any]] = {}
        for pid, meta in rows:
            version = passage_version(meta)
            versions.setdefault(version, []).append(pid)
            metas[version] = meta
        complete = [v for v in versions if len(versions[v]) == int(metas[v].get("n_chunks", 0))]
        if not complete:
            continue
        best = max(complete, key=lambda v: len(versions[v]))
        hits = sorted(store.get_passages(versions[best]), key=lambda h: h.metadata.get("chunk", 0))
        chosen[aid] = (best, hits)
    return chosen


def keyword_text(hit: Hit) -> str:
    """What the keyword index holds for a stored passage (its article's title, then the passage)."""
    title = str(hit.metadata.get("title") or "")
    return f"{title}\n{hit.text}" if title else hit.text


def rebuild_keyword(store: ChromaStore, keyword: Any) -> int:
    """Fill an empty keyword index (and its commit registry) from Chroma; returns the passages indexed."""
    chosen = _chosen_versions(store)
    rows = [(aid, [(h.passage_id, keyword_text(h)) for h in hits], version) for aid, (version, hits) in chosen.items()]
    for at in range(0, len(rows), 200):
        keyword.replace_articles(rows[at : at + 200])
    return sum(len(r[1]) for r in rows)


def article_text(hits: list[Hit]) -> str:
    """An article's text put back together from its passages (they overlap; offsets say where each goes)."""
    if not hits:
        return ""
    end = max(int(h.metadata.get("end", 0)) for h in hits)
    buffer = [" "] * end
    for hit in hits:
        start = int(hit.metadata.get("start", 0))
        for i, char in enumerate(hit.text[: max(0, end - start)]):
            buffer[start + i] = char
    return "".join(buffer)


def rebuild_duplicates(store: ChromaStore, duplicates: Any, joined: list[tuple[str, str]] | None = None) -> int:
    """Re-cluster every stored article into an empty duplicate index (oldest first, as ingest would have)
    and record the clusters on the passages; returns the articles indexed. ``joined`` receives
    ``(source, cluster)`` of each article that joined another's cluster."""
    chosen = _chosen_versions(store)
    def oldest_first(aid: str) -> tuple[int, str]:
        hits = chosen[aid][1]
        return (int(hits[0].metadata.get("date") or 0) if hits else 0, aid)

    order = sorted(chosen, key=oldest_first)
    for aid in order:
        _version, hits = chosen[aid]
        if not hits:
            continue
        meta = hits[0].metadata
        cluster = duplicates.assign(
            aid, article_text(hits), str(meta.get("outlet", "")), str(meta.get("source", "")),
            str(meta.get("title", "")), meta.get("date"),
        )
        if cluster != meta.get("cluster"):
            store.set_cluster(aid, cluster)
        if joined is not None and cluster != aid:
            joined.append((str(meta.get("source", "")), cluster))
    return len(order)



def stored_passages(db: Path, collection: str) -> list[tuple[str, str, dict[str, Any]]]:
    """``(id, text, metadata)`` of every passage of ``collection`` read straight from Chroma's SQLite file,
    without Chroma: what survives when the vector index files are damaged (the vectors live there, the
    texts and metadata here). Empty when the file cannot be read."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT e.embedding_id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value"
                " FROM embeddings e JOIN segments s ON s.id = e.segment_id"
                " JOIN collections c ON c.id = s.collection JOIN embedding_metadata m ON m.id = e.id"
                " WHERE c.name = ?",
                (collection,),
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []
    texts: dict[str, str] = {}
    metas: dict[str, dict[str, Any]] = {}
    for pid, key, text, integer, real, boolean in rows:
        if key == "chroma:document":
            texts[pid] = text or ""
            continue
        value = text if text is not None else integer if integer is not None else real
        if value is None and boolean is not None:
            value = bool(boolean)
        if value is not None:
            metas.setdefault(pid, {})[key] = value
    return [(pid, texts.get(pid, ""), metas.get(pid, {})) for pid in sorted(texts.keys() | metas.keys())]


def reembed(store: ChromaStore, passages: list[tuple[str, str, dict[str, Any]]], embed: Any, batch: int = 256) -> int:
    """Write ``passages`` (from ``stored_passages``) into ``store`` with vectors computed again by
    ``embed`` (a list of texts -> vectors), under their own ids and metadata; returns how many."""
    for at in range(0, len(passages), batch):
        part = passages[at : at + batch]
        hits = [Hit(pid, text, meta, 0.0) for pid, text, meta in part]
        vectors = embed([keyword_text(h) for h in hits])
        store.collection.upsert(
            ids=[h.passage_id for h in hits], documents=[h.text for h in hits],
            metadatas=[h.metadata for h in hits], embeddings=vectors,
        )
    return len(passages)
