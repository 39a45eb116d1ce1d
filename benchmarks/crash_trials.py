"""Crash safety: SIGKILL ``assistant ingest`` at random moments, then check the stores.

    python benchmarks/crash_trials.py --models-dir /tmp/devmodels [--trials 20] [--seed 7]

Each trial ingests one of two versions of a small generated corpus (so both adding and replacing
articles get interrupted) in a subprocess and kills it after a random delay. After every kill it
checks that both SQLite databases pass ``integrity_check``, that no article is half-visible to a
reader (all of an article's passages, of one version, or none, as ``sources`` and retrieval see it
through the commit registry) and that the keyword index holds exactly the passages readers see in
Chroma. At the end one ingest runs to completion and must leave exactly the corpus: every article
once, complete, of the current version, nothing left of other versions, the keyword index agreeing
with Chroma passage for passage, and the dense index answering.
Used by tests/vectorstore/test_crash_safety.py; prints the figures when run as a script.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: use this checkout's packages
    sys.path.insert(0, str(ROOT))
COLLECTION = "crash"
BATCH = 6  # passages per write: many write points in a short ingest


_WORDS_TEXT = (
    "pemerintah kota warga pasar harga beras banjir jalan sekolah rumah sakit pelabuhan kereta bandara petani "
    "nelayan hujan musim anggaran proyek menteri gubernur desa sungai jembatan listrik air"
)
_WORDS = _WORDS_TEXT.split()


def write_corpus(folder: Path, version: int, articles: int = 14, seed: int = 0) -> None:
    """``articles`` small articles; version 2 changes every third one, drops one and adds one."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    names = [f"artikel-{i:02d}" for i in range(articles)]
    if version == 2:
        names = [*names[1:], f"artikel-{articles:02d}"]
    for i, name in enumerate(names):
        sentences = []
        for j in range(8 + (i % 5) * 2):
            words = " ".join(rng.choice(_WORDS) for _ in range(9))
            sentences.append(f"{words.capitalize()} nomor {i}-{j}.")
        changed = version == 2 and i % 3 == 0
        title = f"Berita {name}" + (" (diperbarui)" if changed else "")
        body = " ".join(sentences) + (" Kabar terbaru ditambahkan." if changed else "")
        (folder / f"{name}.txt").write_text(f"{title}\n{body}\n", encoding="utf-8")


@dataclass
class TrialStats:
    """What the trials saw."""

    trials: int = 0
    killed: int = 0
    completed_before_kill: int = 0
    kill_phases: Counter = field(default_factory=Counter)
    half_visible: list[str] = field(default_factory=list)
    integrity_errors: list[str] = field(default_factory=list)
    keyword_disagreeing_after_kill: int = 0  # trials after which the two legs did not see the same passages
    leftovers_after_kill: int = 0  # trials that left passages no reader sees (the next ingest deletes them)
    final_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def ok(self) -> bool:
        """Nothing corrupt, nothing half-visible, both legs agreeing after every kill, and the final
        ingest left exactly the corpus."""
        return not (
            self.half_visible or self.integrity_errors or self.keyword_disagreeing_after_kill or self.final_problems
        )


def _env(data_dir: Path, models_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        ASSISTANT_MODELS_DIR=str(models_dir),
        ASSISTANT_COLLECTION=COLLECTION,
        ASSISTANT_INGEST_BATCH=str(BATCH),
        ASSISTANT_THREADS="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


def run_ingest(corpus: Path, env: dict[str, str], kill_after: float | None) -> tuple[int | None, float]:
    """Run ``assistant ingest``; SIGKILL it after ``kill_after`` s. Returns (exit code or None if killed, seconds)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(corpus)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        code = proc.wait(timeout=kill_after)
        proc.stderr.read()
        return code, time.perf_counter() - started
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return None, time.perf_counter() - started
    finally:
        proc.stderr.close()


def _no_embedder() -> None:
    raise RuntimeError("the checks read stored vectors; nothing is embedded")


def _integrity(path: Path) -> str | None:
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    return None if result == "ok" else f"{path.name}: {result}"


class _StoredVector:
    """Stands in for the embedding model: the query vector is a stored passage's own."""

    def __init__(self, vector: list[float]):
        self.vector = vector

    def embed_query(self, text: str) -> list[float]:
        return self.vector


def _retrieved_versions(store, keyword) -> dict[str, set[str]]:
    """Content hashes of each article among the passages a wide hybrid retrieval returns (both legs)."""
    from vectorstore.retriever import HybridRetriever

    sample = store.collection.get(limit=1, include=["embeddings"])
    if not sample["ids"]:
        return {}
    retriever = HybridRetriever.model_construct(
        store=store,
        embedder=_StoredVector(list(sample["embeddings"][0])),
        keyword=keyword,
        k=100,
        candidates=200,
        per_article=100,
    )
    found: dict[str, set[str]] = {}
    for doc in retriever.invoke(" ".join(_WORDS[:8])):
        found.setdefault(doc.metadata["article_id"], set()).add(doc.metadata["content_hash"])
    return found


def inspect(data_dir: Path, retrieve: bool = False) -> dict:
    """The stores' state as readers see it (the committed version of each article, read the way
    ``sources`` and retrieval read it): articles with their passage counts and versions; keyword rows;
    every passage id in Chroma, visible or not; with ``retrieve``, the versions a retrieval returned."""
    from chromadb.api.client import SharedSystemClient

    from vectorstore.embeddings import chroma_embedding_function
    from vectorstore.keyword import KeywordIndex
    from vectorstore.store import ChromaStore

    SharedSystemClient.clear_system_cache()  # read what is on disk now, not an earlier in-process view
    model = "intfloat/multilingual-e5-small"
    store_dir = data_dir / "store"
    errors = [
        e
        for e in (
            _integrity(store_dir / "chroma" / "chroma.sqlite3"),
            _integrity(store_dir / "keyword" / COLLECTION / "tokens.sqlite"),
        )
        if e
    ]
    keyword = KeywordIndex(store_dir / "keyword" / COLLECTION)
    store = ChromaStore(
        store_dir / "chroma",
        COLLECTION,
        model,
        chroma_embedding_function(_no_embedder, model),
        registry=keyword.registry,
    )
    visible = store.visible_passages()
    retrieved = _retrieved_versions(store, keyword) if retrieve else {}
    chroma_ids = set(store.collection.get(include=[])["ids"])
    keyword_states = keyword.article_states()
    keyword_ids = {r[0] for r in keyword.db.execute("SELECT passage_id FROM passages").fetchall()}
    unfinished = keyword.registry.unfinished()
    store.registry = None
    keyword.close()
    articles = {}
    for aid, rows in visible.items():
        assert all(pid.startswith(aid + ":") for pid, _ in rows)
        articles[aid] = {
            "passages": len(rows),
            "n_chunks": int(rows[0][1]["n_chunks"]),
            "versions": sorted({meta["content_hash"] for _, meta in rows}),
        }
    return {
        "errors": errors,
        "articles": articles,
        "chroma_ids": chroma_ids,
        "visible_ids": {pid for rows in visible.values() for pid, _ in rows},
        "keyword_ids": keyword_ids,
        "keyword_states": keyword_states,
        "unfinished": unfinished,
        "retrieved": retrieved,
        "store": store,
    }


def half_visible(state: dict) -> list[str]:
    """Articles whose passages are not all there, or mix two versions."""
    return [
        f"{aid}: {a['passages']}/{a['n_chunks']} passages, {len(a['versions'])} versions"
        for aid, a in state["articles"].items()
        if a["passages"] != a["n_chunks"] or len(a["versions"]) != 1
    ]


def expected_articles(corpus: Path) -> dict:
    """What the collection must hold at the end: every article of version 1, then version 2 over it
    (ingest adds and replaces; it never drops an article just because its file is gone)."""
    from vectorstore.loaders import iter_articles

    want = {}
    for version in (1, 2):
        write_corpus(corpus, version)
        want.update({a.article_id: a for a in iter_articles([corpus])})
    return want


def final_check(state: dict, want: dict, chunk_size: int = 400, chunk_overlap: int = 80) -> list[str]:
    """After a completed ingest: exactly the expected articles, each once and whole, keyword index agreeing."""
    from vectorstore.chunking import chunk_article

    problems = list(state["errors"]) + half_visible(state)
    got = state["articles"]
    if set(got) != set(want):
        problems.append(f"articles differ: missing {len(set(want) - set(got))}, extra {len(set(got) - set(want))}")
    for aid, article in want.items():
        if aid in got:
            n = len(chunk_article(article, chunk_size, chunk_overlap))
            if got[aid]["passages"] != n or got[aid]["versions"] != [article.content_hash]:
                problems.append(f"{article.source}: {got[aid]['passages']} passages (want {n}) or an old version")
    if state["keyword_ids"] != state["chroma_ids"]:
        problems.append(
            f"keyword index and Chroma disagree on {len(state['keyword_ids'] ^ state['chroma_ids'])} passages"
        )
    if state["unfinished"]:
        problems.append(f"{len(state['unfinished'])} articles still pending or removed in the registry")
    store = state["store"]
    sample = store.collection.get(limit=3, include=["embeddings"])
    for pid, vector in zip(sample["ids"], sample["embeddings"], strict=True):
        best = store.query(list(vector), 1)
        if not best or best[0].passage_id != pid:
            problems.append(f"dense index does not find passage {pid} by its own vector")
    return problems


def run_trials(models_dir: Path, workdir: Path, trials: int = 20, seed: int = 7) -> TrialStats:
    """Kill ``trials`` ingests at random moments, then finish with one complete ingest and check."""
    rng = random.Random(seed)
    stats = TrialStats()
    started = time.perf_counter()
    data_dir, corpus = workdir / "data", workdir / "corpus"
    env = _env(data_dir, models_dir)
    # calibrate on the work a trial does: a complete ingest of version 1, then the switch to version 2
    # (start-up, model load, embedding and writing the changed articles)
    for version in (1, 2):
        write_corpus(corpus, version)
        code, full = run_ingest(corpus, env, None)
        if code != 0:
            raise RuntimeError(f"calibration ingest failed with exit code {code}")
    # most kills land while batches are being embedded and written, some during start-up
    for trial in range(trials):
        version = 1 if trial % 2 == 0 else 2  # the calibration left version 2; the last trial writes it again
        write_corpus(corpus, version)
        delay = rng.uniform(0.3, 0.95) * full
        code, took = run_ingest(corpus, env, delay)
        stats.trials += 1
        if code is None:
            stats.killed += 1
            stats.kill_phases["start-up" if took < 0.4 * full else "embedding/writing"] += 1
        else:
            stats.completed_before_kill += 1
            full = (full + took) / 2  # this ingest finished before the kill: aim the next ones earlier
        state = inspect(data_dir)
        stats.integrity_errors += state["errors"]
        stats.half_visible += [f"trial {trial}: {h}" for h in half_visible(state)]
        if state["keyword_ids"] != state["visible_ids"]:
            stats.keyword_disagreeing_after_kill += 1
        if state["chroma_ids"] != state["visible_ids"]:
            stats.leftovers_after_kill += 1
    want = expected_articles(corpus)  # leaves version 2 in place
    code, _ = run_ingest(corpus, env, None)
    if code != 0:
        stats.final_problems.append(f"final ingest exited with {code}")
    stats.final_problems += final_check(inspect(data_dir), want)
    code, _ = run_ingest(corpus, env, None)  # and once more: nothing left to do
    stats.seconds = time.perf_counter() - started
    return stats


def main() -> None:
    """Run the trials and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", required=True, help="prepared models (e.g. /tmp/devmodels)")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats = run_trials(Path(args.models_dir), Path(tmp), args.trials, args.seed)
    report = {k: v for k, v in stats.__dict__.items() if k != "kill_phases"} | {"kill_phases": dict(stats.kill_phases)}
    print(json.dumps(report, indent=2))
    print("survived" if stats.ok() else "FAILED")


if __name__ == "__main__":
    main()
