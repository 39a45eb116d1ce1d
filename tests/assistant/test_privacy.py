"""The default path makes no network connection: Chroma telemetry is off, and ingest, sources and
remove run with every non-loopback connection and name lookup refused and recorded. (Asking, with the
real LLM, runs under the same guard in test_ask_e2e.py.)"""

import json
import socket

import pytest

from assistant.cli import main


def test_the_guard_catches_outside_connections(no_network):
    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(OSError), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))
    assert no_network == ["lookup example.com", "connect 192.0.2.1"]


def test_chroma_telemetry_is_off(tmp_path):
    from vectorstore.embeddings import chroma_embedding_function
    from vectorstore.store import ChromaStore

    store = ChromaStore(tmp_path / "c", "privacy", "m", chroma_embedding_function(lambda: None, "m"))
    assert store.client.get_settings().anonymized_telemetry is False


def test_ingest_sources_remove_make_no_connection(no_network, monkeypatch, embedding_path, sample_path, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    monkeypatch.delenv("HF_HUB_OFFLINE")  # the CLI itself must make the model libraries stay offline
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    assert main(["ingest", str(sample_path)]) == 0
    assert main(["sources", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert len(listed) == 1
    assert main(["remove", sample_path.name]) == 0
    assert no_network == []
