"""Ingestion: this project beside a plain LangChain pipeline, same model, same machine, same run.

    python benchmarks/ingest.py [--corpus ../shared/eval-dev/corpus] [--models-dir /tmp/devmodels]
    python benchmarks/ingest.py --memory        # peak RSS ingesting 1/3, 2/3 and all of the corpus

Each pipeline runs in its own process (so peak memory is its own), model loading excluded from the
ingest time. The baseline: RecursiveCharacterTextSplitter(1000, 200), HuggingFaceEmbeddings on the same
e5 folder (given e5's "passage: " / "query: " prompts too, for fairness), Chroma.from_documents in a
temp dir, similarity search top 5. Both are scored on eval-dev recall@5 of the gold document.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from common import (
    DEFAULT_MODELS,
    EVAL_DEV,
    eval_questions,
    peak_rss_mb,
    ratio,
    retrieval_quality,
    rss_parts_mb,
    run_child,
)


def corpus_files(corpus: Path, fraction: float) -> list[Path]:
    """A fixed random share of the corpus files (all languages mixed)."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    random.Random(0).shuffle(files)
    return sorted(files[: max(1, round(len(files) * fraction))])


def corpus_chars(files: list[Path]) -> int:
    """Characters of article text in ``files``."""
    return sum(len(p.read_text(encoding="utf-8", errors="replace")) for p in files)


def run_ours(files: list[Path], models_dir: str, quality: bool) -> dict:
    """Ingest, re-ingest, remove one article and score retrieval with this project."""
    import torch

    from assistant.services import Services
    from assistant.settings import load_settings
    from vectorstore.cpu import usable_cores

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=tmp, models_dir=models_dir or None, collection="bench", threads=usable_cores()
        )
        services = Services(settings)
        t = time.perf_counter()
        services.embedder  # noqa: B018 - load the model outside the timed ingest
        out["model_load_s"] = time.perf_counter() - t
        out["threads"] = torch.get_num_threads()
        out["int8"] = settings.embedding_int8
        t = time.perf_counter()
        report = services.ingester.ingest(files)
        out["ingest_s"] = time.perf_counter() - t
        out["articles"] = report.articles_written
        out["passages"] = report.passages
        out["peak_rss_mb"] = peak_rss_mb()
        out["rss_parts_mb"] = rss_parts_mb()
        t = time.perf_counter()
        again = services.ingester.ingest(files)
        out["reingest_s"] = time.perf_counter() - t
        out["reingest_embedded"] = again.passages
        articles = services.store.articles()
        biggest = max(articles.values(), key=lambda a: a.passages_found)
        t = time.perf_counter()
        removed = services.ingester.remove(biggest.source)
        out["remove_s"] = time.perf_counter() - t
        out["remove_passages"] = removed
        services.ingester.ingest([biggest.source])
        if quality:
            retriever = services.retriever()
            sources, seconds = {}, []
            for q in eval_questions():
                t = time.perf_counter()
                docs = retriever.invoke(q["question"])
                seconds.append(time.perf_counter() - t)
                sources[q["id"]] = [Path(d.metadata["source"]).name for d in docs]
            out.update(retrieval_quality(sources))
            out["query_mean_s"] = sum(seconds) / len(seconds)
    return out


def run_baseline(files: list[Path], models_dir: str, quality: bool) -> dict:
    """The same corpus through a plain LangChain pipeline."""
    import torch
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    out: dict = {}
    t = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=str(Path(models_dir) / "multilingual-e5-small"),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "prompt": "passage: "},
        query_encode_kwargs={"normalize_embeddings": True, "prompt": "query: "},
    )
    out["model_load_s"] = time.perf_counter() - t
    out["threads"] = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        docs = [Document(p.read_text(encoding="utf-8"), metadata={"source": p.name}) for p in files]
        chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
        store = Chroma.from_documents(chunks, embeddings, persist_directory=tmp, collection_name="baseline")
        out["ingest_s"] = time.perf_counter() - t
        out["articles"] = len(docs)
        out["passages"] = len(chunks)
        out["peak_rss_mb"] = peak_rss_mb()
        if quality:
            sources, seconds = {}, []
            for q in eval_questions():
                t = time.perf_counter()
                hits = store.similarity_search(q["question"], k=5)
                seconds.append(time.perf_counter() - t)
                sources[q["id"]] = [h.metadata["source"] for h in hits]
            out.update(retrieval_quality(sources))
            out["query_mean_s"] = sum(seconds) / len(seconds)
    return out


def compare(args: argparse.Namespace) -> None:
    """Both pipelines, then the side-by-side figures."""
    files = corpus_files(Path(args.corpus), 1.0)
    chars = corpus_chars(files)
    common = ["--corpus", args.corpus, "--models-dir", args.models_dir]
    ours = run_child(Path(__file__), ["--child", "ours", *common])
    base = run_child(Path(__file__), ["--child", "baseline", *common])

    def per_second(label: str, ours_count: float, base_count: float, spec: str) -> tuple[str, str, str, str]:
        """A throughput row: both rates (``spec``-formatted) and their ratio."""
        ours_rate, base_rate = ours_count / ours["ingest_s"], base_count / base["ingest_s"]
        return label, format(ours_rate, spec), format(base_rate, spec), ratio(ours_rate, base_rate)

    print(
        f"corpus: {len(files)} files, {chars:,} characters; threads ours {ours['threads']}, baseline {base['threads']}"
    )
    rows = [
        ("passages (chunk size)", f"{ours['passages']:,} (400)", f"{base['passages']:,} (1000)", ""),
        (
            "ingest time",
            f"{ours['ingest_s']:.1f} s",
            f"{base['ingest_s']:.1f} s",
            ratio(base["ingest_s"], ours["ingest_s"]),
        ),
        per_second("articles/s", ours["articles"], base["articles"], ".1f"),
        per_second("characters/s", chars, chars, ",.0f"),
        per_second("passages/s", ours["passages"], base["passages"], ".1f"),
        ("model load (not in ingest time)", f"{ours['model_load_s']:.1f} s", f"{base['model_load_s']:.1f} s", ""),
        ("peak RSS", f"{ours['peak_rss_mb']:.0f} MB", f"{base['peak_rss_mb']:.0f} MB", ""),
    ]
    if "recall@5" in ours:
        rows += [
            ("eval-dev recall@5", f"{ours['recall@5']:.3f}", f"{base['recall@5']:.3f}", ""),
            ("eval-dev MRR", f"{ours['mrr']:.3f}", f"{base['mrr']:.3f}", ""),
            (
                "query (mean, with embedding)",
                f"{ours['query_mean_s'] * 1000:.0f} ms",
                f"{base['query_mean_s'] * 1000:.0f} ms",
                "",
            ),
        ]
    print("| figure | this project | LangChain baseline | ours vs baseline |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"re-ingest unchanged: {ours['reingest_s']:.2f} s = {100 * ours['reingest_s'] / ours['ingest_s']:.1f}% of the "
        f"first ingest ({ours['reingest_embedded']} passages embedded)"
    )
    print(f"remove the largest article ({ours['remove_passages']} passages): {ours['remove_s'] * 1000:.0f} ms")


def memory(args: argparse.Namespace) -> None:
    """Peak RSS of ingesting a third, two thirds and all of the corpus (each in a fresh process), and
    what is resident at the end: anonymous memory, and file-backed pages (mostly the memory-mapped
    embedding model, whose 384 MB word-embedding table is paged in as new tokens are seen)."""
    for fraction in (1 / 3, 2 / 3, 1.0):
        res = run_child(
            Path(__file__),
            [
                "--child",
                "ours",
                "--no-quality",
                "--fraction",
                str(fraction),
                "--corpus",
                args.corpus,
                "--models-dir",
                args.models_dir,
            ],
        )
        parts = res.get("rss_parts_mb") or {}
        resident = (
            f" (at the end: {parts['RssAnon']:.0f} MB anonymous, {parts['RssFile']:.0f} MB file-backed)"
            if parts
            else ""
        )
        print(
            f"ingest {res['articles']} articles / {res['passages']} passages: peak RSS {res['peak_rss_mb']:.0f} MB"
            f"{resident}, {res['ingest_s']:.1f} s, {res['passages'] / res['ingest_s']:.1f} passages/s"
        )


def main() -> None:
    """Parse arguments and run the comparison, the memory check, or one child."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(EVAL_DEV / "corpus"))
    parser.add_argument("--models-dir", default=DEFAULT_MODELS, help="prepared models (default /tmp/devmodels)")
    parser.add_argument("--memory", action="store_true", help="peak RSS at 1/3, 2/3 and all of the corpus")
    parser.add_argument("--child", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--fraction", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--no-quality", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        files = corpus_files(Path(args.corpus), args.fraction)
        run = run_ours if args.child == "ours" else run_baseline
        print(json.dumps(run(files, args.models_dir, not args.no_quality)))
    elif args.memory:
        memory(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
