"""The news commands' results as lines of text with a style each: printed by the CLI (Rich), shown
by the chat. Article text goes through ``safe`` (no escape sequences reach the terminal)."""

from __future__ import annotations

from typing import Any

from assistant.news.digest import Digest, DigestStory, outlets_of
from assistant.news.timeline import Timeline
from assistant.terminal import safe

Line = tuple[str, str]  # text, Rich style ("" for none)


def cite(n: int, page: int | None) -> str:
    """``[3]``, or ``[3, p. 2]`` for a passage of a PDF's page 2."""
    return f"[{n}, p. {page}]" if page else f"[{n}]"


def digest_lines(digest: Digest, undated_outside: int = 0, show_warning: bool = True) -> list[Line]:
    """Every story (date span, outlets, size), its cited sentences, its numbered reports with their
    copies, its disagreements; then the coverage line, how many stories the LLM wrote (when it was
    asked) and, with ``show_warning``, why it could not write them all."""
    lines: list[Line] = []
    undated_started = False
    for i, ds in enumerate(digest.stories, 1):
        story = ds.story
        if not story.dated and not undated_started:
            undated_started = True
            lines.append(("Undated articles (no publication date; grouped by similarity only)", "bold"))
        span = story.first.day if story.first.day == story.last.day else f"{story.first.day} → {story.last.day}"
        plural = "s" * (story.size != 1)
        lines.append(
            (f"{i}. {span or 'undated'} · {safe(', '.join(outlets_of(story)))} · {story.size} article{plural}", "bold")
        )
        lines.extend(summary_lines(ds))
        for a in story.articles:
            line = f"   [{ds.numbers[a.article_id]}] {safe(a.outlet or '?')} {a.day or 'undated'} · {safe(a.title)}"
            copies = story.copies.get(a.article_id, [])
            if copies:
                line += " (also: " + ", ".join(f"{safe(c.outlet or c.source)} {c.day}".strip() for c in copies) + ")"
            lines.append((line, "dim"))
        for d in ds.disagreements:
            lines.append(("   outlets disagree · " + safe(d.line()), "yellow"))
    lines.append((digest.coverage_line, "bold"))
    if digest.written_line:
        lines.append((digest.written_line, "dim"))
    if digest.warning and show_warning:
        lines.append((f"warning: {safe(digest.warning)}", "yellow"))
    if undated_outside:
        lines.append((f"({undated_outside} undated articles are outside any date window)", "dim"))
    return lines


def summary_lines(ds: DigestStory) -> list[Line]:
    """A story's cited sentences: the LLM's (marked ``written, checked``) when they passed their checks,
    else the extractive ones, marked with the first check the LLM's sentences failed when it was asked."""
    if ds.written is not None:
        lines = [(f"   {safe(w.text)} {''.join(cite(n, None) for n in w.citations)}", "") for w in ds.written]
        return [*lines, ("   (written by the LLM, checked)", "dim")]
    lines = [(f"   {safe(sentence)} {cite(n, page)}", "") for sentence, n, page in ds.sentences]
    failed = ds.failed_checks
    if failed:
        why = f"{failed[0].name}: {failed[0].detail}" if failed[0].detail else failed[0].name
        lines.append((f"   (extractive: the LLM's sentence failed its checks · {safe(why)})", "dim"))
    return lines


def timeline_lines(timeline: Timeline) -> list[Line]:
    """Each event (its date, or the dateline labelled), cited with its outlet; disagreements; sources."""
    lines: list[Line] = []
    for e in timeline.events:
        cites = "".join(cite(n, e.page if n == e.citation else None) for n in [e.citation, *e.also])
        where = f"({safe(e.outlet or '?')}" + (f", published {e.published})" if e.from_text else ")")
        lines.append((f"{e.label:<22} {safe(e.sentence)} {cites} {where}", ""))
    for d in timeline.disagreements:
        lines.append(("outlets disagree · " + safe(d.line()), "yellow"))
    lines.append(("Sources", "bold"))
    for n, a in enumerate(timeline.articles, 1):
        lines.append((f" [{n}] {safe(a.title)}  ({a.day or 'undated'} · {safe(a.outlet)} · {safe(a.source)})", "dim"))
    return lines


def follow_lines(report: list[tuple[dict[str, Any], list[Any]]]) -> list[Line]:
    """For each followed question, its new evidence (best sentence, cited) or "nothing new"."""
    lines: list[Line] = []
    for i, (q, evidence) in enumerate(report, 1):
        lines.append((f"[{i}] {safe(q['question'])}", "bold"))
        if not evidence:
            lines.append(("    nothing new since the last look", "dim"))
        for n, e in enumerate(evidence, 1):
            a = e.article
            lines.append((f"    {safe(e.sentence)} {cite(n, e.passage.page)}", ""))
            where = " · ".join(x for x in (a.day or "undated", safe(a.outlet)) if x)
            lines.append((f"      [{n}] {safe(a.title)} ({where})", "dim"))
    return lines
