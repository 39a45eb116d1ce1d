"""When the LLM cannot answer (down, timing out, failing to load): the best sentences of the retrieved
passages for the question's terms, each cited, under a label that says what they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.citations import _found_in, key_terms
from prompts import extractive_label
from vectorstore.chunking import sentence_spans

if TYPE_CHECKING:
    from assistant.types import Source


def best_sentences(question: str, sources: list[Source], limit: int = 3) -> list[tuple[str, int]]:
    """Up to ``limit`` ``(sentence, passage number)`` pairs sharing the most question terms, in the
    order of the passages (ties go to the better-ranked passage); the top passage's first sentence
    when no sentence shares a term."""
    terms = key_terms(question)
    scored: list[tuple[float, int, int, str]] = []
    seen: set[str] = set()
    for rank, source in enumerate(sources):
        for position, (start, end) in enumerate(sentence_spans(source.passage)):
            sentence = " ".join(source.passage[start:end].split())
            if len(sentence) < 15 or sentence in seen:
                continue
            seen.add(sentence)
            hits = len(_found_in(sentence, terms)) if terms else 0
            if hits:
                # more question terms first, then better-ranked passages
                scored.append((hits - 0.01 * rank, rank, position, sentence))
    chosen = sorted(scored, reverse=True)[:limit]
    if not chosen and sources:
        spans = sentence_spans(sources[0].passage)
        first = sources[0].passage[spans[0][0] : spans[0][1]] if spans else sources[0].passage
        return [(" ".join(first.split()), sources[0].n)]
    chosen.sort(key=lambda item: (item[1], item[2]))
    return [(sentence, sources[rank].n) for _, rank, _, sentence in chosen]


def extractive_answer(question: str, lang: str, sources: list[Source]) -> tuple[str, list[int]]:
    """The labelled extractive answer (in the question's language) and the passages it cites."""
    picked = best_sentences(question, sources)
    body = " ".join(f"{sentence} [{n}]" for sentence, n in picked)
    return f"{extractive_label(lang)}\n{body}", list(dict.fromkeys(n for _, n in picked))
