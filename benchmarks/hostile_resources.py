"""Resource bounds against misbehaving servers (issue 17, list 1): peak RSS and wall time per case.

Each case runs in a fresh process against a server on 127.0.0.1 (``tests/hostile_servers.py``):

- ``endless-openai`` / ``endless-ollama``: an LLM stream that never ends (``max_tokens`` 400);
- ``endless-line``: one SSE line that never ends (the byte cap);
- ``slow-token``: one token a second (``request_timeout`` 10 s);
- ``slow-byte``: an article page sent a byte every 0.2 s (``fetch_timeout`` 10 s);
- ``endless-page``: an article page that never ends (``max_fetch_mb`` 10).

``--baseline`` runs the LLM cases with plain LangChain clients as they were configured before (timeout per
read, ``max_tokens`` sent to the server only), killed after ``--limit`` seconds. Loads no model.

    python benchmarks/hostile_resources.py [--baseline] [--limit 30]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CASES = ["endless-openai", "endless-ollama", "endless-line", "slow-token", "slow-byte", "endless-page"]
LLM_CASES = {"endless-openai", "endless-ollama", "endless-line", "slow-token"}


def _llm(case: str, url: str, baseline: bool):
    from assistant.settings import load_settings

    backend = "ollama" if case == "endless-ollama" else "openai"
    settings = load_settings(
        llm_backend=backend, openai_base_url=url + "/v1", openai_model="x", ollama_base_url=url, ollama_model="x",
        request_timeout=10.0 if case == "slow-token" else 120.0, max_tokens=400,
    )
    if not baseline:
        from assistant.llm import make_chat_model

        return make_chat_model(settings, lambda: Path())
    if backend == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(base_url=settings.openai_base_url, model="x", api_key="x", max_tokens=400,
                          timeout=settings.request_timeout, max_retries=0, streaming=True)
    from langchain_ollama import ChatOllama

    return ChatOllama(base_url=url, model="x", num_predict=400, client_kwargs={"timeout": settings.request_timeout})


def run_case(case: str, baseline: bool) -> dict:
    """One case in this process: what happened, the wall time and this process's peak RSS."""
    from hostile_servers import HostileServer

    mode = {"endless-openai": "endless", "endless-ollama": "endless", "slow-token": "slow-token"}.get(case, case)
    interval = 0.2 if case == "slow-byte" else 1.0
    with HostileServer(mode, interval=interval) as server:
        model = _llm(case, server.url, baseline) if case in LLM_CASES else None
        started = time.perf_counter()
        try:
            if model is not None:
                chunks = sum(1 for c in model.stream("hi") if c.text)
                outcome = f"stopped after {chunks} chunks"
            else:
                from vectorstore.fetch import Fetcher

                Fetcher(timeout=10.0, max_bytes=10_000_000).get(server.url + "/page")
                outcome = "page read"
        except Exception as exc:  # noqa: BLE001 - the outcome is what is measured
            outcome = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"
        wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"case": case, "wall_s": round(wall, 1), "peak_rss_mb": round(peak), "outcome": outcome}


def _peak_of(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(case: str, baseline: bool, limit: float) -> dict:
    """Run one case in a fresh process; kill it after ``limit`` seconds (then its peak RSS so far)."""
    argv = [sys.executable, __file__, "--child", case] + (["--baseline"] if baseline else [])
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _peak_of(proc.pid))
        if time.perf_counter() - started > limit:
            proc.kill()
            proc.wait()
            return {"case": case, "wall_s": round(time.perf_counter() - started, 1), "peak_rss_mb": round(peak),
                    "outcome": f"still running after {limit:g}s: killed"}
        time.sleep(0.2)
    out = (proc.stdout.read() if proc.stdout else "").strip().splitlines()
    return json.loads(out[-1]) if out else {"case": case, "outcome": f"exit {proc.returncode}"}


def main() -> None:
    """Run every case (or one, with ``--child``) and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="plain LangChain clients, without the bounds")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before a case is killed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args.child:
        print(json.dumps(run_case(args.child, args.baseline)))
        return
    cases = [c for c in CASES if c in LLM_CASES] if args.baseline else CASES
    print(f"{'case':<16} {'wall s':>7} {'peak RSS MB':>12}  outcome" + ("  (baseline)" if args.baseline else ""))
    for case in cases:
        row = run_child(case, args.baseline, args.limit)
        print(f"{row['case']:<16} {row.get('wall_s', '-'):>7} {row.get('peak_rss_mb', '-'):>12}  {row['outcome']}")


if __name__ == "__main__":
    main()
