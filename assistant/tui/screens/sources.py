"""Browse the collection's articles and remove one."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from assistant.present import ARTICLE_COLUMNS, article_row, plural


class SourcesScreen(Screen[None]):
    """The articles the chat's filters allow, newest first (as ``assistant sources`` lists them);
    ``d`` removes the selected one."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("d", "remove", "Remove article")]

    def __init__(self, assistant: Any, article_filter: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.article_filter = article_filter

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row", id="articles")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*ARTICLE_COLUMNS)
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Reload the table from the collection."""
        table = self.query_one(DataTable)
        table.clear()
        for a in self.assistant.articles(self.article_filter):
            table.add_row(*(Text(cell) for cell in article_row(a)), key=a.article_id)

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.remove_article(str(key))

    @work(thread=True, exclusive=True, group="remove")
    def remove_article(self, article_id: str) -> None:
        """Remove it off the interface thread (the write lock may make it wait); failures are notices."""
        try:
            removed = self.assistant.remove(article_id)
        except Exception as exc:  # noqa: BLE001 - shown to the user, not raised
            self.app.call_from_thread(self.app.notify, f"not removed: {exc}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.app.notify, f"removed {plural(removed, 'passage')}")
        self.app.call_from_thread(self.refresh_rows)
