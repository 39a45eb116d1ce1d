"""Questions about the latest state ("terbaru", "sekarang", "latest", "still"): the newest evidence
first, and an "as of DATE" note naming the newest cited report (and saying when it is old).

Written by the application from the sources' dates, in the question's language (``as_of`` and
``stale`` in ``prompts/languages.toml``; English when the language has none).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from assistant.chronology import source_time
from prompts import as_of_templates

#: words that ask for the current state, per language (matched as whole words, case-insensitively)
LATEST_WORDS: dict[str, tuple[str, ...]] = {
    "id": ("terbaru", "terkini", "sekarang", "saat ini", "kini", "masih", "terakhir", "hingga kini"),
    "ms": ("terkini", "terbaru", "sekarang", "kini", "masih", "terakhir"),
    "jv": ("saiki", "paling anyar", "isih", "anyar"),
    "su": ("ayeuna", "panganyarna", "masih"),
    "en": ("latest", "now", "currently", "current", "still", "most recent", "recent", "newest", "so far"),
    "de": ("aktuell", "aktuelle", "aktuellen", "neueste", "neuesten", "jetzt", "derzeit", "noch", "bisher"),
    "fr": ("dernier", "dernière", "derniers", "actuel", "actuelle", "actuellement", "maintenant", "encore"),
    "es": ("último", "última", "últimos", "actual", "actualmente", "ahora", "todavía", "aún"),
    "pt": ("último", "última", "atual", "atualmente", "agora", "ainda"),
    "it": ("ultimo", "ultima", "attuale", "attualmente", "ora", "ancora"),
    "nl": ("laatste", "nieuwste", "huidige", "nu", "momenteel", "nog"),
}

#: the newest cited report is "old" past this many days before today
STALE_DAYS = 30



def asks_latest(question: str, lang: str) -> bool:
    """Whether ``question`` asks for the latest or current state (its language's words, and English's)."""
    text = " ".join(question.lower().split())
    words = LATEST_WORDS.get(lang, ()) + LATEST_WORDS["en"] if lang != "en" else LATEST_WORDS["en"]
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in words)


def newest_first(items: list[Any], date_of: Any) -> list[Any]:
    """``items`` ordered newest first by ``date_of(item)`` (an ISO date or None); undated ones last, in
    their order."""
    dated = [(source_time(date_of(x)), i, x) for i, x in enumerate(items)]
    return [x for when, _, x in sorted(dated, key=lambda t: (t[0] is None, -(t[0].timestamp() if t[0] else 0), t[1]))]


def as_of_note(sources: list[Any], cited: list[int], lang: str, today: datetime | None = None) -> str | None:
    """"As of DATE (the newest cited report)." for the newest dated cited source, plus a sentence when it
    is more than ``STALE_DAYS`` old; None when no cited source is dated."""
    dates = [when for s in sources if s.n in cited and (when := source_time(s.date)) is not None]
    if not dates:
        return None
    newest = max(dates)
    as_of, stale = as_of_templates(lang)
    note = as_of.format(date=newest.strftime("%Y-%m-%d"))
    days = ((today or datetime.now(tz=UTC)) - newest).days
    if days > STALE_DAYS:
        note += " " + stale.format(days=days)
    return note
