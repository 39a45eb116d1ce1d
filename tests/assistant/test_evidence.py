"""Evidence scores: sentences with offsets, one embedding batch, best evidence first."""

from assistant.evidence import rerank_order, score_passages, split_sentences

PASSAGES = [
    "Korea Utara mengakui pengiriman pasukan. Pasukan membantu Rusia di Kursk.",
    "Harga cabai naik. Keputusan itu atas perintah langsung Kim Jong Un.",
]


def test_sentences_keep_their_offsets_and_short_fragments_join_the_next():
    text = "Ya. Korea Utara mengakui pengiriman pasukan ke Rusia."
    sentences = split_sentences(text)
    assert len(sentences) == 1
    sentence, start, end = sentences[0]
    assert text[start:end].startswith("Ya.") and sentence.endswith("Rusia.")


def test_the_passage_holding_the_best_sentence_comes_first():
    batches = []

    def embed_groups(groups):
        batches.append(groups)
        return [[[1.0, 0.0] if "perintah" in t else [0.0, 1.0] for t in group] for group in groups]

    evidence = score_passages("siapa yang memerintahkan", PASSAGES, [0.8, 0.8], lambda q: [1.0, 0.0], embed_groups)
    assert len(batches) == 1 and [len(g) for g in batches[0]] == [2, 2]  # one group per passage
    assert rerank_order(evidence) == [1, 0]
    best = evidence[1].best
    assert PASSAGES[1][best.start : best.end].startswith("Keputusan")
