"""One typed settings object: defaults < config file < environment < command-line flags.

The config file is TOML (``config.toml`` in the user config directory, or the file given with
``--config`` / ``ASSISTANT_CONFIG_FILE``); environment variables are ``ASSISTANT_<FIELD>``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_config_dir, user_data_dir
from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vectorstore.embedding_prompts import PromptFamily

APP_NAME = "article-assistant"

LlmModelName = Literal["qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-0.5b-instruct"]


def default_config_file() -> Path:
    """The config file read when none is named."""
    return Path(user_config_dir(APP_NAME)) / "config.toml"


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the key."""


class Settings(BaseSettings):
    """Every setting of the assistant, documented where it is declared."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", validate_default=True)

    config_file: Path | None = Field(
        default=None, description="TOML file with settings (default: config.toml in the user config dir)."
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir(APP_NAME)),
        description="Where prepared models, the Chroma collection and the keyword index live.",
    )
    models_dir: Path | None = Field(
        default=None, description="Prepared models (default: <data_dir>/models); may be shared between data dirs."
    )
    collection: str = Field(
        default="articles",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,62}[A-Za-z0-9]$",
        description="Name of the article collection; separate names keep separate collections.",
    )
    chroma_url: str | None = Field(
        default=None, description="A Chroma server (http://HOST:PORT) instead of the embedded store."
    )
    chroma_timeout: float = Field(
        default=60.0, gt=0, description="Seconds each request to a Chroma server may take in all."
    )
    embedding_model: str = Field(
        default="intfloat/multilingual-e5-small", description="Sentence-transformers model name."
    )
    embedding_path: Path | None = Field(
        default=None, description="Local sentence-transformers folder to use instead of resolving by name."
    )
    embedding_int8: bool = Field(
        default=True,
        description="Build new collections with int8 embeddings (3x faster ingest, recall@5 -0.006 on eval-dev); "
        "a collection keeps the precision it was built with.",
    )
    embedding_prompts: PromptFamily = Field(
        default="auto",
        description="Query/passage prompts: auto (the model's saved prompts, else its name's family), e5, bge, "
        "bge-zh, embeddinggemma, nomic or none.",
    )
    llm_model: LlmModelName = Field(
        default="qwen2.5-coder-1.5b-instruct", description="Which bundled GGUF the embedded backend runs."
    )
    llm_path: Path | None = Field(default=None, description="A GGUF file to run instead of the bundled one.")
    llm_backend: Literal["embedded", "openai", "ollama"] = Field(
        default="embedded",
        description="embedded: llama.cpp in-process; openai: any OpenAI-compatible server (Ollama /v1, "
        "llama.cpp server, vLLM, LM Studio, OpenAI); ollama: Ollama's native API.",
    )
    openai_base_url: str | None = Field(
        default=None, description="Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1."
    )
    openai_model: str | None = Field(default=None, description="Model name on that server (default: llm_model).")
    ollama_base_url: str = Field(default="http://127.0.0.1:11434", description="The Ollama server.")
    ollama_model: str | None = Field(
        default=None, description="Model name in Ollama, e.g. qwen2.5:1.5b (default: llm_model)."
    )
    openai_api_key_env: str = Field(
        default="OPENAI_API_KEY", description="Environment variable holding the API key (none is needed locally)."
    )
    request_timeout: float = Field(
        default=120.0,
        gt=0,
        description="Seconds an LLM call may take: a remote server's whole reply (enforced on the client side), "
        "or the embedded model's next output.",
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="CPU threads for the LLM and embeddings (default: the usable cores, a fixed count so "
        "that answers do not depend on the machine's load).",
    )
    context_size: int = Field(default=4096, ge=512, le=131072, description="LLM context window in tokens.")
    llm_repack_weights: bool = Field(
        default=False,
        description="Embedded LLM: let llama.cpp repack the weights (decoding 31 vs 25 tokens/s, but prompts "
        "88 vs 110 tokens/s and 0.6 GB more memory, measured here).",
    )
    max_tokens: int = Field(
        default=400, ge=16, le=8192, description="Longest answer, in tokens (enforced on the client side too)."
    )
    max_question_chars: int = Field(
        default=4000, ge=100, le=100_000, description="Longer questions are refused with a one-line error."
    )
    temperature: float = Field(
        default=0.0, ge=0.0, le=2.0, description="LLM sampling temperature (0: greedy, the same answer every time)."
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages given to the model.")
    rerank_candidates: int = Field(
        default=10,
        ge=0,
        le=100,
        description="Passages retrieved and reranked by their evidence sentences before the best top_k go to "
        "the model (0: no reranking).",
    )
    answer_checks: bool = Field(
        default=True,
        description="Check that the answer holds what the question asks for and that its names and numbers "
        "occur in the passages it cites; one focused retry when not.",
    )
    record_all_signals: bool = Field(
        default=False, description="Compute every refusal signal (both model checks), for calibration runs."
    )
    prompt_chars: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="Cap on passage characters given to the model; longer passages are cut to their sentences "
        "closest to the question (0: no cap).",
    )
    chunk_size: int = Field(default=400, ge=100, le=8000, description="Target passage length in characters.")
    chunk_overlap: int = Field(default=80, ge=0, le=2000, description="Characters repeated between passages.")
    min_relevance: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Best dense cosine below which the question is declined without calling the LLM (0: off; "
        "a cosine means different things across languages, so the refusal rule decides by default).",
    )
    refusal_check: bool = Field(
        default=True, description="Ask the model whether the passages answer the question before answering."
    )
    max_decline_probability: float = Field(
        default=0.60,
        ge=0.0,
        le=1.0,
        description="Decline when the calibrated probability that the passages do not answer (the model's "
        "which-passage check, the evidence and, within one language, the question's coverage) is above this.",
    )
    verify_answers: bool = Field(
        default=False, description="Ask the model whether the passages state its drafted answer (declines if not)."
    )
    max_verify_no: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Decline when the verification's P(no) is above this."
    )
    max_file_mb: float = Field(default=50.0, gt=0, description="Files larger than this are skipped.")
    ingest_batch: int = Field(
        default=256, ge=1, le=100_000, description="Passages embedded and written to the stores per batch."
    )
    lock_timeout: float = Field(
        default=30.0, ge=0, description="Seconds an ingest or remove waits for another one on the same data dir."
    )
    fetch_timeout: float = Field(
        default=20.0, gt=0, description="Seconds the whole download of an article or feed URL may take."
    )
    max_fetch_mb: float = Field(default=10.0, gt=0, description="Pages and feeds larger than this are refused.")
    service: Literal["auto", "off", "required"] = Field(
        default="auto",
        description="One-off questions use a resident service (`assistant serve`): `auto` uses one if it runs "
        "and starts one otherwise, `off` answers in-process, `required` fails without one.",
    )
    service_idle_timeout: float = Field(
        default=900.0, gt=0, description="Seconds without requests after which `assistant serve` stops."
    )
    api_token_env: str = Field(
        default="ASSISTANT_API_TOKEN",
        description="Environment variable holding the bearer token the HTTP API requires when it listens "
        "beyond loopback.",
    )
    service_ingest_roots: list[Path] = Field(
        default_factory=list,
        description="Folders the service may ingest files from (default: the home folder and the folder it "
        "was started in).",
    )
    max_request_kb: int = Field(default=256, ge=1, description="Largest HTTP request body the service reads.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init kwargs) beat the environment, which beats the config file."""
        init_kwargs: dict[str, Any] = getattr(init_settings, "init_kwargs", {})
        path = init_kwargs.get("config_file") or os.environ.get("ASSISTANT_CONFIG_FILE")
        toml_file = Path(path) if path else default_config_file()
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @property
    def model_store(self) -> Path:
        """Where prepared models live (``models_dir`` resolved)."""
        return self.models_dir or self.data_dir / "models"

    @property
    def llm_label(self) -> str:
        """The LLM in use, as shown to the user."""
        if self.llm_backend == "openai":
            return f"{self.openai_model or self.llm_model} @ {self.openai_base_url}"
        if self.llm_backend == "ollama":
            return f"{self.ollama_model or self.llm_model} @ ollama {self.ollama_base_url}"
        return self.llm_path.name if self.llm_path else self.llm_model

    @property
    def store_dir(self) -> Path:
        """The Chroma database and keyword indexes."""
        return self.data_dir / "store"


def load_settings(**overrides: Any) -> Settings:
    """Build the effective settings; ``overrides`` are command-line values (``None`` means unset).

    Raises:
        SettingsError: with a one-line message naming the bad key.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    config_file = given.get("config_file") or os.environ.get("ASSISTANT_CONFIG_FILE")
    if config_file and Path(config_file).is_dir():
        raise SettingsError(
            f"--config needs a TOML file, and {config_file} is a folder "
            f"(did you mean {Path(config_file) / 'config.toml'}?)"
        )
    if config_file and not Path(config_file).is_file():
        raise SettingsError(f"config file not found: {config_file}")
    try:
        return Settings(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "settings"
        raise SettingsError(f"invalid setting {key!r}: {err['msg']}") from None
    except (OSError, ValueError) as exc:  # malformed TOML and the like
        raise SettingsError(f"cannot read settings: {exc}") from None


def settings_origins(settings: Settings, flags: set[str]) -> list[tuple[str, Any, str]]:
    """Each setting with its effective value and where it came from: flag, env, config file or default."""
    import tomllib

    path = settings.config_file or (
        Path(os.environ["ASSISTANT_CONFIG_FILE"]) if os.environ.get("ASSISTANT_CONFIG_FILE") else default_config_file()
    )
    try:
        from_file = set(tomllib.loads(path.read_text(encoding="utf-8"))) if path.is_file() else set()
    except (OSError, ValueError):
        from_file = set()
    rows = []
    for name in Settings.model_fields:
        if name in flags:
            origin = "flag"
        elif f"ASSISTANT_{name.upper()}" in os.environ:
            origin = f"env ASSISTANT_{name.upper()}"
        elif name in from_file:
            origin = f"config {path}"
        else:
            origin = "default"
        rows.append((name, getattr(settings, name), origin))
    return rows
