"""Plain-text presentation shared by every front end (CLI, chat, service): dates, counts, article rows,
the ingest summary. No Rich and no Textual here: each front end styles these strings its own way.

Every string that comes from an article (titles, outlets, sources) is made terminal-safe here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant.terminal import safe

_IRREGULAR = {"story": "stories", "copy": "copies", "entry": "entries", "query": "queries"}


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun`` in agreement: ``1 article``, ``2 articles``, ``0 stories``; ``many`` is the
    plural form when it is neither the noun with an ``s`` nor one of the irregular nouns known here."""
    if count == 1:
        word = noun
    elif many is not None:
        word = many
    else:
        word = _IRREGULAR.get(noun, noun + "s")
    return f"{count} {word}"


def format_date(value: str | int | None) -> str:
    """A stored date (epoch seconds or ISO text) as YYYY-MM-DD; empty when unknown."""
    if value is None or value == "":
        return ""
    if isinstance(value, int):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d")
    return str(value)[:10]


def also_reported_text(copies: list[dict[str, Any]]) -> str:
    """The other copies of a story, e.g. ``antaranews.com (2025-05-03), Tempo (2025-05-04)``."""
    names = []
    for copy in copies:
        name = safe(copy.get("outlet") or copy.get("title") or copy.get("source") or "")
        date = format_date(copy.get("date"))
        names.append(f"{name} ({date})" if date else name)
    return ", ".join(names)


ARTICLE_COLUMNS = ("title", "date", "outlet", "lang", "passages", "source")
"""The columns of a listed article, in the order of ``article_row``."""


def article_row(article: Any) -> tuple[str, str, str, str, str, str]:
    """A listed article (``assistant.app.ArticleRow``) as the text of its row (``ARTICLE_COLUMNS``)."""
    return (
        safe(article.title),
        format_date(article.date),
        safe(article.outlet),
        article.lang,
        str(article.passages),
        safe(article.source),
    )


def article_json(article: Any) -> dict[str, Any]:
    """A stored article as the JSON object of ``sources --json`` (strings are made safe when printed)."""
    return {
        "article_id": article.article_id,
        "source": article.source,
        "title": article.title,
        "date": format_date(article.date),
        "lang": article.lang,
        "outlet": article.outlet,
        "cluster": article.cluster,
        "passages": article.passages_found,
    }


def articles_title(count: int, collection: str) -> str:
    """The heading of a list of articles: ``3 articles in 'articles'``."""
    return f"{plural(count, 'article')} in {collection!r}"


def ingest_counts(report: Any) -> str:
    """``2 added, 0 replaced, 5 unchanged, 1 skipped`` for an ingest report."""
    return (
        f"{len(report.added)} added, {len(report.replaced)} replaced, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped"
    )


def ingest_summary(report: Any, elapsed: float | None = None) -> str:
    """The one-line summary of an ingest: the counts, then the passages embedded (with the time and rate
    when ``elapsed`` seconds are given)."""
    passages = plural(report.passages, "passage")
    if elapsed is None:
        return f"{ingest_counts(report)} ({passages})"
    rate = report.passages / elapsed if report.passages and elapsed > 0 else 0.0
    return f"{ingest_counts(report)}; {passages} embedded in {elapsed:.1f}s" + (
        f" ({rate:.1f} passages/s)" if rate else ""
    )


def duplicates_text(report: Any) -> str:
    """The near-duplicates an ingest grouped with stored articles (empty when none)."""
    if not report.duplicates:
        return ""
    return f"{plural(len(report.duplicates), 'near-duplicate')} of stored articles grouped with them (also reported by)"


def skipped_lines(report: Any) -> list[str]:
    """One ``skipped PATH: REASON`` line per skipped file or failed URL."""
    return [f"skipped {safe(s.path)}: {safe(s.reason)}" for s in report.skipped]
