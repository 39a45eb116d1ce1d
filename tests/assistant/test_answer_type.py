"""The question-word table: what a question asks for, in the languages of the eval sets."""

import pytest

from assistant.answer_type import answer_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?", "person"),
        ("Kapan Korea Utara mengakui pengiriman pasukan?", "date"),
        ("Tahun berapa bendungan itu diresmikan?", "date"),
        ("Berapa jumlah pasukan yang dikirim?", "number"),
        ("Di mana pasukan itu ditempatkan?", "place"),
        ("Mengapa Korea Utara mengirim pasukan?", "reason"),
        ("Organisasi apa yang merestui Tony bermain untuk AS?", "organisation"),
        ("Who ordered the troops to be sent?", "person"),
        ("When did North Korea first admit sending troops to Russia?", "date"),
        ("What year did Börte give birth to Jochi?", "date"),
        ("How many people were on the test flight?", "number"),
        ("What is malum in se?", "definition"),
        ("Wer hat die Truppen geschickt?", "person"),
        ("Wie viele Quadratkilometer umfasst das Amazonasbecken?", "number"),
        ("¿Cuándo se fundó la Oficina de Medicina Occidental?", "date"),
        ("Кто руководил нападением?", "person"),
        ("Πόσα έργα δώρισε ο Τζον Σίπσανκς;", "number"),
        ("İkbal hangi yılda Lahor’a geri döndü?", "date"),
        ("Ai lãnh đạo sự mở rộng nhanh nhất của Đế quốc Mông Cổ?", "person"),
        ("南非学校法案是哪一年通过的?", "date"),
        ("في أي سنة تم التوقيع على معاهدة ماسترخت؟", "date"),
        ("पूर्व जर्मनी का अंतिम प्रधानमंत्री कौन था ?", "person"),
        ("ใครชนะในการแข่งขัน", "person"),
    ],
)
def test_question_words(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Where is Brazil ranked globally in soybean production?", "number"),  # t0233: a rank, not a place
        ("Welchen Rang hat der Flughafen in der Liste der größten Flughäfen?", "number"),
        ("Peringkat berapa Brasil dalam produksi kedelai?", "number"),
        ("Бразилия на каком месте по производству сои?", "number"),
        ("巴西大豆产量排名第几?", "number"),
        ("Where is the Eiffel Tower?", "place"),
        ("What position does he play?", "other"),
    ],
)
def test_rank_questions_ask_for_a_number(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # "when" after another question word opens a clause (t0501, t0161)
        ("What body of water sat to the west of the Mongol Empire when Genghis Khan died?", "other"),
        ("Who was king when the war began?", "person"),
        ("How many people died when the dam broke?", "number"),
        ("Care este tactica uzuală de negociere atunci când sunt arestate mai mult persoane?", "other"),
        ("When did the war begin?", "date"),
        ("Când a murit Priestley?", "date"),
        # question words found inside other words (t0760: "ντεμπούτο" holds "πού"; Romanian "mai " holds "ai ")
        ("Ποιο ήταν το παρακλάδι που έκανε το ντεμπούτο του στο ABC;", "other"),
        ("Πού πήγε ο Kenyatta;", "place"),
        ("Người sáng lập là ai?", "person"),
    ],
)
def test_question_words_inside_clauses_and_words_do_not_count(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Apa nama komite yang diketuai oleh Prof Sri Redjeki?", "other"),  # t0097: "diketuai " held "ai "
        ("Apakah nama badan yang dikepalai Kepala Dr Dedy Darnedi?", "other"),
        ("Trát Mộc Hợp đã hỗ trợ ai?", "person"),
    ],
)
def test_vietnamese_ai_is_a_word_not_a_word_ending(question, kind):
    assert answer_type(question) == kind
