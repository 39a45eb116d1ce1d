"""Is an answer written in the question's language? And is a translated quote faithful enough to show?

An answer copied from a passage in another language ("Casi todos los ctenóforos …" for an English question)
passes the other checks; this one sends it to the focused retry. Quoted spans and citation markers are left
out before the language is judged (a name quoted as the article writes it is fine), and a text with fewer
than ``MIN_LETTERS`` letters is not judged at all (too short to tell). On the eval-train and eval-dev
recordings every answer this check flags is in the wrong language (6 answers of 338 judged).
"""

from __future__ import annotations

import re
import unicodedata

from assistant.answer_checks import check_grounded
from assistant.types import Check
from vectorstore.language import detect_language

MIN_LETTERS = 20
_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|„[^“”]*[“”]|「[^」]*」|『[^』]*』")


def written_language(text: str, default: str) -> str | None:
    """The language ``text`` is written in (ISO 639-1), or None when it is too short to tell."""
    plain = _QUOTED.sub(" ", _MARKER.sub(" ", text))
    if len(re.sub(r"[\W\d_]+", "", plain)) < MIN_LETTERS:
        return None
    return detect_language(plain, default)


def check_language(answer: str, lang: str) -> Check:
    """The answer is written in ``lang``, the question's language."""
    written = written_language(answer, lang)
    if written is None or written == lang:
        return Check("language", True)
    return Check("language", False, f"the answer is written in '{written}', the question in '{lang}'")


def faithful_translation(source: str, translation: str, lang: str) -> bool:
    """A translation of ``source`` into ``lang`` may be shown: it is not empty, is in ``lang``, does not
    just repeat the source, is not padded far beyond it, and every number it states is one the source
    states (digits or words)."""
    text = translation.strip()
    if not text or len(text) > 3 * len(source) + 40:
        return False
    if written_language(text, lang) not in (None, lang) or _repeats(source, text):
        return False
    return check_grounded(text, "", [source], same_language=False).ok


def _repeats(source: str, translation: str) -> bool:
    """The "translation" holds the source itself (quoted, or copied after a preamble): half of the
    source's letter 4-grams recur in it, or most of the translation's come from the source (a quote of
    one of its sentences). Names recur in a real translation, but not half of the text. Letters, not
    words: in Devanagari or Thai a vowel sign is not a word character, so words split."""
    grams, shown = _letter_grams(source), _letter_grams(translation)
    if len(grams) < 8 or not shown:
        return False
    shared = len(grams & shown)
    return shared / len(grams) >= 0.5 or shared / len(shown) >= 0.6


def _letter_grams(text: str, n: int = 4) -> set[str]:
    """The distinct runs of ``n`` characters of ``text`` once spaces, digits and punctuation are gone
    (a combining vowel sign counts as a letter)."""
    letters = "".join(ch for ch in text.lower() if ch.isalpha() or unicodedata.category(ch).startswith("M"))
    return {letters[i : i + n] for i in range(len(letters) - n + 1)}
