"""Command line: parse arguments, call the parts, print. Heavy libraries load only when a command needs them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from assistant import __version__
from assistant.errors import (  # noqa: F401  (the exit codes stay importable from here)
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_PIPE,
    EXIT_USAGE,
    AssistantError,
    describe,
)

CliError = AssistantError
"""The CLI's name for the one error family (``assistant.errors.AssistantError``)."""


def _setting_flags() -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """The settings flags, generated from the fields tagged with a flag: (dest, flag, argparse keywords);
    read afresh for every parser, so that a backend registered late is among the choices."""
    import typing

    from assistant.settings import CHOICES, CLI_CHOICES, Settings, flag_fields

    specs = []
    for name, (option, metavar) in flag_fields().items():
        info = Settings.model_fields[name]
        kinds = [t for t in typing.get_args(info.annotation) or (info.annotation,) if t is not type(None)]
        kwargs: dict[str, Any] = {"help": (info.description or "").replace("%", "%%")}
        if name in CLI_CHOICES:
            kwargs["choices"] = CHOICES[name]()
        elif typing.get_origin(info.annotation) is typing.Literal:
            kwargs["choices"] = list(typing.get_args(info.annotation))
        else:
            kwargs["metavar"] = metavar
        if kinds and kinds[0] in (int, float):
            kwargs["type"] = kinds[0]
        specs.append((name, option, kwargs))
    return tuple(specs)


def _setting_names() -> list[str]:
    """The settings that have a command-line flag (``args`` attributes of the same names)."""
    return [name for name, _, _ in _setting_flags()]


def _add_common(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """The settings flags (generated from the settings fields): a subcommand's default is SUPPRESS, so
    a flag given before the subcommand is not overwritten by the subcommand's own default."""
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("settings (override config file and ASSISTANT_* variables)")
    for name, option, kwargs in _setting_flags():
        group.add_argument(option, dest=name, default=default, **kwargs)


def _add_filters(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("which articles (dates and phrases in Indonesian or English)")
    group.add_argument(
        "--since", metavar="WHEN", default=default, help="published on or after ('2025-04-01', 'minggu lalu')"
    )
    group.add_argument("--until", metavar="WHEN", default=default, help="published on or before ('April 2025')")
    group.add_argument("--source", metavar="NAME", default=default, help="outlet or source containing NAME ('kompas')")
    group.add_argument("--lang", metavar="CODE", default=default, help="articles in this language ('id', 'en')")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (global ``--ask`` plus subcommands)."""
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Ask questions about your articles; answers cite the passages they come from.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--ask", metavar="QUESTION", help="answer one question and exit")
    parser.add_argument("--json", action="store_true", help="with --ask: print the answer as JSON")
    _add_common(parser)
    _add_filters(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question", nargs="+", help="the question")
    ask.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    _add_common(ask, suppress=True)
    _add_filters(ask, suppress=True)

    ingest = sub.add_parser("ingest", help="add articles (files, folders, article URLs, feeds) to the collection")
    ingest.add_argument("paths", nargs="*", metavar="PATH|URL", help="files, folders or http(s) article URLs")
    ingest.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS/Atom feed (new items only; repeatable)"
    )
    ingest.add_argument("--watch", metavar="DIR", help="ingest DIR, then apply new, changed and deleted files")
    _add_common(ingest, suppress=True)

    chat = sub.add_parser("chat", help="open the chat (the default with no command)")
    _add_common(chat, suppress=True)

    sources = sub.add_parser("sources", help="list the articles in the collection")
    sources.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    _add_common(sources, suppress=True)
    _add_filters(sources, suppress=True)

    remove = sub.add_parser("remove", help="delete one article's passages")
    remove.add_argument("source", help="the article's source path, URL, file name or id")
    _add_common(remove, suppress=True)

    ev = sub.add_parser("eval", help="answer a QA set (score.py format) and print its metrics")
    ev.add_argument("questions", metavar="QUESTIONS.jsonl")
    ev.add_argument("--corpus", metavar="DIR", required=True, help="the documents the questions are about")
    ev.add_argument("--out", metavar="PRED.jsonl", help="predictions file (resumed if it exists)")
    ev.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    ev.add_argument("--retrieval-only", action="store_true", help="rank sources only, no LLM (fast)")
    ev.add_argument("--retriever", choices=["hybrid", "dense", "keyword"], default="hybrid", help="retrieval legs")
    _add_common(ev, suppress=True)

    config = sub.add_parser("config", help="show the effective settings and where each came from")
    config.add_argument("action", nargs="?", choices=["show"], default="show")
    _add_common(config, suppress=True)

    doctor = sub.add_parser("doctor", help="check the collection, its indexes and the models; name what is damaged")
    doctor.add_argument(
        "--repair", action="store_true", help="rebuild what can be rebuilt; re-ingest a lost collection's sources"
    )
    _add_common(doctor, suppress=True)

    models = sub.add_parser("models", help="show model status, or prepare the models")
    models.add_argument("action", nargs="?", choices=["status", "prepare"], default="status")
    models.add_argument("--verify", action="store_true", help="with status: hash the GGUF files")
    _add_common(models, suppress=True)

    serve = sub.add_parser("serve", help="keep the models loaded and answer other commands (Unix socket; HTTP too)")
    serve.add_argument("--http", metavar="HOST:PORT", help="also serve the HTTP API here (e.g. 127.0.0.1:8765)")
    _add_common(serve, suppress=True)

    mcp = sub.add_parser("mcp", help="serve the collection to MCP clients (stdio; streamable HTTP if asked)")
    mcp.add_argument("--http", metavar="HOST:PORT", help="streamable HTTP on HOST:PORT instead of stdio")
    _add_common(mcp, suppress=True)

    from assistant.news.cli import add_news_parsers

    add_news_parsers(sub, _add_common, _add_filters)
    return parser


def _settings(args: argparse.Namespace) -> Any:
    from assistant.settings import SettingsError, load_settings

    try:
        return load_settings(**{k: getattr(args, k, None) for k in _setting_names()})
    except SettingsError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def _filter(args: argparse.Namespace) -> Any:
    from vectorstore.filters import FilterError, build_filter

    try:
        return build_filter(*(getattr(args, k, None) for k in ("since", "until", "source", "lang")))
    except FilterError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``assistant`` command; returns the exit code."""
    # Offline by default: models are resolved locally, so nothing may reach for a hub or telemetry.
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
        os.environ.setdefault(key, value)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if sys.stdout is None or _closed(sys.stdout):
            raise CliError("standard output is closed: nothing could be printed (the command was not run)")
        code = _dispatch(parser, args)
        sys.stdout.flush()  # a broken pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        # the reader went away (``| head -1``): stop quietly; what was done (an ingest) stays done
        _silence_stdout()
        return EXIT_PIPE
    except CliError as exc:
        _error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        _error(describe(exc))
        return EXIT_ERROR


def _closed(stream: Any) -> bool:
    """Whether ``stream`` cannot be written (its file descriptor was closed before we started)."""
    try:
        os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return not hasattr(stream, "getvalue")  # pytest's capture and StringIO have no descriptor
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail on the broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def question_text(raw: str, limit: int) -> str:
    """The question as text: bytes that are not UTF-8 (the shell passes them through as surrogate
    escapes) become U+FFFD; raises CliError for an empty question or one over ``limit`` characters."""
    try:
        text = os.fsencode(raw).decode("utf-8", errors="replace")
    except UnicodeEncodeError:
        text = raw.encode("utf-8", errors="replace").decode("utf-8")
    text = text.strip()
    if not text:
        raise CliError("the question is empty", EXIT_USAGE)
    if len(text) > limit:
        raise CliError(
            f"the question is too long ({len(text):,} characters; at most {limit:,}, setting max_question_chars)",
            EXIT_USAGE,
        )
    return text


def _error(message: str) -> None:
    from assistant.terminal import safe

    print(f"assistant: error: {safe(message)}", file=sys.stderr)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    command = args.command
    if args.ask is not None and command is not None:
        raise CliError("use either --ask or a command, not both", EXIT_USAGE)
    if args.ask is not None or command == "ask":
        question = args.ask if args.ask is not None else " ".join(args.question)
        if not question.strip():
            raise CliError("the question is empty", EXIT_USAGE)
        from assistant.commands import run_ask

        article_filter = _filter(args)
        settings = _settings(args)
        question = question_text(question, settings.max_question_chars)
        as_json = bool(getattr(args, "json", False))
        if settings.service != "off":
            from assistant.service.use import ask_via_service

            filters = {k: getattr(args, k, None) for k in ("since", "until", "source", "lang")}
            code = ask_via_service(settings, question, as_json, filters, article_filter)
            if code is not None:
                return code
        return run_ask(settings, question, as_json, article_filter)
    if command in ("serve", "mcp"):
        return _serve(args)
    settings = _settings(args)
    if command in (None, "chat"):
        from assistant.commands import run_chat

        return run_chat(settings)
    from assistant import commands

    if command == "ingest" and args.watch:
        from assistant.news.run import run_watch

        return run_watch(settings, args.watch)
    if command in {"digest", "timeline", "follow", "feeds"}:
        from assistant.news import run

        return run.dispatch(settings, args, _filter)
    if command == "ingest":
        if not args.paths and not args.feed:
            raise CliError("give files, folders, URLs or --feed URL", EXIT_USAGE)
        return commands.run_ingest(settings, args.paths, args.feed)
    if command == "sources":
        return commands.run_sources(settings, bool(getattr(args, "json", False)), _filter(args))
    if command == "remove":
        return commands.run_remove(settings, args.source)
    if command == "config":
        flags = {k for k in _setting_names() if getattr(args, k, None) is not None}
        return commands.run_config_show(settings, flags)
    if command == "eval":
        return commands.run_eval(settings, args)
    if command == "doctor":
        return commands.run_doctor(settings, repair=args.repair)
    if command == "models":
        return commands.run_models(settings, args.action, verify=args.verify)
    raise CliError(f"unknown command {command}", EXIT_USAGE)


def _serve(args: argparse.Namespace) -> int:
    """``assistant serve`` and ``assistant mcp``: settings from the flags (or, for a service started on
    demand by a one-off question, exactly the settings that question used)."""
    import sys as _sys

    from assistant.settings import SettingsError, load_settings

    inherited = os.environ.pop("ASSISTANT_SERVE_SETTINGS", None)
    if inherited:
        try:
            settings = load_settings(**json.loads(inherited))
        except (SettingsError, ValueError) as exc:
            raise CliError(f"bad settings from the starting command: {exc}", EXIT_USAGE) from None
    else:
        settings = _settings(args)

    def say(message: str) -> None:
        print(f"assistant: {message}", file=_sys.stderr, flush=True)

    from assistant.service.server import ServiceError, serve

    try:
        if args.command == "mcp":
            from assistant.app import Assistant
            from assistant.service.mcp import run_mcp

            return run_mcp(Assistant(settings, reader=True, warn=lambda m: say(f"warning: {m}")), args.http)
        return serve(settings, args.http, say=say)
    except ServiceError as exc:
        raise CliError(str(exc)) from None
