"""Same question, same answer: ask one question N times idle and N times beside a CPU-bound process.

Each ask is a fresh ``assistant --ask QUESTION --json`` process on the given data dir (as a user would run
it). Prints, per condition, the distinct answers (with counts) and the seconds per ask, and whether every
answer of both conditions is the same. Asserts nothing.

    python benchmarks/determinism.py --data-dir DIR [--models-dir DIR] [--runs 10] [--question "..."]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"
BURNER = "import time\nend = time.time() + 3600\nwhile time.time() < end: pass\n"


def ask(question: str, env: dict[str, str]) -> tuple[str, float]:
    """One fresh process: the answer text and the wall time."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--ask", question, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        return f"(exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]})", elapsed
    return json.loads(proc.stdout)["answer"], elapsed


def condition(label: str, question: str, runs: int, env: dict[str, str]) -> list[str]:
    """Ask ``runs`` times and print what came back."""
    answers, times = [], []
    for _ in range(runs):
        text, seconds = ask(question, env)
        answers.append(text)
        times.append(seconds)
    counts = collections.Counter(answers)
    print(f"{label}: {len(counts)} distinct answer(s) in {runs} runs; {sum(times) / runs:.1f} s per ask "
          f"(min {min(times):.1f}, max {max(times):.1f})")
    for text, n in counts.most_common():
        print(f"  {n}x {text[:160]!r}")
    return answers


def main() -> None:
    """Idle, then beside a busy process."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--question", default=SAMPLE)
    args = parser.parse_args()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(args.data_dir), "HF_HUB_OFFLINE": "1"}
    if args.models_dir:
        env["ASSISTANT_MODELS_DIR"] = str(args.models_dir)
    idle = condition("idle", args.question, args.runs, env)
    burner = subprocess.Popen([sys.executable, "-c", BURNER])
    try:
        busy = condition("beside a CPU-bound process", args.question, args.runs, env)
    finally:
        burner.kill()
    print(f"all {len(idle) + len(busy)} answers identical: {len(set(idle + busy)) == 1}")


if __name__ == "__main__":
    main()
