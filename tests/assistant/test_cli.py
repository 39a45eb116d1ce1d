"""The command line, in-process, on real Chroma and the real embedding model in temp dirs."""

import json

import pytest

from assistant.cli import main


@pytest.fixture
def prepared_env(monkeypatch, embedding_path):
    """Point the CLI at the session's prepared models (the data dir is already a temp dir)."""
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "ingest" in capsys.readouterr().out


def test_empty_question_is_a_usage_error(capsys):
    assert main(["--ask", "  "]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "question is empty" in err


def test_bad_setting_is_one_line(capsys):
    assert main(["--top-k", "0", "sources"]) == 2
    err = capsys.readouterr().err
    assert "top_k" in err and "Traceback" not in err


def test_ingest_reports_bad_files_and_keeps_the_rest(prepared_env, tmp_path, sample_path, capsys):
    assert main(["ingest", str(sample_path)]) == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "zero.txt").write_bytes(b"")
    (bad / "bin.txt").write_bytes(b"\x00\x00\x00")
    (bad / "latin.txt").write_bytes(b"\xe9t\xe9")
    (bad / "broken.json").write_text("{")
    (bad / "ok.txt").write_text("Banjir Jakarta\nBanjir melanda Jakarta Utara pada hari Minggu pagi.")
    code = main(["ingest", str(bad), str(tmp_path / "missing.txt")])
    captured = capsys.readouterr()
    assert code == 3
    assert "Traceback" not in captured.err
    for reason in ("empty file", "binary file", "not valid UTF-8", "malformed JSON", "no such file"):
        assert reason in captured.err
    assert main(["sources", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {a["title"] for a in listed} == {
        "Banjir Jakarta",
        "Akhirnya, Korea Utara Akui Kirim Pasukan ke Rusia untuk Lawan Ukraina",
    }
    assert main(["remove", "ok.txt"]) == 0
    assert main(["remove", "ok.txt"]) == 1
    assert "no article" in capsys.readouterr().err


def test_ask_on_empty_collection_is_a_clear_error(prepared_env, capsys):
    assert main(["--ask", "Apa kabar?"]) == 1
    assert "collection is empty" in capsys.readouterr().err
