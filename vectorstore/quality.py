"""The text-quality gate at ingest: text that is not language is refused with a reason.

A file of five million copies of one letter, a base64 blob or a line of punctuation has no words: it
would be cut into thousands of passages, embedded for minutes, and crowd real passages out of the
results. Scripts written without spaces (Chinese, Japanese, Thai, ...) are not held to the word rules.
"""

from __future__ import annotations

import re

from vectorstore.text import NO_SPACE_RUN

# runs of letters of scripts written without spaces between words
_NO_SPACE = NO_SPACE_RUN
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)  # two or more letters
_TOKEN = re.compile(r"\S+")
LONGEST_WORD = 60  # characters; real words (German compounds included) stay far below
_MIN_WORDS = 1
_MAX_LONG_SHARE = 0.5  # of the text's characters in "words" longer than LONGEST_WORD
_MIN_DISTINCT = 3  # distinct words a text over _REPETITIVE_CHARS must have
_REPETITIVE_CHARS = 5000


def text_problem(text: str) -> str | None:
    """Why ``text`` is not language (one line), or None when it passes:

    - no word-like token (two letters or more) at all;
    - most of it in tokens longer than ``LONGEST_WORD`` characters (one 5 MB "word");
    - a long text made of fewer than three distinct words (one word repeated).
    """
    if _NO_SPACE.search(text[:20000]):
        return None
    sample = text if len(text) <= 200_000 else text[:100_000] + text[-100_000:]
    tokens = _TOKEN.findall(sample)
    if not tokens:
        return "not language: no words"
    long_chars = sum(len(t) for t in tokens if len(t) > LONGEST_WORD)
    total = sum(len(t) for t in tokens)
    if long_chars > _MAX_LONG_SHARE * total:
        longest = max(len(t) for t in tokens)
        return f"not language: {long_chars / total:.0%} of the text is in 'words' over {LONGEST_WORD} characters " \
            f"(the longest has {longest:,})"
    words = _WORD.findall(sample)
    if len(words) < _MIN_WORDS:
        return "not language: no word-like tokens"
    if len(text) > _REPETITIVE_CHARS and len({w.lower() for w in words[:50_000]}) < _MIN_DISTINCT:
        return "not language: one word repeated"
    return None
