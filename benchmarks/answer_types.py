"""The question-word table (``assistant.answer_type``) measured on eval QA sets; prints figures, asserts nothing.

    python benchmarks/answer_types.py ../shared/eval-train/questions.jsonl ../shared/eval-dev/questions.jsonl

No set labels what a question asks for, so two measurable proxies are printed per set:
- agreement where the gold answer itself tells the kind: a gold that is a date (a year, a month name) should
  come from a "date" question, one that is another number from a "number" question (recall of those types,
  and the share of "date"/"number" predictions whose gold is of that kind);
- acceptance: how many gold answers pass the answer-type check for the predicted type (what matters for
  the check: a right answer must not be sent to a retry), overall and per type.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.answer_checks import _DATE_WORDS, check_type
from assistant.answer_type import answer_type

_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")


def gold_kind(answer: str) -> str | None:
    """"date" or "number" when the gold answer shows it, else None."""
    if _YEAR.search(answer) or _DATE_WORDS.search(answer):
        return "date"
    if re.search(r"\d", answer):
        return "number"
    return None


def measure(path: Path) -> None:
    """Print the figures of one questions file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("answerable") and r.get("answers")]
    predicted = collections.Counter()
    agree = collections.Counter()
    shown = collections.Counter()
    accepted = collections.Counter()
    for r in rows:
        kind = answer_type(r["question"])
        predicted[kind] += 1
        gold = r["answers"][0]
        truth = gold_kind(gold)
        if truth:
            shown[truth] += 1
            agree[truth] += kind == truth
        if kind in ("date", "number"):
            shown["pred_" + kind] += 1
            agree["pred_" + kind] += truth == kind
        accepted[kind] += check_type(f"{gold} [1]", r["question"], kind).ok
    total = len(rows)
    print(f"{path}: {total} answerable questions")
    print("  predicted types: " + ", ".join(f"{k} {v}" for k, v in predicted.most_common()))
    for kind in ("date", "number"):
        if shown[kind]:
            print(f"  gold looks like a {kind}: {agree[kind]}/{shown[kind]} asked as {kind} "
                  f"({agree[kind] / shown[kind]:.3f})")
        if shown["pred_" + kind]:
            n, hits = shown["pred_" + kind], agree["pred_" + kind]
            print(f"  asked as {kind}: gold looks like one for {hits}/{n} ({hits / n:.3f})")
    ok = sum(accepted.values())
    print(f"  gold answers passing the type check: {ok}/{total} ({ok / total:.3f}); by type: "
          + ", ".join(f"{k} {accepted[k]}/{predicted[k]}" for k, _ in predicted.most_common()))


def main() -> None:
    """Measure every file given."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, nargs="+")
    for path in parser.parse_args().questions:
        measure(path)


if __name__ == "__main__":
    main()
