from hypothesis import given, settings
from hypothesis import strategies as st

from vectorstore.chunking import chunk_article, sentence_spans
from vectorstore.documents import Article


def test_offsets_round_trip_on_sample(sample_article):
    passages = chunk_article(sample_article, size=500, overlap=150)
    assert len(passages) > 3
    for p in passages:
        assert sample_article.text[p.start : p.end] == p.text
        assert len(p.text) <= 500
    assert [p.index for p in passages] == list(range(len(passages)))


def test_passages_cover_every_sentence(sample_article):
    passages = chunk_article(sample_article, size=400, overlap=100)
    for start, end in sentence_spans(sample_article.text):
        assert any(p.start <= start and end <= p.end for p in passages) or end - start > 400


def test_overlap_repeats_short_trailing_sentences():
    text = "Satu dua tiga. Empat lima. Enam tujuh delapan sembilan sepuluh. Sebelas dua belas."
    passages = chunk_article(Article("x", text), size=45, overlap=30)
    assert len(passages) >= 2
    assert passages[1].start < passages[0].end  # shares a sentence with the previous passage


def test_sentence_split_handles_cjk_and_quotes():
    text = "他说。我们走吧！好的 “Yes.” Next one"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans[0] == "他说。"
    assert "“Yes.”" in spans[2]


def test_long_sentence_without_spaces_is_cut():
    text = "字" * 2000
    passages = chunk_article(Article("x", text), size=300, overlap=0)
    assert all(len(p.text) <= 300 for p in passages)
    assert "".join(p.text for p in passages) == text


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=3000), st.integers(100, 900), st.integers(0, 200))
def test_offsets_always_round_trip(text, size, overlap):
    article = Article("x", text)
    for p in chunk_article(article, size=size, overlap=overlap):
        assert text[p.start : p.end] == p.text
        assert p.text.strip() == p.text and p.text
