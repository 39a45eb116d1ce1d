"""The dated events of a story or an entity across articles, in order, each cited with its outlet.

The articles are those with a passage close to the query (stored passage embeddings against the query's
embedding). An event is a sentence of such a passage that states a date ("Pada 27 April 2025, ...
mengakui" is dated 27 April, whatever day the article appeared), or else the article's lead sentence,
dated by the article's publication date and labelled ``dateline``. Syndicated copies count once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.news.corpus import NewsArticle, NewsPassage
from assistant.news.digest import is_prose, lead_sentence
from assistant.news.disagreements import Disagreement, find_disagreements
from assistant.news.event_dates import stated_dates
from assistant.news.grouping import group_stories
from assistant.news.relevance import relevant_passages


@dataclass
class Event:
    """One dated event."""

    day: date | None
    sentence: str
    citation: int
    outlet: str
    published: str
    from_text: bool  # False: dated by the article's dateline (its publication date)
    page: int | None = None
    also: list[int] = field(default_factory=list)  # other reports of the same sentence and day

    @property
    def label(self) -> str:
        """``2025-04-27`` for a date from the text, ``2025-04-29 (dateline)`` for the fallback."""
        if self.day is None:
            return "undated"
        return self.day.isoformat() + ("" if self.from_text else " (dateline)")

    def to_json(self) -> dict[str, Any]:
        """The event's ``--json`` entry."""
        return {
            "date": self.day.isoformat() if self.day else None,
            "date_source": "text" if self.from_text else "dateline",
            "sentence": self.sentence,
            "citation": self.citation,
            "also": self.also,
            "outlet": self.outlet,
            "published": self.published or None,
            "page": self.page,
        }


@dataclass
class Timeline:
    """The events of a query, the articles they cite (numbered) and the disagreements among them."""

    query: str
    events: list[Event]
    articles: list[NewsArticle]
    disagreements: list[Disagreement]


def _words(text: str) -> set[str]:
    return {w for w in text.lower().split() if len(w) > 3}


def _same(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def _events_of(article: NewsArticle, passages: list[NewsPassage], n: int) -> list[Event]:
    published = article.date.date() if article.date else None
    events: list[Event] = []
    lead = lead_sentence(article)
    for start, _end, sentence in article.sentences():
        if not any(p.start <= start < p.end for p in passages) or not is_prose(sentence, article):
            continue
        days = stated_dates(sentence, published)
        if days:
            events.append(Event(days[0], sentence, n, article.outlet, article.day, True, article.page_at(start)))
    if lead is not None and not any(e.sentence == lead[0] for e in events):
        events.append(Event(published, lead[0], n, article.outlet, article.day, False, article.page_at(lead[1])))
    return events


def build_timeline(query: str, articles: list[NewsArticle], query_vector: list[float], floor: float) -> Timeline:
    """The timeline of ``query`` over ``articles`` (a window's articles with their passage vectors)."""
    hits = relevant_passages(query, articles, query_vector, floor)
    by_article: dict[str, tuple[NewsArticle, list[NewsPassage]]] = {}
    for _, article, passage in hits:
        by_article.setdefault(article.article_id, (article, []))[1].append(passage)
    # one report per syndicated-copy cluster: the earliest
    heads: dict[str, NewsArticle] = {}
    for article, _ in sorted(by_article.values(), key=lambda x: _order(x[0])):
        heads.setdefault(article.cluster, article)
    chosen = sorted(heads.values(), key=_order)
    numbers = {a.article_id: i for i, a in enumerate(chosen, start=1)}
    events: list[Event] = []
    for article in chosen:
        for event in _events_of(article, by_article[article.article_id][1], numbers[article.article_id]):
            twin = next((e for e in events if e.day == event.day and _same(e.sentence, event.sentence)), None)
            if twin is not None:
                twin.also.append(event.citation)
            else:
                events.append(event)
    events.sort(key=lambda e: (e.day is None, e.day or date.min, not e.from_text, e.citation))
    disagreements = []
    for story in group_stories(chosen):
        disagreements.extend(find_disagreements([(a, numbers[a.article_id]) for a in story.articles]))
    return Timeline(query, events, chosen, disagreements)


def _order(article: NewsArticle) -> tuple[bool, float, str]:
    return (article.date is None, article.date.timestamp() if article.date else 0.0, article.article_id)
