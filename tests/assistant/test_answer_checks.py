"""The checks run on a generated answer: what it holds, and whether its facts are in its cited passages."""

import pytest

from assistant.answer_checks import check_answer, check_grounded, check_type, number_values
from assistant.dangling import dangling_word

KIM = "Keputusan ini dilakukan atas perintah langsung dari Pemimpin Korea Utara, Kim Jong Un."


def test_numbers_match_across_conventions():
    assert number_values("Rp 2,1 triliun") & number_values("2.1 trillion rupiah")
    assert {27.0, 4.0, 2025.0} <= number_values("27/4/2025")
    assert number_values("2.100 orang") & number_values("2,100 people")


def test_an_answer_that_only_repeats_the_question_fails():
    check = check_type("The Liber servitoris was authored by [1].", "Who authored the Liber servitoris?", "person")
    assert not check.ok


@pytest.mark.parametrize(
    ("answer", "question", "kind", "ok"),
    [
        ("Kim Jong Un memerintahkannya [1].", "Siapa yang memerintahkan pengiriman pasukan?", "person", True),
        ("Pengiriman dilakukan atas perintah langsung [1].", "Siapa yang memerintahkan pengiriman?", "person", False),
        ("Pada 28 April 2025 [1].", "Kapan Korea Utara mengakuinya?", "date", True),
        ("Korea Utara mengakuinya secara resmi [1].", "Kapan Korea Utara mengakuinya?", "date", False),
        ("Sebanyak 314 juta meter kubik [1].", "Berapa air yang ditampung?", "number", True),
        ("Unmanned [1].", "How many people were on the test flight?", "number", True),
        ("北京 [1]", "首都在哪里？", "place", True),
    ],
)
def test_answer_type(answer, question, kind, ok):
    assert check_type(answer, question, kind).ok is ok


def test_a_copied_fact_is_grounded_and_an_invented_number_is_not():
    question = "Siapa yang memerintahkan pengiriman pasukan?"
    assert check_grounded("Kim Jong Un memerintahkan pengiriman pasukan [1].", question, [KIM], True).ok
    bad = check_grounded("Sebanyak 12.000 tentara dikirim [1].", question, [KIM], True)
    assert not bad.ok and "12.000" in bad.detail


def test_names_are_checked_only_in_the_passages_language():
    # an English answer translates "Korea Utara": its names are not looked up in Indonesian text
    english = "Kim Jong Un, the leader of North Korea, ordered it [1]."
    assert check_grounded(english, "Who ordered the troops to be sent?", [KIM], False).ok
    assert not check_grounded("Vladimir Putin memerintahkannya [1].", "Siapa?", [KIM], True).ok


def test_month_names_are_not_taken_for_names():
    assert check_grounded("Pada 27 April 2025 [1].", "Kapan?", ["diumumkan pada 27/4/2025"], True).ok


def test_an_answer_without_citation_is_not_grounded():
    checks = check_answer("Kim Jong Un.", "Siapa?", "person", [], True)
    assert [c.name for c in checks if not c.ok] == ["grounded"]


HINDI_METRO = "यह 1980 और 1984 के बीच पांच चरणों में खोला गया था, और यह ब्रिटेन की पहली शहरी लाइट रेल ट्रान्जिट प्रणाली थी"


def test_a_digit_is_grounded_by_the_same_number_written_as_a_word():
    # t0409: the Hindi passage writes 5 as पांच; an invented 6 still fails
    question = "How many phases was the Metro opened in between 1980 and 1984?"
    assert check_grounded(
        "The Metro opened in 1980 and 1984, with 5 phases in total [1].", question, [HINDI_METRO], False
    ).ok
    bad = check_grounded("The Metro opened in 6 phases [1].", question, [HINDI_METRO], False)
    assert not bad.ok and "6" in bad.detail


@pytest.mark.parametrize(
    ("answer", "passage"),
    [
        ("5 [1]", "Es wurde in fünf Phasen eröffnet."),
        ("17 [1]", "Se construyó en diecisiete meses."),
        ("20 [1]", "Sebanyak dua puluh orang hadir."),
        ("12 [1]", "Ο σταθμός έχει δώδεκα αποβάθρες."),
        ("5 [1]", "Открыт в пяти этапах."),
        ("5 [1]", "افتتح على خمس مراحل"),
        ("15 [1]", "Có mười lăm nhà ga."),
        ("17 [1]", "共有十七个站"),
        ("350 [1]", "长三百五十米"),
        ("15 [1]", "มีสิบห้าสถานี"),
        ("100 [1]", "Yüz yıl sürdü."),
        ("1000 [1]", "Il y avait mille soldats."),
        ("90 [1]", "quatre-vingt-dix ans"),
        ("3 million [1]", "tiga juta jiwa"),
    ],
)
def test_number_words_of_each_language_ground_digits(answer, passage):
    assert check_grounded(answer, "?", [passage], False).ok


def test_a_number_word_in_the_answer_is_grounded_by_digits():
    assert check_grounded("It opened in five phases [1].", "How many phases?", ["opened in 5 phases"], True).ok


def test_other_scripts_digits_and_arabic_separators_are_read_as_values():
    assert {1980.0, 5.0} <= number_values("१९८० और ५")
    assert 2568.0 in number_values("๒๕๖๘")
    assert 3.5 in number_values("٣٫٥ مليون")
    assert 1234.0 in number_values("١٬٢٣٤")


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("Brasilien is ranked second globally in soybean production. [1]", "Where is Brazil ranked globally?"),
        ("Der Flughafen ist der drittgrößte der Welt [1].", "Welchen Rang hat der Flughafen?"),
        ("Brasil berada di peringkat kedua [1].", "Peringkat berapa Brasil?"),
        ("Brazil ranks 2nd [1].", "Where is Brazil ranked?"),
        ("Türkiye ikinci sırada [1].", "Türkiye kaçıncı sırada?"),
    ],
)
def test_an_ordinal_answers_a_rank_question(answer, question):
    assert check_type(answer, question, "number").ok


def test_a_rank_answer_without_an_ordinal_fails():
    assert not check_type("Brazil is a big soybean producer [1].", "Where is Brazil ranked?", "number").ok


@pytest.mark.parametrize(
    ("answer", "question", "kind"),
    [
        (
            "The branch of theoretical computer science that deals with broadly classifying computational problems "
            "by difficulty and class of relationship is [1].",  # t0674: passed as 'other' ("that" was new)
            "What branch of theoretical computer science deals with broadly classifying computational problems by "
            "difficulty and class of relationship?",
            "other",
        ),
        ("The Liber servitoris was authored by [1].", "Who authored the Liber servitoris?", "other"),
        ("The oldest person who can apply to be an MSP is [1] [2][3].", "How old must a person be?", "number"),
        ("Penemu mesin uap adalah [1].", "Siapa penemu mesin uap?", "person"),
        ("Buku itu ditulis oleh [2].", "Buku itu ditulis oleh siapa?", "person"),
        ("Bendungan itu diresmikan pada [1].", "Kapan bendungan itu diresmikan?", "date"),
        ("El libro fue escrito por [1].", "¿Quién escribió el libro?", "person"),
        ("Автором книги является [1].", "Кто автор книги?", "person"),
        ("这本书的作者是[1]。", "这本书的作者是谁？", "person"),
    ],
)
def test_a_sentence_that_stops_where_the_entity_should_be_is_found(answer, question, kind):
    # the digest's written sentences are checked with it (no question there to compare with)
    assert dangling_word(answer) is not None


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        (
            "The branch of theoretical computer science that deals with broadly classifying computational "
            "problems by difficulty and class of relationship is [1].",
            "What branch of theoretical computer science deals with broadly classifying computational problems "
            "by difficulty and class of relationship?",
        ),
        ("The Liber servitoris was authored by [1].", "Who authored the Liber servitoris?"),
        ("Penemu mesin uap adalah [1].", "Siapa penemu mesin uap?"),
    ],
)
def test_an_answer_that_leaves_out_the_entity_only_repeats_the_question(answer, question):
    # answers are not judged by their last word (on eval-train it caught nothing the repeat test misses);
    # "adalah" says nothing where the collection calls it frequent
    check = check_type(answer, question, "other", common=lambda words: {"adalah"} & set(words))
    assert not check.ok and "repeats the question" in check.detail


@pytest.mark.parametrize(
    "answer",
    [
        "It was written by A. Smith [1].",
        "Alat itu adalah Dunia maya [1].",
        "The Victorian era [1].",
        "The plague may have entered Europe in two waves [1].",
        "The strains of y. pestis suggest that the plague came twice [1].",  # t0217: "y." is an abbreviation
    ],
)
def test_sentences_that_end_in_content_or_an_initial_pass(answer):
    assert check_type(answer, "What is it?", "other").ok


def test_a_sentence_that_repeats_the_question_with_a_function_word_fails():
    question = "What branch of computer science deals with classifying problems?"
    check = check_type("The branch of computer science that deals with classifying problems [1].", question, "other")
    assert not check.ok and "repeats" in check.detail


def test_an_apostrophe_keeps_a_word_whole():
    assert dangling_word("Nuh adalah seorang rasul yang diceritakan dalam Alkitab dan Al-Qur'an [1].") is None
