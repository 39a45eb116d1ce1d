from assistant.citations import StreamingCitationFilter, filter_citations


def test_invalid_citations_are_dropped():
    text, cited = filter_citations("Kim Jong Un memerintahkannya [2]. Lainnya [7]. Juga [1, 9].", 3)
    assert text == "Kim Jong Un memerintahkannya [2]. Lainnya. Juga [1]."
    assert cited == [2, 1]


def test_ranges_and_adjacent_markers():
    text, cited = filter_citations("A [1-3]. B [2][3].", 5)
    assert cited == [1, 2, 3]
    assert "[1][2][3]" in text


def test_non_citation_brackets_are_left_alone():
    text, cited = filter_citations("Lihat [catatan] dan [2020 data].", 3)
    assert text == "Lihat [catatan] dan [2020 data]."
    assert cited == []


def test_streaming_never_shows_an_invalid_marker():
    f = StreamingCitationFilter(2)
    shown = "".join(f.feed(t) for t in ["Jawab", "an [", "1", "] dan [", "5", "] selesai", " [2", "]"]) + f.flush()
    assert shown == "Jawaban [1] dan selesai [2]"
    assert f.cited == [1, 2]


def test_streaming_unclosed_bracket_is_flushed():
    f = StreamingCitationFilter(2)
    assert f.feed("harga [naik") == "harga"
    assert f.flush() == " [naik"


def test_support_check_marks_uncited_and_unsupported_sentences():
    from assistant.citations import unsupported_sentences

    passages = {
        1: "Pasukan Korea Utara membantu merebut kembali wilayah Kursk.",
        2: "Keputusan itu atas perintah langsung dari Pemimpin Korea Utara, Kim Jong Un.",
    }
    text = (
        "Pemimpin Korea Utara, Kim Jong Un, memberi perintah langsung [2]. "
        "Harga beras naik 10 persen [1]. Tanpa sumber."
    )
    assert unsupported_sentences(text, passages) == ["Harga beras naik 10 persen.", "Tanpa sumber."]


def test_support_check_for_chinese():
    from assistant.citations import unsupported_sentences

    passages = {1: "维多利亚的主要政党包括中左翼的 澳大利亚工党"}
    assert unsupported_sentences("维多利亚的主要政党包括工党 [1]。", passages) == []
    assert unsupported_sentences("东京的人口很多 [1]。", passages) == ["东京的人口很多。"]


def test_a_sentence_copied_from_its_cited_passage_is_never_flagged():
    from assistant.citations import unsupported_sentences

    passage = "Pembangunan bendungan menelan biaya Rp 2,1 triliun dan dikerjakan sejak 2016. Ini (dia) berbeda."
    copied = "Pembangunan bendungan menelan biaya Rp 2,1 triliun dan dikerjakan sejak 2016 [1]. Ini (dia) berbeda [1]."
    assert unsupported_sentences(copied, {1: passage}) == []
    assert unsupported_sentences("Biaya bendungan Rp 9 triliun untuk jalan tol baru [1].", {1: passage}) != []


def test_a_citation_closing_a_paragraph_covers_its_uncited_sentences():
    from assistant.citations import unsupported_sentences

    passage = "Kalimat majemuk punya dua pola. Induknya tidak memuat konjungsi."
    answer = "Kalimat majemuk punya dua pola. Induknya tidak memuat konjungsi [1]."
    assert unsupported_sentences(answer, {1: passage}) == []
    assert unsupported_sentences("Harga cabai naik.\nKalimat majemuk punya dua pola [1].", {1: passage}) == [
        "Harga cabai naik."
    ]


def test_a_translated_sentence_is_supported_by_the_closest_passage():
    from assistant.citations import unsupported_sentences

    passages = {1: "Luther memperluas serangannya pada musim panas 1521.", 2: "Harga cabai naik."}

    def similarity(sentence, passage):  # cross-lingual cosines are lower than same-language ones
        return 0.85 if "Luther" in passage else 0.75

    answer = "Luther broadened his attacks in the summer of 1521 [1]."
    assert unsupported_sentences(answer, passages, similarity) == []
    assert unsupported_sentences("Luther broadened his attacks in the summer [2].", passages, similarity) != []
