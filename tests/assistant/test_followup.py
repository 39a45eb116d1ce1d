"""Follow-ups keep their meaning: a rewrite that swaps or adds facts is replaced by the user's words plus
the previous question's entities."""

from assistant.followup import followup_query, previous_entities, rewrite_is_faithful

HISTORY = [("Kapan Korea Utara pertama kali mengakui pengiriman pasukan ke Rusia?", "Pada 28 April 2025 [1].")]


def test_a_rewrite_that_resolves_the_reference_is_kept():
    rewrite = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"
    assert rewrite_is_faithful("Siapa yang memerintahkan pengiriman itu?", rewrite, HISTORY)
    assert followup_query("Siapa yang memerintahkan pengiriman itu?", rewrite, HISTORY) == rewrite


def test_a_rewrite_that_changes_the_question_is_replaced():
    question = "Kapan pengakuan itu disampaikan?"
    swapped = "Kapan Korea Utara mengirim pasukan ke Rusia?"  # "pengakuan" became "mengirim"
    assert not rewrite_is_faithful(question, swapped, HISTORY)
    searched = followup_query(question, swapped, HISTORY)
    assert searched.startswith(question) and "Korea Utara" in searched and "Rusia" in searched


def test_a_rewrite_that_adds_a_fact_is_replaced():
    added = "Kapan pengakuan Kim Jong Un itu disampaikan di Pyongyang?"
    assert not rewrite_is_faithful("Kapan pengakuan itu disampaikan?", added, HISTORY)


def test_previous_entities_skip_the_opening_question_word():
    entities = previous_entities(HISTORY, "Kapan pengakuan itu disampaikan?")
    assert "Korea Utara" in entities and "Kapan" not in " ".join(entities)
    assert previous_entities([], "Siapa?") == []
