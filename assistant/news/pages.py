"""Page numbers of the passages shown as sources (PDF articles record the page each passage starts on)."""

from __future__ import annotations

from typing import Any


def source_pages(store: Any, sources: list[Any]) -> dict[int, int]:
    """``{source number: page}`` for the sources whose passage has a page (one lookup by passage id)."""
    ids = [s.passage_id for s in sources if s.passage_id]
    if not ids:
        return {}
    pages = {h.passage_id: h.metadata.get("page") for h in store.get_passages(ids)}
    return {s.n: int(pages[s.passage_id]) for s in sources if pages.get(s.passage_id)}


def add_pages(data: dict[str, Any], pages: dict[int, int]) -> dict[str, Any]:
    """Put ``page`` (or None) on every source of an answer's ``--json``."""
    for src in data.get("sources", []):
        src["page"] = pages.get(src.get("n"))
    return data
