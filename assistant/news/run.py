"""What the news commands do and print: ``digest``, ``timeline``, ``follow``, ``feeds``, ``ingest --watch``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from assistant.commands import err, out
from assistant.errors import EXIT_ERROR, EXIT_PARTIAL, AssistantError
from assistant.news.render import digest_lines, follow_lines, timeline_lines
from assistant.present import plural, skipped_lines
from assistant.terminal import print_json, safe

if TYPE_CHECKING:
    from assistant.app import Assistant
    from assistant.news.corpus import NewsArticle
    from assistant.settings import Settings
    from vectorstore.filters import ArticleFilter


def _fail(message: str, code: int = EXIT_ERROR) -> Exception:
    return AssistantError(message, code)


def _assistant(settings: Settings) -> Assistant:
    """The facade the news commands go through (a writer, as ``ingest``: feeds and the watch write)."""
    from assistant.app import Assistant
    from assistant.commands import ModelProgress, warn

    return Assistant(settings, reader=False, status=ModelProgress(), warn=warn)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _window(assistant: Assistant, article_filter: ArticleFilter | None, what: str) -> list[NewsArticle]:
    """The articles the filter allows, with a progress bar; an empty window is a one-line error."""
    if assistant.count() == 0:
        raise _fail("the collection is empty; add articles first with: assistant ingest PATH")
    with _progress() as progress:
        task = progress.add_task(f"{what}: reading passages", total=None)
        articles = assistant.news_articles(
            article_filter, lambda done, total: progress.update(task, completed=done, total=total)
        )
    if not articles:
        shown = article_filter.describe() if article_filter is not None and article_filter.active else "the collection"
        raise _fail(f"no articles in the window ({shown}); see: assistant sources")
    return articles


def _print(lines: list[tuple[str, str]]) -> None:
    for text, style in lines:
        out.print(Text(text, style=style))


def run_digest(
    settings: Settings, article_filter: ArticleFilter | None, as_json: bool, by: str, written: bool | None = None
) -> int:
    """``assistant digest``: every story of the window, cited, in time order (or by size); with
    ``written`` (default: the ``digest_sentences`` setting) its sentences written by the LLM and checked,
    with a progress bar (an LLM that fails leaves them extractive, with a one-line warning)."""
    started = time.perf_counter()
    assistant = _assistant(settings)
    articles = _window(assistant, article_filter, "digest")
    loaded = time.perf_counter()
    lang = article_filter.lang if article_filter is not None else None
    with _progress() as progress:
        task = progress.add_task("digest: writing sentences", total=None, visible=False)

        def wrote(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, visible=True)

        digest = assistant.digest(articles, by_size=by == "size", written=written, lang=lang, progress=wrote)
    done = time.perf_counter()
    windowed = article_filter is not None and (article_filter.since or article_filter.until)
    # with a date window, undated articles are outside it: count them in the collection
    undated = assistant.undated_count() if windowed else sum(a.date is None for a in articles)
    timings = {
        "read_s": round(loaded - started, 3),
        "group_s": round(done - loaded - digest.write_s, 3),
        "total_s": round(done - started, 3),
    }
    if digest.sentence_kind == "llm":
        timings["write_s"] = digest.write_s
    filter_text = article_filter.describe() if article_filter is not None and article_filter.active else None
    if digest.warning:
        err.print(Text(f"assistant: warning: {safe(digest.warning)}", style="yellow"))
    if as_json:
        stories = [s.to_json() for s in digest.stories]
        print_json(
            {
                "filter": filter_text,
                "articles": digest.article_count,
                "undated": undated,
                "sentences": digest.sentence_kind,
                "stories": stories,
                "disagreements": [
                    {"story": i, **d.to_json()} for i, s in enumerate(digest.stories, 1) for d in s.disagreements
                ],
                "coverage": digest.coverage_line,
                "written": digest.written_line,
                "warning": digest.warning,
                "missing": digest.missing,
                "timings": timings,
            }
        )
        return 0 if not digest.missing else EXIT_PARTIAL
    if filter_text:
        err.print(Text(f"(articles: {safe(filter_text)})", style="dim"))
    _print(digest_lines(digest, undated if windowed else 0, show_warning=False))
    err.print(Text(f"digest of {plural(digest.article_count, 'article')} in {timings['total_s']:.2f}s", style="dim"))
    return 0 if not digest.missing else EXIT_PARTIAL


def run_timeline(settings: Settings, query: str, article_filter: ArticleFilter | None, as_json: bool) -> int:
    """``assistant timeline QUERY``: the dated events of a story or an entity, cited, in order."""
    from assistant.news.timeline import build_timeline

    if not query.strip():
        raise _fail("the query is empty", 2)
    started = time.perf_counter()
    assistant = _assistant(settings)
    articles = _window(assistant, article_filter, "timeline")
    vector = assistant.embed_query(query)
    timeline = build_timeline(query, articles, vector, settings.min_relevance)
    elapsed = round(time.perf_counter() - started, 3)
    if not timeline.events:
        raise _fail(f"nothing in the articles is about {query!r}")
    numbers = {a.article_id: i for i, a in enumerate(timeline.articles, 1)}
    if as_json:
        print_json(
            {
                "query": query,
                "events": [e.to_json() for e in timeline.events],
                "articles": [
                    {
                        "n": numbers[a.article_id],
                        "article_id": a.article_id,
                        "title": a.title,
                        "outlet": a.outlet,
                        "date": a.day or None,
                        "source": a.source,
                    }
                    for a in timeline.articles
                ],
                "disagreements": [d.to_json() for d in timeline.disagreements],
                "timings": {"total_s": elapsed},
            }
        )
        return 0
    _print(timeline_lines(timeline))
    err.print(
        Text(
            f"timeline of {plural(len(timeline.events), 'event')} from {plural(len(timeline.articles), 'article')} "
            f"in {elapsed:.2f}s",
            style="dim",
        )
    )
    return 0


def run_follow(settings: Settings, action: str, value: list[str], as_json: bool) -> int:
    """``assistant follow [add QUESTION | list | rm N]``; with no action, what is new for each question."""
    from assistant.news.follow import FollowError, FollowList, look

    follows = FollowList(Path(settings.data_dir) / "follow.json")
    try:
        if action == "add":
            n = follows.add(" ".join(value))
            out.print(f"following [{n}] {Text(safe(' '.join(value)))}; see what is new with: assistant follow")
            return 0
        if action == "rm":
            if len(value) != 1:
                raise FollowError("give the number of the question to stop following (see: assistant follow list)")
            out.print(f"stopped following: {Text(safe(follows.remove(value[0])))}")
            return 0
        questions = follows.load()
    except FollowError as exc:
        raise _fail(str(exc), 2) from None
    if action == "list":
        if not questions:
            out.print('no followed questions; add one with: assistant follow add "QUESTION"')
        for i, q in enumerate(questions, 1):
            out.print(Text(f"[{i}] {safe(q['question'])}  (last look: {q.get('last_look') or 'never'})"))
        return 0
    if not questions:
        raise _fail('no followed questions; add one with: assistant follow add "QUESTION"', 2)
    assistant = _assistant(settings)
    articles = _window(assistant, None, "follow")
    report = look(follows, questions, articles, assistant.embed_query, settings.min_relevance)
    if as_json:
        print_json(
            [
                {
                    "question": q["question"],
                    "new": [
                        {
                            "n": i,
                            "sentence": e.sentence,
                            "title": e.article.title,
                            "outlet": e.article.outlet,
                            "date": e.article.day or None,
                            "source": e.article.source,
                            "page": e.passage.page,
                            "score": round(e.score, 4),
                        }
                        for i, e in enumerate(ev, 1)
                    ],
                }
                for q, ev in report
            ]
        )
        return 0
    _print(follow_lines(report))
    return 0


def run_feeds(settings: Settings, action: str, value: str | None) -> int:
    """``assistant feeds add URL | list | rm URL|N | refresh``."""
    from assistant.news.subscriptions import SubscriptionError, Subscriptions

    subs = Subscriptions(Path(settings.data_dir) / "feeds.json")
    try:
        if action in ("add", "rm") and not value:
            raise SubscriptionError(f"feeds {action} needs a feed URL" + (" or its number" if action == "rm" else ""))
        if action == "add":
            added = subs.add(str(value))
            out.print(("subscribed to " if added else "already subscribed to ") + safe(str(value)))
            return 0
        if action == "rm":
            out.print("unsubscribed from " + safe(subs.remove(str(value))))
            return 0
        feeds = subs.load()
    except SubscriptionError as exc:
        raise _fail(str(exc), 2) from None
    if action == "list":
        if not feeds:
            out.print("no feeds; subscribe with: assistant feeds add URL")
        for i, f in enumerate(feeds, 1):
            last = (
                f"last refresh {f['last_refresh']}: {f['last_result']}" if f.get("last_refresh") else "never refreshed"
            )
            out.print(Text(f"[{i}] {safe(f['url'])}  ({safe(last)})"))
        return 0
    if not feeds:
        raise _fail("no feeds to refresh; subscribe with: assistant feeds add URL", 2)
    urls = [f["url"] for f in feeds]
    report = _assistant(settings).ingest([], feeds=urls)
    failed = {s.path: s.reason for s in report.skipped}
    results = {u: failed.get(u, "ok") for u in urls}
    subs.record(results)
    for line in skipped_lines(report):
        err.print(Text(line, style="yellow"))
    out.print(
        f"{plural(len(urls), 'feed')}: {plural(len(report.added), 'new article')}, {len(report.replaced)} replaced, "
        f"{len(report.unchanged)} already stored, {len(report.skipped)} skipped"
    )
    return EXIT_PARTIAL if report.skipped else 0


def run_watch(settings: Settings, directory: str) -> int:
    """``assistant ingest --watch DIR``: ingest the folder, then keep it applied, with a live status line."""
    path = Path(directory)
    if not path.is_dir():
        raise _fail(f"not a folder: {directory}", 2)
    assistant = _assistant(settings)
    with err.status("watching…") as status:

        def on_event(line: str, counts: Any) -> None:
            if line:
                style = "yellow" if line.startswith("skipped") else None
                err.print(Text(safe(line), style=style))
            status.update(counts.line(path.resolve()))

        counts = assistant.watch_folder(path, on_event)
    out.print(counts.line(path.resolve()).split(" · ")[0])
    return 0


def dispatch(settings: Settings, args: Any, make_filter: Any) -> int:
    """Run the news command ``args.command`` (``make_filter(args)`` reads --since/--until/--source/--lang)."""
    as_json = bool(getattr(args, "json", False))
    if args.command == "digest":
        written = True if getattr(args, "written", False) else None
        return run_digest(settings, make_filter(args), as_json, args.by, written)
    if args.command == "timeline":
        return run_timeline(settings, " ".join(args.query), make_filter(args), as_json)
    if args.command == "follow":
        return run_follow(settings, args.action, args.value, as_json)
    return run_feeds(settings, args.action, args.value)
