"""The refusal rule's signals: question coverage and the combined decline probability."""

from assistant.refusal import decline_probability, question_coverage

PASSAGES = [
    "Pemimpin Korea Utara Kim Jong Un memerintahkan pengiriman pasukan ke Rusia.",
    "Harga cabai naik di pasar Jakarta.",
]


def frequencies(terms: list[str]) -> tuple[int, dict[str, int]]:
    common = {"yang", "ke", "di", "siapa"}
    return 1000, {t: 400 if t in common else 3 for t in terms}


def test_a_question_whose_rare_terms_a_passage_holds_is_covered():
    assert question_coverage("Siapa yang memerintahkan pengiriman pasukan ke Rusia?", PASSAGES, frequencies) > 0.8


def test_a_swapped_entity_lowers_coverage():
    covered = question_coverage("Siapa yang memerintahkan pengiriman pasukan ke Rusia?", PASSAGES, frequencies)
    swapped = question_coverage("Siapa yang memerintahkan pengiriman pasukan ke Ukraina?", PASSAGES, frequencies)
    unrelated = question_coverage("Siapa juara Piala Dunia 2022?", PASSAGES, frequencies)
    assert unrelated < swapped < covered


def test_no_passages_or_empty_collection_cover_nothing():
    assert question_coverage("Siapa?", [], frequencies) == 0.0
    assert question_coverage("Siapa?", PASSAGES, lambda terms: (0, {})) == 0.0


def test_decline_probability_uses_what_is_known():
    assert decline_probability(None, None) is None
    assert decline_probability(None, 0.7) == 0.7  # the check alone: its own P(no)
    low, high = decline_probability(0.9, 0.2), decline_probability(0.2, 0.8)
    assert 0.0 < low < 0.5 < high < 1.0
    assert decline_probability(0.9, None) < decline_probability(0.2, None)
