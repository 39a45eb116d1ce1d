"""``assistant eval``: answer a QA set (score.py's format), resumable, and score it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.types import Answer


def read_questions(path: Path) -> list[dict[str, Any]]:
    """The questions of a JSONL file (``id`` and ``question`` are required)."""
    questions = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{i}: malformed JSON: {exc.msg}") from None
        if not isinstance(q, dict) or "id" not in q or "question" not in q:
            raise ValueError(f"{path}:{i}: each line needs an 'id' and a 'question'")
        questions.append(q)
    return questions


def _complete_lines(out: Path) -> list[str]:
    lines = []
    for line in out.read_text(encoding="utf-8").splitlines():
        try:
            json.loads(line)["id"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line cut short by the interruption is answered again
        lines.append(line)
    return lines


def done_ids(out: Path) -> set[str]:
    """Ids already answered in ``out`` (for resuming an interrupted run)."""
    if not out.exists():
        return set()
    return {json.loads(line)["id"] for line in _complete_lines(out)}


def drop_partial_lines(out: Path) -> None:
    """Rewrite ``out`` without lines an interruption cut short, so appending continues cleanly."""
    if not out.exists():
        return
    text = out.read_text(encoding="utf-8")
    lines = _complete_lines(out)
    clean = "".join(line + "\n" for line in lines)
    if clean != text:
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(clean, encoding="utf-8")
        tmp.replace(out)


def source_names(sources: list[Any]) -> list[str]:
    """Article file names in rank order, without repeats (score.py's ``sources``)."""
    names = [Path(s.source).name for s in sources]
    return list(dict.fromkeys(names))


def prediction(qid: str, answer: Answer, seconds: float) -> dict[str, Any]:
    """One line of the predictions file."""
    return {
        "id": qid,
        "answer": answer.answer,
        "sources": source_names(answer.sources),
        "declined": answer.declined,
        "citations": answer.citations,
        "no_probability": answer.no_probability,
        "grounding": answer.grounding,
        "verify_no_probability": answer.verify_no_probability,
        "coverage": answer.coverage,
        "decline_probability": answer.decline_probability,
        "keyword_best": max((float(s.keyword_score) for s in answer.sources), default=0.0),
        "best_score": max((s.score for s in answer.sources), default=0.0),
        "unsupported": len(answer.unsupported),
        "seconds": round(seconds, 2),
        "signals": answer.signals,
        "answer_type": answer.answer_type,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in answer.checks],
        "attempts": answer.attempts,
        "evidence": answer.evidence.sentence if answer.evidence else None,
        "evidence_n": answer.evidence.n if answer.evidence else None,
        "timings": answer.timings,
    }


def run_questions(
    questions: list[dict[str, Any]],
    out: Path,
    answer_fn: Callable[[str], Answer],
    on_done: Callable[[], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Answer every question not yet in ``out``, appending each prediction as soon as it is made."""
    out.parent.mkdir(parents=True, exist_ok=True)
    drop_partial_lines(out)
    skip = done_ids(out)
    with out.open("a", encoding="utf-8") as fh:
        for q in questions:
            if q["id"] in skip:
                if on_done:
                    on_done()
                continue
            started = time.perf_counter()
            pred = prediction(q["id"], answer_fn(q["question"]), time.perf_counter() - started)
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
            fh.flush()
            if on_done:
                on_done()
            yield pred


def score(pred: Path, gold: Path, scorer: Path | None = None) -> str:
    """Run ``score.py`` (found next to the questions unless given) and return its report."""
    scorer = scorer or gold.parent / "score.py"
    if not scorer.is_file():
        return f"(no score.py next to {gold}; predictions are in {pred})"
    proc = subprocess.run(
        [sys.executable, str(scorer), str(pred), "--gold", str(gold)],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout + proc.stderr
