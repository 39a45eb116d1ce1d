"""The chat's slash commands, in one table: ``/help``, the dispatch (``AssistantApp.run_command``) and
the command palette (``AssistantApp.get_system_commands``) are all made from ``SLASH_COMMANDS``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The keys, shown under the commands in ``/help``.
KEYS = """Keys: Enter send · Ctrl+J new line · Esc cancel the answer · Ctrl+N/Ctrl+B next/previous source ·
Enter on a source opens the article · F2 ingest the bundled examples · Ctrl+P command palette · Ctrl+Q quit"""


@dataclass(frozen=True)
class SlashCommand:
    """One slash command: ``run(app, arg)`` runs it; ``usage`` gives its ``/help`` lines (usage,
    summary); ``palette`` its (title, description) in the command palette, if it is offered there."""

    name: str
    usage: tuple[tuple[str, str], ...]
    run: Callable[[Any, str], None]
    palette: tuple[str, str] | None = None


def _filter(key: str) -> Callable[[Any, str], None]:
    return lambda app, arg: app.filter_command(key, arg)


def _news(kind: str) -> Callable[[Any, str], None]:
    return lambda app, arg: app.news_command(kind, arg)


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "/ingest",
        (
            ("/ingest PATH", "add articles (files, folders or article URLs); the chat stays usable"),
            ("/ingest --feed URL", "read an RSS/Atom feed (only new items are added)"),
        ),
        lambda app, arg: app.ingest_command(arg),
    ),
    SlashCommand(
        "/since",
        (("/since WHEN", 'only articles published since then ("2025-04-01", "sejak Januari 2025", "minggu lalu")'),),
        _filter("since"),
    ),
    SlashCommand("/until", (("/until WHEN", "only articles published until then"),), _filter("until")),
    SlashCommand("/source", (("/source NAME", "only this outlet"),), _filter("source")),
    SlashCommand("/lang", (("/lang CODE", "only this language"),), _filter("lang")),
    SlashCommand(
        "/filters",
        (("/filters", "show the filters; /filters off clears them (/since off clears one)"),),
        lambda app, arg: app.filters_command(arg),
    ),
    SlashCommand(
        "/sources",
        (("/sources", "browse and remove articles"),),
        lambda app, arg: app.open_sources(),
        palette=("Sources", "Browse and remove articles"),
    ),
    SlashCommand(
        "/digest",
        (
            ("/digest [size]", "every story in the filters' window, cited (by size: largest first)"),
            ("/digest written", "the same, each story's sentences written by the LLM and checked"),
        ),
        _news("digest"),
    ),
    SlashCommand(
        "/timeline", (("/timeline QUERY", "the dated events of a story or an entity, cited"),), _news("timeline")
    ),
    SlashCommand(
        "/follow",
        (("/follow [add QUESTION | list | rm N]", "what is new for your followed questions"),),
        _news("follow"),
    ),
    SlashCommand(
        "/new",
        (("/new", "start a new conversation"),),
        lambda app, arg: app.new_conversation(),
        palette=("New conversation", "Start over"),
    ),
    SlashCommand(
        "/history",
        (("/history", "open an earlier conversation"),),
        lambda app, arg: app.open_history(),
        palette=("History", "Open an earlier conversation"),
    ),
    SlashCommand(
        "/export",
        (("/export [FILE]", "save this conversation as Markdown with footnotes"),),
        lambda app, arg: app.export(arg),
        palette=("Export", "Save the conversation as Markdown"),
    ),
    SlashCommand(
        "/model",
        (("/model [NAME]", "show the models, or switch the bundled LLM"),),
        lambda app, arg: app.model_command(arg),
        palette=("Model", "Show the models"),
    ),
    SlashCommand("/help", (("/help", "this text"),), lambda app, arg: app.say(HELP, style="")),
)

BY_NAME: dict[str, SlashCommand] = {command.name: command for command in SLASH_COMMANDS}


def _help_line(usage: str, summary: str) -> str:
    return f"  {usage:<14} {summary}" if len(usage) <= 14 else f"  {usage}  {summary}"


def help_text() -> str:
    """The ``/help`` text: one line per usage of every command, then the keys."""
    lines = [_help_line(usage, summary) for command in SLASH_COMMANDS for usage, summary in command.usage]
    return "Commands:\n" + "\n".join(lines) + "\n" + KEYS


HELP = help_text()


def split(line: str) -> tuple[str, str]:
    """``"/since 2025-04-01 "`` -> ``("/since", "2025-04-01")``."""
    name, _, arg = line.strip().partition(" ")
    return name, arg.strip()
