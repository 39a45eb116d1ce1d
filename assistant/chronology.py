"""The note under an answer whose cited reports were published at different times: which is newest.

Written by the application from the sources' dates, not by the model, in the question's language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prompts import dates_note_template


def source_time(date: str | None) -> datetime | None:
    """A source's ISO date as an aware datetime (naive dates are taken as UTC)."""
    if not date:
        return None
    try:
        parsed = datetime.fromisoformat(date)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _label(source: Any) -> str:
    name = source.outlet or source.title or source.source
    return f"[{source.n}] {name}"


def dates_note(sources: list[Any], cited: list[int], lang: str) -> str | None:
    """When the cited passages come from articles published at different times, a sentence naming the
    newest and the oldest report with their dates; None otherwise."""
    dated: dict[str, tuple[datetime, Any]] = {}
    for source in sources:
        when = source_time(source.date)
        if source.n in cited and when is not None and source.article_id not in dated:
            dated[source.article_id] = (when, source)
    if len(dated) < 2:
        return None
    ordered = sorted(dated.values(), key=lambda pair: pair[0])
    (old_time, oldest), (new_time, newest) = ordered[0], ordered[-1]
    if new_time == old_time:
        return None
    fmt = "%Y-%m-%d %H:%M" if new_time.date() == old_time.date() else "%Y-%m-%d"
    return dates_note_template(lang).format(
        newest=_label(newest),
        newest_date=new_time.strftime(fmt),
        oldest=_label(oldest),
        oldest_date=old_time.strftime(fmt),
    )
