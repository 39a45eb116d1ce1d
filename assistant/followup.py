"""Follow-up questions keep their meaning: accept the model's standalone rewrite only when it keeps the
user's words and adds no facts; otherwise search with the user's words plus the previous question's
entities (``benchmarks/followups.py`` measures both on a multi-turn set built on eval-train)."""

from __future__ import annotations

import re
import unicodedata

from assistant.citations import key_terms

_WORD = re.compile(r"\w+", re.UNICODE)
_NAME = re.compile(r"(?<!\w)[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _covered(term: str, text: str) -> bool:
    """``term`` occurs in ``text``, also inside a longer affixed form or around a shorter one (words of
    five letters or more: "perintah" in "diperintahkan")."""
    if term in text:
        return True
    words = [w for w in _WORD.findall(text) if len(w) >= 5]
    return len(term) >= 5 and any(w in term or term in w for w in words)


def rewrite_is_faithful(question: str, rewritten: str, history: list[tuple[str, str]]) -> bool:
    """The rewrite keeps every content word of the follow-up and takes every name and number from the
    conversation (it may resolve "itu" to "Korea Utara", never turn "pengakuan" into "pengiriman")."""
    low = _norm(rewritten)
    if not all(_covered(t, low) for t in key_terms(question)):
        return False
    # facts are names and numbers: a rewrite may add words ("does", "the"), never a name or number
    context = _norm(" ".join([question, *(f"{q} {a}" for q, a in history)]))
    body = rewritten.split(maxsplit=1)[1] if " " in rewritten.strip() else ""
    facts = [_norm(n) for n in _NAME.findall(body)] + re.findall(r"\d+", rewritten)
    return all(_covered(t, context) for t in facts)


def previous_entities(history: list[tuple[str, str]], question: str) -> list[str]:
    """Names and content words of the previous question that the follow-up does not repeat."""
    if not history:
        return []
    previous = history[-1][0]
    asked = _norm(question)
    # the first word is capitalised because it opens the question ("Siapa", "Who"): not a name
    body = previous.split(maxsplit=1)[1] if " " in previous.strip() else ""
    names = [n for n in _NAME.findall(body) if _norm(n) not in asked]
    words = [t for t in key_terms(previous) if not _covered(t, asked) and not any(t in _norm(n) for n in names)]
    return list(dict.fromkeys([*names, *sorted(words, key=_norm(previous).find)]))


def followup_query(question: str, rewritten: str, history: list[tuple[str, str]]) -> str:
    """What to search and ask with: the rewrite when it is faithful, else the user's words plus the
    previous question's entities."""
    if not history or rewritten == question:
        return rewritten
    if rewrite_is_faithful(question, rewritten, history):
        return rewritten
    extra = previous_entities(history, question)
    return f"{question} ({', '.join(extra)})" if extra else question
