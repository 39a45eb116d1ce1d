"""Follow-ups keep their meaning: on the two-turn set ``tests/fixtures/followups/conversations.jsonl`` (built
on eval-train documents), compare the gold document's recall@5 for the follow-up as typed, the model's
standalone rewrite, the query the assistant searches with (``assistant.followup``: the rewrite when it is
faithful, else the user's words plus the previous question's entities) and the hand-written standalone
question; and count rewrites that add or swap facts. Prints figures, asserts nothing.

    ASSISTANT_DATA_DIR=... ASSISTANT_COLLECTION=eval-corpus python benchmarks/followups.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SET = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "followups" / "conversations.jsonl"


def main() -> None:
    """Run every conversation and print the table."""
    from assistant.followup import followup_query, rewrite_is_faithful
    from assistant.services import Services
    from assistant.settings import load_settings

    answerer = Services(load_settings()).answerer
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    hits = {"as typed": 0, "model rewrite": 0, "searched": 0, "standalone (gold)": 0}
    faithful = 0
    for row in rows:
        history = [(row["turn1"], row["answer1"])]
        rewrite = answerer.standalone_question(row["turn2"], history)
        faithful += rewrite_is_faithful(row["turn2"], rewrite, history)
        queries = {
            "as typed": row["turn2"],
            "model rewrite": rewrite,
            "searched": followup_query(row["turn2"], rewrite, history),
            "standalone (gold)": row["standalone"],
        }
        for name, query in queries.items():
            docs = [Path(s.source).name for s in answerer.passages(query)]
            hits[name] += row["doc"] in docs
        print(json.dumps({"id": row["id"], "rewrite": rewrite, "searched": queries["searched"]}, ensure_ascii=False))
    n = len(rows)
    print(f"\n{n} conversations; recall@5 of the gold document:")
    for name, count in hits.items():
        print(f"  {name:18} {count / n:.3f} ({count}/{n})")
    print(f"model rewrites kept (faithful: the follow-up's words kept, nothing added): {faithful}/{n}")


if __name__ == "__main__":
    main()
