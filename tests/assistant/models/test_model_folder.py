"""build_in_place: a verified folder appears whole or not at all, and concurrent builds build once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from assistant.models.model_folder import MARKER, build_in_place, folder_problem


def _write_model(folder: Path) -> dict[str, float]:
    (folder / "model.safetensors").write_bytes(_safetensors())
    return {"check": 1.0}


def _safetensors() -> bytes:
    import json
    import struct

    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0\0\0\0"


def _slow_build(target: str, log: str) -> None:
    def build(folder: Path) -> dict[str, float]:
        with open(log, "a") as f:
            f.write("built\n")
        time.sleep(0.5)
        return _write_model(folder)

    build_in_place(Path(target), build, folder_problem)


def test_a_built_folder_is_verified_and_renamed_into_place(tmp_path: Path) -> None:
    target = build_in_place(tmp_path / "model", _write_model, folder_problem)
    assert (target / MARKER).is_file()
    assert folder_problem(target) is None
    assert not list(tmp_path.glob(".model.*.tmp"))


def test_a_failed_build_leaves_no_folder_and_keeps_the_previous_one(tmp_path: Path) -> None:
    target = build_in_place(tmp_path / "model", _write_model)

    def broken(folder: Path) -> dict[str, float]:
        (folder / "half.bin").write_bytes(b"x")
        raise RuntimeError("stopped halfway")

    with pytest.raises(RuntimeError):
        build_in_place(target, broken)
    assert folder_problem(target) is None
    assert not list(tmp_path.glob(".model.*.tmp"))


def test_two_processes_preparing_the_same_folder_build_it_once(tmp_path: Path) -> None:
    target, log = tmp_path / "model", tmp_path / "builds.log"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_slow_build, args=(str(target), str(log))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert log.read_text().count("built") == 1
    assert folder_problem(target) is None


def test_a_damaged_folder_is_built_again(tmp_path: Path) -> None:
    target = build_in_place(tmp_path / "model", _write_model, folder_problem)
    (target / "model.safetensors").write_bytes(b"short")
    assert folder_problem(target) is not None
    build_in_place(target, _write_model, folder_problem)
    assert folder_problem(target) is None
