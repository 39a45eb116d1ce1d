"""Pick an earlier conversation (``/history``)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList

from assistant.tui.history import Conversation


class HistoryScreen(ModalScreen[str | None]):
    """Pick an earlier conversation."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, conversations: list[Conversation]) -> None:
        super().__init__()
        self.conversations = conversations

    def compose(self) -> ComposeResult:
        options = [f"{c.id}  {c.title}" for c in self.conversations] or ["(no saved conversations)"]
        yield OptionList(*options, id="history")

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        self.dismiss(self.conversations[index].id if index < len(self.conversations) else None)
