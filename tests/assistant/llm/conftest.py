"""Shared by the remote-backend tests."""

import pytest

QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"


@pytest.fixture
def ask_with_dead_backend(embedding_path, sample_path, monkeypatch, capsys, free_port):
    """Ingest the sample, ask through ``flags`` with ``{url}`` pointing at a closed port, check that the
    failure is one warning line and an extractive answer from the passages; returns stdout."""
    from assistant.cli import main

    def ask(flags: list[str]) -> str:
        monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
        assert main(["ingest", str(sample_path)]) == 0
        capsys.readouterr()
        url = f"http://127.0.0.1:{free_port()}"
        code = main([*(f.replace("{url}", url) for f in flags), "--ask", QUESTION])
        captured = capsys.readouterr()
        assert code == 0 and "Traceback" not in captured.err
        (line,) = [x for x in captured.err.splitlines() if x.startswith("assistant: warning:")]
        assert "cannot reach the LLM server" in line
        assert "jawaban ekstraktif" in captured.out and "Kim Jong Un" in captured.out
        return captured.out

    return ask
