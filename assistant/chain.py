"""Answering: retrieve passages, number them, prompt the LLM (an LCEL chain), check citations."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever

from assistant.chronology import dates_note
from assistant.citations import StreamingCitationFilter, grounding, repair_citations, unsupported_sentences
from assistant.refusal import decline_probability
from assistant.untrusted import defuse, quarantine, strip_links
from prompts import (
    answer_prompt,
    check_prompt,
    closest_articles_label,
    language_name,
    refusal_sentence,
    rewrite_prompt,
    verify_prompt,
)
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
    keyword_score: float = 0.0
    outlet: str = ""
    # other articles of the same story (syndicated copies): article_id, outlet, source, title, date
    also_reported_by: list[dict[str, Any]] = field(default_factory=list)


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
    unsupported: list[str] = field(default_factory=list)
    rewritten: str | None = None
    no_probability: float | None = None
    grounding: float | None = None
    verify_no_probability: float | None = None
    coverage: float | None = None
    decline_probability: float | None = None
    extractive: bool = False  # the LLM failed: the answer quotes the best sentences of the passages
    llm_error: str | None = None
    dates_note: str | None = None  # which cited report is newer, when they differ in date

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape: question, answer, declined, citations, sources, plus language and timings."""
        data = asdict(self)
        for src in data["sources"]:
            src.pop("passage_id", None)
            src.pop("keyword_score", None)
        return data


@dataclass
class Event:
    """One step of a streamed answer: ``sources`` (retrieval done), ``token`` (text), ``done``;
    ``llm_error`` (its text says why) comes before an extractive answer when the LLM failed."""

    kind: str
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    answer: Answer | None = None


@dataclass
class _Turn:
    """One question being answered: what every step after retrieval needs."""

    question: str
    lang: str
    sources: list[Source]
    timings: dict[str, float]
    t0: float
    rewritten: str | None = None

    @property
    def query(self) -> str:
        """The question as searched and put to the model (the standalone rewrite of a follow-up)."""
        return self.rewritten or self.question

    def mark(self, name: str) -> None:
        """Record the seconds since the question was asked under ``name``."""
        self.timings[name] = time.perf_counter() - self.t0

    def answer(self, text: str, declined: bool, citations: list[int], **fields: Any) -> Answer:
        """The final answer of this turn (the total time recorded now)."""
        self.mark("total_s")
        fields.setdefault("rewritten", self.rewritten)
        return Answer(self.question, text, declined, citations, self.sources, self.lang, self.timings, **fields)


def _date_text(meta: dict[str, Any]) -> str | None:
    if meta.get("date_iso"):
        return str(meta["date_iso"])
    if meta.get("date") is not None:
        return datetime.fromtimestamp(int(meta["date"]), tz=UTC).isoformat()
    return None


def _copy_with_iso_date(copy: dict[str, Any]) -> dict[str, Any]:
    date = copy.get("date")
    iso = datetime.fromtimestamp(int(date), tz=UTC).isoformat() if isinstance(date, int) else date
    return {**copy, "date": iso}


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
            keyword_score=round(float(d.metadata.get("keyword_score", 0.0)), 3),
            outlet=str(d.metadata.get("outlet", "")),
            also_reported_by=[_copy_with_iso_date(c) for c in d.metadata.get("also_reported_by") or []],
        )
        for i, d in enumerate(docs, start=1)
    ]


def format_passages(sources: list[Source], texts: list[str] | None = None) -> str:
    """The numbered passages block of the prompt, delimited as data: between ``<passages>`` tags, each
    passage's instructions to the model set aside and the rest defused (``assistant.untrusted``).
    Titles are left out: measured on the sample question, the small model echoed them into answers and
    cited the wrong passage more often. ``texts``: what the model reads of each passage, when the prompt
    budget cut them."""
    texts = texts if texts is not None else [s.passage for s in sources]
    body = "\n\n".join(f"[{s.n}] {defuse(quarantine(text))}" for s, text in zip(sources, texts, strict=True))
    return f"<passages>\n{body}\n</passages>"


_YES = {"yes", "ya", "y"}
_NO = {"no", "tidak", "n"}


def no_probability(message: Any) -> float | None:
    """P(no) / (P(yes) + P(no)) from the first token's top logprobs of a yes/no reply."""
    logprobs = (getattr(message, "response_metadata", {}) or {}).get("logprobs") or {}
    # OpenAI and llama.cpp: {"content": [token, ...]}; Ollama: [token, ...]
    content = logprobs if isinstance(logprobs, list) else logprobs.get("content") or []
    if not content:
        return None
    yes = no = 0.0
    for alt in content[0].get("top_logprobs") or []:
        token = str(alt.get("token", "")).strip().lower()
        if token in _YES:
            yes += math.exp(float(alt["logprob"]))
        elif token in _NO:
            no += math.exp(float(alt["logprob"]))
    return no / (yes + no) if yes + no > 0 else None


def _strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", text)


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


def describe_llm_error(exc: BaseException) -> str:
    """One line naming an LLM failure (server down, timeout, model that would not load)."""
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    name = type(exc).__name__
    if "Timeout" in name:
        return f"the LLM did not answer in time ({name})"
    if "Connect" in name:
        return f"cannot reach the LLM server ({name}: {first})" if first else f"cannot reach the LLM server ({name})"
    return f"the LLM failed ({name}: {first})" if first else f"the LLM failed ({name})"


class Answerer:
    """Retrieval + prompt + LLM, streaming events; citations are checked before text is shown."""

    def __init__(
        self,
        retriever: BaseRetriever,
        llm: BaseChatModel,
        min_relevance: float = 0.0,
        similarity: Callable[[str, str], float] | None = None,
        max_decline: float | None = None,
        max_verify_no: float | None = None,
        coverage: Callable[[str, list[str]], float] | None = None,
        check: bool = True,
        trim: Callable[[str, list[str]], list[str]] | None = None,
        prefix_first: bool = False,
    ):
        """``max_decline`` enables the refusal rule (``refusal.decline_probability`` over the model's check,
        when ``check``, and the question's ``coverage`` by the passages, when given). ``prefix_first``: the
        LLM caches prompts (the embedded one): process the prompts' common prefix once before the first
        question (``warm``), so a one-off question is computed the same way as the chat's questions."""
        self.retriever = retriever
        self.llm = llm
        self.min_relevance = min_relevance
        self.similarity = similarity
        self.max_decline = max_decline
        self.coverage = coverage
        self.check = check
        verdict = llm.bind(max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=10)
        self.check_chain = check_prompt() | verdict
        self.verify_chain = verify_prompt() | verdict
        self.max_verify_no = max_verify_no
        self.trim = trim  # the prompt budget: (question, passages) -> what the model reads of them
        self.prefix_first = prefix_first
        self.warmed = False
        self.chain = answer_prompt() | llm | StrOutputParser()
        self.rewrite_chain = rewrite_prompt() | llm.bind(max_tokens=80) | StrOutputParser()

    def warm(self) -> None:
        """Process the prompts' common prefix (system prompt and the head of the passages block) now, so
        the first question only pays for its passages: the chat calls this while the user types. The system
        prompt names no language, so the prefix is the same for every question."""
        inputs = {"passages": "<passages>\n", "question": "", "language": "", "refusal": ""}
        self.check_chain.invoke(inputs)
        self.warmed = True

    def standalone_question(self, question: str, history: list[tuple[str, str]]) -> str:
        """The question rewritten to stand alone, using the conversation so far (skipped on the first turn)."""
        if not history:
            return question
        turns = "\n".join(f"Q: {q}\nA: {_strip_markers(a)}" for q, a in history[-3:])
        try:
            rewritten = self.rewrite_chain.invoke({"history": turns, "question": question}).strip()
        except Exception:  # noqa: BLE001 - the LLM is down: search with the question as asked
            return question
        rewritten = rewritten.splitlines()[0].strip().strip('"') if rewritten else ""
        return rewritten or question

    def stream(
        self, question: str, history: list[tuple[str, str]] | None = None, where: dict[str, Any] | None = None
    ) -> Iterator[Event]:
        """Answer ``question`` (a follow-up when ``history`` holds earlier (question, answer) turns), from
        the passages matching ``where`` (a Chroma where clause: date range, outlet, language) if given:
        yields ``rewritten`` (follow-ups only), ``sources``, then ``token`` events, then ``done``."""
        t0 = time.perf_counter()
        lang = detect_language(question)
        query = self.standalone_question(question, history or [])
        rewritten = query if query != question else None
        if rewritten:
            yield Event("rewritten", text=rewritten)
        retriever = self.retriever if where is None else self.retriever.model_copy(update={"where": where})
        docs = retriever.invoke(query)
        turn = _Turn(question, lang, to_sources(docs), {}, t0, rewritten)
        turn.mark("retrieval_s")
        yield Event("sources", sources=turn.sources)
        best = max((float(d.metadata.get("dense_score", d.metadata.get("score", 0.0))) for d in docs), default=0.0)
        if not turn.sources or best < self.min_relevance:
            yield from self._decline(turn)
            return
        shown: list[bool] = []
        try:
            for event in self._generate(turn):
                shown.append(event.kind == "token")
                yield event
        except Exception as exc:  # noqa: BLE001 - any LLM failure: quote the passages instead
            yield from self._extractive(turn, exc, any(shown))

    def _extractive(self, turn: _Turn, exc: Exception, after_tokens: bool) -> Iterator[Event]:
        """The best sentences of the passages, cited and labelled, because the LLM failed with ``exc``."""
        from assistant.extractive import extractive_answer

        text, cited = extractive_answer(turn.query, turn.lang, turn.sources)
        reason = describe_llm_error(exc)
        yield Event("llm_error", text=reason)
        yield Event("token", text=("\n\n" if after_tokens else "") + text)
        yield Event("done", answer=turn.answer(text, False, cited, extractive=True, llm_error=reason))

    def _generate(self, turn: _Turn) -> Iterator[Event]:
        """Check, generate, repair citations and (optionally) verify; raises when the LLM fails."""
        sources, lang = turn.sources, turn.lang
        texts = [s.passage for s in sources]
        if self.trim is not None:
            texts = self.trim(turn.query, texts)
            turn.mark("trim_s")
        inputs = {
            "passages": format_passages(sources, texts),
            "question": turn.query,
            "language": language_name(lang),
            "refusal": refusal_sentence(lang),
        }
        if self.prefix_first and not self.warmed:
            self.warm()
        signals: dict[str, float | None] = {"no_probability": None, "decline_probability": None}
        signals["coverage"] = self.coverage(turn.query, [s.passage for s in sources]) if self.coverage else None
        if self.max_decline is not None:
            if self.check:
                signals["no_probability"] = no_probability(self.check_chain.invoke(inputs))
                turn.mark("check_s")
            p_decline = decline_probability(signals["coverage"], signals["no_probability"])
            signals["decline_probability"] = p_decline
            if p_decline is not None and p_decline > self.max_decline:
                yield from self._decline(turn, signals)
                return
        citations = StreamingCitationFilter(len(sources))
        parts: list[str] = []
        for chunk in self.chain.stream(inputs):
            if "first_token_s" not in turn.timings:
                turn.mark("first_token_s")
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
        # words of the question and of the titles say nothing about which passage supports a claim
        known = " ".join([turn.query, *{s.title for s in sources}])
        passages = {s.n: s.passage for s in sources}
        if not declined:
            text = repair_citations(strip_links(text), passages, known)
        cited = [] if declined else [int(n) for n in dict.fromkeys(re.findall(r"\[(\d+)\]", text))]
        unsupported = [] if declined else unsupported_sentences(text, passages, self.similarity)
        ground = None if declined else grounding(text, list(passages.values()), known)
        p_verify = None
        if not declined and self.max_verify_no is not None:
            p_verify = no_probability(self.verify_chain.invoke({**inputs, "answer": _strip_markers(text)}))
            turn.mark("verify_s")
            if p_verify is not None and p_verify > self.max_verify_no:
                declined, text, cited, unsupported = True, refusal_text(lang, sources), [], []
        answer = turn.answer(
            text, declined, cited, unsupported=unsupported, grounding=ground, verify_no_probability=p_verify, **signals
        )
        answer.dates_note = None if declined else dates_note(sources, cited, lang)
        yield Event("done", answer=answer)

    def _decline(self, turn: _Turn, signals: dict[str, float | None] | None = None) -> Iterator[Event]:
        """Refuse in the question's language, naming the closest articles, without generating."""
        text = refusal_text(turn.lang, turn.sources)
        yield Event("token", text=text)
        yield Event("done", answer=turn.answer(text, True, [], **(signals or {})))

    def ask(
        self, question: str, history: list[tuple[str, str]] | None = None, where: dict[str, Any] | None = None
    ) -> Answer:
        """Answer without streaming."""
        answer = None
        for event in self.stream(question, history, where):
            if event.kind == "done":
                answer = event.answer
        assert answer is not None
        return answer
