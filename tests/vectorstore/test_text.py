"""The shared text rules (vectorstore.text): one sentence splitter, one table of scripts without
spaces, one control-character rule."""

from __future__ import annotations

from vectorstore.text import (
    BIDI_CONTROLS,
    NO_SPACE_RUN,
    control_pattern,
    is_no_space_script,
    sentence_spans,
    split_sentences,
)


def test_a_period_inside_a_token_does_not_end_a_sentence():
    text = "Sebanyak 10.000 tentara dikirim. Nilainya 3,5 persen (detik.com). Selesai!"
    assert split_sentences(text) == ["Sebanyak 10.000 tentara dikirim.", "Nilainya 3,5 persen (detik.com).", "Selesai!"]


def test_spans_point_into_the_text():
    text = '  Dia berkata, "Pergi!"  Lalu pergi…\nBaris baru。次の文'
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ['Dia berkata, "Pergi!"', "Lalu pergi…", "Baris baru。", "次の文"]


def test_answer_sentences_keep_their_markers():
    text = "Kim Jong Un memerintahkannya. [1] Pasukan tiba pada 10.000 titik.[2][3] Sisanya [4]."
    spans = sentence_spans(text, markers=True)
    assert [text[a:b] for a, b in spans] == [
        "Kim Jong Un memerintahkannya. [1]",
        "Pasukan tiba pada 10.000 titik.[2][3]",
        "Sisanya [4].",
    ]
    # without markers (passages), a marker after a space starts the next sentence, as it always did
    assert split_sentences("Satu. [1] Dua.") == ["Satu.", "[1] Dua."]


def test_one_table_of_scripts_written_without_spaces():
    for word in ("ภาษาไทย", "ພາສາລາວ", "မြန်မာ", "ភាសាខ្មែរ", "ひらがな", "中文", "한국어"):
        assert is_no_space_script(word), word
        assert NO_SPACE_RUN.fullmatch(word)
    assert not is_no_space_script("bahasa") and not is_no_space_script("")


def test_key_terms_use_the_table_for_myanmar_and_khmer():
    from assistant.citations import key_terms

    # scripts without spaces are compared by character bigrams (Myanmar and Khmer were missing here);
    # letters only: the keyword tokenizer's \w leaves out their vowel signs (stored tokens, kept as they are)
    assert {"កខ", "ខគ"} <= key_terms("កខគ")
    assert {"ကခ", "ခဂ"} <= key_terms("ကခဂ")


def test_one_control_character_rule():
    ingest = control_pattern("\u200b\ufeff")
    terminal = control_pattern(BIDI_CONTROLS)
    text = "a\x1b[31mb\x1b]0;title\x07c\x00\x07\x7f\x85\td\ne\u200b\ufeff\u202e"
    assert ingest.sub("", text) == "abc\td\ne\u202e"
    assert terminal.sub("", text) == "abc\td\ne\u200b\ufeff"
