"""The whole article of a cited passage."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from assistant.terminal import safe


class ArticleScreen(ModalScreen[None]):
    """The whole article, scrolled to the cited passage, which is highlighted."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, title: str, text: str, start: int, end: int) -> None:
        super().__init__()
        self.title_text, self.text, self.start, self.end = title, text, start, end

    def compose(self) -> ComposeResult:
        # sanitized piecewise so the passage's offsets still point at it
        text = self.text
        body = Text(safe(text[: self.start]))
        body.append(safe(text[self.start : self.end]), style="reverse")
        body.append(safe(text[self.end :]))
        with VerticalScroll(id="article"):
            yield Static(Text(safe(self.title_text), style="bold"), markup=False)
            yield Static(body, markup=False, id="article-body")
        yield Footer()

    def on_mount(self) -> None:
        line = self.text[: self.start].count("\n") + self.start // 100
        self.query_one("#article", VerticalScroll).scroll_to(y=max(0, line - 2), animate=False)
