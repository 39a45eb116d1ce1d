"""The resident service with the real models: started as `assistant serve` on a Unix socket and on
127.0.0.1, used by the CLI (same output as in-process), its HTTP API, its errors, and its death."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from served import QUESTION, env_for, free_tcp_port, wait_for, without_timings

from assistant.cli import main

HEAVY = ("torch", "transformers", "chromadb", "langchain", "langchain_core", "sentence_transformers")
# runs the CLI, then names the heavy packages it imported (on stderr, after its own output)
CLIENT = (
    "import sys\n"
    "from assistant.cli import main\n"
    "code = main(sys.argv[1:])\n"
    f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
    "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def service(corpus):
    """`assistant serve --http 127.0.0.1:PORT` on the corpus; yields (base URL, data dir, models dir)."""
    data, models = corpus
    port = free_tcp_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--http", f"127.0.0.1:{port}"],
        env=env_for(data, models), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(url, process)
    yield url, data, models
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert not (data / "service.sock").exists(), "the socket is removed on exit"


def _post(url: str, body: dict | bytes, headers: dict | None = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _get(url: str, method: str = "GET") -> tuple[int, dict | list]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.e2e
def test_cli_http_and_in_process_give_the_same_answer(service, monkeypatch, capsys):
    url, data, models = service
    client = subprocess.run(
        [sys.executable, "-c", CLIENT, "--ask", QUESTION, "--json"],
        env=env_for(data, models, ASSISTANT_SERVICE="required"), capture_output=True, text=True, timeout=300,
    )
    assert client.returncode == 0, client.stderr
    assert "HEAVY=\n" in client.stderr + "\n", client.stderr  # the client path loads none of them
    through_service = json.loads(client.stdout)
    assert "Kim Jong Un" in through_service["answer"] and not through_service["declined"]

    status, over_http = _post(url + "/v1/ask", {"question": QUESTION, "stream": False})
    assert status == 200
    assert without_timings(over_http) == without_timings(through_service)

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(models))
    assert main(["--ask", QUESTION, "--json"]) == 0  # ASSISTANT_SERVICE=off (conftest): in-process
    in_process = json.loads(capsys.readouterr().out)
    assert without_timings(in_process) == without_timings(through_service)

    # plain output (a pipe) is the same too
    plain = subprocess.run(
        [sys.executable, "-m", "assistant", "--ask", QUESTION],
        env=env_for(data, models, ASSISTANT_SERVICE="required"), capture_output=True, text=True, timeout=300,
    )
    assert plain.returncode == 0, plain.stderr
    assert main(["--ask", QUESTION]) == 0
    assert capsys.readouterr().out == plain.stdout

    log = (data / "service.log").read_text(encoding="utf-8")
    assert "POST /v1/ask 200" in log and "token=" in log
    # the processed prefix was kept beside the model, and the in-process answer (restored from it) is
    # the one the service computed
    assert list((models / "prefix-cache").glob("prefix-*.bin"))


@pytest.mark.e2e
def test_the_api_lists_and_streams_and_refuses_bad_requests_without_change(service):
    url, _data, _ = service
    status, articles = _get(url + "/v1/articles")
    assert status == 200 and len(articles) == 1
    article_id = articles[0]["article_id"]
    status, article = _get(f"{url}/v1/articles/{article_id}")
    assert status == 200 and "Kim Jong Un" in article["text"]

    request = urllib.request.Request(
        url + "/v1/ask", data=json.dumps({"question": QUESTION}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as r:
        kinds = [json.loads(line)["kind"] for line in r]
    assert kinds[0] == "sources" and "evidence" in kinds and "token" in kinds and kinds[-1] == "done"

    assert _post(url + "/v1/ask", b"{broken")[0] == 422
    assert _post(url + "/v1/ask", {"question": "x" * 400_000})[0] == 413
    assert _get(url + "/v1/articles/no-such-article")[0] == 404
    assert _get(url + "/v1/articles/no-such-article", method="DELETE")[0] == 404
    assert _post(url + "/v1/ingest", {"paths": ["/etc/passwd"]})[0] == 403
    assert _get(url + "/v1/articles")[1] == articles  # nothing stored changed


def _send_and_leave(url: str, body: dict[str, Any], until: Callable[[bytes], bool]) -> None:
    """Post ``body`` to /v1/ask over a raw socket and close it once ``until`` holds for what was received."""
    host, port = url.removeprefix("http://").split(":")
    data = json.dumps(body).encode()
    with socket.create_connection((host, int(port)), timeout=300) as sock:
        sock.sendall(
            b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n".encode() + data
        )
        received = b""
        sock.settimeout(0.2)
        while not until(received):
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            assert chunk, received
            received += chunk


def _wait_until_free(url: str) -> None:
    deadline = time.monotonic() + 300  # a whole answer takes ~30 s here; this bound only stops a hung test
    while _get(url + "/v1/health")[1]["waiting"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _get(url + "/v1/health")[1]["waiting"]


@pytest.mark.e2e
def test_a_client_that_goes_away_cancels_its_answer(service):
    url, data, _ = service
    log = data / "service.log"
    question = "Kapan Korea Utara pertama kali mengakui pengiriman pasukan?"
    _send_and_leave(url, {"question": question}, lambda got: b'"kind": "token"' in got)
    _wait_until_free(url)
    text = log.read_text(encoding="utf-8")
    # the answer's own loop saw the client leave and closed the stream (which stops the model): the
    # proof that it was cancelled, not merely that it ended
    assert "cancelled by the client" in text and text.count("answer stopped: the client went away") == 1

    # the same for a whole-answer request: the client leaves while the model is answering it
    _send_and_leave(
        url, {"question": question, "stream": False}, lambda _: bool(_get(url + "/v1/health")[1]["waiting"])
    )
    _wait_until_free(url)
    assert log.read_text(encoding="utf-8").count("answer stopped: the client went away") == 2

    status, answer = _post(url + "/v1/ask", {"question": QUESTION, "stream": False})
    assert status == 200 and "Kim Jong Un" in answer["answer"]


@pytest.mark.e2e
def test_one_service_per_data_dir(service):
    _, data, models = service
    second = subprocess.run(
        [sys.executable, "-m", "assistant", "serve"],
        env=env_for(data, models), capture_output=True, text=True, timeout=60,
    )
    assert second.returncode == 1
    assert "already running" in second.stderr and len(second.stderr.strip().splitlines()) == 1, second.stderr


@pytest.mark.e2e
def test_auto_start_and_a_service_that_dies_mid_answer(corpus, tmp_path):
    data, models = corpus
    copy = tmp_path / "data"
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns("service.*"))
    env = env_for(copy, models, ASSISTANT_SERVICE="auto")
    first = subprocess.run(
        [sys.executable, "-m", "assistant", "--ask", QUESTION], env=env, capture_output=True, text=True, timeout=600
    )
    assert first.returncode == 0, first.stderr
    assert "starting the assistant service" in first.stderr
    info = json.loads((copy / "service.json").read_text())
    try:
        # the next question finds it running, and it dies while answering: answered here instead
        client = subprocess.Popen(
            [sys.executable, "-m", "assistant", "--ask", QUESTION],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert client.stdout is not None
        line = client.stdout.readline()
        assert line.startswith("Evidence"), line
        os.kill(info["pid"], signal.SIGKILL)
        out, err = client.communicate(timeout=600)
        assert client.returncode == 0, err
        assert "stopped mid-answer" in err and "Traceback" not in err
        assert "Kim Jong Un" in out
        assert "starting the assistant service" not in err
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(info["pid"], signal.SIGKILL)
