"""``/digest``, ``/timeline`` and ``/follow`` in the chat: the same results as the CLI, as plain text,
through the ``Assistant`` facade."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.news.render import Line, digest_lines, follow_lines, timeline_lines

if TYPE_CHECKING:
    from assistant.app import Assistant
    from vectorstore.filters import ArticleFilter


class NewsError(ValueError):
    """Nothing to show (an empty window, an unknown followed question); the message is one line."""


def _text(lines: list[Line]) -> str:
    return "\n".join(text for text, _ in lines)


def _articles(assistant: Assistant, article_filter: ArticleFilter | None) -> list[Any]:
    articles = assistant.news_articles(article_filter)
    if not articles:
        shown = article_filter.describe() if article_filter is not None and article_filter.active else "the collection"
        raise NewsError(f"no articles in the window ({shown})")
    return articles


def digest_text(
    assistant: Assistant, article_filter: ArticleFilter | None, by_size: bool = False, written: bool | None = None
) -> str:
    """The digest of the chat's current filters (``written``: sentences written by the LLM and checked;
    default: the ``digest_sentences`` setting)."""
    articles = _articles(assistant, article_filter)
    lang = article_filter.lang if article_filter is not None else None
    return _text(digest_lines(assistant.digest(articles, by_size=by_size, written=written, lang=lang)))


def digest_options(arg: str) -> tuple[bool, bool | None]:
    """``/digest [size] [written]``: by size, and written by the LLM (None: as the settings say)."""
    words = arg.lower().split()
    unknown = [w for w in words if w not in ("size", "written")]
    if unknown:
        raise NewsError("usage: /digest [size] [written]")
    return "size" in words, True if "written" in words else None


def timeline_text(assistant: Assistant, query: str, article_filter: ArticleFilter | None) -> str:
    """The timeline of ``query`` within the chat's current filters."""
    from assistant.news.timeline import build_timeline

    if not query.strip():
        raise NewsError("usage: /timeline QUERY")
    articles = _articles(assistant, article_filter)
    vector = assistant.embed_query(query)
    timeline = build_timeline(query, articles, vector, assistant.settings.min_relevance)
    if not timeline.events:
        raise NewsError(f"nothing in the articles is about {query!r}")
    return _text(timeline_lines(timeline))


def follow_text(assistant: Assistant, arg: str) -> str:
    """``/follow`` (what is new), ``/follow add QUESTION``, ``/follow list``, ``/follow rm N``."""
    from assistant.news.follow import FollowError, FollowList, look

    follows = FollowList(Path(assistant.settings.data_dir) / "follow.json")
    action, _, rest = arg.strip().partition(" ")
    try:
        if action == "add":
            return f"Following [{follows.add(rest)}] {rest.strip()}"
        if action == "rm":
            return f"Stopped following: {follows.remove(rest.strip())}"
        questions = follows.load()
    except FollowError as exc:
        raise NewsError(str(exc)) from None
    if action == "list":
        return "\n".join(f"[{i}] {q['question']}" for i, q in enumerate(questions, 1)) or "No followed questions."
    if action:
        raise NewsError("usage: /follow [add QUESTION | list | rm N]")
    if not questions:
        raise NewsError("no followed questions; add one with /follow add QUESTION")
    articles = _articles(assistant, None)
    return _text(
        follow_lines(look(follows, questions, articles, assistant.embed_query, assistant.settings.min_relevance))
    )


def follow_notice(assistant: Assistant) -> str | None:
    """After an ingest in the chat: which followed questions have new evidence (nothing is marked seen)."""
    from assistant.news.follow import FollowList, new_evidence

    questions = FollowList(Path(assistant.settings.data_dir) / "follow.json").load()
    if not questions:
        return None
    articles = assistant.news_articles()
    fresh = [
        i
        for i, q in enumerate(questions, 1)
        if new_evidence(
            q["question"],
            set(q.get("seen", [])),
            articles,
            assistant.embed_query(q["question"]),
            assistant.settings.min_relevance,
        )
    ]
    if not fresh:
        return None
    listed = ", ".join(f"[{i}]" for i in fresh)
    return f"New evidence for followed question{'s' * (len(fresh) > 1)} {listed}: /follow shows it"
