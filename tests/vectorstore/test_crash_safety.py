"""Crash safety: an ingest killed at any moment leaves nothing half-visible, and the next one repairs all."""

import importlib.util
import sys
from pathlib import Path

import pytest

from vectorstore.embeddings import chroma_embedding_function
from vectorstore.ingest import Ingester
from vectorstore.keyword import KeywordIndex
from vectorstore.store import ChromaStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = "intfloat/multilingual-e5-small"


def _crash_trials():
    spec = importlib.util.spec_from_file_location("crash_trials", ROOT / "benchmarks" / "crash_trials.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_trials"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


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


LONG, SHORT, SAME_LENGTH = "Versi pertama yang jauh lebih panjang dan berbeda", "Versi kedua", "Versi kedua!"


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("before_delete", LONG, SHORT),  # fewer passages: the old version's tail must go
        ("before_keyword", LONG, SHORT),
        ("before_keyword", "Versi pertama!", SAME_LENGTH),
    ],
)
def test_interrupted_replace_is_repaired_by_the_next_ingest(tmp_path, monkeypatch, where, old, new):
    store, keyword, ingester = _parts(tmp_path)
    folder = tmp_path / "corpus"
    _write(folder, old)
    ingester.ingest([folder])
    _write(folder, new)
    if where == "before_delete":
        monkeypatch.setattr(store.collection, "delete", lambda **kw: (_ for _ in ()).throw(Killed()))
    else:
        monkeypatch.setattr(keyword, "replace_article", lambda *a, **kw: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        ingester.ingest([folder])
    monkeypatch.undo()
    report = ingester.ingest([folder])
    assert report.skipped == []
    articles = store.articles()
    assert len(articles) == 3 and all(a.complete for a in articles.values())
    page = store.collection.get(include=["metadatas"])
    assert len({m["content_hash"] for m in page["metadatas"]}) == 3  # one version per article
    assert set(page["ids"]) == {r[0] for r in keyword.db.execute("SELECT passage_id FROM passages")}
    assert all("kedua" in store.get_passages([pid])[0].text for pid, _ in keyword.search("kedua", 50))
    assert keyword.search("pertama", 50) == []


def test_keyword_rows_of_articles_chroma_lost_are_dropped(tmp_path):
    _store, keyword, ingester = _parts(tmp_path)
    keyword.replace_article("gone", [("gone:0", "artikel yang hilang")], "h/200/40")
    _write(tmp_path / "corpus", "Teks")
    ingester.ingest([tmp_path / "corpus"])
    assert "gone" not in keyword.article_states()


@pytest.mark.e2e
def test_sigkill_trials_leave_the_stores_consistent(embedding_path, tmp_path):
    """20 ingests (real model, real Chroma) killed with SIGKILL at random moments."""
    stats = _crash_trials().run_trials(embedding_path.parent, tmp_path, trials=20, seed=11)
    print(stats)
    assert stats.killed >= 12, stats
    assert stats.ok(), stats
