"""The streamed answer is the checked answer: no link and no citation number is ever shown that the
final answer does not hold, however the model's output is cut into chunks."""

from __future__ import annotations

import random

import pytest

from assistant.checked_stream import CheckedStream
from assistant.citations import filter_citations, repair_citations
from assistant.untrusted import strip_links

PASSAGES = {
    1: "Korea Utara untuk pertama kalinya mengakui pengiriman pasukan ke Rusia pada April 2025.",
    2: "Kim Jong Un memerintahkan pengiriman pasukan ke wilayah Kursk.",
}
QUESTION = "Siapa yang memerintahkan pengiriman pasukan?"
ANSWERS = [
    "Kim Jong Un memerintahkan pengiriman pasukan ke wilayah Kursk [1]. Pengakuan itu disampaikan pada April 2025 [1].",
    "Lihat https://evil.example/a?b=c untuk rinciannya [2]. Baca [di sini](http://evil.example/x) sekarang.",
    "Kim Jong Un memerintahkan pengiriman pasukan. [2] [1] Itu terjadi di Kursk [9].",
    "Harga naik 10.000 rupiah [1]\nKim Jong Un memerintahkan [2]",
    # the marker after the period, pointing at the wrong passage: repaired to "… Kursk [2]."
    "Kim Jong Un memerintahkan pengiriman pasukan ke wilayah Kursk. [1] Itu diakui pada April 2025.",
    "",
]


def _stream(text: str, seed: int) -> list[str]:
    rnd = random.Random(seed)
    stream = CheckedStream(PASSAGES, QUESTION)
    shown, i = [], 0
    while i < len(text):
        step = rnd.randint(1, 6)
        shown.append(stream.feed(text[i : i + step]))
        i += step
    shown.append(stream.flush())
    assert "".join(shown) == stream.text
    return shown


@pytest.mark.parametrize("text", ANSWERS)
def test_what_streams_is_the_final_checked_answer(text):
    # what the answer was before it streamed checked: markers of passages that do not exist dropped,
    # then links removed and citations repaired on the whole text
    expected = repair_citations(strip_links(filter_citations(text, len(PASSAGES))[0]), PASSAGES, QUESTION).strip()
    for seed in range(20):
        assert "".join(_stream(text, seed)).strip() == expected


@pytest.mark.parametrize("text", [ANSWERS[0], ANSWERS[4]])
def test_a_wrong_citation_is_never_shown(text):
    # the sentence names Kim Jong Un and Kursk, found only in passage 2: [1] is repaired to [2]
    for seed in range(20):
        shown = _stream(text, seed)
        first = "".join(shown).split(". ")[0]
        assert first.endswith("[2]"), shown
        upto = next(i for i, chunk in enumerate(shown) if "[2]" in chunk)
        assert not any("[1]" in chunk for chunk in shown[:upto])


def test_links_are_never_shown_and_link_text_is_kept():
    for seed in range(10):
        shown = _stream(ANSWERS[1], seed)
        assert not any("http" in chunk or "evil" in chunk for chunk in shown)
        assert "di sini" in "".join(shown)


def test_prose_streams_before_its_sentence_ends():
    stream = CheckedStream(PASSAGES, QUESTION)
    assert stream.feed("Kim Jong Un memerintahkan ") == "Kim Jong Un"
    assert stream.feed("pengiriman pasukan [") == " memerintahkan pengiriman"
    assert stream.feed("1].") == " pasukan"  # the marker waits for the sentence's end to be checked
    assert stream.flush() == " [2]."
