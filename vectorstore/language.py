"""Which language a question is written in (so the answer can be written in it too)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Scripts that identify a language outright (or nearly: Han without kana is taken as Chinese).
_SCRIPT_LANGS = [
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
]
# Languages a question is compared against; a closed set avoids exotic guesses on short text.
_CANDIDATES = [
    "id",
    "ms",
    "en",
    "de",
    "es",
    "fr",
    "pt",
    "it",
    "nl",
    "ro",
    "tr",
    "vi",
    "ru",
    "uk",
    "pl",
    "sv",
    "da",
    "no",
    "fi",
    "cs",
    "hu",
]


@cache
def _identifier() -> Any:
    from py3langid.langid import _load_identifier

    return _load_identifier(langs=_CANDIDATES)


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of ``text``; Malay is reported as Indonesian, the assistant's first language."""
    letters = re.sub(r"[\W\d_]+", "", text)
    if not letters:
        return default
    for pattern, code in _SCRIPT_LANGS:
        if len(pattern.findall(text)) >= max(2, len(letters) // 4):
            return code
    if re.search(r"[\u0400-\u04ff]", text):
        return "uk" if re.search(r"[ієїґ]", text, re.IGNORECASE) else "ru"
    lang, _ = _identifier().classify(text)
    return "id" if lang == "ms" else str(lang)
