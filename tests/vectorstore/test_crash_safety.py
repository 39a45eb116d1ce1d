"""Crash safety: an ingest killed at any moment leaves nothing half-visible, and the next one repairs all."""

from pathlib import Path

import pytest

from vectorstore.embeddings import chroma_embedding_function
from vectorstore.ingest import Ingester
from vectorstore.keyword import KeywordIndex
from vectorstore.store import ChromaStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = "intfloat/multilingual-e5-small"


class FakeEmbedder:
    def embed_documents(self, texts, progress=None):
        return [[float(len(t) % 7 + 1), 1.0, float(i % 3)] for i, t in enumerate(texts)]


class Killed(BaseException):
    """Stands for SIGKILL at one point of a write (BaseException: nothing may catch it)."""


def _parts(tmp_path):
    store = ChromaStore(tmp_path / "chroma", "crash", MODEL, chroma_embedding_function(FakeEmbedder, MODEL))
    keyword = KeywordIndex(tmp_path / "kw")
    return store, keyword, Ingester(store, keyword, FakeEmbedder, 200, 40)


def _write(folder: Path, text: str) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(3):
        body = " ".join(f"{text} kalimat nomor {i}-{j} tentang banjir di kota." for j in range(12))
        (folder / f"a{i}.txt").write_text(f"Judul {i}\n{body}\n")


LONG, SHORT = "Versi pertama yang jauh lebih panjang dan berbeda", "Versi kedua"


def _fail(*_args, **_kwargs):
    raise Killed()


def _half_upsert(collection):
    """Chroma's upsert that stops half-way through its passages (a kill during the add)."""
    real = collection.upsert

    def upsert(ids, documents, metadatas, embeddings):
        half = len(ids) // 2
        real(ids=ids[:half], documents=documents[:half], metadatas=metadatas[:half], embeddings=embeddings[:half])
        raise Killed()

    return upsert


# crash point -> (what to break, which version readers must see after the kill)
CRASH_POINTS = {
    "after pending": (lambda store, keyword: (store, "write_articles", _fail), "old"),
    "during the Chroma add": (lambda store, _: (store.collection, "upsert", _half_upsert(store.collection)), "old"),
    "after the Chroma add": (lambda store, keyword: (keyword, "replace_articles", _fail), "old"),
    "after the commit": (lambda store, keyword: (store, "delete_other_versions", _fail), "new"),
    "after the delete": (lambda store, keyword: (keyword.registry, "settle", _fail), "new"),
}


class _Embedder(FakeEmbedder):
    def embed_query(self, text):
        return [3.0, 1.0, 1.0]


def _reader_view(store, keyword) -> dict[str, set[str]]:
    """Per article, the contents readers get from every reading path (manifest, passages, both legs
    of retrieval); checks each path shows one whole version and returns the words that tell versions apart."""
    from vectorstore.retriever import HybridRetriever

    seen: dict[str, set[str]] = {}
    articles = store.articles()
    assert len(articles) == 3 and all(a.complete for a in articles.values())
    for aid, article in articles.items():
        passages = store.article_passages(aid)
        assert [h.metadata["chunk"] for h in passages] == list(range(article.passages_expected))
        assert {h.metadata["content_hash"] for h in passages} == {article.content_hash}
        seen[aid] = {"new" if SHORT in h.text else "old" for h in passages}
    visible = {pid for rows in store.visible_passages().values() for pid, _ in rows}
    keyword_ids = {r[0] for r in keyword.db.execute("SELECT passage_id FROM passages")}
    assert visible == keyword_ids  # the two legs see the same passages
    retriever = HybridRetriever.model_construct(
        store=store, embedder=_Embedder(), keyword=keyword, k=100, candidates=200, per_article=100
    )
    for query in ("kalimat banjir kota", "pertama panjang berbeda", "kedua"):
        for doc in retriever.invoke(query):
            aid = doc.metadata["article_id"]
            assert doc.metadata["content_hash"] == articles[aid].content_hash, (query, doc.id)
    return seen


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_replace_killed_at_each_point_shows_one_version_and_is_repaired(tmp_path, monkeypatch, point):
    store, keyword, ingester = _parts(tmp_path)
    folder = tmp_path / "corpus"
    _write(folder, LONG)
    ingester.ingest([folder])
    _write(folder, SHORT)  # fewer passages: the old version's tail must go too
    breaks, expected = CRASH_POINTS[point]
    monkeypatch.setattr(*breaks(store, keyword))
    with pytest.raises(Killed):
        ingester.ingest([folder])
    monkeypatch.undo()
    seen = _reader_view(store, keyword)
    assert set().union(*seen.values()) == {expected}
    assert all(len(words) == 1 for words in seen.values())
    report = ingester.ingest([folder])
    assert report.skipped == [] and keyword.registry.unfinished() == {}
    assert set().union(*_reader_view(store, keyword).values()) == {"new"}
    page = store.collection.get(include=["metadatas"])
    assert len({m["content_hash"] for m in page["metadatas"]}) == 3  # nothing left of the old versions
    assert set(page["ids"]) == {r[0] for r in keyword.db.execute("SELECT passage_id FROM passages")}
    assert all("kedua" in store.get_passages([pid])[0].text for pid, _ in keyword.search("kedua", 50))
    assert keyword.search("pertama", 50) == []


@pytest.mark.parametrize("point", ["after the tombstone", "after the delete"])
def test_a_removal_killed_hides_the_article_and_is_finished_by_the_next_ingest(tmp_path, monkeypatch, point):
    store, keyword, ingester = _parts(tmp_path)
    folder = tmp_path / "corpus"
    _write(folder, LONG)
    ingester.ingest([folder])
    gone = folder / "a0.txt"
    gone_id = report_id(gone)
    if point == "after the tombstone":
        monkeypatch.setattr(store, "delete_article", _fail)
    else:
        monkeypatch.setattr(keyword.registry, "settle", _fail)
    with pytest.raises(Killed):
        ingester.remove(str(gone))
    monkeypatch.undo()
    articles = store.articles()
    assert gone_id not in articles and len(articles) == 2 and all(a.complete for a in articles.values())
    assert gone_id not in {aid for aid, _ in (pid.split(":", 1) for pid, _ in keyword.search("kalimat", 100))}
    gone.unlink()
    ingester.ingest([folder])
    assert keyword.registry.unfinished() == {}
    assert not store.collection.get(where={"article_id": gone_id}, include=[])["ids"]  # its passages went
    assert len(store.collection.get(include=[])["ids"]) == sum(a.passages_found for a in store.articles().values())


def test_an_old_collection_with_unversioned_ids_keeps_working(tmp_path):
    """Passages stored as ``article:index`` (before versioned ids) stay visible, are replaced with
    versioned ones when their article changes, and are never dropped for lacking a registry row."""
    from vectorstore.chunking import chunk_article
    from vectorstore.documents import Passage
    from vectorstore.loaders import iter_articles

    store, _keyword, ingester = _parts(tmp_path)
    folder = tmp_path / "corpus"
    _write(folder, LONG)
    items = []
    for article in iter_articles([folder]):
        passages = [Passage(p.article_id, p.index, p.text, p.start, p.end) for p in chunk_article(article, 200, 40)]
        items.append((article, passages, FakeEmbedder().embed_documents([p.text for p in passages])))
    store.write_articles(items, "200/40")  # as an old version of the program did, with no registry rows
    assert all(pid.count(":") == 1 for pid in store.collection.get(include=[])["ids"])
    assert len(store.articles()) == 3 and all(a.complete for a in store.articles().values())
    (folder / "a1.txt").write_text("Judul baru\n" + " ".join(f"{SHORT} kalimat {j}." for j in range(30)) + "\n")
    report = ingester.ingest([folder])
    assert len(report.replaced) == 1 and len(report.unchanged) == 2
    ids = store.collection.get(include=[])["ids"]
    assert sum(pid.count(":") == 2 for pid in ids) == store.articles()[report_id(folder / "a1.txt")].passages_found
    assert sum(pid.count(":") == 1 for pid in ids) == sum(
        a.passages_found for aid, a in store.articles().items() if aid != report_id(folder / "a1.txt")
    )  # the unchanged ones keep their old ids
    assert len(store.articles()) == 3 and all(a.complete for a in store.articles().values())


def report_id(path: Path) -> str:
    from vectorstore.documents import article_id_for

    return article_id_for(str(path.resolve()))


def test_keyword_rows_of_articles_chroma_lost_are_dropped(tmp_path):
    _store, keyword, ingester = _parts(tmp_path)
    keyword.replace_article("gone", [("gone:0", "artikel yang hilang")], "h/200/40")
    _write(tmp_path / "corpus", "Teks")
    ingester.ingest([tmp_path / "corpus"])
    assert "gone" not in keyword.article_states()


@pytest.mark.e2e
def test_sigkill_trials_leave_the_stores_consistent(embedding_path, tmp_path, crash_trials):
    """20 ingests (real model, real Chroma) killed with SIGKILL at random moments."""
    stats = crash_trials.run_trials(embedding_path.parent, tmp_path, trials=20, seed=11)
    print(stats)
    # enough kills must land mid-ingest for the trials to mean something (the kill time is random, scaled
    # to a measured version switch and brought earlier after each ingest that beat it: 13 of 20 here;
    # scaled to a first full ingest instead, a CI machine saw 9)
    assert stats.killed >= 10, stats
    assert stats.ok(), stats
