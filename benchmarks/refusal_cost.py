"""What the refusal rule's checks cost a question: session 15's rule (the yes/no check alone) against the
shipped one (the which-passage check too), the same questions asked with each, interleaved.

    python benchmarks/refusal_cost.py [--questions ../shared/eval-train/questions.jsonl] [--lang id] [--limit 12]

Settings as for ``assistant`` (``ASSISTANT_DATA_DIR``, ``ASSISTANT_COLLECTION=eval-corpus`` for an ingested
eval corpus). The two rules alternate which goes first on each question, so that what the first asking
leaves behind (kept sentence vectors) favours neither. Prints the seconds per question of each; asserts
nothing; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.refusal import DEFAULT_RULE, RefusalRule

# session 15's rule (assistant/refusal.py at b0243f9), without its fallbacks: it needs no which-passage check
YES_NO_ONLY = RefusalRule(-1.116, {"no_probability": 7.94, "sentence_gap": -5.589, "coverage_same": -5.971})


def main() -> None:
    """Ask each question with both rules and print the seconds per question."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval-train/questions.jsonl"))
    parser.add_argument("--lang", default="id", help="only questions in this language")
    parser.add_argument("--limit", type=int, default=12)
    args = parser.parse_args()

    from assistant.services import Services
    from assistant.settings import load_settings

    lines = args.questions.read_text(encoding="utf-8").splitlines()
    questions = [q for q in map(json.loads, lines) if q.get("lang") == args.lang][: args.limit]
    answerer = Services(load_settings()).answerer
    answerer.ask("Siapa presiden Indonesia?")  # the models loaded and the prefix warm before timing
    rules = [("yes/no check only", YES_NO_ONLY), ("shipped (both checks)", DEFAULT_RULE)]
    seconds: dict[str, list[float]] = {name: [] for name, _ in rules}
    for i, q in enumerate(questions):
        for name, rule in rules if i % 2 == 0 else rules[::-1]:
            answerer.rule = rule
            started = time.perf_counter()
            answerer.ask(q["question"])
            seconds[name].append(time.perf_counter() - started)
    for name, values in seconds.items():
        median, mean = statistics.median(values), statistics.mean(values)
        print(f"{name:22} median {median:.2f} s  mean {mean:.2f} s  ({len(values)} questions)")


if __name__ == "__main__":
    main()
