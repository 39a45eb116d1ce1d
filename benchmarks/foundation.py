"""Ingest and answer figures on this machine: prints them, asserts nothing.

    python benchmarks/foundation.py [--corpus ../shared/eval-dev/corpus] [--models-dir DIR]

Uses a temporary data dir (models are prepared in --models-dir, default: a temp dir too).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from answer import ask  # benchmarks/answer.py: one way to time a streamed answer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "articles"
QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the measurements and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "eval-dev" / "corpus"))
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args()

    from assistant.services import Services
    from assistant.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        models = args.models_dir or str(Path(tmp) / "models")
        t = time.perf_counter()
        services = Services(load_settings(data_dir=tmp, models_dir=models))
        services.embedding_path()
        services.gguf_path()
        print(f"models ready (prepare if needed): {time.perf_counter() - t:.1f} s")

        corpus = Path(args.corpus)
        if corpus.is_dir():
            t = time.perf_counter()
            report = services.ingester.ingest([corpus])
            took = time.perf_counter() - t
            print(
                f"ingest {corpus.name}: {report.articles_written} articles, {report.passages} passages in {took:.1f} s "
                f"({report.passages / took:.1f} passages/s, {report.articles_written / took:.1f} articles/s)"
            )
            t = time.perf_counter()
            again = services.ingester.ingest([corpus])
            print(f"re-ingest unchanged: {time.perf_counter() - t:.2f} s ({again.passages} passages embedded)")
            print(f"peak RSS after ingest: {peak_rss_mb():.0f} MB")
        services.ingester.ingest([SAMPLE])

        answerer = services.answerer
        t = time.perf_counter()
        services.llm.load()  # type: ignore[attr-defined]
        print(f"LLM load: {time.perf_counter() - t:.1f} s")
        for run in ("cold", "warm"):
            timed = ask(answerer, QUESTION)
            print(
                f"sample question ({run} prompt cache): sources {timed['sources_s']:.2f} s, first token "
                f"{timed['first_s']:.1f} s, total {timed['total_s']:.1f} s, check {timed['check_s']:.1f} s; "
                f"answer: {timed['answer']!r}"
            )
        print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
