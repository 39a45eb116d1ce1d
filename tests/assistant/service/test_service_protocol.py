"""The service's wire format and its turn-taking, without models."""

import threading
import time

import pytest

from assistant.service.http import Turns
from assistant.service.protocol import answer_from_json, event_from_json, event_json, settings_key
from assistant.service.server import ServiceError, is_loopback, parse_address
from assistant.settings import load_settings
from assistant.types import Answer, Check, Event, EvidenceQuote, Source


def _source(n: int = 1) -> Source:
    return Source(n, "a1", "/x.txt", "Judul", "2025-04-29", "Kim Jong Un memerintahkan.", 10, 36, 0.8, "p1", 2.0)


def test_events_round_trip():
    quote = EvidenceQuote(1, "Kim Jong Un memerintahkan.", 10, 36, 0.91)
    answer = Answer("Siapa?", "Kim Jong Un. [1]", False, [1], [_source()], "id", checks=[Check("grounded", True)])
    answer.evidence = quote
    data = answer.to_json()
    for event in (Event("token", text="Kim"), Event("sources", sources=[_source()]), Event("evidence", evidence=quote)):
        back = event_from_json(event_json(event))
        assert back.kind == event.kind and back.text == event.text and back.evidence == event.evidence
        assert [s.passage for s in back.sources] == [s.passage for s in event.sources]
    done = event_from_json(event_json(Event("done", answer=answer), data))
    assert done.answer is not None
    assert done.answer.answer == answer.answer and done.answer.citations == [1]
    assert done.answer.evidence == quote and done.answer.checks == [Check("grounded", True)]
    assert done.answer.sources[0].title == "Judul"


def test_answer_json_with_pages_and_filter_reads_back():
    data = Answer("q", "a", True, [], [_source()], "en").to_json()
    data["sources"][0]["page"] = 3
    data["filter"] = None
    assert answer_from_json(data).declined


def test_settings_key_ignores_what_does_not_change_answers():
    base = load_settings()
    assert settings_key(base) == settings_key(base.model_copy(update={"service_idle_timeout": 5.0}))
    assert settings_key(base) != settings_key(base.model_copy(update={"top_k": 3}))


def test_turns_run_in_arrival_order_and_tell_positions():
    turns = Turns()
    order: list[str] = []
    told: dict[str, list[int]] = {"b": [], "c": []}
    first = threading.Event()

    def run(name: str) -> None:
        with turns.turn(on_wait=lambda ahead: told.setdefault(name, []).append(ahead)):
            order.append(name)
            if name == "a":
                first.set()
                time.sleep(0.3)

    a = threading.Thread(target=run, args=("a",))
    a.start()
    first.wait()
    b = threading.Thread(target=run, args=("b",))
    b.start()
    time.sleep(0.05)
    c = threading.Thread(target=run, args=("c",))
    c.start()
    for t in (a, b, c):
        t.join()
    assert order == ["a", "b", "c"]
    assert told["b"][0] == 1 and told["c"][0] == 2
    assert turns.waiting == 0


def test_a_caller_that_gives_up_waiting_passes_its_turn_on():
    turns = Turns()
    cancelled = threading.Event()
    got: list[str] = []
    with turns.turn():
        waiter = threading.Thread(target=lambda: _give_up(turns, cancelled, got))
        waiter.start()
        time.sleep(0.1)
        cancelled.set()
        waiter.join()
    with turns.turn():  # would wait forever if the abandoned ticket kept its place
        got.append("next")
    assert got == ["gave up", "next"]


def _give_up(turns: Turns, cancelled: threading.Event, got: list[str]) -> None:
    try:
        with turns.turn(cancelled=cancelled):
            got.append("ran")
    except TimeoutError:
        got.append("gave up")


def test_addresses():
    assert parse_address("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert parse_address("[::1]:80") == ("::1", 80)
    for bad in ("8765", "host:", ":80", "h:99999"):
        with pytest.raises(ServiceError):
            parse_address(bad)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")
