"""The retrieved passages as numbered sources, and as the prompt's delimited passages block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langchain_core.documents import Document

from assistant.types import Source
from assistant.untrusted import defuse, quarantine


def date_text(meta: dict[str, Any]) -> str | None:
    """A passage's article date (from its metadata) as ISO text; None when undated."""
    if meta.get("date_iso"):
        return str(meta["date_iso"])
    if meta.get("date") is not None:
        return datetime.fromtimestamp(int(meta["date"]), tz=UTC).isoformat()
    return None


def _copy_with_iso_date(copy: dict[str, Any]) -> dict[str, Any]:
    date = copy.get("date")
    iso = datetime.fromtimestamp(int(date), tz=UTC).isoformat() if isinstance(date, int) else date
    return {**copy, "date": iso}


def to_sources(docs: list[Document]) -> list[Source]:
    """Number the retrieved passages 1..n."""
    return [
        Source(
            n=i,
            article_id=str(d.metadata.get("article_id", "")),
            source=str(d.metadata.get("source", "")),
            title=str(d.metadata.get("title", "")),
            date=date_text(d.metadata),
            passage=d.page_content,
            start=int(d.metadata.get("start", 0)),
            end=int(d.metadata.get("end", 0)),
            score=round(float(d.metadata.get("dense_score") or d.metadata.get("score", 0.0)), 4),
            passage_id=str(d.metadata.get("passage_id", d.id or "")),
            keyword_score=round(float(d.metadata.get("keyword_score", 0.0)), 3),
            outlet=str(d.metadata.get("outlet", "")),
            lang=str(d.metadata.get("lang", "")),
            also_reported_by=[_copy_with_iso_date(c) for c in d.metadata.get("also_reported_by") or []],
        )
        for i, d in enumerate(docs, start=1)
    ]


def format_passages(sources: list[Source], texts: list[str] | None = None) -> str:
    """The numbered passages block of the prompt, delimited as data: between ``<passages>`` tags, each
    passage's instructions to the model set aside and the rest defused (``assistant.untrusted``).
    Titles are left out: measured on the sample question, the small model echoed them into answers and
    cited the wrong passage more often. ``texts``: what the model reads of each passage, when the prompt
    budget cut them."""
    texts = texts if texts is not None else [s.passage for s in sources]
    return format_numbered([(s.n, text) for s, text in zip(sources, texts, strict=True)])


def format_numbered(texts: list[tuple[int, str]]) -> str:
    """Numbered article texts as the prompt's passages block: between ``<passages>`` tags, each text's
    instructions to the model set aside and the rest defused (``assistant.untrusted``)."""
    body = "\n\n".join(f"[{n}] {defuse(quarantine(text))}" for n, text in texts)
    return f"<passages>\n{body}\n</passages>"


def format_evidence(quotes: list[tuple[int, str]]) -> str:
    """The evidence sentences of a focused retry, each under its passage number, defused like passages."""
    return "\n".join(f"[{n}] {defuse(quarantine(sentence))}" for n, sentence in quotes)
