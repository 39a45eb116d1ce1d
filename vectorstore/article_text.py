"""From raw text to a clean Article: the cleaning rules, the dates and the outlet written in an article's
text, and ``LoadError``, the one-line reason a file cannot become an article.

Shared by every loader (``vectorstore.loaders`` for the text formats, ``vectorstore.documents_binary``
for PDF and DOCX, feeds and fetched pages), so none of them imports another to build an article.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime
from typing import Any

from vectorstore.documents import Article
from vectorstore.outlets import outlet_for
from vectorstore.quality import text_problem
from vectorstore.text import control_pattern

_CONTROL = control_pattern("\u200b\ufeff")  # the shared rule (vectorstore.text), and zero-width space and BOM
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_TZ_WORDS = {"wib": "+0700", "wita": "+0800", "wit": "+0900"}
_MONTHS = (
    r"jan(?:uari|uary)?|feb(?:ruari|ruary)?|mar(?:et|ch)?|apr(?:il)?|mei|may|jun[ei]?|jul[iy]?|"
    r"ag(?:ustus)?|aug(?:ust)?|sep(?:t|tember)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|des(?:ember)?|dec(?:ember)?"
)
# A dateline near the top of the text: "Jakarta, 29 April 2025 -", "Kompas.com - 29/04/2025, 10:21 WIB".
_DATELINE = re.compile(
    rf"\b(?P<date>\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:[,\s]+(?P<time>\d{1,2}[:.]\d{2})(?:\s*(?P<tz>wib|wita|wit))?)?",
    re.IGNORECASE,
)
_DATELINE_SPAN = 200
# "Kompas.com - 09/05/2025, 07:30 WIB": the outlet before a dateline on one of the first lines
_OUTLET_DATELINE = re.compile(r"^(?P<outlet>[A-Z][\w.]*(?: [\w.]+){0,3}) [-–] \d{1,2}[/ ]", re.MULTILINE)


class LoadError(Exception):
    """A file cannot become an article; the message is the one-line reason."""


def repair_text(text: str) -> str:
    """``text`` with lone surrogates (``\\ud800`` in JSON, undecodable bytes in names) replaced by U+FFFD,
    so it can be encoded, hashed and stored."""
    return _SURROGATE.sub("\ufffd", text)


def clean_text(text: str) -> str:
    """NFC-normalize, unify newlines, drop control characters and ANSI escapes, trim line ends (lone
    surrogates become U+FFFD)."""
    text = repair_text(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_date(value: Any) -> datetime | None:
    """Parse a publication date from metadata or a dated line (Indonesian or English); None when it
    cannot be read (an infinite, NaN or out-of-range timestamp drops only the date)."""
    try:
        return _parse_date(value)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _parse_date(value: Any) -> datetime | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None
        return datetime.fromtimestamp(float(value)).astimezone()
    if not isinstance(value, str):
        return None
    text = repair_text(value).strip().rstrip(".")[:200]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    words = text.split()
    if words and words[-1].lower().rstrip(".") in _TZ_WORDS:
        text = " ".join(words[:-1]) + " " + _TZ_WORDS[words[-1].lower().rstrip(".")]
    import dateparser  # slow import, only needed for free-form dates

    return dateparser.parse(
        text,
        languages=["id", "en"],
        settings={"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY"},
    )


def dateline_date(text: str) -> datetime | None:
    """A publication date written near the top of an article ("Jakarta, 29 April 2025 - ...")."""
    head = "\n".join(text[:_DATELINE_SPAN].split("\n")[:2])
    match = _DATELINE.search(head)
    if match is None:
        return None
    value = " ".join(x for x in (match.group("date"), match.group("time"), match.group("tz")) if x)
    try:
        return parse_date(value.replace(".", ":") if match.group("time") else value)
    except (ValueError, OverflowError):
        return None


def outlet_from_text(text: str) -> str | None:
    """The outlet named before a dateline near the top (``ANTARA News - 28/05/2025``), if any."""
    match = _OUTLET_DATELINE.search(text[:400])
    return match.group("outlet") if match else None


def make_article(
    source: str,
    text: str,
    title: str,
    date: datetime | None,
    lang: str = "",
    fallback_title: str = "",
    outlet: str | None = None,
) -> Article:
    """Clean and build an article; ``fallback_title`` (from the file name) is used when it has none,
    a dateline in the text when no date is given, the URL's host when no outlet is declared."""
    text = clean_text(text)
    if not text:
        raise LoadError("no text")
    problem = text_problem(text)
    if problem:
        raise LoadError(problem)
    title = clean_text(title).replace("\n", " ")
    titled = bool(title)
    title = title or fallback_title
    date = date or dateline_date(text)
    return Article(
        source=source, text=text, title=title, date=date, lang=lang, titled=titled, outlet=outlet_for(source, outlet)
    )
