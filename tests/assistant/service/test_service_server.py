"""`assistant serve`'s life: one per data dir, a private socket, a refusal beyond loopback without a
token, and a stop when idle (over a stand-in facade: no models)."""

import os
import stat
import subprocess
import sys
import threading
import time

import pytest
from test_service_http import StandIn

from assistant.service.client import ServiceClient, running_client
from assistant.service.paths import info_path, socket_path
from assistant.service.server import ServiceError, serve
from assistant.settings import load_settings


class Warm(StandIn):
    def warm(self):
        pass


def test_serves_on_a_private_socket_refuses_a_second_one_and_stops_when_idle(tmp_path):
    settings = load_settings(data_dir=str(tmp_path / "data")).model_copy(update={"service_idle_timeout": 1.5})
    said: list[str] = []
    thread = threading.Thread(target=serve, args=(settings,), kwargs={"say": said.append, "assistant": Warm(settings)})
    thread.start()
    path = socket_path(settings)
    deadline = time.monotonic() + 20
    while not info_path(settings).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    health = ServiceClient(path).health()
    assert health["status"] == "ok" and health["pid"] == os.getpid()
    assert running_client(settings) is not None
    assert running_client(settings.model_copy(update={"top_k": 2})) is None  # other settings: not used
    with pytest.raises(ServiceError, match="already running"):
        serve(settings, say=said.append, assistant=Warm(settings))
    thread.join(timeout=15)
    assert not thread.is_alive(), "it stops after service_idle_timeout without requests"
    assert not path.exists() and not info_path(settings).exists()
    log = (settings.data_dir / "service.log").read_text()
    assert "GET /v1/health 200" in log and "idle for" in log


def test_listening_beyond_loopback_needs_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_API_TOKEN"}
    env["ASSISTANT_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--http", "0.0.0.0:0"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "assistant: error: listening on 0.0.0.0 (beyond this machine) needs a bearer token in $ASSISTANT_API_TOKEN"
    ]
    assert not (tmp_path / "data").exists()  # refused before anything was created
    bad = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--http", "nowhere"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1 and "HOST:PORT" in bad.stderr and "Traceback" not in bad.stderr
