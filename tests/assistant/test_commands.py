"""How ``assistant --ask`` shows an answer, as snapshots (syrupy; update with ``--snapshot-update``): a cited
answer with two sources, a declined one and an extractive one (the LLM failed), each on a terminal (Rich
styles, escape shown as ``␛``), in a pipe (plain text) and as ``--json``. The answers are built by hand:
no model, no store, no dates from now, no timings."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from assistant import commands
from assistant.app import Assistant
from assistant.chain import refusal_text
from assistant.extractive import extractive_answer
from assistant.settings import Settings
from assistant.terminal import print_json
from assistant.types import Answer, Check, Event, EvidenceQuote, Source

KOMPAS = Source(
    n=1,
    article_id="a-kompas",
    source="https://www.kompas.com/global/read/2025/04/28/korea-utara-akui-kirim-pasukan",
    title="Korea Utara Akui Kirim Pasukan ke Rusia",
    date="2025-04-28T10:21:00+07:00",
    passage="North Korea confirmed on Monday that it sent troops to Russia's Kursk region. The troops fought "
    "on the orders of Kim Jong Un, the state news agency KCNA said.",
    start=0,
    end=160,
    score=0.83,
    passage_id="a-kompas:v1:0",
    outlet="Kompas",
    also_reported_by=[{"article_id": "a-tempo", "outlet": "Tempo", "source": "https://tempo.co/x",
                       "title": "Pyongyang Confirms Troops", "date": "2025-04-28"}],
    lang="en",
    evidence_score=0.91,
)
ANTARA = Source(
    n=2,
    article_id="a-antara",
    source="/articles/antara-korea-utara.pdf",
    title="Pyongyang Confirms Troops in Kursk",
    date="2025-04-29",
    passage="Kim Jong Un ordered the deployment, KCNA reported, calling it a duty under the treaty with Moscow.",
    start=420,
    end=523,
    score=0.71,
    passage_id="a-antara:v1:3",
    outlet="ANTARA News",
    lang="en",
    evidence_score=0.64,
)
PAGES = {"a-antara:v1:3": 2}  # the PDF's passage starts on page 2


def cited() -> tuple[Answer, list[Event]]:
    """An answer citing both sources, after an evidence sentence, its checks passed."""
    text = "Yes. North Korea confirmed that it sent troops to Russia's Kursk region [1], on Kim Jong Un's orders [2]."
    evidence = EvidenceQuote(1, "North Korea confirmed on Monday that it sent troops to Russia's Kursk region.", 0,
                             76, 0.91)
    answer = Answer("Did North Korea send troops to Russia?", text, False, [1, 2], [KOMPAS, ANTARA], "en",
                    evidence=evidence, answer_type="yes_no",
                    checks=[Check("answer_type", True), Check("grounded", True)])
    tokens = [Event("token", text=piece) for piece in re.findall(r"\S+\s*", text)]  # word by word
    return answer, [Event("sources", sources=answer.sources), Event("evidence", evidence=evidence), *tokens,
                    Event("done", answer=answer)]


def declined() -> tuple[Answer, list[Event]]:
    """A refusal naming the closest article (too weak a match to answer from)."""
    question = "What did the fisheries ministry announce about tuna quotas?"
    weak = replace(KOMPAS, score=0.21, evidence_score=0.05, also_reported_by=[])
    text = refusal_text("en", [weak])
    answer = Answer(question, text, True, [], [weak], "en")
    return answer, [Event("sources", sources=[weak]), Event("token", text=text), Event("done", answer=answer)]


def extractive() -> tuple[Answer, list[Event]]:
    """The LLM could not be reached: the best sentences of the passages, labelled and cited."""
    question = "Kapan Korea Utara mengakui pengiriman pasukan ke Rusia?"
    sources = [KOMPAS, ANTARA]
    text, cited_numbers = extractive_answer(question, "id", sources)
    reason = "cannot reach the LLM server (ConnectError: [Errno 111] Connection refused)"
    answer = Answer(question, text, False, cited_numbers, sources, "id", extractive=True, llm_error=reason)
    return answer, [Event("sources", sources=sources), Event("llm_error", text=reason), Event("token", text=text),
                    Event("done", answer=answer)]


ANSWERS = {"cited": cited, "declined": declined, "extractive": extractive}


class PagedStore:
    """The one store call the answer's pages need: passages by id, with their page metadata."""

    def get_passages(self, ids: list[str]) -> list[Any]:
        return [SimpleNamespace(passage_id=i, metadata={"page": PAGES[i]} if i in PAGES else {}) for i in ids]


def _facade() -> Assistant:
    return Assistant(Settings(), services=SimpleNamespace(store=PagedStore()))  # type: ignore[arg-type]


def _console(stream: io.StringIO, terminal: bool) -> Console:
    """A console like ``commands.out``/``err``, fixed: width, colours, terminal or pipe."""
    return Console(file=stream, width=100, force_terminal=terminal, color_system="standard" if terminal else None,
                   no_color=False, highlight=False, soft_wrap=True, legacy_windows=False)


def _render(monkeypatch: pytest.MonkeyPatch, name: str, terminal: bool) -> dict[str, str]:
    """What ``assistant --ask`` prints for the answer ``name``: the streamed answer, then its sources."""
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(commands, "out", _console(stdout, terminal))
    monkeypatch.setattr(commands, "err", _console(stderr, terminal))
    built, events = ANSWERS[name]()
    answer = commands.render_stream(iter(events))
    assert answer is built
    commands.print_sources(answer.sources, answer.citations, _facade().source_pages(answer.sources))
    return {"stdout": stdout.getvalue().replace("\x1b", "␛"), "stderr": stderr.getvalue().replace("\x1b", "␛")}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_an_answer_in_a_pipe(monkeypatch, snapshot, name):
    assert _render(monkeypatch, name, terminal=False) == snapshot


@pytest.mark.parametrize("name", list(ANSWERS))
def test_an_answer_on_a_terminal(monkeypatch, snapshot, name):
    assert _render(monkeypatch, name, terminal=True) == snapshot


@pytest.mark.parametrize("name", list(ANSWERS))
def test_an_answer_as_json(capsys, snapshot, name):
    answer, _ = ANSWERS[name]()
    print_json(_facade().answer_json(answer))
    assert capsys.readouterr().out == snapshot
