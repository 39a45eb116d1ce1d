"""Questions about the latest state: which ones, newest evidence first, and the "as of" note."""

from datetime import UTC, datetime

from assistant.recency import as_of_note, asks_latest, newest_first
from assistant.types import Source


def _source(n: int, date: str | None) -> Source:
    return Source(n, f"a{n}", f"/{n}.txt", "t", date, "p", 0, 1, 0.5)


def test_which_questions_ask_for_the_latest_state():
    assert asks_latest("Berapa korban tewas terbaru banjir Sukabumi?", "id")
    assert asks_latest("Apakah warga masih mengungsi?", "id")
    assert asks_latest("What is the latest death toll?", "en")
    assert asks_latest("Wie ist der aktuelle Stand?", "de")
    assert asks_latest("What is the death toll now?", "id")  # English words count in any language
    assert not asks_latest("Berapa korban tewas banjir Sukabumi?", "id")
    assert not asks_latest("Who knows the nowhere man?", "en")  # whole words only


def test_newest_first_keeps_undated_last_in_their_order():
    items = [_source(1, "2025-05-06T09:15:00"), _source(2, None), _source(3, "2025-05-09T10:30:00"), _source(4, None)]
    assert [s.n for s in newest_first(items, lambda s: s.date)] == [3, 1, 2, 4]


def test_as_of_names_the_newest_cited_report_and_says_when_it_is_old():
    sources = [_source(1, "2025-05-06T09:15:00"), _source(2, "2025-05-09T10:30:00"), _source(3, "2025-06-01")]
    today = datetime(2025, 5, 10, tzinfo=UTC)
    assert as_of_note(sources, [1, 2], "en", today) == "As of 2025-05-09 (the newest cited report)."
    old = as_of_note(sources, [1], "id", datetime(2025, 7, 1, tzinfo=UTC))
    assert old.startswith("Per 2025-05-06") and "55 hari" in old
    assert as_of_note([_source(1, None)], [1], "en", today) is None
    assert as_of_note(sources, [1], "ja", today).startswith("As of")  # no note of its own: English
