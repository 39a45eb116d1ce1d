"""Query and passage prompts per embedding-model family (each family was trained with its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PromptFamily = Literal["auto", "e5", "bge", "bge-zh", "embeddinggemma", "nomic", "none"]


@dataclass(frozen=True)
class EmbeddingPrompts:
    """The text put before a query and before a passage."""

    query: str | None
    passage: str | None


FAMILIES: dict[str, EmbeddingPrompts] = {
    # intfloat/e5-*, multilingual-e5-*: both sides prefixed (e5 model card).
    "e5": EmbeddingPrompts("query: ", "passage: "),
    # BAAI/bge-*-en(-v1.5): an instruction on the query only (bge model card).
    "bge": EmbeddingPrompts("Represent this sentence for searching relevant passages: ", None),
    "bge-zh": EmbeddingPrompts("为这个句子生成表示以用于检索相关文章：", None),
    # google/embeddinggemma-300m (its sentence-transformers config: "query" and "document").
    "embeddinggemma": EmbeddingPrompts("task: search result | query: ", "title: none | text: "),
    # nomic-ai/nomic-embed-text-v1(.5)
    "nomic": EmbeddingPrompts("search_query: ", "search_document: "),
    "none": EmbeddingPrompts(None, None),
}


def family_for(model_name: str) -> str:
    """The prompt family a model name implies (``none`` when it implies none: bge-m3, MiniLM, ...)."""
    name = model_name.lower().rsplit("/", 1)[-1]
    if re.search(r"(^|[-_])e5([-_]|$)", name):
        return "e5"
    if "embeddinggemma" in name:
        return "embeddinggemma"
    if "nomic-embed" in name:
        return "nomic"
    if name.startswith("bge") and "m3" not in name:
        return "bge-zh" if "-zh" in name else "bge"
    return "none"


def resolve_prompts(
    family: PromptFamily, model_name: str, model_prompts: dict[str, str] | None = None
) -> EmbeddingPrompts:
    """The prompts to use.

    ``auto`` trusts the prompts saved in the model's own sentence-transformers config, then the model
    name's family; an explicit family always wins (for local folders whose names say nothing).
    """
    if family != "auto":
        return FAMILIES[family]
    saved = {k: v for k, v in (model_prompts or {}).items() if v}
    if saved.get("query") or saved.get("passage") or saved.get("document"):
        return EmbeddingPrompts(saved.get("query"), saved.get("passage") or saved.get("document"))
    return FAMILIES[family_for(model_name)]
