"""Fusion of the dense and keyword legs: record each question's outcome under a grid of fusion settings,
fit them on eval-train (5-fold cross-validated), report eval-dev out of sample.

1. Record (needs the embedding model and an ingested eval corpus; no LLM; about 3 s a question; an
   interrupted recording resumes):
     python benchmarks/fusion.py record ../shared/eval-train/questions.jsonl --out train.fusion.jsonl
     python benchmarks/fusion.py record ../shared/eval-dev/questions.jsonl --out dev.fusion.jsonl
   (settings as for ``assistant``: ASSISTANT_DATA_DIR, ASSISTANT_COLLECTION=eval-corpus, ...)
2. Fit and report:
     python benchmarks/fusion.py fit train.fusion.jsonl --gold ../shared/eval-train/questions.jsonl \
         --test dev.fusion.jsonl --test-gold ../shared/eval-dev/questions.jsonl

Each question's legs are retrieved once; every grid point then runs the real retriever (fusion, clusters,
leaders, diversity, merging) and the real evidence reranking on them, so a recorded outcome is what the
assistant would show. The grid: RRF's k, the dense leg's weight, and the keyword leg's weight on questions
that look cross-lingual (most of the dense leg's first passages are in another language than the question:
the keyword leg then mostly matches passages in the question's language, which are the wrong ones).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RRF_K = [5, 10, 20, 60]
DENSE_WEIGHT = [1.0, 1.5, 2.0, 3.0]
KEYWORD_WEIGHT = [1.0, 0.5, 0.25, 0.0]
FOREIGN_SHARE = [0.2, 0.4, 0.6, 0.8, 1.0, 1.01]  # 1.01: the keyword weight never changes
LOOK = 5  # the dense leg's first passages whose languages are compared with the question's


SHIPPED = (10, 1.5, 1.0)
POOL = 10  # the shipped rerank_candidates


def _key(k: int, w: float, x: float, pool: int = POOL) -> str:
    return f"{k}/{w}/{x}" + (f"/p{pool}" if pool != POOL else "")


class _CachedEmbedder:
    """The embedder with every text's vector kept: grid points share most passages."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.cache: dict[str, list[float]] = {}

    def embed_query(self, text: str) -> list[float]:
        key = "q\0" + text
        if key not in self.cache:
            self.cache[key] = self.real.embed_query(text)
        return self.cache[key]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for text, vector in zip(todo, self.real.embed_documents(todo) if todo else [], strict=True):
            self.cache[text] = vector
        return [self.cache[t] for t in texts]

    def embed_sentence_groups(self, groups: list[list[str]]) -> list[list[list[float]]]:
        return self.real.embed_sentence_groups(groups)  # the real one keeps them already


def record(questions: Path, out: Path, pools: list[int] | None = None) -> None:
    """Retrieve each answerable question's legs once and write the documents shown under every grid point
    (with ``pools``: only the shipped fusion, reranking that many candidates instead)."""
    from assistant.chain import _Turn
    from assistant.services import Services
    from assistant.settings import load_settings
    from vectorstore.language import detect_language
    from vectorstore.retriever import HybridRetriever

    class Replay(HybridRetriever):
        legs: Any = None

        def _legs(self, query: str, vector: Any, since: int, extra: int = 0) -> Any:
            return self.legs

    services = Services(load_settings())
    base = services.retriever()
    answerer = services.answerer  # built with the real embedder: the retriever's field wants that type
    embedder = _CachedEmbedder(services.embedder)
    services.__dict__["embedder"] = embedder  # what the evidence reranking embeds with from now on
    pool = services.settings.rerank_candidates or services.settings.top_k
    fields = {name: getattr(base, name) for name in type(base).model_fields}
    started = time.perf_counter()
    n = 0
    done = set()
    if out.exists():  # resume: keep the complete lines of an interrupted run
        lines = [x for x in out.read_text(encoding="utf-8").splitlines() if x.endswith("}")]
        out.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        done = {json.loads(x)["id"] for x in lines}
    with out.open("a", encoding="utf-8") as fh:
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if not q.get("answerable", True) or q["id"] in done:
                continue
            question = q["question"]
            embedder.cache = {}
            vector = embedder.embed_query(question)
            registry = base.store.registry
            since = registry.generation() if registry is not None else 0
            legs = base.model_copy(update={"k": pool})._legs(question, vector, since)
            dense = legs[0]
            lang = detect_language(question)
            if pools and not foreign_share(
                {"qlang": lang, "dense_langs": [str(h.metadata.get("lang", "")) for h in dense[:LOOK]]}
            ):
                continue  # a question whose first dense passages all share its language never reranks more
            row: dict[str, Any] = {
                "id": q["id"],
                "qlang": lang,
                "dense_langs": [str(h.metadata.get("lang", "")) for h in dense[:LOOK]],
                "variants": {},
            }
            grid = (
                [(*SHIPPED, n) for n in pools]
                if pools
                else [(k, w, x, pool) for k, w, x in itertools.product(RRF_K, DENSE_WEIGHT, KEYWORD_WEIGHT)]
            )
            for k, w, x, n in grid:
                retriever = Replay.model_construct(
                    **{**fields, "k": n, "rrf_k": k, "dense_weight": w, "keyword_weight": x}, legs=legs
                )
                docs = retriever.invoke(question)
                sources = answerer._rank(_Turn(question, lang, [], {}, time.perf_counter()), docs)
                names = list(dict.fromkeys(Path(s.source).name for s in sources))
                row["variants"][_key(k, w, x, n)] = names
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            n += 1
            if n % 50 == 0:
                print(f"{n} questions, {(time.perf_counter() - started) / n:.2f} s each", file=sys.stderr)


Point = tuple[int, float, float, float]  # rrf_k, dense weight, keyword weight when foreign, foreign share


def foreign_share(row: dict[str, Any]) -> float:
    """Share of the dense leg's first passages in another language than the question."""
    langs = [x for x in row["dense_langs"] if x]
    return sum(x != row["qlang"] for x in langs) / len(langs) if langs else 0.0


def docs_at(row: dict[str, Any], point: Point) -> list[str]:
    """The documents shown for ``row`` under ``point``."""
    k, w, x, share = point
    weight = x if foreign_share(row) >= share else 1.0
    return row["variants"][_key(k, w, weight)]


def _recall_mrr(rows: list[dict[str, Any]], shown: Callable[[dict[str, Any]], list[str]]) -> tuple[float, float]:
    """(recall@5, MRR) of the gold document among the documents ``shown(row)``."""
    hits = rr = 0.0
    for row in rows:
        docs = shown(row)
        if row["gold"] in docs:
            hits += 1
            rr += 1 / (docs.index(row["gold"]) + 1)
    return hits / max(len(rows), 1), rr / max(len(rows), 1)


def metrics(rows: list[dict[str, Any]], point: Point) -> tuple[float, float]:
    """(recall@5, MRR) of the gold document."""
    return _recall_mrr(rows, lambda row: docs_at(row, point))


GRID: list[Point] = [
    p
    for p in itertools.product(RRF_K, DENSE_WEIGHT, KEYWORD_WEIGHT, FOREIGN_SHARE)
    if p[2] != 1.0 or p[3] == 1.01  # a keyword weight of 1 needs no threshold
]


def best_point(rows: list[dict[str, Any]]) -> Point:
    """The grid point with the best MRR (ties: recall, then the shipped defaults' neighbourhood)."""
    return max(GRID, key=lambda p: (round(metrics(rows, p)[1], 6), round(metrics(rows, p)[0], 6)))


def _load(path: Path, gold: Path) -> list[dict[str, Any]]:
    golds = {q["id"]: q for q in map(json.loads, gold.read_text(encoding="utf-8").splitlines())}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        q = golds[r["id"]]
        rows.append({**r, "gold": q["doc"], "lang": q["lang"], "doc_lang": q.get("doc_lang", q["lang"])})
    return rows


def _line(name: str, rows: list[dict[str, Any]], point: Point) -> str:
    rec, mrr = metrics(rows, point)
    return f"{name:<34} R@5 {rec:.3f}  MRR {mrr:.3f}"


def fit(args: argparse.Namespace) -> None:
    """Choose the fusion on eval-train, print cross-validated and eval-dev figures."""
    rows = _load(args.recording, args.gold)
    shipped: Point = (10, 1.5, 1.0, 1.01)
    cross = [r for r in rows if r["lang"] != r["doc_lang"]]
    print(f"eval-train: {len(rows)} answerable questions ({len(cross)} cross-lingual)")
    print(_line("  shipped (k=10, dense 1.5, kw 1)", rows, shipped))
    folds = 5
    cv_hits = cv_rr = 0.0
    chosen = []
    for f in range(folds):
        train = [r for i, r in enumerate(rows) if i % folds != f]
        test = [r for i, r in enumerate(rows) if i % folds == f]
        point = best_point(train)
        chosen.append(point)
        rec, mrr = metrics(test, point)
        cv_hits += rec * len(test)
        cv_rr += mrr * len(test)
    print(f"  5-fold CV of the fit                R@5 {cv_hits / len(rows):.3f}  MRR {cv_rr / len(rows):.3f}")
    print(f"  points chosen per fold: {chosen}")
    point = best_point(rows)
    print(_line(f"  fitted on all {point}", rows, point))
    no_rule = max((p for p in GRID if p[3] == 1.01), key=lambda p: metrics(rows, p)[::-1])
    print(_line(f"  variant without the rule {no_rule}", rows, no_rule))
    if cross:
        print(_line("  cross-lingual, shipped", cross, shipped))
        print(_line("  cross-lingual, fitted", cross, point))
    same = [r for r in rows if r["lang"] == r["doc_lang"]]
    print(_line("  same-language, shipped", same, shipped))
    print(_line("  same-language, fitted", same, point))
    if args.test:
        test_rows = _load(args.test, args.test_gold)
        tcross = [r for r in test_rows if r["lang"] != r["doc_lang"]]
        print(f"eval-dev, out of sample: {len(test_rows)} answerable ({len(tcross)} cross-lingual)")
        for name, p in (("shipped", shipped), ("fitted", point), ("without the rule", no_rule)):
            print(_line(f"  {name}", test_rows, p))
            if tcross:
                print(_line(f"  cross-lingual, {name}", tcross, p))


PoolPoint = tuple[int, float]  # candidates reranked when the question looks cross-lingual, foreign share


def pool_docs(row: dict[str, Any], point: PoolPoint) -> list[str]:
    """The documents shown for ``row`` when a cross-lingual-looking question reranks ``point[0]`` candidates."""
    n, share = point
    return row["variants"][_key(*SHIPPED, n if foreign_share(row) >= share else POOL)]


def pool_metrics(rows: list[dict[str, Any]], point: PoolPoint) -> tuple[float, float]:
    """(recall@5, MRR) of the gold document under a pool rule."""
    return _recall_mrr(rows, lambda row: pool_docs(row, point))


def _answerable(gold: Path) -> int:
    return sum(1 for line in gold.read_text(encoding="utf-8").splitlines() if json.loads(line).get("answerable"))


def fit_pools(args: argparse.Namespace, pools: list[int]) -> None:
    """Choose how many candidates a cross-lingual-looking question reranks, on eval-train (5-fold CV).

    The recording holds only the questions some dense passage of another language reaches (the others
    never rerank more), so the figures are the change on those rows, and its effect on all answerable."""
    rows = _load(args.recording, args.gold)
    total = _answerable(args.gold)
    grid = [(n, t) for n in pools for t in FOREIGN_SHARE]
    shipped: PoolPoint = (POOL, 1.01)

    def best(rs: list[dict[str, Any]]) -> PoolPoint:
        return max(grid, key=lambda p: (round(pool_metrics(rs, p)[1], 6), -p[0], p[1]))

    def delta(rs: list[dict[str, Any]], point: PoolPoint) -> str:
        (r0, m0), (r1, m1) = pool_metrics(rs, shipped), pool_metrics(rs, point)
        return f"R@5 {r0:.3f} -> {r1:.3f}, MRR {m0:.3f} -> {m1:.3f}"

    cross = [r for r in rows if r["lang"] != r["doc_lang"]]
    print(
        f"eval-train: {len(rows)} of {total} answerable questions reach another language ({len(cross)} cross-lingual)"
    )
    folds = 5
    hits = rr = 0.0
    chosen = []
    for f in range(folds):
        train = [r for i, r in enumerate(rows) if i % folds != f]
        test = [r for i, r in enumerate(rows) if i % folds == f]
        point = best(train)
        chosen.append(point)
        (r0, m0), (r1, m1) = pool_metrics(test, shipped), pool_metrics(test, point)
        hits += (r1 - r0) * len(test)
        rr += (m1 - m0) * len(test)
    print(f"  5-fold CV, change over all answerable: R@5 {hits / total:+.4f}  MRR {rr / total:+.4f}; chosen {chosen}")
    point = best(rows)
    print(f"  fitted on all {point}: these rows {delta(rows, point)}; cross-lingual {delta(cross, point)}")
    for n in pools:
        print(f"  pool {n} whenever another language is reached: {delta(rows, (n, 0.2))}")
    if args.test:
        test_rows = _load(args.test, args.test_gold)
        tcross = [r for r in test_rows if r["lang"] != r["doc_lang"]]
        ttotal = _answerable(args.test_gold)
        (r0, m0), (r1, m1) = pool_metrics(test_rows, shipped), pool_metrics(test_rows, point)
        print(
            f"eval-dev, out of sample: {len(test_rows)} of {ttotal} rows; {delta(test_rows, point)}; "
            f"cross-lingual ({len(tcross)}) {delta(tcross, point)}; over all answerable "
            f"R@5 {(r1 - r0) * len(test_rows) / ttotal:+.4f} MRR {(m1 - m0) * len(test_rows) / ttotal:+.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record each question's documents under every grid point")
    rec.add_argument("questions", type=Path)
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--pools", help="comma-separated candidate counts to rerank, at the shipped fusion only")
    fi = sub.add_parser("fit", help="fit on a recording, report cross-validated and test figures")
    fi.add_argument("recording", type=Path)
    fi.add_argument("--gold", type=Path, required=True)
    fi.add_argument("--test", type=Path)
    fi.add_argument("--test-gold", type=Path)
    fi.add_argument("--pools", help="the recording holds these candidate counts (record --pools): fit those")
    args = parser.parse_args()
    if args.command == "record":
        record(args.questions, args.out, [int(n) for n in args.pools.split(",")] if args.pools else None)
    elif args.pools:
        fit_pools(args, [int(n) for n in args.pools.split(",")])
    else:
        fit(args)


if __name__ == "__main__":
    main()
