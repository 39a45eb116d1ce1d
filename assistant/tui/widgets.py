"""Widgets of the chat: messages, the sources panel, the prompt. Article text is always shown as
plain Text (never parsed as markup), so ``[bold]`` or ``[link=...]`` in an article renders literally."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Markdown, Static, TextArea

from assistant.citations import key_terms
from assistant.terminal import safe


class QuestionMessage(Static):
    """The user's question."""

    def __init__(self, question: str, rewritten: str | None = None) -> None:
        self.question = question
        super().__init__(self._text(rewritten), markup=False)

    def _text(self, rewritten: str | None) -> Text:
        text = Text(safe(self.question), style="bold")
        if rewritten:
            text.append(f"\n(searching for: {safe(rewritten)})", style="dim italic")
        return text

    def show_rewritten(self, rewritten: str) -> None:
        """Show the standalone question the follow-up was rewritten into."""
        self.update(self._text(rewritten))


class AnswerMessage(Markdown):
    """The answer, streamed in as Markdown; unsupported sentences are listed under it."""

    def __init__(self) -> None:
        # a link in an answer (echoed from an article) is never opened by a click
        super().__init__("…", open_links=False)
        self.text = ""

    def add(self, fragment: str) -> None:
        """Append streamed text."""
        self.text += safe(fragment)
        self.update(self.text)

    def restart(self, reason: str) -> None:
        """The streamed text failed a check: clear it and say why (the checked answer follows)."""
        self.text = ""
        self.update(f"*(check failed: {safe(reason)}; answering again from the evidence)*")

    def finish(self, answer: Any) -> None:
        """Show the final text (citations checked), marking unsupported sentences and failed checks."""
        self.text = safe(answer.answer)
        body = self.text
        failed = [c for c in getattr(answer, "checks", []) if not c.ok]
        if failed and not answer.declined:
            body += "\n\n" + "\n".join(f"> ⚠ check {c.name} failed: {safe(c.detail)}" for c in failed)
        if answer.unsupported:
            body += "\n\n" + "\n".join(f"> ⚠ not supported by its cited passage: {safe(s)}" for s in answer.unsupported)
        if getattr(answer, "dates_note", None):
            body += f"\n\n*{safe(answer.dates_note)}*"
        self.update(body)


class Notice(Static):
    """A system line in the conversation (errors, hints, command output)."""

    def __init__(self, text: str, style: str = "italic") -> None:
        super().__init__(Text(safe(text), style=style), markup=False)


def passage_text(source: Any, answer_text: str, cited: bool, show_copies: bool = True) -> Text:
    """A source entry: header, then the passage with the words the answer shares with it highlighted;
    ``show_copies`` names the other outlets that reported the story."""
    head = Text(f"[{source.n}] ", style="bold cyan" if cited else "dim")
    head.append(safe(source.title or source.source), style="bold" if cited else "")
    meta = " · ".join(x for x in ((source.date or "")[:10], safe(source.outlet), safe(source.source)) if x)
    head.append(f"\n{meta}\n", style="dim")
    if show_copies and source.also_reported_by:
        from assistant.present import also_reported_text

        head.append(f"also reported by: {also_reported_text(source.also_reported_by)}\n", style="italic")
    body = Text(safe(source.passage))
    if cited:
        for term in key_terms(answer_text):
            body.highlight_words([term], style="reverse", case_sensitive=False)
    return head + body


class EvidenceItem(Static):
    """The sentence of the passages that best answers the question, shown before the answer is generated."""

    def __init__(self, evidence: Any) -> None:
        text = Text("Evidence ", style="bold green") + Text(f"[{evidence.n}] ", style="bold cyan")
        text.append(safe(evidence.sentence))
        super().__init__(text, markup=False, classes="evidence")
        self.evidence = evidence


class SourceItem(Static, can_focus=True):
    """One passage in the sources panel; Enter opens the whole article."""

    BINDINGS = [Binding("enter", "open", "Open article")]

    class Open(Message):
        """Ask the app to show the article of ``source``."""

        def __init__(self, source: Any) -> None:
            super().__init__()
            self.source = source

    def __init__(self, source: Any, answer_text: str, cited: bool, show_copies: bool = True) -> None:
        text = passage_text(source, answer_text, cited, show_copies)
        super().__init__(text, markup=False, classes="cited" if cited else "")
        self.source = source

    def action_open(self) -> None:
        self.post_message(self.Open(self.source))


class PromptInput(TextArea):
    """Multi-line input: Enter sends, Ctrl+J inserts a new line."""

    BINDINGS = [Binding("ctrl+j", "newline", "New line", show=False)]

    class Submitted(Message):
        """The user sent ``text``."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def _on_key(self, event: Any) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            text = self.text.strip()
            if text:
                self.clear()
                self.post_message(self.Submitted(text))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        self.insert("\n")
