"""Calibrate the refusal rule on recorded eval signals; prints figures, asserts nothing.

1. Record signals with every gate open (the model still answers every question):
     ASSISTANT_MAX_NO_PROBABILITY=1.0 ASSISTANT_MIN_RELEVANCE=0 ASSISTANT_VERIFY_ANSWERS=true \
     ASSISTANT_MAX_VERIFY_NO=1.0 assistant eval QUESTIONS.jsonl --corpus DIR --out signals.jsonl
2. python benchmarks/refusal_calibration.py signals.jsonl --gold QUESTIONS.jsonl [--max-false-decline 0.08]

For each rule (decline when the model refused, or P(no) of the pre-check > a, or best dense score < b,
or P(no) of the answer verification > c) it reports false declines on answerable questions, correct
declines on unanswerable ones and "contains gold" (answerable, not declined), then writes the
predictions of the best rule within the false-decline budget next to the input for score.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from prompts import refusal_sentence


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(text.split())


def load(pred_path: Path, gold_path: Path) -> list[dict[str, Any]]:
    """Join predictions with their gold questions."""
    gold = {q["id"]: q for q in map(json.loads, gold_path.read_text(encoding="utf-8").splitlines()) if q}
    rows = []
    for line in pred_path.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        q = gold.get(p["id"])
        if q is None:
            continue
        contains = any(_norm(a) and _norm(a) in _norm(p["answer"]) for a in q.get("answers") or [])
        rows.append({**p, "answerable": q["answerable"], "contains": contains, "lang": q.get("lang", "en")})
    return rows


def declines(row: dict[str, Any], a: float, b: float, c: float) -> bool:
    """The rule: the model refused, or any signal crosses its bound."""
    p_no = row.get("no_probability")
    p_verify = row.get("verify_no_probability")
    return bool(
        row["declined"]
        or (p_no is not None and p_no > a)
        or row.get("best_score", 1.0) < b
        or (p_verify is not None and p_verify > c)
    )


def rates(rows: list[dict[str, Any]], rule: Any) -> tuple[float, float, float]:
    """(false declines, correct declines, contains-gold-and-answered)."""
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    false_decl = sum(rule(r) for r in ans) / max(len(ans), 1)
    declined = sum(rule(r) for r in una) / max(len(una), 1)
    contains = sum(r["contains"] and not rule(r) for r in ans) / max(len(ans), 1)
    return false_decl, declined, contains


def main() -> None:
    """Grid-search the bounds and print the best rules."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--max-false-decline", type=float, default=0.08)
    args = parser.parse_args()
    rows = load(args.predictions, args.gold)
    n_ans = sum(r["answerable"] for r in rows)
    print(f"{len(rows)} questions ({n_ans} answerable, {len(rows) - n_ans} unanswerable)")
    base = rates(rows, lambda r: r["declined"])
    print(f"model alone: false declines {base[0]:.3f}, declined {base[1]:.3f}, contains {base[2]:.3f}")
    grid = itertools.product(
        [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 1.01],
        [0.0, 0.79, 0.8, 0.81, 0.82, 0.83],
        [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    )
    results = []
    for a, b, c in grid:
        fd, dl, ct = rates(rows, lambda r, a=a, b=b, c=c: declines(r, a, b, c))
        results.append((fd, dl, ct, a, b, c))
    within = sorted((r for r in results if r[0] <= args.max_false_decline), key=lambda r: (-r[1], -r[2]))
    for fd, dl, ct, a, b, c in within[:8]:
        print(f"false declines {fd:.3f}  declined {dl:.3f}  contains {ct:.3f}  | check>{a} dense<{b} verify>{c}")
    if not within:
        print("no rule stays within the false-decline budget")
        return
    _, _, _, a, b, c = within[0]
    out = args.predictions.with_name(args.predictions.stem + ".calibrated.jsonl")
    with out.open("w", encoding="utf-8") as fh:
        for r in rows:
            pred = {k: r[k] for k in ("id", "answer", "sources", "declined")}
            if declines(r, a, b, c) and not r["declined"]:
                pred["declined"] = True
                pred["answer"] = refusal_sentence(r["lang"])
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
    print(f"best rule's predictions: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
