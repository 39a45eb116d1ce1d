"""Batching of the real embedding model: longest first, a token budget per batch, order kept."""

import math


def test_long_passages_go_in_smaller_batches_and_vectors_keep_their_order(embedder):
    thai = "ประเทศไทยมีประชากรประมาณเจ็ดสิบล้านคน " * 12  # many tokens per character
    short = [f"Berita singkat nomor {i}." for i in range(20)]
    texts = [*short[:10], thai, thai[:200], *short[10:]]
    batches = embedder._batches(texts, embedder.passage_prompt)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    assert all(len(batch) <= embedder.batch_size for batch in batches)
    assert batches[0][0] == 10 and len(batches[0]) < embedder.batch_size  # the longest, not with 15 others
    together = embedder.embed_documents(texts)
    for i in (0, 10, 11, 21):
        alone = embedder.embed_documents([texts[i]])[0]
        assert math.isclose(sum(a * b for a, b in zip(together[i], alone, strict=True)), 1.0, abs_tol=1e-3)
