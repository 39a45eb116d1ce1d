from assistant.prompt_budget import split_sentences, trim_passages


def overlap(question, sentences):
    words = set(question.lower().split())
    return [len(words & set(s.lower().rstrip(".").split())) for s in sentences]


PASSAGES = [
    "Cuaca cerah hari ini. Kim Jong Un memerintahkan pengiriman pasukan. Harga beras naik.",
    "Rusia menyambut pasukan itu. Ukraina menolak.",
]


def test_split_sentences_keeps_punctuation():
    assert split_sentences("Satu. Dua? Tiga!\nEmpat") == ["Satu.", "Dua?", "Tiga!", "Empat"]


def test_within_the_cap_nothing_changes():
    assert trim_passages("apa", PASSAGES, 10_000, overlap) == PASSAGES
    assert trim_passages("apa", PASSAGES, 0, overlap) == PASSAGES


def test_keeps_best_sentences_in_order_and_marks_gaps():
    out = trim_passages("siapa memerintahkan pengiriman pasukan", PASSAGES, 80, overlap)
    assert out[0] == "… Kim Jong Un memerintahkan pengiriman pasukan. …"
    assert out[1].startswith("Rusia menyambut pasukan itu.")  # every passage keeps its best sentence
    assert sum(len(p) for p in out) < sum(len(p) for p in PASSAGES)
