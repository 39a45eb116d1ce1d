"""What the service's end-to-end tests share: the environment of a subprocess, waiting for a service."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"
SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "articles" / "korea-utara-akui-kirim-pasukan-ke-rusia.txt"


def env_for(data_dir: Path, models: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess on ``data_dir``: this one's, without other ASSISTANT_* values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_MODELS_DIR=str(models), HF_HUB_OFFLINE="1")
    env.update(extra)
    return env


def wait_for(url: str, process: subprocess.Popen, timeout: float = 400) -> dict:
    """The service's health, once it answers at ``url`` (fails if ``process`` exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/v1/health", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the service did not come up")


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def without_timings(answer: dict) -> dict:
    """An answer's JSON without its timings (the only field that differs between runs)."""
    return {k: v for k, v in answer.items() if k != "timings"}
