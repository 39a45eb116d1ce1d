"""Where the passages given for an answer state different figures for the same measure.

An answer that cites "12 tewas" from one outlet while another passage says "15 tewas" must show both
versions, not silently pick one. Deterministic: the figures and the comparison are
``assistant.news.figures`` and ``assistant.news.disagreements``, as for digests and timelines; each
article counts once (its first passage stating the measure), and a measure is reported only when a
cited passage states it.
"""

from __future__ import annotations

from typing import Any

from assistant.chronology import source_time


def answer_disagreements(sources: list[Any], cited: list[int]) -> list[dict[str, Any]]:
    """The disagreements among ``sources`` (``assistant.types.Source``) on a measure a cited source
    states, in their ``--json`` shape (``measure``, ``versions``: value, text, outlet, date, citation)."""
    from assistant.news.corpus import NewsArticle
    from assistant.news.disagreements import find_disagreements
    from assistant.news.figures import find_figures

    if not cited:
        return []
    reports = []
    seen: set[str] = set()
    for source in sorted(sources, key=lambda s: (s.n not in cited, s.n)):  # cited passages speak for their article
        if source.article_id in seen:
            continue
        seen.add(source.article_id)
        article = NewsArticle(
            source.article_id,
            source.title,
            source.outlet,
            source.source,
            source_time(source.date),
            source.lang or "id",
            _cluster(source),
            text=source.passage,
        )
        reports.append((article, source.n))
    cited_measures = {
        fig.measure
        for article, n in reports
        if n in cited
        for fig in find_figures(article.body(), article.lang)
    }
    return [d.to_json() for d in find_disagreements(reports) if d.measure in cited_measures]


def _cluster(source: Any) -> str:
    """Syndicated copies of one story do not disagree with each other: the ids of the copies, sorted."""
    copies = [c.get("article_id", "") for c in source.also_reported_by]
    return "|".join(sorted([source.article_id, *copies])) if copies else source.article_id


def disagreement_line(entry: dict[str, Any]) -> str:
    """``deaths: Kompas (2025-05-06): 12 tewas [1] · Tempo (2025-05-06): 15 tewas [3]``."""
    versions = entry["versions"]
    parts = [f"{v['outlet'] or '?'} ({v['date'] or 'undated'}): {v['text']} [{v['citation']}]" for v in versions]
    return f"{entry['measure']}: " + " · ".join(parts)
