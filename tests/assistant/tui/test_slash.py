"""The slash-command table: /help, the dispatch and the palette come from it (no app is run)."""

from __future__ import annotations

from assistant.tui.app import AssistantApp
from assistant.tui.slash import BY_NAME, HELP, SLASH_COMMANDS


class Recorder:
    """Stands in for the app: records which method a command called."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, *args))


def run(line: str) -> list[tuple]:
    app = Recorder()
    AssistantApp.run_command(app, line)  # type: ignore[arg-type]
    return app.calls


def test_help_lists_every_command_once_per_usage():
    for command in SLASH_COMMANDS:
        for usage, summary in command.usage:
            assert f"  {usage} " in HELP and summary in HELP
    assert HELP.startswith("Commands:\n") and "Ctrl+P command palette" in HELP


def test_dispatch_goes_through_the_table():
    assert run("/since 2025-04-01 ") == [("filter_command", "since", "2025-04-01")]
    assert run("/lang") == [("filter_command", "lang", "")]
    assert run("/timeline  Prabowo") == [("news_command", "timeline", "Prabowo")]
    assert run("/ingest --feed http://x/rss") == [("ingest_command", "--feed http://x/rss")]
    assert run("/export out.md") == [("export", "out.md")]
    assert run("/help") == [("say", HELP)]
    assert run("/nope") == [("notify", "unknown command /nope (see /help)")]
    assert {c.name for c in SLASH_COMMANDS} == set(BY_NAME)


def test_palette_offers_the_table_entries(tmp_path):
    from types import SimpleNamespace

    ran: list[str] = []

    class App(AssistantApp):
        def run_command(self, line: str) -> None:
            ran.append(line)

    app = App(SimpleNamespace(settings=SimpleNamespace(data_dir=tmp_path)))
    screen = SimpleNamespace(query=lambda selector: [], maximized=None, focused=None)
    offered = {c.title: c for c in app.get_system_commands(screen)}  # type: ignore[arg-type]
    assert "Ingest examples" in offered
    for command in SLASH_COMMANDS:
        if command.palette:
            title, description = command.palette
            assert offered[title].help == description
            offered[title].callback()
            assert ran[-1] == command.name
    assert ran == [c.name for c in SLASH_COMMANDS if c.palette]
