"""A read-only data directory or a full disk: one-line errors, and nothing stored is lost or corrupted."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# real Chroma in several fresh processes (about 20 s): not in the quick `-m unit` tier
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MODEL = "intfloat/multilingual-e5-small"
WORDS = ["harga", "beras", "naik", "banjir", "kota", "warga", "jalan", "pasar", "menteri", "desa", "sungai"]

# Builds the stores the way the CLI lays them out, with a stand-in embedder (these tests are about
# the stores, not the model); with a file size limit, writing past it fails like a full disk.
INGEST = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from vectorstore.embeddings import chroma_embedding_function
    from vectorstore.ingest import Ingester
    from vectorstore.keyword import KeywordIndex
    from vectorstore.loaders import iter_articles
    from vectorstore.store import ChromaStore, StoreError

    class Embedder:
        def embed_documents(self, texts, progress=None):
            return [[((i * 7 + j) % 13) / 13.0 for j in range(384)] for i, _ in enumerate(texts)]

    store_dir, corpus, limit = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    list(iter_articles([corpus]))  # load the language-detection model before the limit
    if limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    model = "intfloat/multilingual-e5-small"
    store = ChromaStore(store_dir / "chroma", "articles", model, chroma_embedding_function(Embedder, model))
    keyword = KeywordIndex(store_dir / "keyword" / "articles")
    try:
        report = Ingester(store, keyword, Embedder, 400, 80, lock_dir=store_dir, batch_passages=50).ingest([corpus])
    except StoreError as exc:
        print("ERROR", exc)
        sys.exit(1)
    print("OK", len(report.added) + len(report.replaced))
    """
)


def _corpus(folder: Path, name: str, articles: int) -> Path:
    import random

    rng = random.Random(name)
    folder.mkdir(parents=True)
    for i in range(articles):
        words = (" ".join(rng.choice(WORDS) for _ in range(10)).capitalize() for _ in range(150))
        sentences = (f"{w} {name}-{i}-{j}." for j, w in enumerate(words))
        (folder / f"{name}-{i}.txt").write_text(f"Judul {name} {i}\n{' '.join(sentences)}\n")
    return folder


def _ingest(store_dir: Path, corpus: Path, limit: int = 0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", INGEST, str(store_dir), str(corpus), str(limit)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _state(store_dir: Path) -> dict:
    from chromadb.api.client import SharedSystemClient

    from vectorstore.embeddings import chroma_embedding_function
    from vectorstore.keyword import KeywordIndex
    from vectorstore.store import ChromaStore

    SharedSystemClient.clear_system_cache()
    db = sqlite3.connect(f"file:{store_dir / 'chroma' / 'chroma.sqlite3'}?mode=ro", uri=True)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    keyword = KeywordIndex(store_dir / "keyword" / "articles")
    store = ChromaStore(store_dir / "chroma", "articles", MODEL, chroma_embedding_function(lambda: None, MODEL),
                        registry=keyword.registry)  # what readers see
    keyword_ids = {r[0] for r in keyword.db.execute("SELECT passage_id FROM passages")}
    articles = store.articles()
    keyword.close()
    return {
        "articles": {a.source: (a.passages_found, a.content_hash) for a in articles.values()},
        "whole": all(a.complete for a in articles.values()),
        "agree": keyword_ids == set(store.collection.get(include=[])["ids"]),
    }


def test_disk_full_mid_ingest_keeps_what_was_stored(tmp_path):
    store_dir = tmp_path / "data" / "store"
    first = _corpus(tmp_path / "first", "awal", 3)
    assert _ingest(store_dir, first).stdout.startswith("OK 3")
    before = _state(store_dir)
    second = _corpus(tmp_path / "second", "kedua", 8)
    size = (store_dir / "chroma" / "chroma.sqlite3").stat().st_size
    failed = _ingest(store_dir, second, limit=size + 256 * 1024)  # room for a batch or two, not eight articles
    assert failed.returncode == 1, failed.stdout + failed.stderr
    (line,) = failed.stdout.splitlines()
    assert line.startswith("ERROR could not write to the collection") and "articles stored before are intact" in line
    after = _state(store_dir)
    assert after["whole"]  # nothing half-written
    assert {k: v for k, v in after["articles"].items() if k in before["articles"]} == before["articles"]
    assert len(after["articles"]) < 11
    done = _ingest(store_dir, second)
    assert done.returncode == 0, done.stdout + done.stderr
    final = _state(store_dir)
    assert len(final["articles"]) == 11 and final["whole"] and final["agree"]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_read_only_data_dir_gives_one_line_errors_and_changes_nothing(tmp_path):
    data = tmp_path / "data"
    corpus = _corpus(tmp_path / "corpus", "ro", 2)
    assert _ingest(data / "store", corpus).returncode == 0
    new = _corpus(tmp_path / "new", "baru", 1)
    from readonly_mount import read_only_runner

    wrap = read_only_runner(data)
    before = _digest(data)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_LOCK_TIMEOUT": "1"}
    results = {}
    for name, args in {"ingest": ["ingest", str(new)], "remove": ["remove", "ro-0.txt"],
                       "sources": ["sources", "--json"]}.items():
        results[name] = subprocess.run(wrap([sys.executable, "-m", "assistant", *args]), cwd=ROOT, env=env,
                                       capture_output=True, text=True, timeout=120)
    for name in ("ingest", "remove"):
        result = results[name]
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("assistant: error: ") and "read-only" in line, line
    sources = results["sources"]
    # reading may work, or fail in one line; it never damages anything
    assert sources.returncode == 0 or len(sources.stderr.strip().splitlines()) == 1, sources.stderr
    assert _digest(data) == before
    assert _state(data / "store")["whole"]
