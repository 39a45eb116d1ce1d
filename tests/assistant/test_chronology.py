"""The note saying which cited report is newer, written by the application in the question's language."""

from assistant.chain import Source
from assistant.chronology import dates_note


def _src(n, article, date, outlet=""):
    return Source(n, article, f"https://x/{article}", f"Judul {article}", date, "teks", 0, 4, 0.9, outlet=outlet)


SOURCES = [
    _src(1, "a", "2025-05-03T08:15:00+07:00", "Kompas.com"),
    _src(2, "b", "2025-06-10T07:30:00+07:00", "Tempo.co"),
    _src(3, "c", None),
    _src(4, "a", "2025-05-03T08:15:00+07:00", "Kompas.com"),
]


def test_newest_and_oldest_in_the_question_language():
    note = dates_note(SOURCES, [1, 2, 3], "id")
    assert note == (
        "Laporan yang dikutip terbit pada waktu berbeda: yang terbaru [2] Tempo.co (2025-06-10), "
        "yang terlama [1] Kompas.com (2025-05-03)."
    )
    assert dates_note(SOURCES, [2, 1], "en").startswith("The cited reports were published at different times")
    assert dates_note(SOURCES, [2, 1], "xx").startswith("The cited reports")  # no translation: English


def test_same_day_reports_show_the_time():
    same_day = [_src(1, "a", "2025-05-03T08:15:00"), _src(2, "b", "2025-05-03T10:00:00")]
    assert "(2025-05-03 10:00)" in dates_note(same_day, [1, 2], "en")


def test_no_note_for_one_article_or_undated_or_uncited():
    assert dates_note(SOURCES, [1, 4], "id") is None  # two passages of one article
    assert dates_note(SOURCES, [1, 3], "id") is None  # the other is undated
    assert dates_note(SOURCES, [], "id") is None
