"""News end to end on real Chroma and the real e5 model: URLs and feeds from a local HTTP server,
syndicated copies collapsed to one source, and filters applied to both retrieval legs."""

import pytest

from vectorstore.duplicates import DuplicateIndex
from vectorstore.embeddings import chroma_embedding_function
from vectorstore.filters import build_filter, to_where
from vectorstore.ingest import Ingester
from vectorstore.keyword import KeywordIndex
from vectorstore.retriever import HybridRetriever
from vectorstore.store import ChromaStore

MODEL = "intfloat/multilingual-e5-small"
QUESTION = "Berapa juta meter kubik air yang bisa ditampung Bendungan Karian?"


@pytest.fixture
def news(tmp_path, embedder, news_site):
    """The feed (Kompas + Tempo) and the ANTARA copy of the Kompas story, ingested."""
    base, _, requested = news_site
    store = ChromaStore(tmp_path / "chroma", "news", MODEL, chroma_embedding_function(lambda: embedder, MODEL))
    keyword = KeywordIndex(tmp_path / "kw")
    duplicates = DuplicateIndex(tmp_path / "kw")
    ingester = Ingester(store, keyword, lambda: embedder, 400, 80, duplicates=duplicates)
    first = ingester.ingest([], feeds=[f"{base}/feed.xml"])
    copy = ingester.ingest([f"{base}/antara-karian.html"])
    return base, requested, store, keyword, duplicates, ingester, first, copy


def _retrieve(news, embedder, where=None):
    _, _, store, keyword, duplicates, *_ = news
    retriever = HybridRetriever(store=store, embedder=embedder, keyword=keyword, where=where, duplicates=duplicates)
    return retriever.invoke(QUESTION)


def test_feed_reread_adds_only_new_items_and_copies_join_a_cluster(news, embedder):
    base, requested, store, _, _, ingester, first, copy = news
    assert len(first.added) == 2 and not first.skipped
    assert copy.added == [f"{base}/antara-karian.html"] and len(copy.duplicates) == 1
    articles = {a.outlet: a for a in store.articles().values()}
    assert set(articles) == {"Kompas.com", "Tempo.co", "ANTARA News"}
    assert articles["ANTARA News"].cluster == articles["Kompas.com"].article_id
    assert articles["Tempo.co"].cluster == articles["Tempo.co"].article_id

    requested.clear()
    again = ingester.ingest([], feeds=[f"{base}/feed.xml"])
    assert not again.added and len(again.unchanged) == 2 and again.passages == 0
    assert requested == ["/feed.xml"]  # the stored items' pages are not fetched again


def test_one_representative_per_story_with_also_reported_by(news, embedder):
    docs = _retrieve(news, embedder)
    outlets = [d.metadata["outlet"] for d in docs]
    assert outlets[0] in {"Kompas.com", "ANTARA News"}
    assert not {"Kompas.com", "ANTARA News"} <= set(outlets)  # never both copies
    assert "314 juta meter kubik" in " ".join(d.page_content for d in docs)
    other = "ANTARA News" if outlets[0] == "Kompas.com" else "Kompas.com"
    assert [c["outlet"] for c in docs[0].metadata["also_reported_by"]] == [other]


def test_filters_apply_to_both_legs(news, embedder):
    store = news[2]
    june = to_where(build_filter(since="sejak Juni 2025"), store.articles().values())
    docs = _retrieve(news, embedder, june)
    assert docs and {d.metadata["outlet"] for d in docs} == {"Tempo.co"}  # the keyword leg's Karian hits too

    antara = to_where(build_filter(source="antara"), store.articles().values())
    docs = _retrieve(news, embedder, antara)
    assert {d.metadata["outlet"] for d in docs} == {"ANTARA News"}  # the copy represents its story here

    until_may = to_where(build_filter(until="2025-05-03", source="kompas"), store.articles().values())
    assert {d.metadata["outlet"] for d in _retrieve(news, embedder, until_may)} == {"Kompas.com"}
    assert _retrieve(news, embedder, to_where(build_filter(lang="en"))) == []
