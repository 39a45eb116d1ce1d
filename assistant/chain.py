"""Answering: retrieve passages, number them, prompt the LLM (an LCEL chain), check citations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever

from assistant.citations import StreamingCitationFilter
from prompts import answer_prompt, closest_articles_label, language_name, refusal_sentence
from vectorstore.language import detect_language


@dataclass
class Source:
    """A passage given to the model, as shown to the user and in ``--json``."""

    n: int
    article_id: str
    source: str
    title: str
    date: str | None
    passage: str
    start: int
    end: int
    score: float
    passage_id: str = ""


@dataclass
class Answer:
    """The final answer with its checked citations."""

    question: str
    answer: str
    declined: bool
    citations: list[int]
    sources: list[Source]
    language: str
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape: question, answer, declined, citations, sources, plus language and timings."""
        data = asdict(self)
        for src in data["sources"]:
            src.pop("passage_id", None)
        return data


@dataclass
class Event:
    """One step of a streamed answer: ``sources`` (retrieval done), ``token`` (text), ``done``."""

    kind: str
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    answer: Answer | None = None


def _date_text(meta: dict[str, Any]) -> str | None:
    if meta.get("date_iso"):
        return str(meta["date_iso"])
    if meta.get("date") is not None:
        return datetime.fromtimestamp(int(meta["date"]), tz=UTC).isoformat()
    return None


def to_sources(docs: list[Document]) -> list[Source]:
    """Number the retrieved passages 1..n."""
    return [
        Source(
            n=i,
            article_id=str(d.metadata.get("article_id", "")),
            source=str(d.metadata.get("source", "")),
            title=str(d.metadata.get("title", "")),
            date=_date_text(d.metadata),
            passage=d.page_content,
            start=int(d.metadata.get("start", 0)),
            end=int(d.metadata.get("end", 0)),
            score=round(float(d.metadata.get("dense_score") or d.metadata.get("score", 0.0)), 4),
            passage_id=str(d.metadata.get("passage_id", d.id or "")),
        )
        for i, d in enumerate(docs, start=1)
    ]


def format_passages(sources: list[Source]) -> str:
    """The numbered passages block of the prompt."""
    blocks = []
    for s in sources:
        head = s.title + (f" ({s.date[:10]})" if s.date else "")
        blocks.append(f"[{s.n}] {head}\n{s.passage}")
    return "\n\n".join(blocks)


def looks_declined(answer: str, lang: str) -> bool:
    """True when the model answered with the refusal sentence (of the question's language or English)."""
    text = " ".join(answer.lower().split())
    for code in {lang, "en"}:
        probe = refusal_sentence(code).lower()[:40]
        if probe in text:
            return True
    return False


def refusal_text(lang: str, sources: list[Source]) -> str:
    """The refusal in the question's language, naming the closest articles."""
    text = refusal_sentence(lang)
    titles = list(dict.fromkeys(s.title or s.source for s in sources))[:3]
    if titles:
        text += f"\n{closest_articles_label(lang)}: " + "; ".join(titles)
    return text


class Answerer:
    """Retrieval + prompt + LLM, streaming events; citations are checked before text is shown."""

    def __init__(self, retriever: BaseRetriever, llm: BaseChatModel, min_relevance: float = 0.0):
        self.retriever = retriever
        self.llm = llm
        self.min_relevance = min_relevance
        self.chain = answer_prompt() | llm | StrOutputParser()

    def stream(self, question: str) -> Iterator[Event]:
        """Answer ``question``: yields ``sources`` first, then ``token`` events, then ``done``."""
        t0 = time.perf_counter()
        lang = detect_language(question)
        docs = self.retriever.invoke(question)
        sources = to_sources(docs)
        timings = {"retrieval_s": time.perf_counter() - t0}
        yield Event("sources", sources=sources)
        best = max((float(d.metadata.get("dense_score", d.metadata.get("score", 0.0))) for d in docs), default=0.0)
        if not sources or best < self.min_relevance:
            text = refusal_text(lang, sources)
            yield Event("token", text=text)
            timings["total_s"] = time.perf_counter() - t0
            answer = Answer(question, text, True, [], sources, lang, timings)
            yield Event("done", answer=answer)
            return
        inputs = {
            "passages": format_passages(sources),
            "question": question,
            "language": language_name(lang),
            "refusal": refusal_sentence(lang),
        }
        citations = StreamingCitationFilter(len(sources))
        parts: list[str] = []
        for chunk in self.chain.stream(inputs):
            if "first_token_s" not in timings:
                timings["first_token_s"] = time.perf_counter() - t0
            shown = citations.feed(chunk)
            if shown:
                parts.append(shown)
                yield Event("token", text=shown)
        rest = citations.flush()
        if rest:
            parts.append(rest)
            yield Event("token", text=rest)
        text = "".join(parts).strip()
        declined = looks_declined(text, lang) or not text
        if declined:
            extra = refusal_text(lang, sources)[len(refusal_sentence(lang)) :]
            if extra:
                yield Event("token", text=extra)
            text = refusal_text(lang, sources)
        timings["total_s"] = time.perf_counter() - t0
        cited = [] if declined else citations.cited
        yield Event("done", answer=Answer(question, text, declined, cited, sources, lang, timings))

    def ask(self, question: str) -> Answer:
        """Answer without streaming."""
        answer = None
        for event in self.stream(question):
            if event.kind == "done":
                answer = event.answer
        assert answer is not None
        return answer
