"""Split an article into overlapping passages on sentence boundaries, keeping character offsets."""

from __future__ import annotations

from vectorstore.documents import Article, Passage
from vectorstore.text import _append_trimmed, sentence_spans
from vectorstore.versions import article_version

__all__ = ["chunk_article", "chunking_label", "sentence_spans"]  # sentence_spans: vectorstore.text

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
