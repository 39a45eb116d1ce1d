"""Calibrate the refusal rule on recorded eval signals; prints figures, asserts nothing.

1. Record signals with every gate open (the model answers every question):
     ASSISTANT_MAX_DECLINE_PROBABILITY=1.0 ASSISTANT_MIN_RELEVANCE=0 \
     assistant eval QUESTIONS.jsonl --corpus DIR --out signals.jsonl
2. python benchmarks/refusal_calibration.py signals.jsonl --gold QUESTIONS.jsonl [--max-false-decline 0.08]

It fits the logistic rule of ``assistant/refusal.py`` (the check's P(no) and the question's coverage by
the passages; coverage alone for ``refusal_check = false``), prints its coefficients, its cross-validated
AUC and, for thresholds around the false-decline budget, false declines on answerable questions, correct
declines on unanswerable ones and "contains gold" (answered and right), all counting the model's own
refusals too. The predictions of the chosen threshold are written next to the input for score.py.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from prompts import refusal_sentence

FEATURES = {"with check": ("no_probability", "coverage"), "coverage only": ("coverage",)}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(text.split())


def load(pred_path: Path, gold_path: Path) -> list[dict[str, Any]]:
    """Join predictions with their gold questions (only rows that carry every signal)."""
    gold = {q["id"]: q for q in map(json.loads, gold_path.read_text(encoding="utf-8").splitlines()) if q}
    rows = []
    for line in pred_path.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        q = gold.get(p["id"])
        if q is None or p.get("no_probability") is None or p.get("coverage") is None:
            continue
        contains = any(_norm(a) and _norm(a) in _norm(p["answer"]) for a in q.get("answers") or [])
        rows.append({**p, "answerable": q["answerable"], "contains": contains, "lang": q.get("lang", "en")})
    return rows


def fit(rows: list[dict[str, Any]], names: tuple[str, ...]) -> tuple[list[float], float]:
    """Logistic coefficients (intercept first) on all rows, and the AUC of 5x repeated 5-fold CV."""
    x = np.array([[r[n] for n in names] for r in rows])
    y = np.array([0 if r["answerable"] else 1 for r in rows])
    held_out = np.zeros(len(rows))
    for seed in range(5):
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
            held_out[test] += LogisticRegression().fit(x[train], y[train]).predict_proba(x[test])[:, 1] / 5
    pos, neg = held_out[y == 1], held_out[y == 0]
    auc = float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg]))
    model = LogisticRegression().fit(x, y)
    return [float(model.intercept_[0]), *map(float, model.coef_[0])], auc


def probability(row: dict[str, Any], names: tuple[str, ...], coef: list[float]) -> float:
    """The fitted rule's decline probability for one row."""
    z = coef[0] + sum(c * row[n] for c, n in zip(coef[1:], names, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def rates(rows: list[dict[str, Any]], declined: list[bool]) -> tuple[float, float, float]:
    """(false declines, correct declines, contains-gold-and-answered)."""
    ans = [d for r, d in zip(rows, declined, strict=True) if r["answerable"]]
    una = [d for r, d in zip(rows, declined, strict=True) if not r["answerable"]]
    right = [r["contains"] and not d for r, d in zip(rows, declined, strict=True) if r["answerable"]]
    return sum(ans) / max(len(ans), 1), sum(una) / max(len(una), 1), sum(right) / max(len(right), 1)


def main() -> None:
    """Fit, sweep thresholds, write the chosen rule's predictions."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--max-false-decline", type=float, default=0.08)
    parser.add_argument("--min-relevance", type=float, default=0.79, help="the dense gate applied as well")
    args = parser.parse_args()
    rows = load(args.predictions, args.gold)
    n_ans = sum(r["answerable"] for r in rows)
    print(f"{len(rows)} questions ({n_ans} answerable, {len(rows) - n_ans} unanswerable)")
    fd, dl, ct = rates(rows, [r["declined"] for r in rows])
    print(f"model alone: false declines {fd:.3f}, declined {dl:.3f}, contains {ct:.3f}")
    chosen: list[bool] = []
    for label, names in FEATURES.items():
        coef, auc = fit(rows, names)
        print(
            f"\n{label}: coefficients {[round(c, 3) for c in coef]} (intercept, {', '.join(names)}), CV AUC {auc:.3f}"
        )
        gate = [r["declined"] or r.get("best_score", 1.0) < args.min_relevance for r in rows]
        probs = [probability(r, names, coef) for r in rows]
        best = None
        for threshold in np.arange(0.30, 0.80, 0.02):
            declined = [g or p > threshold for g, p in zip(gate, probs, strict=True)]
            fd, dl, ct = rates(rows, declined)
            print(f"  decline above {threshold:.2f}: false declines {fd:.3f}  declined {dl:.3f}  contains {ct:.3f}")
            if fd <= args.max_false_decline and (best is None or dl > best[0]):
                best = (dl, threshold, declined)
        if best and label == "with check":
            chosen = best[2]
            print(f"  -> within the budget: decline above {best[1]:.2f} (declined {best[0]:.3f})")
    if not chosen:
        return
    out = args.predictions.with_name(args.predictions.stem + ".calibrated.jsonl")
    with out.open("w", encoding="utf-8") as fh:
        for r, declined in zip(rows, chosen, strict=True):
            pred = {k: r[k] for k in ("id", "answer", "sources", "declined")}
            if declined and not r["declined"]:
                pred["declined"], pred["answer"] = True, refusal_sentence(r["lang"])
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
    print(f"chosen rule's predictions: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
