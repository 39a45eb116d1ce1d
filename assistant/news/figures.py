"""Figures stated in article text: a number and what it counts ("12 tewas", "4.200 pengungsi",
"magnitude 5.9"), read deterministically with a small Indonesian/English lexicon.

A figure's *measure* comes from the words next to its number: a measure word within three words after
it, or within five words before it ("korban meninggal ... menjadi 17 orang", "killing at least 12
people", "bermagnitudo 6,1"). Qualifiers such as "susulan"/"aftershock" or "hilang"/"missing" make
different measures. Numbers are read in the article's language (``4.200`` and ``6,1`` in Indonesian,
``4,200`` and ``5.9`` in English), with ``juta``/``million``-style multipliers and small number words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# measure -> words that name it (lower case; a word matches by prefix when it ends with "*")
MEASURES: dict[str, tuple[str, ...]] = {
    "deaths": ("tewas", "meninggal", "wafat", "killed", "killing", "dead", "deaths", "died", "death"),
    "missing": ("hilang", "missing"),
    "injured": ("luka", "injured", "wounded"),
    "evacuees": ("pengungsi", "mengungsi", "evacuees", "evacuated", "displaced"),
    "magnitude": ("magnitudo", "bermagnitudo", "magnitude"),
    "houses damaged": ("rumah", "houses", "homes"),
    "hotspots": ("titik panas", "hotspots"),
    "hectares": ("hektare", "hectares"),
    "aftershocks": ("gempa susulan", "aftershocks"),
    "agencies affected": ("instansi", "agencies"),
    "signatures": ("ditandatangani", "signatures"),
}
QUALIFIERS = ("susulan", "aftershock")
_MULTIPLIERS = {
    "ribu": 1e3,
    "thousand": 1e3,
    "juta": 1e6,
    "million": 1e6,
    "miliar": 1e9,
    "billion": 1e9,
    "triliun": 1e12,
    "trillion": 1e12,
}
_WORD_NUMBERS = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_MONTH_OR_TIME = re.compile(
    r"^(jan|feb|mar|apr|mei|may|jun|jul|ag|aug|sep|okt|oct|nov|des|dec|pukul|wib|wit|wita|persen|percent|"
    r"kilometer|km|meter|kilogram|derajat|basis|menit|minute|hari|day|jam|hour|pekan|week|tahun|year|ton)"
)
_AFTER, _BEFORE = 3, 5
_CLAUSE_BREAK = re.compile(r"[.;:!?()]|,\s")


@dataclass(frozen=True)
class Figure:
    """A number stated for a measure, where in the text it was found, and how it was written."""

    measure: str
    value: float
    written: str  # "12 tewas", "4.200 pengungsi", "magnitude 5.9"
    start: int
    end: int


def parse_number(text: str, lang: str) -> float | None:
    """``4.200`` -> 4200 and ``6,1`` -> 6.1 in Indonesian; ``4,200`` -> 4200 and ``5.9`` -> 5.9 in English."""
    thousands, decimal = (",", ".") if lang == "en" else (".", ",")
    parts = text.split(thousands)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]) and decimal not in parts[-1]:
        text = "".join(parts)
    elif thousands in text:
        text = text.replace(thousands, decimal)  # "5.50 persen" written the English way in Indonesian
    try:
        return float(text.replace(decimal, "."))
    except ValueError:
        return None


def _measure_at(words: list[str], nearest_last: bool = False) -> tuple[str, int, int] | None:
    """The measure named in ``words`` (the first one, or the last with ``nearest_last``), the index of
    its first word and its length in words."""
    order = range(len(words) - 1, -1, -1) if nearest_last else range(len(words))
    for k in order:
        for measure, names in MEASURES.items():
            for name in names:
                parts = name.split()
                if words[k : k + len(parts)] == parts:
                    return measure, k, len(parts)
    return None


def _window(text: str, tokens: list[tuple[str, int, int]], i: int, step: int, size: int) -> list[int]:
    """Up to ``size`` token indexes after (``step`` 1) or before (-1) token ``i``, not crossing punctuation
    (a figure's words are in its own clause)."""
    found = []
    k = i
    while len(found) < size:
        nxt = k + step
        if not 0 <= nxt < len(tokens):
            break
        gap = text[tokens[k][2] : tokens[nxt][1]] if step > 0 else text[tokens[nxt][2] : tokens[k][1]]
        if _CLAUSE_BREAK.search(gap):
            break
        found.append(nxt)
        k = nxt
    return found


def find_figures(text: str, lang: str) -> list[Figure]:
    """Every figure in ``text`` whose measure the lexicon knows (years, dates, times, money, percentages
    and units of length/weight are not figures here)."""
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    lower = [t[0].lower() for t in tokens]
    found: list[Figure] = []
    for i, (tok, start, end) in enumerate(tokens):
        if tok[0].isdigit():
            value = parse_number(tok, lang)
            if value is None or (1900 <= value <= 2100 and "." not in tok and "," not in tok):
                continue
        elif lower[i] in _WORD_NUMBERS:
            value = float(_WORD_NUMBERS[lower[i]])
        else:
            continue
        if i > 0 and lower[i - 1] in {"rp", "us", "pukul", "menit", "ke"}:
            continue  # money, a time of day, "menit ke-23"
        after = lower[i + 1 : i + 1 + _AFTER]
        if after and after[0] in _MULTIPLIERS:
            value *= _MULTIPLIERS[after[0]]
            after = after[1:]
        if after and _MONTH_OR_TIME.match(after[0]):
            continue
        skip = {"orang", "people", "warga", "residents", "lagi", "jiwa", "at", "least"}
        after_idx = [k for k in _window(text, tokens, i, 1, _AFTER) if lower[k] not in skip]
        hit = _measure_at([lower[k] for k in after_idx[:2]])
        if hit is not None:
            measure, span = hit[0], (start, tokens[after_idx[min(hit[1] + hit[2], len(after_idx)) - 1]][2])
        else:
            before_idx = sorted(_window(text, tokens, i, -1, _BEFORE))
            hit = _measure_at([lower[k] for k in before_idx], nearest_last=True)
            if hit is None:
                continue
            measure, span = hit[0], (tokens[before_idx[hit[1]]][1], end)
        context = lower[max(0, i - _BEFORE) : i + 1 + _AFTER]
        if any(q in context for q in QUALIFIERS) and measure != "aftershocks":
            measure = f"{measure} (aftershock)"
        found.append(Figure(measure, value, " ".join(text[span[0] : span[1]].split()), start, end))
    return found
