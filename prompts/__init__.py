"""Prompt templates shipped as files, loaded as LangChain prompt templates."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def read_prompt(name: str) -> str:
    """The text of ``prompts/<name>``."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


@cache
def _languages() -> dict[str, Any]:
    return tomllib.loads(read_prompt("languages.toml"))


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code, used to tell the model which language to write in."""
    entry = _languages().get(code) or {}
    return str(entry.get("name") or code or "the language of the question")


def refusal_sentence(code: str) -> str:
    """The sentence that says, in the question's language, that the articles do not answer it."""
    entry = _languages().get(code) or _languages()["en"]
    return str(entry["refusal"])


def closest_articles_label(code: str) -> str:
    """The words that introduce the closest articles after a refusal."""
    entry = _languages().get(code) or _languages()["en"]
    return str(entry.get("closest") or _languages()["en"]["closest"])


def extractive_label(code: str) -> str:
    """The line that introduces an extractive answer (sentences quoted because the LLM failed)."""
    entry = _languages().get(code) or _languages()["en"]
    return str(entry.get("extractive") or _languages()["en"]["extractive"])


def evidence_label(code: str) -> str:
    """The words that introduce a sentence quoted from the passages as the answer (the generated answer
    failed its checks)."""
    entry = _languages().get(code) or _languages()["en"]
    return str(entry.get("evidence") or _languages()["en"]["evidence"])


def translated_label(code: str) -> str:
    """The words that introduce an evidence sentence shown in translation (the article is in another
    language than the question)."""
    entry = _languages().get(code) or _languages()["en"]
    return str(entry.get("translated") or _languages()["en"]["translated"])


def dates_note_template(code: str) -> str:
    """The note (a ``str.format`` template with newest/oldest and their dates) that says which of the
    cited reports is newer, in the question's language when it has one, else in English."""
    entry = _languages().get(code) or {}
    return str(entry.get("dates") or _languages()["en"]["dates"])


def as_of_templates(code: str) -> tuple[str, str]:
    """The "as of {date}" note of an answer about the latest state, and the sentence added when that
    report is {days} days old, in the question's language when it has them, else in English."""
    entry = _languages().get(code) or {}
    english = _languages()["en"]
    return str(entry.get("as_of") or english["as_of"]), str(entry.get("stale") or english["stale"])


def answer_prompt() -> Any:
    """The system + user chat template for answering from numbered passages."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("answer.txt"))]
    )


def rewrite_prompt() -> Any:
    """The template that turns a follow-up question into a standalone one."""
    from langchain_core.prompts import PromptTemplate

    return PromptTemplate.from_template(read_prompt("rewrite.txt"))


def check_prompt() -> Any:
    """The answerability check: same system prompt and passages as the answer, so its prefix is cached."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("check.txt"))]
    )


def locate_prompt() -> Any:
    """Which passage states the answer (0: none): same prefix as the answer prompt, so it is cached."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("locate.txt"))]
    )


def extract_prompt() -> Any:
    """The focused retry: the best evidence sentences alone, asking for the span that answers."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("extract.txt"))]
    )


def translate_prompt() -> Any:
    """Translates the evidence sentence quoted as an answer into the question's language."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("translate.txt"))]
    )


def verify_prompt() -> Any:
    """Checks a drafted answer against the passages (same prefix as the answer prompt, so it is cached)."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("verify.txt"))]
    )


def digest_prompt() -> Any:
    """One story of a digest in one or two sentences, from its numbered reports (the digest's own
    citation numbers): same system prompt as the answer, so its prefix is cached."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages(
        [("system", read_prompt("system.txt")), ("human", read_prompt("digest.txt"))]
    )
