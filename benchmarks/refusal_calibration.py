"""Fit the refusal rule on eval-train (cross-validated), report it on eval-dev; prints figures, asserts nothing.

1. Record the signals once with every gate open (the model answers every question; both checks run):
     ASSISTANT_MAX_DECLINE_PROBABILITY=1.0 ASSISTANT_RECORD_ALL_SIGNALS=true \\
       assistant eval QUESTIONS.jsonl --corpus DIR --out signals.jsonl
   for eval-train (or a subset of it) and for eval-dev.
2. python benchmarks/refusal_calibration.py train.signals.jsonl [more parts …] \\
       --gold ../shared/eval-train/questions.jsonl \\
       --test dev.signals.jsonl --test-gold ../shared/eval-dev/questions.jsonl --out DIR
   (``--extra PRED GOLD``, repeatable: more fitting rows with their own questions file, such as the
   unanswerable questions ``heldout_unanswerable.py`` makes from eval-train's answerable ones; a question
   and the one made from it always share a fold.)

For each feature set (``assistant.refusal.refusal_features``) it fits a logistic rule on eval-train, picks
the threshold on eval-train (the highest share of declined unanswerable questions with at most
``--max-false-decline`` false declines), and prints 5-fold cross-validated eval-train figures: AUC, false
declines, declined, contains, overall (the threshold is chosen inside each fold too). The rule of the
chosen feature set (``--features``), fitted on all of eval-train, is then applied to eval-dev unchanged.
Every decision is replayed from the recording exactly as ``Answerer`` makes it: decline above the threshold
before generating; else the first answer if its checks passed, the focused retry's if that passed, else the
evidence sentence when it holds an answer of the type asked for and the rule is below
``after_failed_checks``, else decline. The predictions are written for score.py: ``train.calibrated.jsonl``
(the rule fitted on all of eval-train, in sample), ``train.cv.jsonl`` (the chosen set's out-of-fold
decisions: the eval-train figure to report) and ``dev.calibrated.jsonl``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from assistant.answer_checks import check_type
from assistant.models.catalog import DEFAULT_EMBEDDING_MODEL
from assistant.refusal import decides_before_answer, refusal_features
from prompts import evidence_label, refusal_sentence

FEATURE_SETS = {
    "locate": ("locate_none",),
    "yes/no check": ("no_probability",),
    "evidence gap": ("sentence_gap",),
    "coverage (same language)": ("coverage_same",),
    "locate + gap": ("locate_none", "sentence_gap"),
    "yes/no + gap": ("no_probability", "sentence_gap"),
    "gap + coverage": ("sentence_gap", "coverage_same"),
    "locate + gap + coverage": ("locate_none", "sentence_gap", "coverage_same"),
    "yes/no + gap + coverage": ("no_probability", "sentence_gap", "coverage_same"),
    "all four": ("locate_none", "no_probability", "sentence_gap", "coverage_same"),
}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(text.split())


def load(pred_paths: Path | list[Path], gold_path: Path) -> list[dict[str, Any]]:
    """The recorded predictions (one file, or several read as one: a recording made in parts) joined
    with their questions; a question recorded twice counts once, as its last recording."""
    gold = {q["id"]: q for q in map(json.loads, gold_path.read_text(encoding="utf-8").splitlines()) if q}
    rows: dict[str, dict[str, Any]] = {}
    for path in [pred_paths] if isinstance(pred_paths, Path) else pred_paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            p = json.loads(line)
            q = gold.get(p["id"])
            if q is None:
                continue
            p["signals"] = _with_language_share(p.get("signals") or {}, p.get("sources") or [], q.get("lang"))
            features = refusal_features(p["signals"])
            rows[p["id"]] = {**p, "q": q, "features": features, "answerable": bool(q["answerable"])}
    return list(rows.values())


def _with_language_share(signals: dict[str, Any], sources: list[str], lang: str | None) -> dict[str, Any]:
    """``signals`` with ``passages_language_share``: a recording made before session 16 lacks it, and it
    is then read off the eval corpus's file names (each starts with its document's language code), over
    the documents rather than the passages."""
    if signals.get("passages_language_share") is not None or not sources or not lang:
        return signals
    langs = [Path(name).name.split("_", 1)[0] for name in sources]
    return {**signals, "passages_language_share": sum(x == lang for x in langs) / len(langs)}


def matrix(rows: list[dict[str, Any]], names: tuple[str, ...]) -> np.ndarray:
    """Feature rows (a missing value takes the column's mean)."""
    x = np.array([[np.nan if r["features"].get(n) is None else r["features"][n] for n in names] for r in rows])
    means = np.nanmean(x, axis=0)
    return np.where(np.isnan(x), means, x)


def replay(row: dict[str, Any], p: float, threshold: float, after_failed: float) -> tuple[str, bool]:
    """The answer the Answerer gives for this recorded row under a rule giving ``p`` (text, declined)."""
    lang = row["q"].get("lang", "en")
    refusal = refusal_sentence(lang)
    if p > threshold:
        return refusal, True
    signals = row.get("signals") or {}
    if row["declined"] and not row.get("attempts"):  # the model's own refusal, or no passages
        return row["answer"], True
    if signals.get("checks_ok", 1.0) or signals.get("retry_ok"):  # the recorded answer passed its checks
        return row["answer"], False
    quote = row.get("evidence")
    if quote and p <= after_failed and check_type(quote, row["q"]["question"], row.get("answer_type", "other")).ok:
        return f"{evidence_label(lang)} {quote} [{row.get('evidence_n') or 1}]", False
    return refusal, True


def _unspaced_script(text: str) -> bool:
    """Whether ``text`` holds Chinese, Japanese or Thai, which score.py compares with spaces removed."""
    return any(
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x0E00 <= o <= 0x0E7F
        or 0x3040 <= o <= 0x30FF
        or 0xF900 <= o <= 0xFAFF
        for o in map(ord, text)
    )


def contains(answer: str, golds: list[str]) -> bool:
    """score.py's "contains": a normalised gold string inside the normalised answer (for Chinese, Japanese
    and Thai golds, with every space removed from both)."""
    a = _norm(answer)
    for gold in golds:
        g = _norm(gold)
        if not g:
            continue
        if _unspaced_script(g) and g.replace(" ", "") in a.replace(" ", ""):
            return True
        if (" " + g + " ") in (" " + a + " "):
            return True
    return False


def rates(rows: list[dict[str, Any]], probs: np.ndarray, threshold: float, after_failed: float) -> dict[str, float]:
    """False declines, declined, contains and overall of the replayed answers."""
    fd = dl = ct = ov = 0
    n_ans = sum(r["answerable"] for r in rows)
    n_una = len(rows) - n_ans
    for r, p in zip(rows, probs, strict=True):
        text, declined = replay(r, float(p), threshold, after_failed)
        if r["answerable"]:
            fd += declined
            hit = not declined and contains(text, r["q"].get("answers") or [])
            ct += hit
            ov += hit
        else:
            dl += declined
            ov += declined
    return {
        "false_decl": fd / max(n_ans, 1),
        "declined": dl / max(n_una, 1),
        "contains": ct / max(n_ans, 1),
        "overall": ov / max(len(rows), 1),
    }


def auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Probability that an unanswerable question scores above an answerable one."""
    pos, neg = scores[y == 1], scores[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    return float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg]))


THRESHOLDS = np.arange(0.20, 0.96, 0.02)


def choose(rows, probs, max_fd: float, after_failed: float) -> float:
    """The threshold with the most declined unanswerable questions within the false-decline budget."""
    best = (-1.0, 1.0)
    for t in THRESHOLDS:
        r = rates(rows, probs, float(t), after_failed)
        if r["false_decl"] <= max_fd and (r["declined"], r["overall"]) > (best[0], -1):
            best = (r["declined"], float(t))
    return best[1]


def fit(rows, names):
    """A logistic rule on ``rows``: (intercept, weights)."""
    x = matrix(rows, names)
    y = np.array([0 if r["answerable"] else 1 for r in rows])
    model = LogisticRegression(C=10.0).fit(x, y)
    return float(model.intercept_[0]), [float(c) for c in model.coef_[0]]


def predict(rows, names, intercept, weights) -> np.ndarray:
    """The rule's decline probability per row (0 where it does not decide before the answer, as in
    ``Answerer``: some passage is in another language than the question)."""
    z = intercept + matrix(rows, names) @ np.array(weights)
    return np.where(_decides(rows), 1.0 / (1.0 + np.exp(-z)), 0.0)


def _decides(rows: list[dict[str, Any]]) -> np.ndarray:
    return np.array([decides_before_answer(r.get("signals") or {}) for r in rows])


def _group(row: dict[str, Any]) -> str:
    """The eval-train question a row comes from (a made unanswerable one, ``…-h``, shares its source's)."""
    return str(row["id"]).removesuffix("-h")


def _folds(rows: list[dict[str, Any]], y: np.ndarray, folds: int):
    """Stratified folds; a question and the unanswerable one made from it always share a fold."""
    groups = [_group(r) for r in rows]
    if len(set(groups)) == len(groups):
        return StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(rows)), y)
    return StratifiedGroupKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(rows)), y, groups)


def cross_validate(rows, names, max_fd, after_failed, folds=5):
    """Out-of-fold probabilities and decisions (threshold chosen inside each fold)."""
    y = np.array([0 if r["answerable"] else 1 for r in rows])
    probs = np.zeros(len(rows))
    thresholds = np.zeros(len(rows))
    for train, test in _folds(rows, y, folds):
        tr = [rows[i] for i in train]
        b0, w = fit(tr, names)
        t = choose(tr, predict(tr, names, b0, w), max_fd, after_failed)
        te = [rows[i] for i in test]
        probs[test] = predict(te, names, b0, w)
        thresholds[test] = t
    return probs, thresholds


def cv_rates(rows, probs, thresholds, after_failed):
    """Rates with each row judged at its own fold's threshold."""
    out = {"false_decl": 0.0, "declined": 0.0, "contains": 0.0, "overall": 0.0}
    n_ans = sum(r["answerable"] for r in rows)
    n_una = len(rows) - n_ans
    for r, p, t in zip(rows, probs, thresholds, strict=True):
        text, declined = replay(r, float(p), float(t), after_failed)
        if r["answerable"]:
            hit = not declined and contains(text, r["q"].get("answers") or [])
            out["false_decl"] += declined / n_ans
            out["contains"] += hit / n_ans
            out["overall"] += hit / len(rows)
        else:
            out["declined"] += declined / n_una
            out["overall"] += declined / len(rows)
    return out


def write(rows, probs, threshold: float | np.ndarray, after_failed, path: Path) -> None:
    """score.py predictions of the replayed answers (``threshold``: one, or each row's own fold's)."""
    thresholds = np.broadcast_to(np.asarray(threshold, dtype=float), (len(rows),))
    with path.open("w", encoding="utf-8") as fh:
        for r, p, t in zip(rows, probs, thresholds, strict=True):
            text, declined = replay(r, float(p), float(t), after_failed)
            fh.write(
                json.dumps(
                    {"id": r["id"], "answer": text, "sources": r["sources"], "declined": declined}, ensure_ascii=False
                )
                + "\n"
            )


def replay_shipped(predictions: list[Path], gold: Path, out: Path, embedding_model: str) -> None:
    """The shipped rule for ``embedding_model`` (the one the recording was made with), replayed on a
    recording made with every gate open: nothing is fitted."""
    from assistant.refusal import rule_for
    from assistant.settings import Settings

    rows = load(predictions, gold)
    threshold = Settings.model_fields["max_decline_probability"].default
    rule = rule_for(embedding_model)
    after_failed = rule.after_failed_checks
    # the shipped rule on the recorded signals, not the recorded decline_probability (the rule of the
    # code that made the recording)
    probs = np.where(_decides(rows), np.array([rule.probability(r["features"]) or 0.0 for r in rows]), 0.0)
    n_ans = sum(r["answerable"] for r in rows)
    print(f"recording: {len(rows)} questions ({n_ans} answerable, {len(rows) - n_ans} unanswerable)")
    print(f"  no rule (every gate open): {_fmt(rates(rows, np.zeros(len(rows)), 1.0, 1.0))}")
    print(f"  shipped rule (decline above {threshold:.2f}): {_fmt(rates(rows, probs, threshold, after_failed))}")
    out.mkdir(parents=True, exist_ok=True)
    write(rows, probs, threshold, after_failed, out / "shipped.calibrated.jsonl")
    print(f"score with: python3 score.py {out / 'shipped.calibrated.jsonl'} --gold {gold}", file=sys.stderr)


# The signals a turn can lack: the model's checks (a backend without log-probabilities, or the check
# turned off) and the lexical coverage (no keyword index). Each fallback rule is fitted without some of
# them, in the order RefusalRule tries: fewer signals dropped first, so each turn gets the rule with the
# most of the signals it has.
_MAY_BE_MISSING = ("locate_none", "no_probability", "coverage_same")


def fallback_sets(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The feature sets of the chosen rule's fallbacks, in the order ``RefusalRule`` falls back."""
    missing = [n for n in _MAY_BE_MISSING if n in names]
    out: list[tuple[str, ...]] = []
    for size in range(1, len(missing) + 1):
        for drop in itertools.combinations(missing, size):
            kept = tuple(n for n in names if n not in drop)
            if kept and kept not in out:
                out.append(kept)
    return out


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def print_rule(rows, names, b0, w, threshold, max_fd, after_failed, at: float | None = None) -> None:
    """The fitted rule and its fallbacks as ``assistant/refusal.py`` writes them: each fallback is fitted
    without the signals it lacks, and its intercept moved so that the main rule's threshold applies.
    ``at``: move every intercept so that this threshold (the shipped ``max_decline_probability``, when
    the rule is for another embedding model than the one that set it) decides as ``threshold`` did."""
    target = threshold if at is None else at
    print(f"\nassistant/refusal.py (fallbacks fitted on the same rows; intercepts moved to {target:.2f}):")
    for fb in fallback_sets(names):
        fb0, fw = fit(rows, fb)
        ft = choose(rows, predict(rows, fb, fb0, fw), max_fd, after_failed)
        shifted = fb0 + _logit(target) - _logit(ft)
        weights = dict(zip(fb, (round(x, 3) for x in fw), strict=True))
        print(f"  {fb}: RefusalRule({shifted:.3f}, {weights})  (own threshold {ft:.2f})")
    weights = dict(zip(names, (round(x, 3) for x in w), strict=True))
    shift = _logit(target) - _logit(threshold)
    after = 1.0 / (1.0 + np.exp(-(_logit(after_failed) + shift)))  # the same decisions after the move
    print(
        f"  {names}: RefusalRule({b0 + shift:.3f}, {weights}, after_failed_checks={after:.3f}), "
        f"max_decline_probability {target:.2f}"
    )


def _by_kind(rows, probs, thresholds, args) -> str:
    """Declined per kind of unanswerable question, when there is more than one kind."""
    kinds: dict[str, list[bool]] = {}
    for r, p, t in zip(rows, probs, thresholds, strict=True):
        if not r["answerable"]:
            declined = replay(r, float(p), float(t), args.after_failed_checks)[1]
            kinds.setdefault(r["q"].get("unanswerable_type") or "?", []).append(declined)
    if len(kinds) < 2:
        return ""
    return "  declined by kind: " + ", ".join(f"{k} {sum(v) / len(v):.2f} ({len(v)})" for k, v in sorted(kinds.items()))


def _cross_lingual(row: dict[str, Any]) -> bool:
    """An answerable question asked in another language than its document's (``doc_lang``, as
    ``fusion.py`` reads it)."""
    q = row["q"]
    return bool(row["answerable"] and q.get("doc_lang", q.get("lang")) != q.get("lang"))


def _cross_lingual_counts(rows, probs, thresholds, after_failed) -> str:
    """Right and refused among the cross-lingual questions, as issue 13 counts them."""
    right = refused = n = 0
    for r, p, t in zip(rows, probs, thresholds, strict=True):
        if _cross_lingual(r):
            text, declined = replay(r, float(p), float(t), after_failed)
            n += 1
            refused += declined
            right += not declined and contains(text, r["q"].get("answers") or [])
    return f"cross-lingual right {right} / refused {refused} of {n}"


def _fmt(r: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.3f}" for k, v in r.items())


def main() -> None:
    """Compare feature sets on eval-train, apply the chosen one to eval-dev."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "predictions", type=Path, nargs="+", help="eval-train recordings (parts of one are read as one)"
    )
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument(
        "--extra",
        nargs=2,
        action="append",
        default=[],
        metavar=("PRED", "GOLD"),
        help="more fitting rows with their own questions (benchmarks/heldout_unanswerable.py's)",
    )
    parser.add_argument("--test", type=Path)
    parser.add_argument("--test-gold", type=Path)
    parser.add_argument("--max-false-decline", type=float, default=0.05)
    parser.add_argument("--after-failed-checks", type=float, default=0.5)
    parser.add_argument(
        "--features",
        default="best",
        choices=["best", *FEATURE_SETS],
        help="the rule's feature set (default: the best cross-validated overall within the budget)",
    )
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument(
        "--embedding-model",
        default=DEFAULT_EMBEDDING_MODEL,
        help="the embedding model the recordings were made with (--shipped replays its rule)",
    )
    parser.add_argument(
        "--at-threshold",
        type=float,
        help="print the fitted rule with its intercepts moved to this max_decline_probability",
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="fit nothing: replay the shipped rule (assistant.refusal.rule_for(--embedding-model) on the "
        "recorded signals, at the default max_decline_probability) on PREDICTIONS and write "
        "shipped.calibrated.jsonl",
    )
    args = parser.parse_args()
    if args.shipped:
        replay_shipped(args.predictions, args.gold, args.out, args.embedding_model)
        return
    rows = load(args.predictions, args.gold)
    n_own = len(rows)
    for pred, gold in args.extra:
        rows += load(Path(pred), Path(gold))
    n_ans = sum(r["answerable"] for r in rows)
    print(f"eval-train recording: {len(rows)} questions ({n_ans} answerable, {len(rows) - n_ans} unanswerable)")
    open_gate = rates(rows, np.zeros(len(rows)), 1.0, 1.0)
    print(f"  no rule (every gate open, checks and retry on): {_fmt(open_gate)}")
    y = np.array([0 if r["answerable"] else 1 for r in rows])
    scored: list[tuple[float, int, str]] = []
    for label, names in FEATURE_SETS.items():
        probs, thresholds = cross_validate(rows, names, args.max_false_decline, args.after_failed_checks)
        cv = cv_rates(rows, probs, thresholds, args.after_failed_checks)
        print(f"  {label:26} CV AUC {auc(y, probs):.3f}  {_fmt(cv)}{_by_kind(rows, probs, thresholds, args)}")
        if cv["false_decl"] <= args.max_false_decline + 0.01:  # the budget, give or take one fold's rounding
            scored.append((round(cv["overall"], 3), -len(names), label))
    if args.features == "best":
        # the fewest features among the sets within half a point of the best overall: a difference of
        # two questions in 400 is noise, and every feature is a parameter (the locate check a model call)
        top = max((s[0] for s in scored), default=0.0)
        near = [s for s in scored if s[0] >= top - 0.005]
        args.features = max(near, key=lambda s: (s[1], s[0]))[2] if near else "yes/no + gap + coverage"
    names = FEATURE_SETS[args.features]
    b0, w = fit(rows, names)
    probs = predict(rows, names, b0, w)
    t = choose(rows, probs, args.max_false_decline, args.after_failed_checks)
    weights = dict(zip(names, (round(x, 3) for x in w), strict=True))
    in_sample = rates(rows, probs, t, args.after_failed_checks)
    print(f"\nchosen: {args.features}: intercept {b0:.3f}, weights {weights}, decline above {t:.2f}")
    print(f"  fitted on all of eval-train; in sample: {_fmt(in_sample)}")
    print_rule(rows, names, b0, w, t, args.max_false_decline, args.after_failed_checks, args.at_threshold)
    args.out.mkdir(parents=True, exist_ok=True)
    write(rows, probs, t, args.after_failed_checks, args.out / "train.calibrated.jsonl")
    # the chosen set's out-of-fold decisions on eval-train's own questions (the --extra rows fitted beside
    # them, not scored): the figure that stands beside eval-dev's
    cv_probs, cv_thresholds = cross_validate(rows, names, args.max_false_decline, args.after_failed_checks)
    own = (rows[:n_own], cv_probs[:n_own], cv_thresholds[:n_own], args.after_failed_checks)
    print(f"eval-train's {n_own} questions, 5-fold CV (chosen set): {_fmt(cv_rates(*own))}")
    print(f"  {_cross_lingual_counts(*own)}")
    write(rows, cv_probs, cv_thresholds, args.after_failed_checks, args.out / "train.cv.jsonl")
    if args.test:
        test = load(args.test, args.test_gold)
        tp = predict(test, names, b0, w)
        print(f"eval-dev ({len(test)} questions), out of sample: {_fmt(rates(test, tp, t, args.after_failed_checks))}")
        print(f"  {_cross_lingual_counts(test, tp, np.full(len(test), t), args.after_failed_checks)}")
        print(f"  eval-dev with every gate open: {_fmt(rates(test, np.zeros(len(test)), 1.0, 1.0))}")
        write(test, tp, t, args.after_failed_checks, args.out / "dev.calibrated.jsonl")
        print(
            f"score with: python3 ../shared/eval-dev/score.py {args.out / 'dev.calibrated.jsonl'} "
            f"--gold {args.test_gold}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
