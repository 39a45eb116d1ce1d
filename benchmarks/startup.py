"""Start-up time of the commands that must feel instant (no model, no store): prints figures, asserts nothing.

    python benchmarks/startup.py [--runs 10]

Each command runs in a fresh interpreter (as a user's shell would start it); the figure is the median wall
time, and the heavy libraries a command imported are listed, so a regression names its cause.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "assistant --help": ["--help"],
    "assistant --version": ["--version"],
    "assistant config show": ["config", "show"],
    "assistant models (status)": ["models"],
}
HEAVY = ("torch", "transformers", "sentence_transformers", "chromadb", "langchain_core", "xllamacpp", "textual")
_PROBE = (
    "import sys, json, runpy; heavy_names = set(json.loads(sys.argv[2]))\n"
    "sys.argv = ['assistant', *json.loads(sys.argv[1])]\n"
    "try:\n    runpy.run_module('assistant', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "heavy = sorted({m.split('.')[0] for m in sys.modules} & heavy_names)\n"
    "print('\\nHEAVY=' + json.dumps(heavy), file=sys.stderr)\n"
)


def time_command(args: list[str], runs: int, env: dict[str, str]) -> tuple[float, list[str]]:
    """Median seconds over ``runs`` fresh processes, and the heavy modules the command imported."""
    times, heavy = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        times.append(time.perf_counter() - start)
        heavy = json.loads(done.stderr.rsplit("HEAVY=", 1)[-1]) if "HEAVY=" in done.stderr else ["?"]
    return statistics.median(times), heavy


def main() -> None:
    """Print one line per command."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ASSISTANT_DATA_DIR": tmp, "XDG_CONFIG_HOME": tmp}
        time_command(["--version"], 1, env)  # warm the file cache once
        baseline = time_command_python(args.runs, env)
        print(f"{'python -c pass':28} {baseline:6.3f} s   (interpreter alone)")
        for label, argv in COMMANDS.items():
            seconds, heavy = time_command(argv, args.runs, env)
            print(f"{label:28} {seconds:6.3f} s   heavy imports: {', '.join(heavy) or 'none'}")


def time_command_python(runs: int, env: dict[str, str]) -> float:
    """Median start-up of a bare interpreter, for reference."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    main()
