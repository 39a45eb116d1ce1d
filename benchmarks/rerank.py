"""Evidence reranking: record the passages' signals, fit the weights on eval-train, report eval-dev.

1. Record (needs the models and an ingested eval corpus; nothing is generated, so it takes minutes):
     python benchmarks/rerank.py record ../shared/eval-train/questions.jsonl --out train.rerank.jsonl
     python benchmarks/rerank.py record ../shared/eval-dev/questions.jsonl --out dev.rerank.jsonl
   (settings as for ``assistant``: ASSISTANT_DATA_DIR, ASSISTANT_COLLECTION=eval-corpus, ...)
2. Fit and report:
     python benchmarks/rerank.py fit train.rerank.jsonl --gold ../shared/eval-train/questions.jsonl \
         --test dev.rerank.jsonl --test-gold ../shared/eval-dev/questions.jsonl

The fit is a grid over the two weights of ``assistant.evidence.combined_score`` (best sentence + a *
passage + b / rank), chosen on eval-train by MRR of the gold document among the first ``top_k`` passages
(5-fold cross-validated figures printed beside it); eval-dev is only scored.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def in_one_batch(embedder: Any) -> Any:
    """``embed_groups`` that embeds every group's texts in one ``embed_documents`` call."""

    def embed(groups: list[list[str]]) -> list[list[list[float]]]:
        flat = embedder.embed_documents([t for g in groups for t in g])
        out, i = [], 0
        for g in groups:
            out.append(flat[i : i + len(g)])
            i += len(g)
        return out

    return embed


def record(questions: Path, out: Path, candidates: int, batching: str = "apart") -> None:
    """Retrieve ``candidates`` passages per question and write each one's signals. ``batching`` "one"
    embeds every candidate's sentences in one call (as before session 10) instead of each passage's
    apart (int8 quantizes activations per batch, so a sentence's vector then depends on the others)."""
    from assistant.evidence import score_passages
    from assistant.services import Services
    from assistant.settings import load_settings

    services = Services(load_settings())
    retriever = services.retriever()
    retriever.k = candidates
    if batching == "one":
        embedder = services.embedder

        def one_batch(question: str, texts: list[str], keyword: list[float], dense: list[float]) -> list[Any]:
            return score_passages(question, texts, dense, embedder.embed_query, in_one_batch(embedder), None, keyword)

        services.score_evidence = one_batch  # type: ignore[method-assign]
    with out.open("w", encoding="utf-8") as fh:
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            docs = retriever.invoke(q["question"])
            texts = [d.page_content for d in docs]
            keyword = [float(d.metadata.get("keyword_score", 0.0)) for d in docs]
            dense = [float(d.metadata.get("dense_score", 0.0)) for d in docs]
            evidence = services.score_evidence(q["question"], texts, keyword, dense)  # what the Answerer ranks by
            rows = [
                {
                    "doc": Path(str(d.metadata.get("source", ""))).name,
                    "passage": round(e.passage_score, 4),
                    "sentences": [s.score for s in e.sentences],
                    "keyword": round(float(d.metadata.get("keyword_score", 0.0)), 3),
                    "dense": round(float(d.metadata.get("dense_score", 0.0)), 4),
                }
                for d, e in zip(docs, evidence, strict=True)
            ]
            fh.write(json.dumps({"id": q["id"], "candidates": rows}, ensure_ascii=False) + "\n")


def _load(path: Path, gold: Path) -> list[dict[str, Any]]:
    golds = {q["id"]: q for q in map(json.loads, gold.read_text(encoding="utf-8").splitlines())}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        q = golds[r["id"]]
        if q.get("answerable"):
            rows.append({**r, "gold": q["doc"], "lang": q["lang"], "doc_lang": q.get("doc_lang", q["lang"])})
    return rows


Weights = tuple[float, float, float, float]  # passage, second sentence, 1/rank, relative keyword


def ranked_docs(row: dict[str, Any], w: Weights | None, top_k: int) -> list[str]:
    """The documents of the first ``top_k`` passages, reranked with weights ``w`` (None: retrieval order)."""
    candidates = row["candidates"]
    if w is None:
        return list(dict.fromkeys(c["doc"] for c in candidates[:top_k]))
    top_keyword = max((c["keyword"] for c in candidates), default=0.0) or 1.0
    scored = []
    for rank, c in enumerate(candidates, start=1):
        ordered = sorted(c["sentences"], reverse=True) or [0.0]
        second = ordered[1] if len(ordered) > 1 else ordered[0]
        score = ordered[0] + w[1] * second + w[0] * c["passage"] + w[2] / rank + w[3] * c["keyword"] / top_keyword
        scored.append((score, -rank, c["doc"]))
    return list(dict.fromkeys(doc for _, _, doc in sorted(scored, reverse=True)[:top_k]))


def metrics(rows: list[dict[str, Any]], w: Weights | None, top_k: int) -> tuple[float, float]:
    """(recall@top_k, MRR) of the gold document."""
    hits = rr = 0.0
    for row in rows:
        docs = ranked_docs(row, w, top_k)
        if row["gold"] in docs:
            hits += 1
            rr += 1 / (docs.index(row["gold"]) + 1)
    return hits / max(len(rows), 1), rr / max(len(rows), 1)


GRID = list(
    itertools.product([0.0, 0.5, 1.0, 1.5], [0.0, 0.3, 0.6, 1.0], [0.0, 0.01, 0.02, 0.04], [0.0, 0.02, 0.05, 0.1])
)


def best_weights(rows: list[dict[str, Any]], top_k: int) -> Weights:
    """The grid point with the best MRR (ties: recall) on ``rows``."""
    return max(GRID, key=lambda w: metrics(rows, w, top_k)[::-1])


def fit(args: argparse.Namespace) -> None:
    """Choose the weights on eval-train, print cross-validated and eval-dev figures."""
    rows = _load(args.recording, args.gold)
    k = args.top_k
    print(f"eval-train: {len(rows)} answerable questions; retrieval order: R@{k} / MRR {metrics(rows, None, k)}")
    folds = 5
    cv_hits = cv_rr = 0.0
    for f in range(folds):
        train = [r for i, r in enumerate(rows) if i % folds != f]
        test = [r for i, r in enumerate(rows) if i % folds == f]
        rec, mrr = metrics(test, best_weights(train, k), k)
        cv_hits += rec * len(test)
        cv_rr += mrr * len(test)
    print(f"  5-fold CV reranked: R@{k} {cv_hits / len(rows):.3f}  MRR {cv_rr / len(rows):.3f}")
    w = best_weights(rows, k)
    rec, mrr = metrics(rows, w, k)
    print(f"  chosen on all of eval-train: (passage, second, rank, keyword) = {w}: R@{k} {rec:.3f} MRR {mrr:.3f}")
    from assistant.evidence import W_KEYWORD, W_PASSAGE, W_RANK, W_SECOND

    shipped = (W_PASSAGE, W_SECOND, W_RANK, W_KEYWORD)
    print(f"  shipped weights {shipped}: R@{k} / MRR {metrics(rows, shipped, k)}")
    sentence_only = (0.0, 0.0, 0.0, 0.0)
    print(f"  variant best sentence only: {metrics(rows, sentence_only, k)}")
    cross = [r for r in rows if r["lang"] != r["doc_lang"]]
    if cross:
        print(f"  cross-lingual ({len(cross)}): before {metrics(cross, None, k)}, after {metrics(cross, w, k)}")
    if args.test:
        test_rows = _load(args.test, args.test_gold)
        base = metrics(test_rows, None, k)
        rec, mrr = metrics(test_rows, w, k)
        print(
            f"eval-dev ({len(test_rows)} answerable), out of sample: retrieval order R@{k} {base[0]:.3f} "
            f"MRR {base[1]:.3f}; reranked R@{k} {rec:.3f} MRR {mrr:.3f}"
        )


def main() -> None:
    """``record`` or ``fit``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("questions", type=Path)
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--candidates", type=int, default=10)
    rec.add_argument(
        "--batching", choices=["one", "apart"], default="apart", help="sentences embedded per passage or in one call"
    )
    fitp = sub.add_parser("fit")
    fitp.add_argument("recording", type=Path)
    fitp.add_argument("--gold", type=Path, required=True)
    fitp.add_argument("--test", type=Path)
    fitp.add_argument("--test-gold", type=Path)
    fitp.add_argument("--top-k", type=int, default=5)
    args = parser.parse_args()
    if args.command == "record":
        record(args.questions, args.out, args.candidates, args.batching)
    else:
        fit(args)


if __name__ == "__main__":
    main()
