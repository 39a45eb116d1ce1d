"""The same ingest and retrieval through a real Chroma server (`chroma run`) on 127.0.0.1."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cli import main


@pytest.fixture
def chroma_server(tmp_path, free_port):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma server did not start")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_list_retrieve_remove_through_a_chroma_server(
    chroma_server, embedding_path, sample_path, monkeypatch, capsys
):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server)
    assert main(["ingest", str(sample_path)]) == 0
    assert main(["ingest", str(sample_path)]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert main(["sources", "--json"]) == 0
    (article,) = json.loads(capsys.readouterr().out)
    assert article["passages"] > 3

    from assistant.services import Services
    from assistant.settings import load_settings

    services = Services(load_settings())
    docs = services.retriever().invoke("Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?")
    assert any("Kim Jong Un" in d.page_content for d in docs)
    assert main(["remove", sample_path.name]) == 0
    assert services.store.count() == 0


def test_unreachable_chroma_server_is_one_line(embedding_path, sample_path, monkeypatch, capsys, free_port):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    assert main(["--chroma-url", f"http://127.0.0.1:{free_port()}", "sources"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Chroma server" in err and "Traceback" not in err
