"""Dates stated in an article's sentences ("Pada 27 April 2025, ...", "On May 26, 2025, ...",
"Senin (28/4/2025)"), read deterministically; a date without a year takes the article's year."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "januari": 1,
    "january": 1,
    "jan": 1,
    "februari": 2,
    "february": 2,
    "feb": 2,
    "maret": 3,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "may": 5,
    "juni": 6,
    "june": 6,
    "jun": 6,
    "juli": 7,
    "july": 7,
    "jul": 7,
    "agustus": 8,
    "august": 8,
    "agu": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "october": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "desember": 12,
    "december": 12,
    "des": 12,
    "dec": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:\s*-\s*(\d{{1,2}}))?\s+({_MONTH})\.?(?:\s+(\d{{4}}))?\b", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*(\d{{4}}))?\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def stated_dates(sentence: str, published: date | None) -> list[date]:
    """The calendar dates written in ``sentence`` (day-first numeric dates; for a range such as
    ``20-21 Mei 2025``, its last day). Month names alone ("mulai Juli 2025") are not dates."""
    found: list[tuple[int, date]] = []
    default_year = published.year if published else None
    for m in _DAY_MONTH.finditer(sentence):
        day = int(m.group(2) or m.group(1))
        year = int(m.group(4)) if m.group(4) else default_year
        if year is not None and (d := _make(year, _MONTHS[m.group(3).lower()], day)):
            found.append((m.start(), d))
    for m in _MONTH_DAY.finditer(sentence):
        year = int(m.group(3)) if m.group(3) else default_year
        if year is not None and (d := _make(year, _MONTHS[m.group(1).lower()], int(m.group(2)))):
            found.append((m.start(), d))
    for m in _NUMERIC.finditer(sentence):
        if d := _make(int(m.group(3)), int(m.group(2)), int(m.group(1))):
            found.append((m.start(), d))
    return [d for _, d in sorted(found, key=lambda x: x[0])]
