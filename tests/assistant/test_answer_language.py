"""The answer-language check and the translated-quote guard."""

import pytest

from assistant.answer_language import check_language, faithful_translation, written_language

pytestmark = pytest.mark.unit


def test_a_passage_copied_in_its_own_language_fails_for_an_english_question():
    check = check_language("Casi todos los ctenóforos son depredadores y se alimentan de presas [1].", "en")
    assert not check.ok and "'es'" in check.detail


def test_a_name_quoted_as_the_article_writes_it_does_not_count():
    answer = 'The sermon warned against the dangers of drinking; its title is "Использование денег" [3].'
    assert check_language(answer, "en").ok


def test_short_answers_are_not_judged():
    assert written_language("Kim Jong Un [1].", "en") is None
    assert check_language("Kim Jong Un [1].", "en").ok


def test_an_indonesian_answer_to_an_indonesian_question_passes():
    assert check_language("Pengiriman pasukan dilakukan atas perintah langsung Kim Jong Un [2].", "id").ok


def test_a_faithful_translation_keeps_the_numbers():
    source = "यह 1980 और 1984 के बीच पांच चरणों में खोला गया था।"
    assert faithful_translation(source, "It was opened in five phases between 1980 and 1984.", "en")
    assert faithful_translation(source, "It was opened in 5 phases between 1980 and 1984.", "en")
    assert not faithful_translation(source, "It was opened in 6 phases between 1980 and 1984.", "en")


def test_a_translation_in_the_wrong_language_or_padded_is_refused():
    source = "Sebanyak 12.000 pasukan dikirim ke Kursk."
    assert not faithful_translation(source, "Sebanyak 12.000 pasukan dikirim ke wilayah Kursk.", "en")
    assert not faithful_translation(source, "North Korea sent 12,000 troops to Kursk. " * 6, "en")
    assert not faithful_translation(source, "", "en")


def test_a_translation_that_quotes_the_source_is_refused():
    source = "Например, Башня Митчелла спроектирована по образцу оксфордской Башни Магдалены."
    quoted = f'The sentence "{source}" says that the tower is modelled on another one.'
    assert not faithful_translation(source, quoted, "en")
    assert faithful_translation(source, "For example, the Mitchell Tower is modelled on Oxford's Magdalen Tower.", "en")


def test_a_translation_that_quotes_a_hindi_source_is_refused():
    source = "की मुख्य साथी और मिक्की स्मिथ (नोएल क्लार्क) और जैक हरकनेस (जॉन बैरोमैन) ने द्वितीयक साथी के रूप में काम किया था।"
    assert not faithful_translation(source, f'The sentence "{source}" translates to "The main', "en")
    translation = "Mickey Smith (Noel Clarke) and Jack Harkness (John Barrowman) worked as secondary companions."
    assert faithful_translation(source, translation, "en")


def test_a_translation_from_a_latin_script_language_keeps_its_names_and_passes():
    source = "Pemerintah Korea Utara untuk pertama kalinya mengakui pengiriman pasukan ke Rusia."
    assert faithful_translation(
        source, "The North Korean government admitted for the first time sending troops to Russia.", "en"
    )


def test_a_translation_that_quotes_one_sentence_of_a_longer_source_is_refused():
    first = "की मुख्य साथी और मिक्की स्मिथ (नोएल क्लार्क) और जैक हरकनेस (जॉन बैरोमैन) ने द्वितीयक साथी के रूप में काम किया था।"
    source = (
        first
        + " द एलेवेंथ डॉक्टर एक विवाहित जोड़े, एमी पॉन्ड (करेन गिलन) और रोरी विलियम्स"
        + " (आर्थर डारविल) के साथ यात्रा करने वाले पहले व्यक्ति बन गए।"
    )
    assert not faithful_translation(source, f'The sentence "{first}" translates to "The main', "en")


def test_a_translation_from_spanish_that_keeps_a_long_name_passes():
    source = "Ismail El Gizouli fue elegido vicepresidente del IPCC en 2015."
    assert faithful_translation(source, "Ismail El Gizouli was elected vice-chair of the IPCC in 2015.", "en")
