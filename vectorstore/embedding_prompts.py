"""Query and passage prompts per embedding-model family (each family was trained with its own).

The families live in one registry, ``register_prompt_family(name, prompts, matches)``: the
``embedding_prompts`` setting (and its CLI choices) accepts ``auto`` and every registered name, and
``auto`` picks the first family whose ``matches`` accepts the model's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

PromptFamily = str
"""``auto`` or the name of a registered family (``prompt_family_names``)."""


@dataclass(frozen=True)
class EmbeddingPrompts:
    """The text put before a query and before a passage."""

    query: str | None
    passage: str | None


FAMILIES: dict[str, EmbeddingPrompts] = {}
_MATCHERS: dict[str, Callable[[str], bool]] = {}


def register_prompt_family(
    name: str, prompts: EmbeddingPrompts, matches: Callable[[str], bool] | None = None
) -> None:
    """Make ``name`` a valid prompt family; ``matches`` (given a model name, lower-cased and without
    its organisation) says whether ``auto`` should pick this family for it."""
    if name == "auto":
        raise ValueError("'auto' is not a family: it picks one")
    FAMILIES[name] = prompts
    if matches is not None:
        _MATCHERS[name] = matches
    else:
        _MATCHERS.pop(name, None)


def prompt_family_names() -> list[str]:
    """Every value the ``embedding_prompts`` setting accepts: ``auto``, then the registered families."""
    return ["auto", *FAMILIES]


def _is_bge(name: str) -> bool:
    return name.startswith("bge") and "m3" not in name


# intfloat/e5-*, multilingual-e5-*: both sides prefixed (e5 model card).
register_prompt_family(
    "e5", EmbeddingPrompts("query: ", "passage: "), lambda name: bool(re.search(r"(^|[-_])e5([-_]|$)", name))
)
# BAAI/bge-*-en(-v1.5): an instruction on the query only (bge model card).
register_prompt_family(
    "bge",
    EmbeddingPrompts("Represent this sentence for searching relevant passages: ", None),
    lambda name: _is_bge(name) and "-zh" not in name,
)
register_prompt_family(
    "bge-zh",
    EmbeddingPrompts("为这个句子生成表示以用于检索相关文章：", None),
    lambda name: _is_bge(name) and "-zh" in name,
)
# google/embeddinggemma-300m (its sentence-transformers config: "query" and "document").
register_prompt_family(
    "embeddinggemma",
    EmbeddingPrompts("task: search result | query: ", "title: none | text: "),
    lambda name: "embeddinggemma" in name,
)
# nomic-ai/nomic-embed-text-v1(.5)
register_prompt_family(
    "nomic", EmbeddingPrompts("search_query: ", "search_document: "), lambda name: "nomic-embed" in name
)
register_prompt_family("none", EmbeddingPrompts(None, None))


def family_for(model_name: str) -> str:
    """The prompt family a model name implies (``none`` when it implies none: bge-m3, MiniLM, ...)."""
    name = model_name.lower().rsplit("/", 1)[-1]
    for family, matches in _MATCHERS.items():
        if matches(name):
            return family
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
