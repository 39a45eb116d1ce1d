"""Split an article into overlapping passages on sentence boundaries, keeping character offsets."""

from __future__ import annotations

import re

from vectorstore.documents import Article, Passage
from vectorstore.versions import article_version

# A sentence ends at . ! ? (with closing quotes) before space, at CJK enders, or at a line break.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)|[。！？]+[”’」』)]*|\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in ``text``, whitespace between them excluded."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        _append_trimmed(text, pos, match.end(), spans)
        pos = match.end()
    _append_trimmed(text, pos, len(text), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``size`` at whitespace (or hard, for scripts without spaces)."""
    pieces = []
    while end - start > size:
        cut = start + size
        space = text.rfind(" ", start + size // 2, cut)
        cut = space if space > start else cut
        _append_trimmed(text, start, cut, pieces)
        start = cut
    _append_trimmed(text, start, end, pieces)
    return pieces


def chunking_label(size: int, overlap: int) -> str:
    """The passage settings as recorded with each passage and in article versions (``size/overlap``):
    articles stored with other settings are cut again on the next ingest."""
    return f"{size}/{overlap}"


def chunk_article(article: Article, size: int = 700, overlap: int = 120) -> list[Passage]:
    """Passages of about ``size`` characters made of whole sentences; consecutive passages share
    up to ``overlap`` characters of trailing sentences. ``passage.text == article.text[start:end]``; each
    passage carries the article's version (content hash and these settings), which goes into its id."""
    text = article.text
    version = article_version(article.content_hash, chunking_label(size, overlap))
    units: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        units.extend(_split_long(text, start, end, size) if end - start > size else [(start, end)])
    passages: list[Passage] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= size:
            j += 1
        start, end = units[i][0], units[j][1]
        passages.append(Passage(article.article_id, len(passages), text[start:end], start, end, version))
        if j + 1 >= len(units):
            break
        # step back over trailing sentences that fit in the overlap, but always advance
        k = j + 1
        while k - 1 > i and units[j][1] - units[k - 1][0] <= overlap:
            k -= 1
        i = k
    return passages
