"""Issue 17: damage named and repaired, honest messages, only checked text shown (lists 3, 4, 6 and 8).

Real collections (the real embedding model, real Chroma), damaged with real file operations; commands
run in-process, or as subprocesses where the file descriptors themselves matter (closed stdout, a
broken pipe, Chroma's native stderr). Answers use an LLM server on a closed port (extractive answers)
or a hostile server on 127.0.0.1 (``tests/hostile_servers.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_servers import HostileServer

from assistant.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedding_path):
    """A data dir holding the sample article (built once; tests get a copy)."""
    sample = ROOT / "examples" / "articles" / "korea-utara-akui-kirim-pasukan-ke-rusia.txt"
    data = tmp_path_factory.mktemp("built") / "data"
    code = main(["ingest", "--data-dir", str(data), "--models-dir", str(embedding_path.parent), str(sample)])
    assert code == 0
    return data


@pytest.fixture
def data(built, tmp_path, monkeypatch, embedding_path):
    copy = tmp_path / "data"
    shutil.copytree(built, copy)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(copy))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    return copy


def _index_dir(data: Path) -> Path:
    return data / "store" / "keyword" / "articles"


def _dead_llm(free_port) -> list[str]:
    return ["--llm-backend", "openai", "--openai-base-url", f"http://127.0.0.1:{free_port()}/v1"]


def _run(argv: list[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *argv], cwd=ROOT, env={**os.environ, **(env or {})},
        capture_output=True, timeout=300, **kwargs,
    )


# -- list 4: damage named and repaired -------------------------------------------------------------------


def test_missing_keyword_index_answers_from_the_dense_leg_with_a_warning(data, free_port, monkeypatch, capsys):
    """Was: every question silently declined (the coverage rule saw an empty index)."""
    monkeypatch.setenv("ASSISTANT_REFUSAL_CHECK", "false")
    (_index_dir(data) / "tokens.sqlite").unlink()
    code = main([*_dead_llm(free_port), "--ask", QUESTION])
    captured = capsys.readouterr()
    assert code == 0 and "Traceback" not in captured.err
    assert "keyword index" in captured.err and "is missing; answering from the dense leg only" in captured.err
    assert "Kim Jong Un" in captured.out and "jawaban ekstraktif" in captured.out
    assert not (_index_dir(data) / "tokens.sqlite").exists()  # a reader creates nothing


@pytest.mark.parametrize("name", ["tokens.sqlite", "duplicates.sqlite"])
def test_zeroed_local_index_is_named_then_rebuilt_by_ingest(data, name, sample_path, free_port, capsys):
    """Was: ``DatabaseError: file is not a database`` for both ask and ingest."""
    path = _index_dir(data) / name
    path.write_bytes(b"\0" * path.stat().st_size)
    assert main([*_dead_llm(free_port), "--ask", QUESTION]) == 0
    captured = capsys.readouterr()
    assert "is not a SQLite database" in captured.err and str(path) in captured.err
    assert "Kim Jong Un" in captured.out
    assert main(["ingest", str(sample_path)]) == 0
    captured = capsys.readouterr()
    assert "set aside as" in captured.err and "0 added" in captured.out
    assert main(["doctor"]) == 0, capsys.readouterr().out
    report = capsys.readouterr().out
    assert report.count("ok ") >= 3 and "damaged" not in report


def test_doctor_names_lost_indexes_and_repair_rebuilds_them(data, free_port, capsys):
    (_index_dir(data) / "tokens.sqlite").unlink()
    dup = _index_dir(data) / "duplicates.sqlite"
    dup.write_bytes(b"\0" * dup.stat().st_size)
    assert main(["doctor"]) == 1
    report = capsys.readouterr().out
    assert "keyword index" in report and "is missing" in report
    assert "duplicate index" in report and "is not a SQLite database" in report
    assert "rebuildable from the collection" in report
    assert main(["doctor", "--repair"]) == 0, capsys.readouterr()
    assert "repaired" in capsys.readouterr().out
    assert main(["doctor"]) == 0
    assert "damaged" not in capsys.readouterr().out
    assert main([*_dead_llm(free_port), "--ask", QUESTION]) == 0
    captured = capsys.readouterr()
    assert "warning: the" not in captured.err and "Kim Jong Un" in captured.out


def test_empty_chroma_database_is_not_a_new_collection(data, sample_path, capsys):
    """Was: "0 articles", exit 0, and the next ingest silently started a new collection."""
    db = data / "store" / "chroma" / "chroma.sqlite3"
    db.write_bytes(b"")
    assert main(["sources"]) == 1
    err = capsys.readouterr().err
    assert f"{db} is empty (0 bytes)" in err and "assistant doctor" in err and len(err.splitlines()) == 1
    assert main(["ingest", str(sample_path)]) == 1
    assert db.stat().st_size == 0  # nothing was created over it
    capsys.readouterr()
    assert main(["doctor"]) == 1
    report = capsys.readouterr().out
    assert "damaged" in report and "cannot be rebuilt from the other files" in report and "1 source" in report
    assert main(["doctor", "--repair"]) == 0, capsys.readouterr()
    assert "re-ingested 1 of 1 recorded sources" in capsys.readouterr().out
    assert main(["sources", "--json"]) == 0
    (article,) = json.loads(capsys.readouterr().out)
    assert "Korea Utara" in article["title"]


def test_garbled_chroma_database_is_one_line_without_a_panic(data):
    """Was: a Rust panic and a stack backtrace (``thread 'tokio-rt-worker' panicked at …``)."""
    db = data / "store" / "chroma" / "chroma.sqlite3"
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 3)
        f.write(os.urandom(size // 3))
    result = _run(["sources"], text=True)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("assistant: error: ") and str(db) in line and "is damaged" in line
    assert "panicked" not in result.stderr and "Traceback" not in result.stderr


def test_truncated_e5_weights_are_not_ready(tmp_path, embedding_path, capsys):
    """Was: ``assistant models`` said "ready" and ``models prepare`` did nothing."""
    from assistant.models.embedding import e5_is_ready, e5_problem

    models = tmp_path / "models"
    shutil.copytree(embedding_path, models / embedding_path.name, copy_function=os.link)
    weights = models / embedding_path.name / "model.safetensors"
    data = weights.read_bytes()
    weights.unlink()  # a new file: the shared one stays whole
    weights.write_bytes(data[: len(data) // 2])
    assert not e5_is_ready(models) and "model.safetensors" in (e5_problem(models) or "")
    assert main(["models", "--models-dir", str(models)]) == 0
    assert "DAMAGED" in capsys.readouterr().out
    assert main(["doctor", "--models-dir", str(models)]) == 1
    assert "embedding model" in capsys.readouterr().out


# -- list 8: honest messages -----------------------------------------------------------------------------


def test_mistyped_data_dir_for_sources_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo"
    assert main(["sources", "--data-dir", str(missing)]) == 1
    assert "no such data directory" in capsys.readouterr().err
    assert not missing.exists()


def test_bad_chroma_url_leaves_no_folders(tmp_path, free_port, capsys):
    data = tmp_path / "d"
    data.mkdir()
    for url in (f"http://127.0.0.1:{free_port()}", "http://127.0.0.1:99999", "http://[::1"):
        assert main(["sources", "--data-dir", str(data), "--chroma-url", url]) == 1
        err = capsys.readouterr().err
        assert "Chroma server" in err and "Traceback" not in err
        assert main(["ingest", "--data-dir", str(data), "--chroma-url", url, str(tmp_path)]) == 1
        capsys.readouterr()
    assert not (data / "store" / "keyword").exists()


def test_config_folder_and_long_question_get_honest_errors(tmp_path, capsys):
    assert main(["--config", str(tmp_path), "sources"]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["--ask", "kata " * 40_000]) == 2
    err = capsys.readouterr().err
    assert "too long (199,999 characters" in err and "tidak tersedia" not in err


def test_read_only_data_dir_still_answers_and_lists(data, free_port):
    """Was: ``sources`` and ``ask`` refused on a read-only data directory."""
    from readonly_mount import read_only_runner

    wrap = read_only_runner(data)
    env = {"ASSISTANT_DATA_DIR": str(data)}
    listed = subprocess.run(wrap([sys.executable, "-m", "assistant", "sources", "--json"]), cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "Korea Utara" in listed.stdout
    asked = subprocess.run(wrap([sys.executable, "-m", "assistant", *_dead_llm(free_port), "--ask", QUESTION]),
                           cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert asked.returncode == 0, asked.stderr
    assert "Kim Jong Un" in asked.stdout


# -- list 3: internal errors shown as messages -----------------------------------------------------------


def test_question_with_bytes_that_are_not_utf8(data, free_port):
    """Was: ``TypeError: TextEncodeInput must be …``."""
    question = "Siapa yang memerintahkan pengiriman pasukan \xff\xfe ke Rusia?".encode("latin-1")
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"assistant", *(a.encode() for a in _dead_llm(free_port)), b"--ask",
         question], cwd=ROOT, capture_output=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr and b"Kim Jong Un" in result.stdout


def test_chat_with_stdin_closed_and_ask_with_stdout_closed(tmp_path):
    chat = subprocess.run(["sh", "-c", f"'{sys.executable}' -m assistant chat <&-"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert chat.returncode == 2 and "needs a terminal" in chat.stderr and "Traceback" not in chat.stderr
    ask = subprocess.run(["sh", "-c", f"'{sys.executable}' -m assistant ask hello >&-"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert ask.returncode == 1 and "standard output is closed" in ask.stderr


def test_output_to_a_closed_pipe_exits_quietly(tmp_path):
    """Was: ``BrokenPipeError`` and exit 1 when piped to ``head -1``."""
    (tmp_path / "data").mkdir()
    for argv in (["config", "show"], ["sources", "--json", "--data-dir", str(tmp_path / "data")]):
        read, write = os.pipe()
        os.close(read)
        try:
            result = subprocess.run([sys.executable, "-m", "assistant", *argv], cwd=ROOT, stdout=write,
                                    stderr=subprocess.PIPE, text=True, timeout=120)
        finally:
            os.close(write)
        assert result.returncode == 141 and result.stderr == "", (argv, result.stderr)


# -- item 5 of the issue: only checked text is shown -------------------------------------------------------


HOSTILE_ANSWER = ["Kim Jong Un ", "memerintahkan ", "pengiriman [1]. ", "![x](http://evil.example/a.png) ",
                  "\x1b]0;pwned\x07", "Lihat [tautan](http://evil.example/b)."]


def test_plain_mode_prints_only_the_checked_answer(data, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_REFUSAL_CHECK", "false")
    with HostileServer("script", script=HOSTILE_ANSWER) as server:
        flags = ["--llm-backend", "openai", "--openai-base-url", server.url + "/v1"]
        assert main([*flags, "--ask", QUESTION]) == 0
        out = capsys.readouterr().out
        assert "Kim Jong Un" in out and "evil.example" not in out and "\x1b" not in out
        assert "Citations checked" not in out
        assert main([*flags, "ask", QUESTION, "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
    for value in (answer["answer"], answer["question"]):
        assert not any(ord(c) < 32 and c not in "\n\t" for c in value), value
    assert "pwned" not in answer["answer"] or "\x1b" not in answer["answer"]


def test_a_chroma_server_that_never_answers_is_cut_off(tmp_path, monkeypatch, capsys):
    """Chroma's own HTTP client has no timeout: a server that trickles bytes hung every command."""
    import time

    monkeypatch.setenv("ASSISTANT_CHROMA_TIMEOUT", "2")
    (tmp_path / "d").mkdir()
    with HostileServer("slow-byte", interval=0.5) as server:
        started = time.monotonic()
        assert main(["sources", "--data-dir", str(tmp_path / "d"), "--chroma-url", server.url]) == 1
        assert time.monotonic() - started < 6
    assert "cannot reach the Chroma server" in capsys.readouterr().err


def test_zeroed_vector_index_is_named_and_embedded_again(data, tmp_path, free_port, capsys):
    """Was: "Failed to apply logs to the hnsw segment writer" on every command. The texts survive in
    chroma.sqlite3, so ``doctor --repair`` embeds them again (more than Chroma keeps in its log: the
    vector index is on disk only past ~1,000 passages)."""
    import random

    rng = random.Random(3)
    syllables = ("ba", "ki", "lo", "me", "nu", "pa", "ri", "sa", "tu", "wa")
    vocab = [a + b for a in syllables for b in ("ngan", "rat", "lis")]
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(55):
        sentences = [" ".join(rng.choice(vocab) for _ in range(12)).capitalize() + "." for _ in range(120)]
        (folder / f"a{i}.txt").write_text(f"Artikel {i}\n" + " ".join(sentences))
    assert main(["ingest", str(folder)]) == 0
    capsys.readouterr()
    segments = [p for p in (data / "store" / "chroma").iterdir() if p.is_dir()]
    assert segments and any((p / "index_metadata.pickle").exists() for p in segments)
    for segment in segments:
        for path in segment.iterdir():
            path.write_bytes(b"\0" * path.stat().st_size)
    # fresh processes: this one still holds the vector index it wrote, in memory
    asked = _run([*_dead_llm(free_port), "--ask", QUESTION], text=True)  # listing needs no vectors; a search does
    assert asked.returncode == 1
    (line,) = asked.stderr.strip().splitlines()
    assert "cannot be opened" in line and "hnsw" in line.lower() and "assistant doctor" in line, line
    checked = _run(["doctor"], text=True)
    assert checked.returncode == 1 and "they can be embedded again" in checked.stdout, checked.stdout
    repaired = _run(["doctor", "--repair"], text=True)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "embedded again from the texts that survived" in repaired.stdout
    again = _run([*_dead_llm(free_port), "--ask", QUESTION], text=True)
    assert again.returncode == 0 and "Korea Utara" in again.stdout, again.stderr


def test_ask_against_endless_and_crawling_servers_finishes(data, monkeypatch, capsys):
    """Issue 17, list 1, through ``assistant --ask``: a token a second stops at ``request_timeout``
    (extractive answer, one warning); an endless stream stops at ``max_tokens``."""
    import time

    monkeypatch.setenv("ASSISTANT_REQUEST_TIMEOUT", "3")
    monkeypatch.setenv("ASSISTANT_REFUSAL_CHECK", "false")
    with HostileServer("slow-token", interval=0.5) as server:
        started = time.monotonic()
        assert main(["--llm-backend", "openai", "--openai-base-url", server.url + "/v1", "--ask", QUESTION]) == 0
        assert time.monotonic() - started < 30
    captured = capsys.readouterr()
    assert "did not answer in time" in captured.err and "jawaban ekstraktif" in captured.out
    monkeypatch.setenv("ASSISTANT_MAX_TOKENS", "64")
    with HostileServer("endless") as server:
        started = time.monotonic()
        assert main(["--llm-backend", "openai", "--openai-base-url", server.url + "/v1", "--ask", QUESTION]) == 0
        assert time.monotonic() - started < 30
        assert server.disconnected.wait(5)
