"""What users wait for when asking: sources, first token, whole answer, memory, ``assistant --help``.

    python benchmarks/answer.py [--models-dir /tmp/devmodels] [--questions 10 --prepared /tmp/exp/dfinal]

The sample question is asked on the bundled sample article with the models already loaded (as in the
chat): with nothing cached, asked again, and after the chat's warm-up (the prompts' common prefix
processed). ``--questions N`` also times the first N answerable eval-dev questions on a copy of a
prepared eval-dev collection. Peak RSS is this process's: both models loaded and answering (no ingest
of a large corpus). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DEFAULT_MODELS, ROOT, SAMPLE, SAMPLE_QUESTION, eval_questions, peak_rss_mb, percentile


def help_seconds(runs: int = 5) -> float:
    """Median wall time of ``assistant --help`` in a fresh interpreter."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assistant", "--help"], cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def ask(answerer, question: str) -> dict:
    """Seconds to the sources, to the first shown token and to the end, and the answer."""
    t = time.perf_counter()
    sources_at = first = None
    answer = None
    for event in answerer.stream(question):
        if event.kind == "sources" and sources_at is None:
            sources_at = time.perf_counter() - t
        if event.kind == "token" and first is None:
            first = time.perf_counter() - t
        if event.kind == "done":
            answer = event.answer
    assert answer is not None
    return {
        "sources_s": sources_at or 0.0,
        "first_s": first or 0.0,
        "total_s": time.perf_counter() - t,
        "check_s": answer.timings.get("check_s", 0.0),
        "declined": answer.declined,
        "answer": answer.answer,
        "prompt_chars": sum(len(s.passage) for s in answer.sources),
    }


def services_for(data_dir: str, models_dir: str, warm_prompt: bool = True, **overrides):
    """Services with both models loaded and, with ``warm_prompt``, the prompt prefix processed."""
    from assistant.services import Services
    from assistant.settings import load_settings
    from vectorstore.cpu import usable_cores

    settings = load_settings(data_dir=data_dir, models_dir=models_dir or None, threads=usable_cores(), **overrides)
    services = Services(settings)
    services.embedder.embed_query("warm up")
    if warm_prompt:
        services.warm_llm()  # as the chat does while the user types
    else:
        services.llm.load()  # type: ignore[attr-defined]
    return services


def main() -> None:
    """Run the measurements and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", default=DEFAULT_MODELS)
    parser.add_argument("--questions", type=int, default=0, help="also time N eval-dev questions")
    parser.add_argument("--prepared", default="/tmp/exp/dfinal", help="data dir with an ingested eval-dev corpus")
    parser.add_argument("--collection", default="eval-corpus")
    args = parser.parse_args()

    print(f"assistant --help: {help_seconds():.2f} s (median of 5)")
    with tempfile.TemporaryDirectory() as tmp:
        services = services_for(tmp, args.models_dir, warm_prompt=False)
        services.ingester.ingest([SAMPLE])
        for run in ("nothing cached", "asked again", "prompt prefix warmed, as the chat does at start"):
            if run.startswith("prompt prefix"):
                services.answerer.warm()  # replaces the cached prompt by the common prefix only
            r = ask(services.answerer, SAMPLE_QUESTION)
            print(
                f"sample question ({run}): sources {r['sources_s']:.2f} s, first token {r['first_s']:.1f} s, "
                f"total {r['total_s']:.1f} s (check done at {r['check_s']:.1f} s, {r['prompt_chars']} passage "
                f"characters); answer: {r['answer']!r}"
            )
        print(f"peak RSS, models loaded and answering: {peak_rss_mb():.0f} MB")
        if args.questions:
            data = Path(tmp) / "prepared"
            shutil.copytree(args.prepared, data)
            services = services_for(str(data), args.models_dir, collection=args.collection)
            answerable = [q for q in eval_questions() if q["answerable"]][: args.questions]
            runs = [ask(services.answerer, q["question"]) for q in answerable]
            firsts = [r["first_s"] for r in runs if not r["declined"]]
            sources = [r["sources_s"] for r in runs]
            print(
                f"{len(runs)} eval-dev questions: sources p50 {percentile(sources, 50):.2f} s, p95 "
                f"{percentile(sources, 95):.2f} s; first token (answered ones, {len(firsts)}) p50 "
                f"{percentile(firsts, 50):.1f} s, p95 {percentile(firsts, 95):.1f} s; "
                f"{sum(r['declined'] for r in runs)} declined"
            )
            print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
