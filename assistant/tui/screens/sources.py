"""Browse the collection's articles and remove one."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from assistant.terminal import safe


class SourcesScreen(Screen[None]):
    """Articles in the collection; ``d`` removes the selected one."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("d", "remove", "Remove article")]

    def __init__(self, services: Any) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row", id="articles")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("title", "date", "outlet", "lang", "passages", "source")
        self.refresh_rows()

    def refresh_rows(self) -> None:
        """Reload the table from the collection."""
        from assistant.commands import format_date

        table = self.query_one(DataTable)
        table.clear()
        for a in sorted(self.services.store.articles().values(), key=lambda a: a.title):
            row = (Text(safe(a.title)), format_date(a.date), Text(safe(a.outlet)), a.lang, str(a.passages_found),
                   Text(safe(a.source)))
            table.add_row(*row, key=a.article_id)

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        removed = self.services.ingester.remove(str(key))
        self.app.notify(f"removed {removed} passages")
        self.refresh_rows()
