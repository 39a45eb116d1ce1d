"""The refusal rule's signals: question coverage, the language-free features and the logistic rule."""

from assistant.refusal import (
    DEFAULT_RULE,
    MIN_LANGUAGE_SHARE,
    RULES,
    RefusalRule,
    decides_before_answer,
    question_coverage,
    refusal_features,
    rule_for,
)

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


def test_lexical_coverage_counts_only_within_one_language():
    same = refusal_features({"coverage": 0.1, "same_language": 1.0})
    across = refusal_features({"coverage": 0.1, "same_language": 0.0})
    assert same["coverage_same"] == 0.1
    assert across["coverage_same"] == 0.5  # neutral: an English question shares no words with Indonesian text


def test_the_evidence_gap_is_relative_to_the_question_baseline():
    features = refusal_features({"sentence_best": 0.86, "dense_floor": 0.80})
    assert abs(features["sentence_gap"] - 0.06) < 1e-9
    assert refusal_features({"sentence_best": 0.86})["sentence_gap"] is None


def test_rule_falls_back_when_a_signal_is_missing():
    fallback = RefusalRule(0.0, {"sentence_gap": -10.0})
    rule = RefusalRule(0.0, {"locate_none": 4.0, "sentence_gap": -10.0}, fallback)
    assert rule.needs == {"locate_none", "sentence_gap"}
    doubtful = rule.probability({"locate_none": 0.9, "sentence_gap": 0.0})
    sure = rule.probability({"locate_none": 0.05, "sentence_gap": 0.1})
    assert sure < 0.5 < doubtful
    assert rule.probability({"locate_none": None, "sentence_gap": 0.1}) == fallback.probability({"sentence_gap": 0.1})
    assert RefusalRule(0.0, {"x": 1.0}).probability({}) is None
    assert DEFAULT_RULE.probability({}) is None


def test_coverage_counts_only_when_every_passage_is_in_the_questions_language():
    base = {"sentence_best": 0.8, "dense_floor": 0.78, "coverage": 0.1, "locate_none": 0.3}
    same = refusal_features({**base, "same_language": 1.0, "passages_same_language": 1.0})
    mixed = refusal_features({**base, "same_language": 1.0, "passages_same_language": 0.0})
    assert same["coverage_same"] == 0.1 and mixed["coverage_same"] == 0.5
    # low coverage over English passages says little when a Russian passage may hold the answer
    assert DEFAULT_RULE.probability(mixed) < DEFAULT_RULE.probability(same)


def test_the_rule_decides_before_the_answer_only_when_enough_passages_share_the_questions_language():
    assert decides_before_answer({"passages_language_share": 1.0, "passages_same_language": 1.0})
    # a Spanish question whose passages are mostly Spanish, one of them Indonesian: the rule still decides
    assert decides_before_answer({"passages_language_share": 0.8, "passages_same_language": 0.0})
    assert decides_before_answer({"passages_language_share": MIN_LANGUAGE_SHARE})
    # an English question whose passages are all but one in other languages: the answer's checks decide
    assert not decides_before_answer({"passages_language_share": 0.2, "passages_same_language": 0.0})
    assert not decides_before_answer({"passages_language_share": 0.0})


def test_a_turn_recorded_before_the_language_share_decides_as_it_did():
    assert decides_before_answer({"passages_same_language": 1.0})
    assert not decides_before_answer({"passages_same_language": 0.0})
    assert decides_before_answer({})  # no passage language known


def test_each_embedding_model_gets_the_rule_fitted_on_its_signals():
    assert rule_for("intfloat/multilingual-e5-small") is DEFAULT_RULE
    for name, rule in RULES.items():
        assert rule_for(name) is rule
        assert rule.needs >= {"sentence_gap"}  # every rule reads the gap, the signal whose scale is the model's
    assert rule_for("some/unrecorded-model") is DEFAULT_RULE
