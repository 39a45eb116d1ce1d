"""The chat: a Textual app over the ``Assistant`` facade, as the CLI. Models, retrieval, ingestion and
generation run in worker threads, so the interface never blocks. (Over 400 lines: the app class holds
the workers and their thread-to-interface callbacks, which must stay together; screens, widgets and
the slash-command table are their own modules.)"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static
from textual.worker import Worker, get_current_worker

from assistant.present import duplicates_text, ingest_summary, skipped_lines
from assistant.tui.history import Conversation, ConversationStore, Turn, to_markdown
from assistant.tui.screens import ArticleScreen, HistoryScreen, SourcesScreen
from assistant.tui.slash import BY_NAME, SLASH_COMMANDS, split
from assistant.tui.widgets import AnswerMessage, EvidenceItem, Notice, PromptInput, QuestionMessage, SourceItem
from vectorstore.filters import ArticleFilter, FilterError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "articles"


class AssistantApp(App[None]):
    """Ask questions about your articles; answers stream in with checked citations."""

    TITLE = "Article assistant"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel answer"),
        # priority: these must win over the prompt's own editing keys
        Binding("ctrl+n", "next_source", "Next source", priority=True),
        Binding("ctrl+b", "previous_source", "Prev source", priority=True),
        Binding("f2", "ingest_examples", "Ingest examples"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, assistant: Any) -> None:
        """``assistant``: the ``Assistant`` facade the chat renders (prepared ``Services`` are wrapped)."""
        super().__init__()
        from assistant.app import Assistant

        if not isinstance(assistant, Assistant):
            assistant = Assistant(assistant.settings, services=assistant)
        self.assistant = assistant
        self.conversations = ConversationStore(assistant.settings.data_dir / "conversations")
        self.conversation = Conversation()
        self.phase = "starting"
        self.article_count: int | None = None
        self.answer_worker: Worker[None] | None = None
        self.article_filter = ArticleFilter()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield VerticalScroll(id="chat")
            yield VerticalScroll(id="sources")
        with Horizontal(id="statusbar"):
            yield Static(id="status", markup=False)
            yield ProgressBar(id="ingest-progress", total=None, show_eta=False)
        yield PromptInput(id="prompt", soft_wrap=True, show_line_numbers=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sources").border_title = "Sources"
        self.query_one(PromptInput).focus()
        self.set_state("loading models")
        self.warm_up()

    # ----------------------------------------------------------------- state and notices

    def set_state(self, state: str) -> None:
        """Update the status line: article count, model, state."""
        self.phase = state
        s = self.assistant.settings
        count = "…" if self.article_count is None else str(self.article_count)
        filters = f" · {self.article_filter.describe()}" if self.article_filter.active else ""
        self.query_one("#status", Static).update(Text(f" {count} articles{filters} · {s.llm_label} · {state}"))

    def say(self, text: str, style: str = "italic") -> None:
        """Add a system line to the conversation."""
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(Notice(text, style))
        chat.scroll_end(animate=False)

    @work(thread=True, exclusive=True, group="warmup")
    def warm_up(self) -> None:
        """Load the embedding model and open the collection without blocking the interface, then load the
        LLM and process its prompt prefix while the user types."""
        try:
            count = len(self.assistant.articles())
            self.assistant.load_embedder()
        except Exception as exc:  # noqa: BLE001 - shown to the user, not raised
            self.call_from_thread(self.notify, f"cannot open the collection: {exc}", severity="error", markup=False)
            self.call_from_thread(self.set_state, "error")
            return
        self.call_from_thread(self.collection_ready, count)
        with contextlib.suppress(Exception):  # the first question reports what is wrong with the LLM
            self.assistant.warm()

    def collection_ready(self, count: int) -> None:
        self.article_count = count
        self.set_state("ready")
        if count == 0:
            self.say("No articles yet. Add some with /ingest PATH, or press F2 to ingest the bundled examples.")
        else:
            self.say(f"Ask anything about your {count} articles, in any language. /help lists the commands.")

    # ----------------------------------------------------------------- asking

    @on(PromptInput.Submitted)
    def submitted(self, event: PromptInput.Submitted) -> None:
        text = event.text
        if text.startswith("/"):
            self.run_command(text)
            return
        if self.answer_worker is not None and self.answer_worker.is_running:
            self.notify("an answer is still running (Esc cancels it)", severity="warning")
            return
        if self.article_count == 0:
            self.notify("no articles yet: /ingest PATH or F2", severity="warning")
            return
        limit = self.assistant.settings.max_question_chars
        if len(text) > limit:
            self.notify(f"the question is too long ({len(text):,} characters; at most {limit:,})", severity="warning")
            return
        chat = self.query_one("#chat", VerticalScroll)
        question = QuestionMessage(text)
        answer = AnswerMessage()
        chat.mount(question)
        chat.mount(answer)
        chat.scroll_end(animate=False)
        self.set_state("retrieving")
        self.answer_worker = self.answer(text, self.conversation.history(), answer, question, self.article_filter)

    @work(thread=True, exclusive=True, group="answer")
    def answer(
        self,
        question: str,
        history: list[tuple[str, str]],
        widget: AnswerMessage,
        asked: Any,
        article_filter: ArticleFilter,
    ) -> None:
        """Stream one answer from the articles the filters allow; closing the stream on cancel stops the model."""
        worker = get_current_worker()
        try:
            stream = self.assistant.stream(question, history, article_filter)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(self.answer_failed, widget, exc)
            return
        try:
            for event in stream:
                if worker.is_cancelled:
                    break
                self.call_from_thread(self.handle_answer_event, event, widget, asked)
        except Exception as exc:  # noqa: BLE001 - backend down, model missing: a notification
            self.call_from_thread(self.answer_failed, widget, exc)
        finally:
            stream.close()
            if worker.is_cancelled:
                self.call_from_thread(self.answer_cancelled, widget)

    def handle_answer_event(self, event: Any, widget: AnswerMessage, asked: Any) -> None:
        if event.kind == "rewritten":
            asked.show_rewritten(event.text)
        elif event.kind == "sources":
            self.show_sources(event.sources, "", [])
            self.set_state("thinking")
        elif event.kind == "evidence" and event.evidence is not None:
            self.show_evidence(event.evidence)
        elif event.kind == "retry":
            widget.restart(event.text)
        elif event.kind == "llm_error":
            self.notify(f"{event.text}; showing the passages' best sentences instead", severity="warning", markup=False)
        elif event.kind == "token":
            if self.phase != "streaming":
                self.set_state("streaming")
            widget.add(event.text)
            self.query_one("#chat", VerticalScroll).scroll_end(animate=False)
        elif event.kind == "done":
            answer = event.answer
            widget.finish(answer)
            self.show_sources(answer.sources, answer.answer, answer.citations)
            if answer.evidence is not None and not answer.declined:
                self.show_evidence(answer.evidence)
            self.conversation.turns.append(
                Turn(
                    question=answer.question,
                    answer=answer.answer,
                    declined=answer.declined,
                    citations=answer.citations,
                    sources=[asdict(s) for s in answer.sources],
                    unsupported=answer.unsupported,
                    rewritten=answer.rewritten,
                )
            )
            self.conversations.save(self.conversation)
            self.set_state("ready")

    def answer_failed(self, widget: AnswerMessage, exc: Exception) -> None:
        widget.update("*(no answer)*")
        reason = str(exc).splitlines()[0] if str(exc) else ""
        self.notify(f"{type(exc).__name__}: {reason}", severity="error", markup=False)
        self.set_state("ready")

    def answer_cancelled(self, widget: AnswerMessage) -> None:
        widget.update((widget.text or "") + " *(cancelled)*")
        self.set_state("ready")

    def action_cancel(self) -> None:
        """Esc: stop the running answer."""
        if self.answer_worker is not None and self.answer_worker.is_running:
            self.answer_worker.cancel()
            self.set_state("cancelling")

    # ----------------------------------------------------------------- sources

    def show_sources(self, sources: list[Any], answer_text: str, cited: list[int]) -> None:
        """List the passages, cited ones first."""
        panel = self.query_one("#sources", VerticalScroll)
        panel.remove_children()
        ordered = [s for s in sources if s.n in cited] + [s for s in sources if s.n not in cited]
        seen: set[str] = set()  # "also reported by" under the first passage of each article only
        items = []
        for s in ordered:
            first = s.article_id not in seen
            seen.add(s.article_id)
            items.append(SourceItem(s, answer_text, s.n in cited, show_copies=first))
        panel.mount_all(items)

    def show_evidence(self, evidence: Any) -> None:
        """Put the best evidence sentence at the top of the sources panel."""
        panel = self.query_one("#sources", VerticalScroll)
        for item in panel.query(EvidenceItem):
            item.remove()
        panel.mount(EvidenceItem(evidence), before=0 if panel.children else None)

    def _move_source(self, step: int) -> None:
        items = list(self.query(SourceItem))
        if not items:
            return
        current = next((i for i, item in enumerate(items) if item.has_focus), -1)
        target = items[(current + step) % len(items)]
        target.focus()
        target.scroll_visible()

    def action_next_source(self) -> None:
        self._move_source(1)

    def action_previous_source(self) -> None:
        self._move_source(-1)

    @on(SourceItem.Open)
    def open_article(self, event: SourceItem.Open) -> None:
        source = event.source
        text = self.assistant.article_text(source.article_id)
        self.push_screen(ArticleScreen(source.title or source.source, text, source.start, source.end))

    # ----------------------------------------------------------------- commands

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Ingest examples", "Add the bundled example articles", self.action_ingest_examples)
        for command in SLASH_COMMANDS:
            if command.palette:
                title, description = command.palette
                yield SystemCommand(title, description, lambda name=command.name: self.run_command(name))

    def run_command(self, line: str) -> None:
        """Run a slash command (``assistant.tui.slash.SLASH_COMMANDS``)."""
        name, arg = split(line)
        command = BY_NAME.get(name)
        if command is None:
            self.notify(f"unknown command {name} (see /help)", severity="warning", markup=False)
        else:
            command.run(self, arg)

    def ingest_command(self, arg: str) -> None:
        """``/ingest PATH|URL`` or ``/ingest --feed URL``."""
        feed = arg.startswith("--feed")
        target = arg.removeprefix("--feed").strip() if feed else arg
        if not target:
            self.notify("usage: /ingest PATH|URL  or  /ingest --feed URL", severity="warning")
        elif feed:
            self.ingest([], [target])
        else:
            self.ingest([target])

    def filters_command(self, arg: str) -> None:
        """``/filters``: show the filters; ``/filters off`` clears them."""
        if arg.lower() in {"off", "clear", "none"}:
            self.article_filter = ArticleFilter()
        self.say(f"Filters: {self.article_filter.describe()}")
        self.set_state(self.phase)

    def open_sources(self) -> None:
        """``/sources``: browse and remove articles."""
        self.push_screen(SourcesScreen(self.assistant, self.article_filter))

    def new_conversation(self) -> None:
        """``/new``: start over."""
        self.conversation = Conversation()
        self.query_one("#chat", VerticalScroll).remove_children()
        self.query_one("#sources", VerticalScroll).remove_children()
        self.say("New conversation.")

    def open_history(self) -> None:
        """``/history``: pick an earlier conversation to continue."""
        self.push_screen(HistoryScreen(self.conversations.list()), self.load_conversation)

    def filter_command(self, key: str, arg: str) -> None:
        """``/since``, ``/until``, ``/source``, ``/lang``: set (or with ``off``/nothing, clear) one filter
        for the following questions."""
        value = None if arg.lower() in {"", "off", "clear", "none"} else arg
        try:
            self.article_filter = self.article_filter.with_value(key, value)
        except FilterError as exc:
            self.notify(str(exc), severity="error")
            return
        f = self.article_filter
        if f.since and f.until and f.since > f.until:
            self.notify("the since date is after the until date: no article can match", severity="warning")
        self.say(f"Filters: {f.describe()}")
        self.set_state(self.phase)

    def load_conversation(self, conversation_id: str | None) -> None:
        """Show a saved conversation and continue it."""
        if not conversation_id:
            return
        self.conversation = self.conversations.load(conversation_id)
        chat = self.query_one("#chat", VerticalScroll)
        chat.remove_children()
        for turn in self.conversation.turns:
            chat.mount(QuestionMessage(turn.question, turn.rewritten))
            widget = AnswerMessage()
            chat.mount(widget)
            widget.text = turn.answer
            widget.update(turn.answer)

    def export(self, arg: str) -> None:
        """Write the conversation as Markdown with numbered footnotes."""
        if not self.conversation.turns:
            self.notify("nothing to export yet", severity="warning")
            return
        default = self.assistant.settings.data_dir / "exports" / f"{self.conversation.id}.md"
        path = Path(arg).expanduser() if arg else default
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(to_markdown(self.conversation), encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror}", severity="error", markup=False)
            return
        self.say(f"Exported to {path}")

    def model_command(self, arg: str) -> None:
        """Show the models, or switch the bundled LLM (loaded on the next question)."""
        from assistant.models.catalog import GGUF_MODELS

        s = self.assistant.settings
        if not arg:
            self.say(
                f"LLM: {s.llm_label} (bundled choices: {', '.join(GGUF_MODELS)})\n"
                f"Embeddings: {s.embedding_model}\nCollection: {s.collection} in {s.data_dir}",
                style="",
            )
            return
        if arg not in GGUF_MODELS:
            self.notify(f"unknown model {arg}; choices: {', '.join(GGUF_MODELS)}", severity="error", markup=False)
            return
        self.assistant.switch_llm(arg)
        self.say(f"Switched to {arg}; it loads with the next question.")
        self.set_state("ready")

    @work(thread=True, group="news")
    def news_command(self, kind: str, arg: str) -> None:
        """``/digest``, ``/timeline QUERY``, ``/follow ...`` (assistant.news.chat) in the background."""
        from assistant.news import chat

        try:
            if kind == "digest":
                by_size, written = chat.digest_options(arg)
                if written or (written is None and self.assistant.settings.digest_sentences == "llm"):
                    self.call_from_thread(self.say, "Writing each story's sentences with the LLM…")
                text = chat.digest_text(self.assistant, self.article_filter, by_size=by_size, written=written)
            elif kind == "timeline":
                text = chat.timeline_text(self.assistant, arg, self.article_filter)
            else:
                text = chat.follow_text(self.assistant, arg)
        except chat.NewsError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
            return
        self.call_from_thread(self.say, text, "")

    def action_ingest_examples(self) -> None:
        """F2: ingest the bundled example articles."""
        self.ingest([str(EXAMPLES)])

    @work(thread=True, group="ingest")
    def ingest(self, paths: list[str], feeds: list[str] | None = None) -> None:
        """Ingest files, folders, article URLs and feeds in the background with a progress line; the chat
        stays usable."""
        app = self

        class Progress:
            articles = 0
            passages = 0

            def article_seen(self, article: Any) -> None:
                self.articles += 1
                app.call_from_thread(app.ingest_progress, self.articles, self.passages)

            def passages_embedded(self, count: int) -> None:
                self.passages += count
                app.call_from_thread(app.ingest_progress, self.articles, self.passages)

        self.call_from_thread(self.ingest_progress, 0, 0)

        try:
            started = time.perf_counter()
            report = self.assistant.ingest(paths, Progress(), feeds=feeds or [])
            elapsed = time.perf_counter() - started
            count = len(self.assistant.articles())
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(self.notify, f"ingest failed: {exc}", severity="error", markup=False)
            self.call_from_thread(self.ingest_done, self.article_count or 0, "Ingest failed.")
            return
        self.call_from_thread(self.ingest_done, count, ingest_message(report, elapsed))
        if report.articles_written:
            self.follow_notice()

    @work(thread=True, group="news")
    def follow_notice(self) -> None:
        """Tell when an ingest brought new evidence for a followed question (assistant.news.chat)."""
        from assistant.news.chat import follow_notice

        try:
            notice = follow_notice(self.assistant)
        except Exception:  # noqa: BLE001 - a notice must never break the chat
            return
        if notice:
            self.call_from_thread(self.notify, notice, markup=False)

    def ingest_progress(self, articles: int, passages: int) -> None:
        """Show the ingest progress bar (indeterminate: the number of articles is not known ahead)."""
        bar = self.query_one("#ingest-progress", ProgressBar)
        bar.display = True
        bar.update(progress=passages)
        self.set_state(f"ingesting: {articles} articles, {passages} passages embedded")

    def ingest_done(self, count: int, summary: str) -> None:
        self.query_one("#ingest-progress", ProgressBar).display = False
        self.article_count = count
        self.say(summary)
        self.set_state("ready")


SKIPPED_SHOWN = 20
"""The most skipped files an ingest's message in the chat names (one line each)."""


def ingest_message(report: Any, elapsed: float | None = None) -> str:
    """What the chat says after an ingest: the summary the CLI prints (``assistant.present.ingest_summary``),
    then the near-duplicates grouped with stored articles and the first skipped files, one line each."""
    lines = [f"Ingested: {ingest_summary(report, elapsed)}"]
    if report.duplicates:
        lines.append(duplicates_text(report))
    lines += [f"  {line}" for line in skipped_lines(report)[:SKIPPED_SHOWN]]
    return "\n".join(lines)
