"""Articles about the same event, grouped: syndicated copies (the MinHash clusters of ingest) first, then
clusters whose embeddings are close and whose dates are near (average-linkage agglomerative clustering).

The distance between two clusters' articles is ``1 - cosine`` plus a penalty for each day beyond
``max_days`` between their publication dates; undated articles are grouped on similarity alone, among
themselves. ``pairwise_scores`` measures a grouping against known stories.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from assistant.news.corpus import NewsArticle, sort_key

# Measured on tests/fixtures/news_corpus (43 articles, 13 known stories); see the README's digest section.
SIMILARITY = 0.86
MAX_DAYS = 14.0
DAY_PENALTY = 0.005


@dataclass
class Story:
    """Articles about one event; ``copies`` maps an article to the syndicated copies listed under it."""

    articles: list[NewsArticle]
    copies: dict[str, list[NewsArticle]]

    @property
    def first(self) -> NewsArticle:
        """The earliest report."""
        return self.articles[0]

    @property
    def last(self) -> NewsArticle:
        """The latest report."""
        return self.articles[-1]

    @property
    def size(self) -> int:
        """Every article of the story, copies included."""
        return len(self.articles) + sum(len(c) for c in self.copies.values())

    @property
    def dated(self) -> bool:
        """Whether the story's articles have dates."""
        return self.first.date is not None


def _merge_copies(articles: list[NewsArticle]) -> tuple[list[NewsArticle], dict[str, list[NewsArticle]]]:
    """One representative per syndicated-copy cluster (its earliest article), and the copies under it."""
    by_cluster: dict[str, list[NewsArticle]] = defaultdict(list)
    for a in articles:
        by_cluster[a.cluster].append(a)
    heads, copies = [], {}
    for members in by_cluster.values():
        members.sort(key=sort_key)
        heads.append(members[0])
        copies[members[0].article_id] = members[1:]
    heads.sort(key=sort_key)
    return heads, copies


def _cluster(heads: list[NewsArticle], similarity: float, max_days: float, penalty: float) -> list[int]:
    """A group label per article (scipy's average linkage over the penalised distances)."""
    if len(heads) < 2:
        return [0] * len(heads)
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.stack([h.vector for h in heads])
    distance = 1.0 - np.clip(vectors @ vectors.T, -1.0, 1.0)
    dated = np.array([h.date is not None for h in heads])
    stamps = np.array([h.date.timestamp() if h.date is not None else 0.0 for h in heads]) / 86400.0
    days = np.abs(stamps[:, None] - stamps[None, :])
    both = dated[:, None] & dated[None, :]
    distance = distance + np.where(both, penalty * np.maximum(0.0, days - max_days), 0.0)
    distance[dated[:, None] != dated[None, :]] = 2.0  # a dated and an undated article are never one story
    np.fill_diagonal(distance, 0.0)
    condensed = distance[np.triu_indices(len(heads), k=1)]
    tree = linkage(condensed, method="average")
    return [int(x) for x in fcluster(tree, t=1.0 - similarity, criterion="distance")]


def group_stories(
    articles: list[NewsArticle],
    similarity: float = SIMILARITY,
    max_days: float = MAX_DAYS,
    penalty: float = DAY_PENALTY,
) -> list[Story]:
    """The stories of ``articles``: every article is in exactly one story (as a report or a copy).
    Stories come oldest first (by their first report), undated ones last."""
    heads, copies = _merge_copies(articles)
    labels = _cluster(heads, similarity, max_days, penalty)
    groups: dict[int, list[NewsArticle]] = defaultdict(list)
    for head, label in zip(heads, labels, strict=True):
        groups[label].append(head)
    stories = []
    for members in groups.values():
        members.sort(key=sort_key)
        stories.append(Story(members, {m.article_id: copies[m.article_id] for m in members}))
    stories.sort(key=lambda s: sort_key(s.first))
    return stories


def pairwise_scores(stories: list[Story], gold: dict[str, str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a grouping against ``gold`` (article id -> story), and the
    share of known stories recovered exactly."""
    found: dict[str, int] = {}
    for n, story in enumerate(stories):
        for a in story.articles:
            found[a.article_id] = n
            for c in story.copies.get(a.article_id, []):
                found[c.article_id] = n
    ids = sorted(i for i in found if i in gold)
    same_found = {(a, b) for a, b in combinations(ids, 2) if found[a] == found[b]}
    same_gold = {(a, b) for a, b in combinations(ids, 2) if gold[a] == gold[b]}
    tp = len(same_found & same_gold)
    precision = tp / len(same_found) if same_found else 1.0
    recall = tp / len(same_gold) if same_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    gold_sets = defaultdict(set)
    for i in ids:
        gold_sets[gold[i]].add(i)
    found_sets = defaultdict(set)
    for i in ids:
        found_sets[found[i]].add(i)
    exact = sum(1 for s in gold_sets.values() if s in found_sets.values())
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "stories_exact": exact,
        "stories_gold": len(gold_sets),
        "stories_found": len(found_sets),
    }
