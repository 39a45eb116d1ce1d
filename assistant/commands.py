"""What each CLI command does, printed with Rich (stdout for results, stderr for progress).

One function per command (ask, ingest, sources, remove, models, eval, chat, config, doctor) and the
progress displays they share; over 400 lines because there are that many commands, each short."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from assistant.errors import EXIT_USAGE, AssistantError
from assistant.present import (
    ARTICLE_COLUMNS,
    also_reported_text,
    article_row,
    articles_title,
    duplicates_text,
    format_date,
    ingest_summary,
    plural,
    skipped_lines,
)
from assistant.settings import Settings
from assistant.terminal import print_json, safe

if TYPE_CHECKING:
    from assistant.types import Answer, Event, Source
    from vectorstore.filters import ArticleFilter

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _broken_pipe() -> None:
    """Rich's default ends the process with exit 1; the CLI reports a closed pipe itself (quietly, 141)."""
    raise BrokenPipeError


out.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]


class ModelProgress:
    """Shows model preparation (assembling, verifying, building) as progress bars on stderr."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, message: str, done: int, total: int) -> None:
        if total <= 0:
            err.print(f"[dim]{safe(message)}…[/dim]")
            return
        if self.progress is None:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=err,
                transient=True,
            )
            self.progress.start()
        if message not in self.tasks:
            self.tasks[message] = self.progress.add_task(message, total=total)
        self.progress.update(self.tasks[message], completed=done)
        if done >= total:
            self.progress.remove_task(self.tasks.pop(message))
            err.print(f"[dim]{safe(message)}: done[/dim]")
            if not self.tasks:
                self.progress.stop()
                self.progress = None


def warn(message: str) -> None:
    err.print(Text(f"assistant: warning: {safe(message)}", style="yellow"))


def print_sources(sources: list[Source], cited: list[int], pages: dict[int, int] | None = None) -> None:
    """The numbered sources under an answer; cited ones first and marked; ``pages``: PDF page per source."""
    if not sources:
        return
    out.print()
    out.print(Text("Sources", style="bold"))
    order = [s for s in sources if s.n in cited] + [s for s in sources if s.n not in cited]
    named: set[str] = set()  # "also reported by" is shown once per article
    for s in order:
        mark = "*" if s.n in cited else " "
        head = Text(f"{mark}[{s.n}] ", style="bold cyan" if s.n in cited else "dim")
        head.append(safe(s.title or s.source), style="bold" if s.n in cited else "")
        page = f"p. {pages[s.n]}" if pages and s.n in pages else ""
        parts = (format_date(s.date), safe(s.outlet), safe(s.source), page, f"score {s.score:.2f}")
        head.append(f"  ({' · '.join(x for x in parts if x)})", style="dim")
        out.print(head)
        if s.also_reported_by and s.article_id not in named:
            named.add(s.article_id)
            out.print(Text("    also reported by: " + also_reported_text(s.also_reported_by), style="italic"))
        excerpt = safe(" ".join(s.passage.split()))
        out.print(Text("    " + (excerpt[:240] + ("…" if len(excerpt) > 240 else "")), style="dim"))


def warn_extractive(reason: str) -> None:
    err.print(
        Text(f"assistant: warning: {safe(reason)}; showing the best sentences of the passages instead", style="yellow")
    )


def run_ask(settings: Settings, question: str, as_json: bool, article_filter: ArticleFilter | None = None) -> int:
    """``assistant --ask``: stream the answer, then list the sources (or print JSON); ``article_filter``
    restricts the articles it may use (dates, outlet, language)."""
    from assistant.app import Assistant

    assistant = Assistant(settings, reader=True, status=ModelProgress(), warn=warn)
    if assistant.count() == 0:
        raise AssistantError("the collection is empty; add articles first with: assistant ingest PATH")
    if as_json:
        result = assistant.ask(question, article_filter=article_filter)
        if result.llm_error:
            warn_extractive(result.llm_error)
        print_json(assistant.answer_json(result, article_filter))
        return 0
    if article_filter is not None and article_filter.active:
        err.print(Text(f"(articles: {safe(article_filter.describe())})", style="dim"))
    answer = render_stream(assistant.stream(question, article_filter=article_filter))
    print_sources(answer.sources, answer.citations, assistant.source_pages(answer.sources))
    return 0


def render_stream(events: Iterator[Event]) -> Answer:
    """Print a streamed answer (evidence first, tokens as they come on a terminal; only the final,
    checked answer in plain mode: a file or a pipe), then its failed checks; returns the answer."""
    live = out.is_terminal
    answer: Answer | None = None
    streamed: list[str] = []
    for event in events:
        if event.kind == "queued":
            err.print(Text(f"(waiting for the model: {safe(event.text)} ahead)", style="dim"))
        elif event.kind == "rewritten":
            err.print(Text(f"(searching for: {safe(event.text)})", style="dim"))
        elif event.kind == "evidence" and event.evidence is not None:
            out.print(Text(f"Evidence [{event.evidence.n}]: ", style="bold dim") + Text(safe(event.evidence.sentence)))
        elif event.kind == "llm_error":
            warn_extractive(event.text)
        elif event.kind == "retry":
            if streamed and live:
                out.file.write("\n")
            err.print(Text(f"(check failed: {safe(event.text)}; answering again from the evidence)", style="dim"))
            streamed = []
        elif event.kind == "token":
            streamed.append(event.text)
            if live:
                out.file.write(safe(event.text))
                out.file.flush()
        elif event.kind == "done":
            answer = event.answer
    assert answer is not None
    if not live:
        out.file.write(safe(answer.answer).strip() + "\n")
    else:
        out.file.write("\n")
    if live and not answer.declined and not answer.extractive and "".join(streamed).strip() != answer.answer:
        out.print(Text("Citations checked: ", style="bold yellow") + Text(safe(answer.answer)))
    for check in answer.checks:
        if not check.ok:
            out.print(Text(f"check {check.name} failed: ", style="yellow") + Text(safe(check.detail)))
    for sentence in answer.unsupported:
        out.print(Text("not supported by its cited passage: ", style="yellow") + Text(safe(sentence)))
    if answer.dates_note:
        out.print(Text(safe(answer.dates_note), style="italic"))
    if answer.as_of:
        out.print(Text(safe(answer.as_of), style="italic"))
    if answer.disagreements:
        from assistant.source_disagreements import disagreement_line

        for entry in answer.disagreements:
            out.print(Text("The reports differ: ", style="bold yellow") + Text(safe(disagreement_line(entry))))
    return answer


class IngestBar:
    """Progress of an ingest: articles read, passages embedded, and the rate."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.articles = progress.add_task("articles", total=None)
        self.passages = progress.add_task("passages embedded", total=None)
        self.started = time.perf_counter()
        self.embedded = 0

    def article_seen(self, article: Any) -> None:
        self.progress.advance(self.articles)

    def passages_embedded(self, count: int) -> None:
        self.embedded += count
        rate = self.embedded / max(time.perf_counter() - self.started, 1e-6)
        self.progress.update(self.passages, advance=count, description=f"passages embedded ({rate:.1f}/s)")


@contextmanager
def _ingest_progress() -> Iterator[IngestBar]:
    progress = Progress(
        TextColumn("{task.description}"),
        TextColumn("{task.completed:>6.0f}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )
    with progress:
        yield IngestBar(progress)


def run_ingest(settings: Settings, paths: list[str], feeds: list[str] | None = None) -> int:
    """``assistant ingest``: add, replace or skip each article (files, folders, article URLs, feeds);
    report skipped files and failed URLs one line each, and the syndicated copies found."""
    from assistant.app import Assistant

    assistant = Assistant(settings, reader=False, status=ModelProgress(), warn=warn)
    started = time.perf_counter()
    with _ingest_progress() as bar:
        report = assistant.ingest(paths, bar, feeds=feeds or [])
    elapsed = time.perf_counter() - started
    for line in skipped_lines(report):
        err.print(Text(line, style="yellow"))
    if report.duplicates:
        out.print(duplicates_text(report))
    out.print(ingest_summary(report, elapsed))
    return 3 if report.skipped else 0


def run_sources(settings: Settings, as_json: bool, article_filter: ArticleFilter | None = None) -> int:
    """``assistant sources``: the articles in the collection (those matching ``article_filter``), newest first."""
    from assistant.app import Assistant
    from vectorstore.store import MissingDataDir

    try:
        articles = Assistant(settings, reader=True, status=ModelProgress(), warn=warn).articles(article_filter)
    except MissingDataDir as exc:
        raise AssistantError(str(exc)) from None
    if as_json:
        print_json([a.to_json() for a in articles])
        return 0
    table = Table(title=articles_title(len(articles), settings.collection))
    for col in ARTICLE_COLUMNS:
        table.add_column(col, overflow="fold")
    for a in articles:
        table.add_row(*(Text(cell) for cell in article_row(a)))
    out.print(table)
    return 0


def run_remove(settings: Settings, source: str) -> int:
    """``assistant remove SOURCE``: delete one article."""
    from assistant.app import ArticleNotFound, Assistant

    try:
        removed = Assistant(settings, reader=False, status=ModelProgress(), warn=warn).remove(source)
    except ArticleNotFound:
        raise AssistantError(f"no article with source {source!r} (see: assistant sources)") from None
    except ValueError as exc:
        raise AssistantError(str(exc)) from None
    out.print(f"removed {Text(safe(source))} ({plural(removed, 'passage')})")
    return 0


def run_models(settings: Settings, action: str, verify: bool = False) -> int:
    """``assistant models [status|prepare]``."""
    from assistant.app import Assistant

    assistant = Assistant(settings, reader=False, status=ModelProgress(), warn=warn)
    if action == "prepare":
        emb, gguf = assistant.prepare_models()
        out.print(f"embedding model: {emb}\nLLM: {gguf}")
        return 0
    table = Table(title=f"models in {settings.model_store}")
    for col in ("model", "state", "path"):
        table.add_column(col, overflow="fold")
    for row in assistant.models_status(verify):
        table.add_row(row.name + (" (selected)" if row.selected else ""), row.state, row.path)
    out.print(table)
    return 0


def run_eval(settings: Settings, args: Any) -> int:
    """``assistant eval``: ingest the corpus into its own collection, answer, write predictions, score."""
    from pathlib import Path

    from assistant.evaluation import read_questions, run_questions, score
    from assistant.types import Answer
    from vectorstore.language import detect_language

    gold = Path(args.questions)
    corpus = Path(args.corpus)
    if not gold.is_file():
        raise AssistantError(f"no such questions file: {gold}")
    if not corpus.is_dir():
        raise AssistantError(f"no such corpus folder: {corpus}")
    try:
        questions = read_questions(gold)
    except ValueError as exc:
        raise AssistantError(str(exc)) from None
    if args.limit:
        questions = questions[: args.limit]
    if "collection" not in settings.model_fields_set:
        settings = settings.model_copy(update={"collection": "eval-" + corpus.resolve().name})
    mode = "retrieval" if args.retrieval_only else "answers"
    pred_path = Path(args.out or f"eval-{mode}-{settings.collection}.jsonl")
    from assistant.app import Assistant

    assistant = Assistant(settings, reader=False, status=ModelProgress(), warn=warn)
    with _ingest_progress() as bar:
        report = assistant.ingest([str(corpus)], bar)
    err.print(f"corpus: {len(report.unchanged)} unchanged, {report.articles_written} ingested")
    if args.retrieval_only:
        assistant.use_retriever(args.retriever)

        def answer_fn(question: str) -> Answer:
            return Answer(question, "", False, [], assistant.search(question), detect_language(question))
    else:
        answer_fn = assistant.ask
    progress = Progress(
        TextColumn("questions"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("questions", total=len(questions))
        for _ in run_questions(questions, pred_path, answer_fn, on_done=lambda: progress.advance(task)):
            pass
    # score only the questions asked (a --limit run is scored on its own subset)
    subset = pred_path.with_suffix(".gold.jsonl")
    subset.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    out_text = score(pred_path, subset, scorer=gold.parent / "score.py")
    print(out_text)
    return 0


def run_chat(settings: Settings) -> int:
    """``assistant`` / ``assistant chat``: the Textual chat."""
    from assistant.app import Assistant
    from assistant.tui.app import AssistantApp

    if sys.stdin is None or sys.stdout is None or not sys.stdin.isatty() or not sys.stdout.isatty():
        raise AssistantError("the chat needs a terminal; use --ask QUESTION for scripts", EXIT_USAGE)
    AssistantApp(Assistant(settings, reader=False)).run()
    return 0


def run_config_show(settings: Settings, flags: set[str]) -> int:
    """``assistant config show``: effective values and their origin."""
    from assistant.settings import settings_origins

    table = Table(title="settings (defaults < config file < ASSISTANT_* environment < flags)")
    for col in ("key", "value", "from"):
        table.add_column(col, overflow="fold")
    for key, value, origin in settings_origins(settings, flags):
        table.add_row(key, Text(str(value)), origin)
    out.print(table)
    return 0


def run_doctor(settings: Settings, repair: bool = False) -> int:
    """``assistant doctor [--repair]``: one line per checked file (state, path, what it holds or what is
    wrong); exit 0 when everything is whole (or was repaired), 1 when something still needs attention."""
    from assistant.doctor import Doctor

    doctor = Doctor(settings, repair=repair, status=ModelProgress())
    findings = doctor.run()
    styles = {"ok": "green", "empty": "dim", "repaired": "cyan", "missing": "yellow", "damaged": "bold red"}
    for f in findings:
        line = Text(f"{f.state:<9}", style=styles.get(f.state, ""))
        line.append(f"{f.part}: ")
        line.append(safe(f.path), style="dim")
        line.append(f" - {safe(f.detail)}")
        out.print(line)
    return 1 if any(f.bad for f in findings) else 0
