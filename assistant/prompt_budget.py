"""The prompt budget: the model reads only the sentences of each passage that bear on the question.

Prompt processing dominates the wait for the first word on a CPU (about 85 tokens/s for the 1.5B
model on 2 cores), so passages beyond a character cap are cut down to their sentences closest to the
question (dense similarity, so it works across languages). Every passage keeps its best sentence;
the user still sees, and citations are still checked against, the whole passages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vectorstore.text import split_sentences as _split_sentences

GAP = " … "

SentenceScorer = Callable[[str, list[str]], Sequence[float]]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, empty ones dropped (``vectorstore.text.sentence_spans``: a
    period inside a number or a name, "10.000", "detik.com", does not end one)."""
    return _split_sentences(text)


def trim_passages(question: str, passages: list[str], max_chars: int, scorer: SentenceScorer) -> list[str]:
    """``passages`` cut to at most about ``max_chars`` in all, keeping the sentences that ``scorer``
    rates closest to ``question`` (each passage keeps at least its best one), in their own order, with
    ``…`` where sentences were left out. Passages already within the cap are returned unchanged."""
    if max_chars <= 0 or sum(len(p) for p in passages) <= max_chars:
        return passages
    split = [split_sentences(p) for p in passages]
    flat = [(i, j) for i, sents in enumerate(split) for j in range(len(sents))]
    if not flat:
        return passages
    scores = list(scorer(question, [split[i][j] for i, j in flat]))
    by_score = sorted(range(len(flat)), key=lambda n: scores[n], reverse=True)
    keep: set[tuple[int, int]] = set()
    used = 0
    for i in range(len(split)):  # every passage keeps its best sentence
        best = next((n for n in by_score if flat[n][0] == i), None)
        if best is not None:
            keep.add(flat[best])
            used += len(split[i][flat[best][1]])
    for n in by_score:
        i, j = flat[n]
        size = len(split[i][j])
        if flat[n] not in keep and used + size <= max_chars:
            keep.add(flat[n])
            used += size
    out = []
    for i, sents in enumerate(split):
        parts: list[str] = []
        skipped = False
        for j, sentence in enumerate(sents):
            if (i, j) in keep:
                parts.append((GAP.strip() + " " if skipped and parts else "") + sentence)
                skipped = False
            else:
                skipped = True
        text = " ".join(parts)
        if parts and (i, 0) not in keep:
            text = GAP.lstrip() + text
        if skipped:
            text += GAP.rstrip()
        out.append(text or passages[i])
    return out
