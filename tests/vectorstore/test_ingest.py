"""Ingest into a real Chroma collection with the real embedding model (in temp dirs)."""

import shutil

import pytest

from vectorstore.embeddings import chroma_embedding_function
from vectorstore.ingest import Ingester
from vectorstore.keyword import KeywordIndex
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ChromaStore, StoreError

MODEL = "intfloat/multilingual-e5-small"


@pytest.fixture
def parts(tmp_path, embedder):
    store = ChromaStore(tmp_path / "chroma", "test", MODEL, chroma_embedding_function(lambda: embedder, MODEL))
    keyword = KeywordIndex(tmp_path / "kw")
    return store, keyword, Ingester(store, keyword, lambda: embedder, 700, 120)


def test_ingest_is_idempotent_and_replaces_changed(parts, tmp_path, sample_path):
    store, keyword, ingester = parts
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(sample_path, folder / "a.txt")
    (folder / "b.txt").write_text("Harga Beras Naik\nHarga beras di Jakarta naik 10 persen pekan ini.")
    first = ingester.ingest([folder])
    assert len(first.added) == 2 and first.passages > 2
    count = store.count()

    again = ingester.ingest([folder])
    assert again.passages == 0 and len(again.unchanged) == 2
    assert store.count() == count

    (folder / "b.txt").write_text("Harga Beras Turun\nHarga beras di Jakarta turun 5 persen pekan ini.")
    changed = ingester.ingest([folder])
    assert len(changed.replaced) == 1 and len(changed.unchanged) == 1
    assert store.count() == count
    titles = {a.title for a in store.articles().values()}
    assert "Harga Beras Turun" in titles and "Harga Beras Naik" not in titles
    assert sum(keyword.article_passage_counts().values()) == count


def test_metadata_and_offsets_are_stored(parts, sample_path, sample_article):
    store, _, ingester = parts
    ingester.ingest([sample_path])
    (article,) = store.articles().values()
    assert article.lang == "id" and article.date is not None and article.complete
    for hit in store.article_passages(article.article_id):
        m = hit.metadata
        assert sample_article.text[m["start"] : m["end"]] == hit.text
        assert isinstance(m["date"], int)


def test_remove_deletes_one_article(parts, tmp_path, sample_path):
    store, keyword, ingester = parts
    other = tmp_path / "other.txt"
    other.write_text("Banjir Jakarta\nBanjir melanda Jakarta Utara pada hari Minggu.")
    ingester.ingest([sample_path, other])
    removed = ingester.remove(sample_path.name)  # by file name
    assert removed > 0
    assert ingester.remove(str(other)) == 1  # by source: looked up directly
    ingester.ingest([other])
    assert [a.title for a in store.articles().values()] == ["Banjir Jakarta"]
    assert sum(keyword.article_passage_counts().values()) == store.count()
    with pytest.raises(KeyError):
        ingester.remove("nothing-like-this.txt")


def test_hybrid_retrieval_finds_the_passage(parts, sample_path, embedder):
    store, keyword, ingester = parts
    ingester.ingest([sample_path])
    retriever = HybridRetriever(store=store, embedder=embedder, keyword=keyword, k=3)
    docs = retriever.invoke("Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?")
    assert any("Kim Jong Un" in d.page_content for d in docs)
    # cross-lingual: an English question finds the Indonesian passage
    docs = retriever.invoke("Who ordered North Korean troops to be sent to Russia?")
    assert any("Kim Jong Un" in d.page_content for d in docs)


def test_a_keyword_weight_of_zero_leaves_the_keyword_leg_out(parts, sample_path, embedder):
    store, keyword, ingester = parts
    ingester.ingest([sample_path])
    question = "Kim Jong Un Kursk"
    dense = HybridRetriever(store=store, embedder=embedder, keyword=None, k=3).invoke(question)
    silent = HybridRetriever(store=store, embedder=embedder, keyword=keyword, k=3, keyword_weight=0.0).invoke(question)
    assert [d.id for d in silent] == [d.id for d in dense]
    assert all(d.metadata["keyword_score"] == 0.0 for d in silent)


def test_collection_refuses_another_embedding_model(parts, tmp_path, embedder):
    _store, _, _ingester = parts
    with pytest.raises(StoreError, match="was built with embedding model"):
        ChromaStore(tmp_path / "chroma", "test", "other/model", chroma_embedding_function(lambda: embedder, "x"))


def test_collection_keeps_the_precision_it_was_built_with(tmp_path, embedder):
    ef = chroma_embedding_function(lambda: embedder, MODEL)
    assert ChromaStore(tmp_path / "old", "test", MODEL, ef).embedding_precision == "fp32"
    ChromaStore(tmp_path / "new", "test", MODEL, ef, precision="int8")
    assert ChromaStore(tmp_path / "new", "test", MODEL, ef, precision="fp32").embedding_precision == "int8"


def test_int8_embeddings_agree_with_fp32(embedding_path, embedder):
    from vectorstore.embeddings import PassageEmbedder

    int8 = PassageEmbedder(embedding_path, MODEL, int8=True)
    texts = ["Kim Jong Un memerintahkan pengiriman pasukan ke Rusia.", "Harga beras naik di Jakarta."]
    for a, b in zip(int8.embed_documents(texts), embedder.embed_documents(texts), strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.9
    query = int8.embed_query("Siapa yang memerintahkan pengiriman pasukan?")
    scores = [sum(x * y for x, y in zip(query, v, strict=True)) for v in int8.embed_documents(texts)]
    assert scores[0] > scores[1]


def test_collection_built_before_clustering_gets_clusters_without_re_embedding(parts, tmp_path, sample_path, embedder):
    from vectorstore.duplicates import DuplicateIndex

    store, keyword, plain = parts
    copy = tmp_path / "copy.txt"
    copy.write_text(sample_path.read_text(encoding="utf-8") + "\nBaca juga berita lainnya.", encoding="utf-8")
    plain.ingest([sample_path, copy])
    assert len({a.cluster for a in store.articles().values()}) == 2
    clustered = Ingester(store, keyword, lambda: embedder, 700, 120, duplicates=DuplicateIndex(tmp_path / "kw"))
    report = clustered.ingest([sample_path, copy])
    assert report.passages == 0 and len(report.unchanged) == 2 and len(report.duplicates) == 1
    articles = list(store.articles().values())
    assert len({a.cluster for a in articles}) == 1
    assert all(a.title and a.complete for a in articles)  # the update kept the other metadata
