"""Shared helpers of the benchmark scripts: paths, memory, percentiles, eval-dev scoring, child runs."""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EVAL_DEV = ROOT.parent / "shared" / "eval-dev"
SAMPLE = ROOT / "examples" / "articles"
SAMPLE_QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"
# questions on the sample article, the sample question first (benchmarks that ask several)
SAMPLE_QUESTIONS = [
    SAMPLE_QUESTION,
    "Kapan Korea Utara pertama kali mengakui pengiriman pasukan ke Rusia?",
    "Who ordered the troops to be sent?",
    "Di wilayah mana pasukan Korea Utara membantu Rusia?",
]
DEFAULT_MODELS = os.environ.get("ASSISTANT_MODELS_DIR") or ("/tmp/devmodels" if Path("/tmp/devmodels").is_dir() else "")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_parts_mb() -> dict[str, float]:
    """Resident memory now, split into anonymous (heaps, tensors) and file-backed (memory-mapped model
    weights, libraries) pages, in MB (empty where /proc is not available)."""
    parts: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("RssAnon:", "RssFile:")):
                    parts[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return parts


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _scorer(eval_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_dev_score", eval_dir / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def retrieval_quality(sources: dict[str, list[str]], eval_dir: Path = EVAL_DEV) -> dict[str, float]:
    """recall@5 and MRR of the gold document (score.py's own scoring) for ``{question id: file names}``."""
    scorer = _scorer(eval_dir)
    gold = read_jsonl(eval_dir / "questions.jsonl")
    preds = {qid: {"id": qid, "answer": "x", "sources": names} for qid, names in sources.items()}
    summary = scorer.summarize(scorer.score([q for q in gold if q["id"] in preds], preds))
    return {"recall@5": summary["recall@5"], "mrr": summary["mrr"], "answerable": summary["n_answerable"]}


def eval_questions(eval_dir: Path = EVAL_DEV) -> list[dict[str, Any]]:
    """The eval-dev questions."""
    return read_jsonl(eval_dir / "questions.jsonl")


def run_child(script: Path, args: list[str]) -> dict[str, Any]:
    """Run ``script`` in a fresh Python process (so its peak memory is its own); returns its last
    stdout line, which it prints as JSON. Its other output is passed through."""
    proc = subprocess.run(
        [sys.executable, str(script), *args], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        print(line, flush=True)
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{script.name} {' '.join(args)} failed with exit code {proc.returncode}")
    return json.loads(lines[-1])


def ratio(ours: float, theirs: float) -> str:
    """``ours / theirs`` as ``1.23x``."""
    return f"{ours / theirs:.2f}x" if theirs else "n/a"
