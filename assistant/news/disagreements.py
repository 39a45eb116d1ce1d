"""Where the reports of one story state different figures for the same measure, side by side.

Deterministic: the figures come from ``figures.find_figures``; two reports disagree when they give
different values for one measure and were published within ``window_hours`` of each other (a later
report with a new value alone is an update, but once reports disagree every version is shown, dated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.news.corpus import NewsArticle
from assistant.news.figures import Figure, find_figures

WINDOW_HOURS = 36.0


@dataclass(frozen=True)
class Version:
    """One report's figure."""

    value: float
    written: str
    outlet: str
    date: str
    citation: int


@dataclass(frozen=True)
class Disagreement:
    """The versions of one measure in one story, oldest first."""

    measure: str
    versions: list[Version]

    def line(self) -> str:
        """``deaths: Kompas.com (2025-05-06): 12 tewas [1] · Tempo.co (2025-05-06): 15 tewas [2]``."""
        parts = [f"{v.outlet or '?'} ({v.date or 'undated'}): {v.written} [{v.citation}]" for v in self.versions]
        return f"{self.measure}: " + " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The ``disagreements`` entry of ``--json``."""
        return {
            "measure": self.measure,
            "versions": [
                {"value": v.value, "text": v.written, "outlet": v.outlet, "date": v.date, "citation": v.citation}
                for v in self.versions
            ],
        }


def _hours(a: NewsArticle, b: NewsArticle) -> float:
    if a.date is None or b.date is None:
        return 0.0  # undated reports are compared as if contemporary
    return abs((a.date - b.date).total_seconds()) / 3600.0


def find_disagreements(
    reports: list[tuple[NewsArticle, int]], window_hours: float = WINDOW_HOURS
) -> list[Disagreement]:
    """The disagreements among ``reports`` (an article and its citation number), by measure, in the
    order of the first report stating each measure. One version per report and measure: its first figure."""
    by_measure: dict[str, list[tuple[NewsArticle, int, Figure]]] = {}
    for article, n in reports:
        seen: set[str] = set()
        for fig in find_figures(article.body(), article.lang):
            if fig.measure not in seen:
                seen.add(fig.measure)
                by_measure.setdefault(fig.measure, []).append((article, n, fig))
    found = []
    for measure, items in by_measure.items():
        clash = any(
            a.value != b.value and x.cluster != y.cluster and _hours(x, y) <= window_hours
            for i, (x, _, a) in enumerate(items)
            for (y, _, b) in items[i + 1 :]
        )
        if not clash:
            continue
        items = sorted(items, key=lambda t: (t[0].date is None, t[0].date.timestamp() if t[0].date else 0, t[1]))
        found.append(Disagreement(measure, [Version(f.value, f.written, a.outlet, a.day, n) for a, n, f in items]))
    return found
