"""Escape sequences, control characters and markup in articles never drive the terminal: stripped in
the CLI (text and JSON), shown literally (markup) and stripped (escapes) in the TUI."""

import json
import re
from types import SimpleNamespace

import pytest

from assistant.chain import Answer, Event, Source
from assistant.cli import main
from assistant.terminal import safe
from vectorstore.store import StoredArticle

HOSTILE = (
    "Judul \x1b[2J\x1b[31mmerah\x1b[0m \x1b]8;;http://evil.example\x1b\\tautan\x1b]8;;\x1b\\ "
    "\x1b]0;judul jendela\x07 \x9b31m c1 \u202eolleh\u202c \r\x08\x07\x7f [bold]tebal[/bold] [link=x]l[/link]"
)
# what must never be written: ESC, BEL, BS, CR, DEL, C1 controls, bidi overrides
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _source(n=1):
    return Source(n, "a1", "/x/" + HOSTILE + ".txt", HOSTILE, "2025-04-29", HOSTILE + " isi", 0, 10, 0.9)


class HostileAnswerer:
    def stream(self, question, history=None, where=None):
        yield Event("rewritten", text=HOSTILE)
        yield Event("sources", sources=[_source()])
        for piece in ["Jawaban \x1b", "[31mmerah", "\x1b]0;x", "\x07 ", "\x9b2J [1]"]:  # escapes split over tokens
            yield Event("token", text=piece)
        answer = Answer("q", "Jawaban " + HOSTILE + " [1]", False, [1], [_source()], "id", unsupported=[HOSTILE])
        yield Event("done", answer=answer)

    def ask(self, question, history=None, where=None):
        return next(e for e in self.stream(question) if e.kind == "done").answer


@pytest.fixture
def hostile_services(monkeypatch):
    article = StoredArticle("a1", "/x/" + HOSTILE, HOSTILE, None, "id", "h", "400/80", 1, 1, outlet=HOSTILE)
    store = SimpleNamespace(count=lambda: 1, articles=lambda: {"a1": article}, get_passages=lambda ids: [])
    services = SimpleNamespace(store=store, answerer=HostileAnswerer(), where_for=lambda f: None, reader=True)
    monkeypatch.setattr("assistant.services.Services", lambda *a, **kw: services)  # what the facade builds


def test_safe_strips_sequences_and_controls_but_keeps_text():
    cleaned = safe(HOSTILE)
    assert not FORBIDDEN.search(cleaned)
    assert "merah" in cleaned and "tautan" in cleaned and "[bold]tebal[/bold]" in cleaned
    assert "\n" in safe("a\nb") and "\t" in safe("a\tb")


def test_cli_answer_and_sources_write_no_escape_sequences(hostile_services, capsys):
    assert main(["--ask", "pertanyaan"]) == 0
    assert main(["sources"]) == 0
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert not FORBIDDEN.search(stream), repr(FORBIDDEN.search(stream))
    assert "[bold]tebal[/bold]" in captured.out  # Rich markup in articles is printed literally


def test_cli_json_strings_are_free_of_escapes_and_controls(hostile_services, capsys):
    """Issue 17, item 5: the decoded values carry no escape sequence either (``\x1b]0;pwned\x07`` was kept)."""
    assert main(["--ask", "pertanyaan", "--json"]) == 0
    assert main(["sources", "--json"]) == 0
    out = capsys.readouterr().out
    assert not FORBIDDEN.search(out)
    first = json.JSONDecoder().raw_decode(out)[0]
    assert first["sources"][0]["title"] == safe(HOSTILE)
    assert not FORBIDDEN.search(first["answer"]) and "merah" in first["answer"]


def test_error_lines_are_sanitized(capsys):
    from assistant.cli import _error

    _error("bad \x1b]0;title\x07 thing\x9b")
    assert not FORBIDDEN.search(capsys.readouterr().err)


@pytest.mark.asyncio
async def test_tui_shows_markup_literally_and_strips_escapes():
    from textual.app import App

    from assistant.tui.widgets import AnswerMessage, Notice, QuestionMessage, SourceItem

    class Probe(App):
        def compose(self):
            yield QuestionMessage(HOSTILE, rewritten=HOSTILE)
            yield SourceItem(_source(), "merah tebal", cited=True)
            yield Notice(HOSTILE)
            yield AnswerMessage()

    app = Probe()
    async with app.run_test(size=(200, 50)) as pilot:
        answer = app.query_one(AnswerMessage)
        answer.add("Jawaban \x1b[31m")
        answer.finish(Answer("q", "Jawaban " + HOSTILE, False, [], [], "id", unsupported=[HOSTILE]))
        await pilot.pause()
        shown = [str(w.render()) for w in app.query("QuestionMessage, SourceItem, Notice")]
        assert all("[bold]tebal[/bold]" in text and "[link=x]l[/link]" in text for text in shown)
        assert not any(FORBIDDEN.search(text) for text in shown)
        assert not FORBIDDEN.search(answer.text) and answer._open_links is False
