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


def test_a_question_asked_again_gets_the_vector_encoding_it_gives(embedder):
    question = "Siapa yang memerintahkan pengiriman pasukan ke Rusia?"
    first = embedder.embed_query(question)
    first[0] += 1.0  # a caller changing its copy does not change what the next caller gets
    again = embedder.embed_query(question)
    fresh = embedder._encode([question], embedder.query_prompt)[0]
    assert again == fresh and again is not first


def test_a_passages_sentence_vectors_do_not_depend_on_the_other_passages(embedder):
    kim = ["Keputusan itu atas perintah langsung Kim Jong Un.", "Pasukan dikirim ke Kursk."]
    other = ["Harga beras naik di Jakarta.", "Banjir melanda Semarang pada Senin pagi yang cerah itu."]
    embedder._groups.clear()
    alone = embedder.embed_sentence_groups([kim])[0]
    embedder._groups.clear()
    beside = embedder.embed_sentence_groups([other, kim])
    assert beside[1] == alone  # the same numbers, whatever was retrieved with it (int8 scales per batch)
    beside[1][0][0] += 1.0  # a caller changing its copy does not change what is kept
    assert embedder.embed_sentence_groups([kim])[0] == alone == embedder._encode(kim, embedder.passage_prompt)
    assert embedder.embed_sentence_groups([[]]) == [[]]
