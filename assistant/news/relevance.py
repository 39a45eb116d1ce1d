"""Which passages are about a query (timelines, followed questions): the stored passage embeddings
against the query's, with the query's words as a tie-breaker where the embeddings are close.

e5-small's similarities are compressed (unrelated news passages score 0.80-0.85), so an article is
taken when its best passage is within ``STRICT_MARGIN`` of the best article's, or within ``MARGIN``
and its text holds at least ``MIN_COVERAGE`` of the query's words weighted by their rarity in the
window; at most ``MAX_ARTICLES`` articles, the closest first. Measured on the fixture corpus (the
README's timeline section): this keeps every report of the queried story, and no other."""

from __future__ import annotations

import math
import re

import numpy as np

from assistant.news.corpus import NewsArticle, NewsPassage

STRICT_MARGIN = 0.03
MARGIN = 0.06
MIN_COVERAGE = 0.2
MAX_ARTICLES = 20
_WORD = re.compile(r"[^\W\d_]{3,}")


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def coverage(query: str, articles: list[NewsArticle]) -> list[float]:
    """For each article, the share of the query's words (IDF-weighted over ``articles``) it contains."""
    terms = _words(query)
    sets = [_words(a.title + " " + a.text) for a in articles]
    if not terms:
        return [0.0] * len(articles)
    n = len(articles)
    idf = {t: math.log((n + 1) / (sum(t in s for s in sets) + 0.5)) for t in terms}
    total = sum(idf.values()) or 1.0
    return [sum(idf[t] for t in terms if t in s) / total for s in sets]


def relevant_passages(
    query: str, articles: list[NewsArticle], query_vector: list[float], floor: float
) -> list[tuple[float, NewsArticle, NewsPassage]]:
    """The passages about ``query``, best first (ties by article order: deterministic): those of the
    chosen articles scoring at least ``floor`` and within ``MARGIN`` of the best passage."""
    q = np.asarray(query_vector, dtype=np.float32)
    q = q / (np.linalg.norm(q) or 1.0)
    scores = [[float(p.vector @ q) if p.vector is not None else -1.0 for p in a.passages] for a in articles]
    best_of = [max(s, default=-1.0) for s in scores]
    if not articles or max(best_of) < floor:
        return []
    best = max(best_of)
    covered = coverage(query, articles)
    chosen = [
        i
        for i, top in enumerate(best_of)
        if top >= floor and (top >= best - STRICT_MARGIN or (top >= best - MARGIN and covered[i] >= MIN_COVERAGE))
    ]
    chosen = sorted(chosen, key=lambda i: (-best_of[i], i))[:MAX_ARTICLES]
    found = [
        (score, i, j)
        for i in chosen
        for j, score in enumerate(scores[i])
        if score >= floor and score >= best - MARGIN
    ]
    found.sort(key=lambda x: (-x[0], x[1], x[2]))
    return [(score, articles[i], articles[i].passages[j]) for score, i, j in found]
