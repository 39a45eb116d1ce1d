"""A digest of a window: every story, its reports numbered and cited, one or two extractive sentences
each (the first report's lead and, when the story moved on, the latest report's lead), disagreements
between outlets, and a coverage check that no article was dropped. No model is loaded (sentences
written by the LLM instead are ``assistant.news.written``'s option; their results are kept here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.news.corpus import NewsArticle
from assistant.news.disagreements import Disagreement, find_disagreements
from assistant.news.grouping import Story, group_stories
from assistant.present import plural

# "Kompas.com - 09/05/2025, 07:30 WIB", "Jakarta, 29 April 2025 - ..."
_DATELINE_START = re.compile(
    r"^[\w. ]{0,40}\s[-–]\s+\d{1,2}/\d{1,2}/\d{2,4}|^[A-Z][\w ]{0,30},\s+\d{1,2}\s+\w+\s+\d{4}\s*[-–]"
)
_MIN_WORDS = 6


@dataclass
class WrittenSentence:
    """A sentence the LLM wrote for a story that passed every check, with the reports it cites."""

    text: str  # without its citation markers
    citations: list[int]


@dataclass
class SentenceCheck:
    """One check of one written sentence (``sentence`` is empty for a check of the whole reply)."""

    sentence: str
    name: str
    ok: bool
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """The check as listed in ``--json``."""
        return {"sentence": self.sentence, "name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class DigestStory:
    """One story of the digest."""

    story: Story
    numbers: dict[str, int]  # article id -> citation number
    sentences: list[tuple[str, int, int | None]] = field(default_factory=list)  # sentence, citation, page
    disagreements: list[Disagreement] = field(default_factory=list)
    written: list[WrittenSentence] | None = None  # the LLM's sentences, when every one passed its checks
    checks: list[SentenceCheck] | None = None  # None: the LLM was not asked for this story

    @property
    def failed_checks(self) -> list[SentenceCheck]:
        """The checks the LLM's sentences failed (the extractive sentences stand in for them)."""
        return [c for c in self.checks or [] if not c.ok]

    def summary_json(self) -> list[dict[str, Any]]:
        """The sentences shown for the story: the LLM's when they passed, else the extractive ones."""
        if self.written is not None:
            return [
                {"sentence": w.text, "citation": w.citations[0], "citations": w.citations, "page": None}
                for w in self.written
            ]
        return [{"sentence": text, "citation": n, "page": page} for text, n, page in self.sentences]

    def to_json(self) -> dict[str, Any]:
        """The story's ``--json`` entry."""
        s = self.story
        extra: dict[str, Any] = {} if self.checks is None else {"checks": [c.to_json() for c in self.checks]}
        return {
            "first_date": s.first.day or None,
            "last_date": s.last.day or None,
            "outlets": outlets_of(s),
            "size": s.size,
            "summary": self.summary_json(),
            "written": self.written is not None,
            **extra,
            "articles": [
                {
                    **article_json(a),
                    "n": self.numbers[a.article_id],
                    "copies": [article_json(c) for c in s.copies.get(a.article_id, [])],
                }
                for a in s.articles
            ],
            "disagreements": [d.to_json() for d in self.disagreements],
        }


@dataclass
class Digest:
    """Every story of a window and the coverage check."""

    stories: list[DigestStory]
    article_count: int
    covered: set[str]
    missing: list[str]
    sentence_kind: str = "extractive"  # what was asked for: "extractive" or "llm" (digest_sentences)
    warning: str | None = None  # why some or all stories could not be written (the LLM failed)
    write_s: float = 0.0  # seconds the LLM took

    @property
    def written_line(self) -> str | None:
        """``3 of 4 stories written by the LLM and checked; 1 kept its extractive sentences`` (None for
        an extractive digest)."""
        if self.sentence_kind != "llm":
            return None
        written = sum(s.written is not None for s in self.stories)
        kept = len(self.stories) - written
        line = f"{written} of {plural(len(self.stories), 'story')} written by the LLM and checked"
        if kept:
            line += f"; {kept} kept {'its' if kept == 1 else 'their'} extractive sentences"
        return line

    @property
    def coverage_line(self) -> str:
        """``38 articles → 17 stories; every article is cited or listed`` (or which ones are not)."""
        head = f"{plural(self.article_count, 'article')} → {plural(len(self.stories), 'story')}"
        if not self.missing:
            return f"{head}; every article is cited or listed"
        return f"{head}; {plural(len(self.missing), 'article')} neither cited nor listed: {', '.join(self.missing)}"


def article_json(a: NewsArticle) -> dict[str, Any]:
    """One article as listed in ``--json``."""
    return {
        "article_id": a.article_id,
        "title": a.title,
        "outlet": a.outlet,
        "date": a.day or None,
        "source": a.source,
        "lang": a.lang,
    }


def outlets_of(story: Story) -> list[str]:
    """The outlets of a story's reports and copies, in order of first appearance."""
    names: list[str] = []
    for a in story.articles:
        for x in [a, *story.copies.get(a.article_id, [])]:
            if x.outlet and x.outlet not in names:
                names.append(x.outlet)
    return names


def is_prose(sentence: str, article: NewsArticle) -> bool:
    """Whether a sentence is the article's prose (not its title, a dateline or a fragment)."""
    title = " ".join(article.title.split()).lower()
    return not (sentence.lower() == title or _DATELINE_START.match(sentence) or len(sentence.split()) < _MIN_WORDS)


def lead_sentence(article: NewsArticle) -> tuple[str, int] | None:
    """The article's first sentence of prose (not its title or dateline) and where it starts."""
    for start, _end, sentence in article.sentences():
        if is_prose(sentence, article):
            return sentence, start
    return None


def _overlap(a: str, b: str) -> float:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def summarize(story: Story, numbers: dict[str, int]) -> list[tuple[str, int, int | None]]:
    """One or two cited sentences (with the PDF page they are on): the first report's lead, and the
    latest report's lead when it was published on a later day and says something else."""
    chosen: list[tuple[str, int, int | None]] = []
    first = lead_sentence(story.first)
    if first:
        chosen.append((first[0], numbers[story.first.article_id], story.first.page_at(first[1])))
    if story.last is not story.first and story.last.day != story.first.day:
        last = lead_sentence(story.last)
        if last and (not chosen or _overlap(last[0], chosen[0][0]) < 0.6):
            chosen.append((last[0], numbers[story.last.article_id], story.last.page_at(last[1])))
    if not chosen:  # no sentence of prose: the title stands for the story
        chosen.append((story.first.title or story.first.source, numbers[story.first.article_id], None))
    return chosen


def build_digest(
    articles: list[NewsArticle], by_size: bool = False, progress: Callable[[str], None] | None = None
) -> Digest:
    """The digest of ``articles`` (oldest story first, or the largest first with ``by_size``)."""
    if progress:
        progress("grouping")
    stories = group_stories(articles)
    if by_size:
        stories.sort(key=lambda s: -s.size)  # stable: ties stay in time order
    if progress:
        progress("summarizing")
    numbers: dict[str, int] = {}
    digest_stories = []
    for story in stories:
        for a in story.articles:
            numbers[a.article_id] = len(numbers) + 1
        mine = {a.article_id: numbers[a.article_id] for a in story.articles}
        digest_stories.append(
            DigestStory(
                story,
                mine,
                summarize(story, mine),
                find_disagreements([(a, mine[a.article_id]) for a in story.articles]),
            )
        )
    covered = set(numbers)
    for story in stories:
        for copies in story.copies.values():
            covered.update(c.article_id for c in copies)
    missing = [a.title or a.source for a in articles if a.article_id not in covered]
    return Digest(digest_stories, len(articles), covered, missing)
