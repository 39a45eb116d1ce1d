"""Digest and timeline on the fixture news corpus (and optionally eval-dev): timings, and the story
grouping measured against the corpus's known stories (pairwise precision/recall/F1, stories recovered
exactly), with a sweep of the grouping's similarity threshold and day window.

    python benchmarks/news.py --models-dir DIR [--eval-dev ../shared/eval-dev/corpus] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "fixtures" / "news_corpus"
QUERIES = ["serangan ransomware Pusat Data Nasional", "pengungsi erupsi Gunung Lewotobi", "banjir bandang Sukabumi"]


def _services(data_dir: Path, models_dir: str):
    from assistant.services import Services
    from assistant.settings import load_settings

    return Services(load_settings(data_dir=str(data_dir), models_dir=models_dir))


def _gold(articles) -> dict[str, str]:
    gold = json.loads((CORPUS / "gold.json").read_text(encoding="utf-8"))
    return {a.article_id: gold.get(a.source) or gold[Path(a.source).name] for a in articles}


def fixture(models_dir: str, sweep: bool) -> None:
    """Ingest the fixture corpus into a temp dir, then time the digest and timelines and score the grouping."""
    from assistant.news.corpus import load_articles
    from assistant.news.digest import build_digest
    from assistant.news.grouping import group_stories, pairwise_scores
    from assistant.news.timeline import build_timeline

    with tempfile.TemporaryDirectory() as tmp:
        services = _services(Path(tmp), models_dir)
        t = time.perf_counter()
        services.ingester.ingest([CORPUS / "html", CORPUS / "json", CORPUS / "pdf"])
        print(f"ingest of the fixture corpus: {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        articles = load_articles(services.store)
        digest = build_digest(articles)
        digest_s = time.perf_counter() - t
        gold = _gold(articles)
        scores = pairwise_scores([s.story for s in digest.stories], gold)
        print(f"digest: {digest_s:.2f}s; {digest.coverage_line}; grouping {scores}")
        print(f"disagreements: {sum(len(s.disagreements) for s in digest.stories)}")
        services.embedder.embed_query("warm up")
        for query in QUERIES:
            t = time.perf_counter()
            timeline = build_timeline(query, load_articles(services.store), services.embedder.embed_query(query), 0.79)
            print(
                f"timeline {query!r}: {time.perf_counter() - t:.2f}s, {len(timeline.events)} events, "
                f"{len(timeline.articles)} articles, {len(timeline.disagreements)} disagreements"
            )
        if sweep:
            for similarity in (0.82, 0.84, 0.85, 0.86, 0.87, 0.88, 0.90):
                for days in (3.0, 7.0, 14.0):
                    s = pairwise_scores(group_stories(articles, similarity, days), gold)
                    print(f"  similarity {similarity:.2f} days {days:>4.0f}: {s}")
            same = [
                float(a.vector @ b.vector)
                for i, a in enumerate(articles)
                for b in articles[i + 1 :]
                if gold[a.article_id] == gold[b.article_id] and a.cluster != b.cluster
            ]
            other = [
                float(a.vector @ b.vector)
                for i, a in enumerate(articles)
                for b in articles[i + 1 :]
                if gold[a.article_id] != gold[b.article_id]
            ]
            print(
                f"  cosine same story: min {min(same):.3f} mean {sum(same) / len(same):.3f}; "
                f"other stories: max {max(other):.3f} mean {sum(other) / len(other):.3f}"
            )


def eval_dev(models_dir: str, corpus: Path, data_dir: Path | None) -> None:
    """Digest and a timeline over eval-dev (its articles mostly have no dates)."""
    from assistant.news.corpus import load_articles
    from assistant.news.digest import build_digest
    from assistant.news.timeline import build_timeline

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="news-evaldev-"))
    services = _services(data_dir, models_dir)
    t = time.perf_counter()
    services.ingester.ingest([corpus])
    print(f"eval-dev ingest (or check): {time.perf_counter() - t:.1f}s in {data_dir}")
    t = time.perf_counter()
    articles = load_articles(services.store)
    read_s = time.perf_counter() - t
    digest = build_digest(articles)
    total = time.perf_counter() - t
    undated = sum(a.date is None for a in articles)
    print(
        f"eval-dev digest: {total:.1f}s (reading {read_s:.1f}s); {len(articles)} articles, {undated} undated; "
        f"{digest.coverage_line}"
    )
    services.embedder.embed_query("warm up")
    t = time.perf_counter()
    timeline = build_timeline(
        "Korea Utara kirim pasukan ke Rusia",
        load_articles(services.store),
        services.embedder.embed_query("Korea Utara kirim pasukan ke Rusia"),
        0.79,
    )
    print(f"eval-dev timeline: {time.perf_counter() - t:.1f}s, {len(timeline.events)} events")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models-dir", required=True)
    parser.add_argument("--eval-dev", metavar="CORPUS", help="also time the digest on this corpus folder")
    parser.add_argument("--eval-dev-data", metavar="DIR", help="data dir for eval-dev (reused if ingested)")
    parser.add_argument("--sweep", action="store_true", help="grouping at other thresholds")
    args = parser.parse_args()
    fixture(args.models_dir, args.sweep)
    if args.eval_dev:
        eval_dev(args.models_dir, Path(args.eval_dev), Path(args.eval_dev_data) if args.eval_dev_data else None)


if __name__ == "__main__":
    main()
