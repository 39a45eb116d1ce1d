"""The articles of a window as the news features read them: text rebuilt from the stored passages, one
vector per article from the stored passage embeddings (no model is loaded), dates, outlets, clusters."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from vectorstore.chunking import sentence_spans
from vectorstore.filters import matches

_GET_BATCH = 500


@dataclass
class NewsPassage:
    """One stored passage of an article."""

    passage_id: str
    text: str
    start: int
    end: int
    page: int | None = None
    vector: np.ndarray | None = None


@dataclass
class NewsArticle:
    """One article of the window."""

    article_id: str
    title: str
    outlet: str
    source: str
    date: datetime | None
    lang: str
    cluster: str
    passages: list[NewsPassage] = field(default_factory=list)
    vector: np.ndarray | None = None
    text: str = ""

    @property
    def day(self) -> str:
        """The publication day (YYYY-MM-DD), empty when undated."""
        return self.date.strftime("%Y-%m-%d") if self.date else ""

    def body(self) -> str:
        """The text with a leading title line blanked out (same offsets): headlines state figures loosely."""
        first, _, _rest = self.text.partition("\n")
        if first.strip() and " ".join(first.split()).lower() == " ".join(self.title.split()).lower():
            return " " * len(first) + self.text[len(first) :]
        return self.text

    def sentences(self) -> list[tuple[int, int, str]]:
        """``(start, end, sentence)`` of the article's sentences (offsets into ``text``)."""
        return [(s, e, " ".join(self.text[s:e].split())) for s, e in sentence_spans(self.text)]

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding character ``offset``: that of the last passage starting at or before it."""
        pages = [p.page for p in self.passages if p.start <= offset and p.page]
        return max(pages) if pages else None

    def passage_at(self, offset: int) -> NewsPassage | None:
        """The passage holding character ``offset`` (the first one, where passages overlap)."""
        return next((p for p in self.passages if p.start <= offset < p.end), None)


def _rebuild(passages: list[NewsPassage]) -> str:
    """The article's text from its passages (each is ``text[start:end]``; gaps are whitespace)."""
    if not passages:
        return ""
    chars = [" "] * max(p.end for p in passages)
    for p in passages:
        chars[p.start : p.end] = p.text
    return "".join(chars)


def load_articles(
    store: Any, where: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None
) -> list[NewsArticle]:
    """Every article readers see that matches ``where`` (a filter's Chroma clause), with its passages,
    text and mean passage embedding, oldest first (undated last)."""
    visible = store.visible_passages()
    chosen: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for aid, rows in visible.items():
        if rows and matches(rows[0][1], where):
            chosen[aid] = rows
    ids = [pid for rows in chosen.values() for pid, _ in rows]
    docs: dict[str, tuple[str, np.ndarray]] = {}
    for at in range(0, len(ids), _GET_BATCH):
        batch = ids[at : at + _GET_BATCH]
        page = store.collection.get(ids=batch, include=["documents", "embeddings"])
        for pid, doc, vec in zip(page["ids"], page["documents"], page["embeddings"], strict=True):
            vector = np.asarray(vec, dtype=np.float32)
            docs[pid] = (doc or "", vector / (np.linalg.norm(vector) or 1.0))
        if progress:
            progress(min(at + _GET_BATCH, len(ids)), len(ids))
    articles = []
    for aid, rows in chosen.items():
        meta = rows[0][1]
        passages, vectors = [], []
        for pid, m in sorted(rows, key=lambda r: int(r[1].get("chunk", 0))):
            if pid not in docs:
                continue
            text, vec = docs[pid]
            start, end = int(m.get("start", 0)), int(m.get("end", 0))
            passages.append(NewsPassage(pid, text, start, end, m.get("page"), vec))
            vectors.append(vec)
        if not passages:
            continue
        mean = np.mean(vectors, axis=0)
        date = datetime.fromtimestamp(int(meta["date"]), tz=UTC) if meta.get("date") is not None else None
        if date is not None and meta.get("date_iso"):
            with suppress(ValueError):  # keep the article's own time zone (a WIB morning is not the previous day)
                local = datetime.fromisoformat(str(meta["date_iso"]))
                date = local if local.tzinfo else local.replace(tzinfo=UTC)  # naive dates are stored as UTC
        articles.append(
            NewsArticle(
                article_id=aid,
                title=str(meta.get("title", "")),
                outlet=str(meta.get("outlet", "")),
                source=str(meta.get("source", "")),
                date=date,
                lang=str(meta.get("lang", "")),
                cluster=str(meta.get("cluster") or aid),
                passages=passages,
                vector=mean / (np.linalg.norm(mean) or 1.0),
                text=_rebuild(passages),
            )
        )
    articles.sort(key=sort_key)
    return articles


def sort_key(article: NewsArticle) -> tuple[int, float, str]:
    """Oldest first, undated last, then by title (deterministic)."""
    if article.date is None:
        return (1, 0.0, article.title)
    date = article.date if article.date.tzinfo else article.date.replace(tzinfo=UTC)
    return (0, date.timestamp(), article.title)
