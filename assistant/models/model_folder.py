"""A prepared model folder: verified once (a marker records each file's size and SHA-256), then
checked cheaply on every use (sizes, safetensors headers) and by checksum on request."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from assistant.models.catalog import E5_SMALL_DIM
from assistant.models.gguf import ModelError

MARKER = ".verified.json"
# A cross-lingual pair that must be closer than an unrelated pair for the model to pass.
_CHECK_QUERY = "Siapa yang memerintahkan pengiriman pasukan ke Rusia?"
_CHECK_RELATED = "Kim Jong Un ordered the deployment of troops to Russia."
_CHECK_UNRELATED = "The recipe needs two cups of flour and an egg."


def folder_manifest(folder: Path) -> dict[str, dict[str, int | str]]:
    """Size and SHA-256 of every file in ``folder`` (recorded when a built model passes verification)."""
    import hashlib

    files: dict[str, dict[str, int | str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER):
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        files[str(path.relative_to(folder))] = {"size": path.stat().st_size, "sha256": digest.hexdigest()}
    return files


def build_in_place(
    target: Path,
    build: Callable[[Path], dict[str, float]],
    problem: Callable[[Path], str | None] | None = None,
) -> Path:
    """Run ``build`` on an empty temp folder beside ``target`` (it writes the model and returns its
    checks, or raises), record the checks and every file's size and SHA-256, then rename the folder to
    ``target``: a build that stops halfway leaves no folder that looks prepared.

    One build per folder at a time: a second process waits on a lock file beside ``target``, and when
    ``problem`` (what is wrong with a folder, or None) finds the first one's result ready, uses it
    instead of building again and replacing a folder the first may already be reading."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if problem is not None and target.is_dir() and problem(target) is None:
            return target
        tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            checks = build(tmp)
            (tmp / MARKER).write_text(json.dumps({**checks, "files": folder_manifest(tmp)}))
            shutil.rmtree(target, ignore_errors=True)  # a partial or corrupt earlier build
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def safetensors_problem(path: Path) -> str | None:
    """Why a ``.safetensors`` file is not whole (its header and length disagree), or None."""
    import struct

    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length <= 0 or 8 + length > size:
                return f"{path.name} is truncated ({size:,} bytes, header says more)"
            header = json.loads(f.read(length))
    except (OSError, struct.error, ValueError) as exc:
        return f"{path.name} cannot be read ({type(exc).__name__})"
    ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    expected = 8 + length + max(ends, default=0)
    if size != expected:
        return f"{path.name} is truncated or padded ({size:,} bytes, expected {expected:,})"
    return None


def folder_problem(folder: Path, checksums: bool = False, weights: str = "*.safetensors") -> str | None:
    """What is wrong with a prepared model folder (one line), or None when it is ready; ``checksums``
    compares every file's SHA-256 with the one recorded at verification; ``weights``: the file pattern
    its weights must match."""
    marker = folder / MARKER
    if not marker.is_file():
        return "not prepared" if not folder.exists() else f"{folder} was never verified (an interrupted build)"
    try:
        recorded = json.loads(marker.read_text()).get("files") or {}
    except (OSError, ValueError):
        return f"{marker} is damaged"
    for name, info in recorded.items():
        path = folder / name
        if not path.is_file():
            return f"{path} is missing"
        if path.stat().st_size != info.get("size"):
            return f"{path} has {path.stat().st_size:,} bytes, {info.get('size'):,} when verified"
    for path in folder.glob("*.safetensors"):
        problem = safetensors_problem(path)
        if problem:
            return f"{folder}: {problem}"
    if not any(folder.glob(weights)):
        return f"{folder} has no model weights"
    if checksums:
        actual = folder_manifest(folder)
        for name, info in recorded.items():
            if actual.get(name, {}).get("sha256") != info.get("sha256"):
                return f"{folder / name} does not match its checksum (damaged)"
    return None


def verify_embedding_folder(path: Path, expected_dim: int | None = E5_SMALL_DIM) -> dict[str, float]:
    """Load the folder and check its dimension and that it ranks a cross-lingual pair sensibly.

    Returns the similarities measured; raises ModelError if a check fails.
    """
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
    if expected_dim is not None and dim != expected_dim:
        raise ModelError(f"embedding model at {path} has dimension {dim}, expected {expected_dim}")
    prompts = model.prompts or {}
    q = model.encode([_CHECK_QUERY], prompt=prompts.get("query"), normalize_embeddings=True)
    passage_prompt = prompts.get("passage", prompts.get("document"))
    docs = model.encode([_CHECK_RELATED, _CHECK_UNRELATED], prompt=passage_prompt, normalize_embeddings=True)
    related, unrelated = (float(x) for x in (docs @ q[0]))
    if not related > unrelated:
        raise ModelError(f"embedding model at {path} failed its sanity check ({related:.3f} <= {unrelated:.3f})")
    return {"related": related, "unrelated": unrelated, "dim": float(dim)}
