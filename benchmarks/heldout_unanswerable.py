"""Unanswerable questions made from answerable eval-train ones: the same question, asked with every
document that holds its answer left out of retrieval (eval-dev's "heldout_paragraph" kind, built on
eval-train, so that the refusal rule can be fitted and checked on it without looking at eval-dev).

    python benchmarks/heldout_unanswerable.py ../shared/eval-train/questions.jsonl --corpus DIR \\
        --out heldout.signals.jsonl --gold-out heldout.questions.jsonl [--langs-except id] [--limit 100]

eval-train holds 138 unanswerable questions, 136 of them in Indonesian: nothing in it says how the rule
does on a question in another language whose answer is missing from a multilingual collection. Each made
question gets the id of its source plus ``-h``, no gold answer, ``unanswerable_type`` ``heldout_doc`` and
the removed answers as ``original_answers``. The answers are recorded as ``assistant eval`` records them
(run it with every gate open, ``ASSISTANT_MAX_DECLINE_PROBABILITY=1.0 ASSISTANT_RECORD_ALL_SIGNALS=true``,
and the settings of the ingested corpus: ``ASSISTANT_DATA_DIR``, ``ASSISTANT_COLLECTION=eval-corpus``);
``refusal_calibration.py`` reads both files beside eval-train's own. Resumes an interrupted run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def heldout_questions(questions: list[dict[str, Any]], langs_except: set[str], limit: int, seed: int) -> list[dict]:
    """A seeded sample of ``limit`` answerable questions (not in ``langs_except``) turned unanswerable."""
    pool = [q for q in questions if q.get("answerable") and q.get("lang") not in langs_except]
    random.Random(seed).shuffle(pool)
    return [
        {
            **{k: v for k, v in q.items() if k not in {"answers", "doc", "answer_docs"}},
            "id": q["id"] + "-h",
            "answers": [],
            "answerable": False,
            "unanswerable_type": "heldout_doc",
            "original_answers": q.get("answers", []),
            "removed_docs": sorted(set(q.get("answer_docs") or []) | ({q["doc"]} if q.get("doc") else set())),
        }
        for q in pool[:limit]
    ]


def main() -> None:
    """Record the made questions' answers with their answer documents left out."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--corpus", type=Path, required=True, help="the ingested corpus folder (its sources)")
    parser.add_argument("--out", type=Path, required=True, help="predictions with signals (resumed)")
    parser.add_argument("--gold-out", type=Path, required=True, help="the made questions, score.py's format")
    parser.add_argument("--langs-except", default="id", help="comma-separated question languages to skip")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from assistant.evaluation import done_ids, drop_partial_lines, prediction
    from assistant.services import Services
    from assistant.settings import load_settings

    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line]
    made = heldout_questions(questions, set(filter(None, args.langs_except.split(","))), args.limit, args.seed)
    args.gold_out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in made), encoding="utf-8")
    answerer = Services(load_settings()).answerer
    corpus = args.corpus.resolve()
    drop_partial_lines(args.out)
    skip = done_ids(args.out)
    with args.out.open("a", encoding="utf-8") as fh:
        for i, q in enumerate(made, start=1):
            if q["id"] in skip:
                continue
            where = {"source": {"$nin": [str(corpus / name) for name in q["removed_docs"]]}}
            started = time.perf_counter()
            answer = answerer.ask(q["question"], None, where)
            leaked = {Path(s.source).name for s in answer.sources} & set(q["removed_docs"])
            if leaked:
                raise SystemExit(f"{q['id']}: a left-out document was retrieved: {sorted(leaked)}")
            fh.write(json.dumps(prediction(q["id"], answer, time.perf_counter() - started), ensure_ascii=False) + "\n")
            fh.flush()
            print(f"{i}/{len(made)} {q['id']} declined={answer.declined}", file=sys.stderr)


if __name__ == "__main__":
    main()
