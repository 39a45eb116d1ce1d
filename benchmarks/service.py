"""One-off questions with and without the resident service, and the service under concurrent clients.

    python benchmarks/service.py [--models-dir DIR] [--runs 3] [--baseline-tree DIR] [--clients 1,2,4]

On a copy of the sample article's collection it measures, from process start, when ``assistant --ask``
shows the evidence, the first answer token and the end (the CLI runs on a pseudo-terminal, so it streams
as for a user):

* **warm service**: ``assistant serve`` already running (``service = "required"``);
* **chat**: the same question in a process with the models loaded and the prefix warm (what the chat
  does), as the reference the warm service is held to, asked in alternation with the warm service;
* **cold, in-process** (``service = "off"``), this tree and, with ``--baseline-tree``, another checkout
  (the previous commit) side by side, alternating runs; and cold without the stored prefix
  (``llm_prefix_cache = false``) when the setting exists;
* **concurrent clients**: 1, 2 and 4 clients asking different questions over HTTP at once: latency
  per question and questions per minute.

Prints figures, asserts nothing. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import DEFAULT_MODELS, ROOT, SAMPLE, SAMPLE_QUESTION, SAMPLE_QUESTIONS


def _env(data: Path, models: str, tree: Path = ROOT, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data), HF_HUB_OFFLINE="1", PYTHONPATH=str(tree), COLUMNS="200")
    if models:
        env["ASSISTANT_MODELS_DIR"] = models
    env.update(extra)
    return env


def timed_ask(env: dict[str, str], question: str, tree: Path = ROOT) -> dict[str, float]:
    """Seconds from process start to the evidence line, the first answer token and the exit, with the
    CLI's output on a pseudo-terminal (so it streams as it does for a user)."""
    master, slave = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--ask", question],
        cwd=tree,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    marks: dict[str, float] = {}
    text = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            text += chunk
            now = time.perf_counter() - started
            if "evidence" not in marks and b"Evidence [" in text:
                marks["evidence"] = now
            if "evidence" in marks and "token" not in marks:
                after = text.split(b"Evidence [", 1)[1]
                if b"\n" in after and after.split(b"\n", 1)[1].strip():
                    marks["token"] = now
        elif process.poll() is not None:
            break
    process.wait()
    os.close(master)
    marks["end"] = time.perf_counter() - started
    marks.setdefault("evidence", float("nan"))
    marks.setdefault("token", float("nan"))
    return marks


def chat_process(data: Path, models: str, tree: Path = ROOT) -> subprocess.Popen:
    """A child process with the models loaded and the prefix warm (what the chat has), answering each
    question written to its stdin with one JSON line of seconds to the evidence, first token and end."""
    code = (
        "import json, sys, time\n"
        "from assistant.app import Assistant\n"
        "from assistant.settings import load_settings\n"
        "a = Assistant(load_settings(), reader=True); a.warm()\n"
        "print('ready', flush=True)\n"
        "for line in sys.stdin:\n"
        "    t = time.perf_counter(); m = {}\n"
        "    for e in a.stream(json.loads(line)):\n"
        "        k = {'evidence': 'evidence', 'token': 'token'}.get(e.kind)\n"
        "        if k and k not in m: m[k] = time.perf_counter() - t\n"
        "    m['end'] = time.perf_counter() - t\n"
        "    print(json.dumps(m), flush=True)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tree,
        env=_env(data, models, tree),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if process.stdout.readline().strip() != "ready":
        raise SystemExit("the chat process did not start")
    return process


def chat_ask(process: subprocess.Popen, question: str) -> dict[str, float]:
    """One question to a ``chat_process``: its seconds from the question."""
    process.stdin.write(json.dumps(question) + "\n")
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the chat process stopped (exit code {process.wait()})")
    return json.loads(line)


def start_service(data: Path, models: str, port: int | None = None, tree: Path = ROOT) -> subprocess.Popen:
    """``assistant serve`` of ``tree`` on ``data`` (and HTTP on 127.0.0.1:``port``), once it answers."""
    args = [sys.executable, "-m", "assistant", "serve"] + (["--http", f"127.0.0.1:{port}"] if port else [])
    process = subprocess.Popen(
        args, cwd=tree, env=_env(data, models, tree), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 600
    while not (data / "service.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the service did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    return process


def _stop_started(data: Path) -> None:
    """Stop the service a question started on demand (named in ``service.json``) and wait for it."""
    info = json.loads((data / "service.json").read_text())
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 60
    while (data / "service.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def warm_against_chat(
    data: Path, models: str, runs: int, tree: Path
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """The chat's figures for the sample question (models loaded, from the question) and a warm
    service's (``assistant --ask`` from process start), both of ``tree``, measured in alternation (the
    machine's speed drifts by more than the difference): medians of ``runs``, and the median of the
    paired differences (each warm run minus the chat run just before it)."""
    chat = chat_process(data, models, tree)
    service = start_service(data, models, tree=tree)
    try:
        env = _env(data, models, tree, ASSISTANT_SERVICE="required")
        chat_ask(chat, SAMPLE_QUESTIONS[1])  # not measured: the first request after start, as for the service
        timed_ask(env, SAMPLE_QUESTIONS[1], tree)
        chat_rows, service_rows = [], []
        for _ in range(runs):
            chat_rows.append(chat_ask(chat, SAMPLE_QUESTION))
            service_rows.append(timed_ask(env, SAMPLE_QUESTION, tree))
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
        chat.stdin.close()
        chat.wait(timeout=60)
    keys = ("evidence", "token", "end")
    paired = [{k: w[k] - c[k] for k in keys} for c, w in zip(chat_rows, service_rows, strict=True)]
    return (
        {k: _median(chat_rows, k) for k in keys},
        {k: _median(service_rows, k) for k in keys},
        {k: _median(paired, k) for k in keys},
    )


def _row(label: str, marks: dict[str, float], sign: str = "", width: int = 34) -> str:
    """One line of a timing table: evidence, first token and end."""
    return f"{label:{width}}{marks['evidence']:>{sign}10.2f}{marks['token']:>{sign}11.2f}{marks['end']:>{sign}8.2f}"


def _median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def concurrent(port: int, clients: int, rounds: int = 1) -> dict[str, float]:
    """``clients`` clients at once, each asking ``rounds`` different questions over HTTP: median and
    worst latency, and questions answered per minute."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        for r in range(rounds):
            question = SAMPLE_QUESTIONS[(i + r) % len(SAMPLE_QUESTIONS)]
            body = json.dumps({"question": question, "stream": False}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/ask", data=body, headers={"Content-Type": "application/json"}
            )
            t = time.perf_counter()
            with urllib.request.urlopen(request, timeout=900) as response:
                response.read()
            with lock:
                latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"median_s": statistics.median(latencies), "max_s": max(latencies), "per_min": 60 * len(latencies) / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", default=DEFAULT_MODELS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path, help="another checkout to time cold beside this one")
    parser.add_argument("--clients", default="1,2,4")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: warm,cold,concurrent")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    work = Path(tempfile.mkdtemp(prefix="bench-service-"))
    data = work / "data"
    ingest = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(SAMPLE)],
        env=_env(data, args.models_dir),
        capture_output=True,
        text=True,
    )
    if ingest.returncode:
        raise SystemExit(ingest.stderr)
    try:
        if "warm" not in skip:
            # service = "auto" with none running: this question starts one (and waits for it)
            auto = timed_ask(_env(data, args.models_dir, ASSISTANT_SERVICE="auto"), SAMPLE_QUESTION)
            _stop_started(data)
            trees = {"this tree": ROOT}
            if args.baseline_tree:
                trees["baseline"] = args.baseline_tree.resolve()
            print("warm service vs the chat (seconds from process start; chat: from the question)")
            print(f"{'':34}{'evidence':>10}{'1st token':>11}{'end':>8}")
            for name, tree in trees.items():
                chat, warm, paired = warm_against_chat(data, args.models_dir, args.runs, tree)
                print(_row(name + ", chat (models loaded)", chat))
                print(_row(name + ", --ask, warm service", warm))
                print(_row(name + ", difference of medians", {k: warm[k] - chat[k] for k in chat}, "+"))
                print(_row(name + ", median paired difference", paired, "+"))
            print(_row("auto, none running", auto) + "  (this question starts the service)\n")
        if "cold" not in skip:
            trees = {"this tree": ROOT}
            if args.baseline_tree:
                trees["baseline"] = args.baseline_tree.resolve()
            variants = {name: (tree, {}) for name, tree in trees.items()}
            variants["this tree, no stored prefix"] = (ROOT, {"ASSISTANT_LLM_PREFIX_CACHE": "false"})
            cold: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
            for _ in range(args.runs):
                for name, (tree, extra) in variants.items():
                    env = _env(data, args.models_dir, tree, ASSISTANT_SERVICE="off", **extra)
                    cold[name].append(timed_ask(env, SAMPLE_QUESTION, tree))
            print(f"cold one-off questions, service off (median of {args.runs}, alternating)")
            print(f"{'':30}{'evidence':>10}{'1st token':>11}{'end':>8}")
            for name, rows in cold.items():
                print(_row(name, {k: _median(rows, k) for k in ("evidence", "token", "end")}, width=30))
            print()
        if "concurrent" not in skip:
            import socket

            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            service = start_service(data, args.models_dir, port)
            try:
                concurrent(port, 1)  # not measured: warms the caches
                print("concurrent clients over HTTP (each asks different questions)")
                print(f"{'clients':>8}{'median s':>10}{'max s':>8}{'answers/min':>13}")
                for n in (int(c) for c in args.clients.split(",")):
                    row = concurrent(port, n)
                    print(f"{n:>8}{row['median_s']:>10.2f}{row['max_s']:>8.2f}{row['per_min']:>13.2f}")
            finally:
                service.send_signal(signal.SIGTERM)
                service.wait(timeout=60)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
