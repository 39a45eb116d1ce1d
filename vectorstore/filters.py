"""Which articles a question may see: a date range, an outlet or source, a language.

A filter becomes one Chroma ``where`` clause, applied to the dense leg by Chroma and to the keyword
leg (before ranking) by ``matches``, so a filtered question never sees an excluded article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

# Words that introduce a date in a phrase ("sejak Januari 2025", "since April"); the phrase's
# direction comes from the filter it is given to, not from these words.
_LEADING_WORDS = re.compile(
    r"^(?:since|from|after|until|till|before|up\s+to|sejak|mulai|dari|setelah|sesudah|sampai|hingga|sebelum)\s+",
    re.IGNORECASE,
)
# dateparser knows "1 minggu lalu" but not the bare "minggu lalu"/"pekan lalu".
_BARE_UNIT_AGO = re.compile(r"^(minggu|pekan|bulan|tahun|hari)\s+(lalu|yang\s+lalu)$", re.IGNORECASE)
_NO_MATCH = "\x00no-article"


class FilterError(ValueError):
    """A filter value cannot be understood; the message says which and why."""


def parse_when(text: str, end_of_day: bool = False, now: datetime | None = None) -> datetime:
    """A date or a phrase in Indonesian or English ("2025-04-01", "sejak Januari 2025", "minggu lalu",
    "last week") as an aware UTC datetime at the start of its day (or its end, for ``--until``)."""
    import dateparser

    phrase = " ".join(text.split())
    phrase = _LEADING_WORDS.sub("", phrase)
    phrase = re.sub(r"\bpekan\b", "minggu", phrase, flags=re.IGNORECASE)
    phrase = _BARE_UNIT_AGO.sub(r"1 \1 lalu", phrase)
    settings: dict[str, Any] = {
        "PREFER_DAY_OF_MONTH": "first",
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if now is not None:
        settings["RELATIVE_BASE"] = now.replace(tzinfo=None)
    parsed = dateparser.parse(phrase, languages=["id", "en"], settings=settings) if phrase else None
    if parsed is None:
        raise FilterError(f"cannot understand the date {text!r} (try 2025-04-01, 'April 2025' or 'minggu lalu')")
    day = parsed.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    return day + timedelta(days=1, seconds=-1) if end_of_day else day


@dataclass(frozen=True)
class ArticleFilter:
    """Restrictions on the articles retrieval may use; every field is optional."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    lang: str | None = None

    @property
    def active(self) -> bool:
        """Whether anything is restricted."""
        return any(v is not None for v in (self.since, self.until, self.source, self.lang))

    def describe(self) -> str:
        """One line for the user, e.g. ``since 2025-04-01 · source kompas``."""
        parts = []
        if self.since:
            parts.append(f"since {self.since:%Y-%m-%d}")
        if self.until:
            parts.append(f"until {self.until:%Y-%m-%d}")
        if self.source:
            parts.append(f"source {self.source}")
        if self.lang:
            parts.append(f"language {self.lang}")
        return " · ".join(parts) or "none"

    def with_value(self, key: str, value: str | None) -> ArticleFilter:
        """A copy with one restriction set from user text (``None`` or empty clears it)."""
        if key not in {"since", "until", "source", "lang"}:
            raise FilterError(f"unknown filter {key!r}")
        if not value or not value.strip():
            return replace(self, **{key: None})
        value = value.strip()
        if key in {"since", "until"}:
            return replace(self, **{key: parse_when(value, end_of_day=key == "until")})
        return replace(self, **{key: value.lower()})


def build_filter(
    since: str | None = None, until: str | None = None, source: str | None = None, lang: str | None = None
) -> ArticleFilter:
    """An ArticleFilter from user text (CLI flags); raises FilterError on a date it cannot read."""
    result = ArticleFilter()
    for key, value in (("since", since), ("until", until), ("source", source), ("lang", lang)):
        result = result.with_value(key, value)
    if result.since and result.until and result.since > result.until:
        raise FilterError(f"--since {result.since:%Y-%m-%d} is after --until {result.until:%Y-%m-%d}")
    return result


def source_matches(needle: str, outlet: str, source: str) -> bool:
    """Case-insensitive substring of the outlet or of the source path/URL."""
    needle = needle.lower()
    return needle in (outlet or "").lower() or needle in (source or "").lower()


def to_where(filt: ArticleFilter, articles: Iterable[Any] = ()) -> dict[str, Any] | None:
    """The Chroma ``where`` clause of a filter; ``articles`` (StoredArticle-like: article_id, outlet,
    source) resolve the source substring to article ids, since Chroma has no substring match on metadata."""
    clauses: list[dict[str, Any]] = []
    if filt.since is not None:
        clauses.append({"date": {"$gte": int(filt.since.timestamp())}})
    if filt.until is not None:
        clauses.append({"date": {"$lte": int(filt.until.timestamp())}})
    if filt.lang:
        clauses.append({"lang": filt.lang})
    if filt.source:
        ids = sorted(a.article_id for a in articles if source_matches(filt.source, a.outlet, a.source))
        clauses.append({"article_id": {"$in": ids or [_NO_MATCH]}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


_COMPARE = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a is not None and a > b,
    "$gte": lambda a, b: a is not None and a >= b,
    "$lt": lambda a, b: a is not None and a < b,
    "$lte": lambda a, b: a is not None and a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}


def matches(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """Evaluate a Chroma ``where`` clause on one passage's metadata, as Chroma does (a missing field
    fails every comparison but ``$ne``/``$nin``)."""
    if not where:
        return True
    for key, cond in where.items():
        if key == "$and":
            if not all(matches(meta, c) for c in cond):
                return False
        elif key == "$or":
            if not any(matches(meta, c) for c in cond):
                return False
        elif isinstance(cond, dict):
            value = meta.get(key)
            for op, operand in cond.items():
                if key not in meta and op not in {"$ne", "$nin"}:
                    return False
                if not _COMPARE[op](value, operand):
                    return False
        elif meta.get(key) != cond:
            return False
    return True
