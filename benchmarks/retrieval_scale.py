"""Hybrid retrieval on large collections (10k and 100k passages): latency, quality, removal.

    python benchmarks/retrieval_scale.py --prepared /tmp/exp/dfinal [--collection eval-corpus] [--sizes 10000 100000]

Embedding 100k passages would take about an hour here, so the collections are grown from a prepared
eval-dev collection (copied, never modified): each synthetic passage joins the first half of one real
passage's sentences to the second half of another's, and its vector is the renormalised sum of their
real vectors. They are written through the project's own store and keyword APIs, five per synthetic
article. The real passages stay, so eval-dev recall@5 is measured with 30x the distractors.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DEFAULT_MODELS, eval_questions, peak_rss_mb, percentile, retrieval_quality

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
_PER_ARTICLE = 5


def real_passages(store) -> tuple[list[str], list[dict], np.ndarray]:
    """Texts, metadata and vectors of every stored passage."""
    texts, metas, vectors = [], [], []
    offset = 0
    while True:
        page = store.collection.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
        texts += page["documents"]
        metas += page["metadatas"]
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
        if len(page["ids"]) < 5000:
            return texts, metas, np.concatenate(vectors)
        offset += 5000


def synthetic_articles(count: int, start: int, texts: list[str], metas: list[dict], vectors: np.ndarray, rng):
    """``count`` synthetic articles of five passages each, as ``(article, passages, vectors)``."""
    from vectorstore.documents import Article, Passage

    out = []
    for n in range(start, start + count):
        parts, vecs = [], []
        for _ in range(_PER_ARTICLE):
            a, b = rng.randrange(len(texts)), rng.randrange(len(texts))
            sa, sb = _SENTENCE_END.split(texts[a]), _SENTENCE_END.split(texts[b])
            parts.append(" ".join(sa[: max(1, len(sa) // 2)] + sb[len(sb) // 2 :]))
            v = vectors[a] + vectors[b]
            vecs.append((v / np.linalg.norm(v)).tolist())
        article = Article(
            f"/synthetic/{n:06d}.txt", "\n\n".join(parts), lang=str(metas[a].get("lang", "")), titled=False
        )
        passages, at = [], 0
        for i, text in enumerate(parts):
            passages.append(Passage(article.article_id, i, text, at, at + len(text)))
            at += len(text) + 2
        out.append((article, passages, vecs))
    return out


def grow(services, target: int, texts, metas, vectors, rng) -> float:
    """Add synthetic articles until the collection holds ``target`` passages; returns seconds taken."""
    store, keyword, chunking = services.store, services.keyword, services.ingester.chunking
    started = time.perf_counter()
    made = store.count()
    while store.count() < target:
        batch = synthetic_articles(
            min(400, (target - store.count()) // _PER_ARTICLE + 1), made, texts, metas, vectors, rng
        )
        made += len(batch)
        store.write_articles(batch, chunking)
        for article, passages, _ in batch:
            keyword.replace_article(article.article_id, [(p.passage_id, p.text) for p in passages])
    return time.perf_counter() - started


def timed(fn, items) -> tuple[list[float], list]:
    """Seconds per call of ``fn`` over ``items`` (after two warm-up calls), and the results."""
    for item in items[:2]:
        fn(item)
    seconds, results = [], []
    for item in items:
        t = time.perf_counter()
        results.append(fn(item))
        seconds.append(time.perf_counter() - t)
    return seconds, results


def ms(seconds: list[float]) -> str:
    """p50 / p95 in milliseconds."""
    return f"p50 {percentile(seconds, 50) * 1000:.0f} ms, p95 {percentile(seconds, 95) * 1000:.0f} ms"


def measure(services, size: int) -> None:
    """Latency (with and without the query embedding), per-leg latency, recall@5, removal at one size."""
    from vectorstore.keyword import KeywordIndex

    store, keyword = services.store, services.keyword
    questions = eval_questions()
    texts = [q["question"] for q in questions]
    t = time.perf_counter()
    keyword.search("warm", 1)
    rebuild = time.perf_counter() - t
    t = time.perf_counter()
    fresh = KeywordIndex(keyword.directory)
    fresh.search("warm", 1)
    fresh.close()
    print(
        f"[{size:,}] keyword index: rebuilt after a change in {rebuild:.2f} s; loaded from its cache in "
        f"{time.perf_counter() - t:.2f} s"
    )

    retriever = services.retriever()
    full, docs = timed(retriever.invoke, texts)
    names = {q["id"]: [Path(d.metadata["source"]).name for d in ds] for q, ds in zip(questions, docs, strict=True)}
    quality = retrieval_quality(names)
    cache = {q: services.embedder.embed_query(q) for q in texts}
    embed_s, _ = timed(services.embedder.embed_query, texts)
    services.embedder.embed_query = cache.__getitem__  # the query vectors, ready
    try:
        bare, _ = timed(retriever.invoke, texts)
        dense_s, _ = timed(lambda q: store.query(cache[q], retriever.candidates), texts)
    finally:
        del services.embedder.embed_query
    keyword_s, _ = timed(lambda q: keyword.search(q, retriever.candidates), texts)
    print(
        f"[{size:,}] hybrid retrieval, {len(texts)} eval-dev questions: {ms(full)} (query embedding included); "
        f"{ms(bare)} without it"
    )
    print(
        f"[{size:,}]   legs: query embedding {ms(embed_s)}; Chroma top-{retriever.candidates} {ms(dense_s)}; "
        f"bm25s top-{retriever.candidates} {ms(keyword_s)}"
    )
    print(
        f"[{size:,}] eval-dev recall@5 {quality['recall@5']:.3f}, MRR {quality['mrr']:.3f} ({store.count():,} passages)"
    )

    real = [a for a in store.articles().values() if not a.source.startswith("/synthetic/")]
    victim = max(real, key=lambda a: a.passages_found)
    t = time.perf_counter()
    removed = services.ingester.remove(victim.source)
    took = time.perf_counter() - t
    t = time.perf_counter()
    keyword.search("warm", 1)
    print(
        f"[{size:,}] remove one article ({removed} passages): {took * 1000:.0f} ms; first keyword search after "
        f"it {(time.perf_counter() - t) * 1000:.0f} ms"
    )
    if Path(victim.source).is_file():
        services.ingester.ingest([victim.source])
    print(f"[{size:,}] peak RSS so far {peak_rss_mb():.0f} MB")


def main() -> None:
    """Copy the prepared collection, grow it to each size and measure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepared", default="/tmp/exp/dfinal", help="data dir holding an ingested eval-dev corpus")
    parser.add_argument("--collection", default="eval-corpus")
    parser.add_argument("--models-dir", default=DEFAULT_MODELS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()

    from assistant.services import Services
    from assistant.settings import load_settings
    from vectorstore.cpu import usable_cores

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(args.prepared, data)
        settings = load_settings(
            data_dir=str(data), models_dir=args.models_dir or None, collection=args.collection, threads=usable_cores()
        )
        services = Services(settings)
        texts, metas, vectors = real_passages(services.store)
        print(f"prepared collection: {len(texts):,} real passages ({services.store.embedding_precision})")
        rng = random.Random(0)
        for size in args.sizes:
            took = grow(services, size, texts, metas, vectors, rng)
            print(f"[{size:,}] grown to {services.store.count():,} passages in {took:.0f} s")
            measure(services, size)


if __name__ == "__main__":
    main()
