"""Text rules shared by ingest, retrieval and answering: where sentences end, which scripts are written
without spaces between words, and which control characters are dropped.

``vectorstore`` may not import ``assistant``; the assistant imports these from here.

Sentences. One rule, ``sentence_spans``: a sentence ends at ``. ! ? …`` (with closing quotes and
brackets) followed by whitespace or the end of the text, at the CJK enders ``。！？`` (with their
closing quotes), or at a line break. A period inside a token stays in the sentence, so ``10.000``,
``3.5`` and ``detik.com`` are not cut. Passage boundaries are made of these spans and stored in users'
collections (a passage's offsets and id depend on them), so ``markers=False`` (the default) must not
change. ``markers=True`` reads an answer: citation markers after an ender (``Benar. [1]``,
``Benar.[1][2]``) belong to that sentence.
"""

from __future__ import annotations

import re

# ----------------------------------------------------------------------------------------- sentences

_ENDER = r"[.!?…]+[\"'”’)\]]*"
_CJK_ENDER = r"[。！？]+[”’」』)]*"
_MARKERS = r"(?:\s*\[\d+\])*"  # [1], [1][2] after the ender

# passages are cut at these; never change it (see the module docstring)
_SENTENCE_END = re.compile(rf"{_ENDER}(?=\s|$)|{_CJK_ENDER}|\n")
_ANSWER_SENTENCE_END = re.compile(rf"{_ENDER}{_MARKERS}(?=\s|$)|{_CJK_ENDER}{_MARKERS}|\n")


def sentence_spans(text: str, markers: bool = False) -> list[tuple[int, int]]:
    """(start, end) of every sentence in ``text``, whitespace between them excluded. With ``markers``,
    the citation markers that follow a sentence's end are part of it."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in (_ANSWER_SENTENCE_END if markers else _SENTENCE_END).finditer(text):
        _append_trimmed(text, pos, match.end(), spans)
        pos = match.end()
    _append_trimmed(text, pos, len(text), spans)
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (``sentence_spans``), stripped."""
    return [text[start:end] for start, end in sentence_spans(text)]


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


# ------------------------------------------------------------------------- scripts without spaces

#: Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK (extension A
#: and unified ideographs), Hangul syllables. As a regex character-class body.
NO_SPACE_CHARS = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
)
#: Runs of characters of those scripts (the keyword index splits them into characters and bigrams).
NO_SPACE_RUN = re.compile(f"[{NO_SPACE_CHARS}]+")


def is_no_space_script(token: str) -> bool:
    """Whether ``token`` is written entirely in a script without spaces between words."""
    return bool(token) and NO_SPACE_RUN.fullmatch(token) is not None


# ---------------------------------------------------------------------------- control characters

#: CSI and OSC escape sequences (7-bit): colours, cursor moves, window titles, hyperlinks.
ESCAPE_SEQUENCE = r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
#: Control characters: C0 except tab and line feed (carriage returns are turned into line feeds
#: first), DEL, and C1 (0x80-0x9f, which some terminals read as 8-bit CSI). A regex class body.
CONTROL_CHARS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
#: Bidirectional embeddings, overrides and isolates (they reorder what a terminal shows).
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"


def control_pattern(extra: str = "") -> re.Pattern[str]:
    """The one rule for control characters: escape sequences, then single ``CONTROL_CHARS`` and the
    characters of the class body ``extra`` (ingest adds zero-width space and BOM, the terminal adds
    ``BIDI_CONTROLS``)."""
    return re.compile(f"{ESCAPE_SEQUENCE}|[{CONTROL_CHARS}{extra}]")
