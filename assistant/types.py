"""The answer's data, shared by the answer path and every front end: plain dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EventKind = Literal["queued", "rewritten", "sources", "evidence", "token", "retry", "llm_error", "done"]


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
    lang: str = ""  # the article's language
    evidence_score: float | None = None  # how well it answers the question (``assistant.evidence``)


@dataclass
class EvidenceQuote:
    """The sentence of the passages that best answers the question, shown before the generated answer;
    ``start``/``end`` are character offsets into the article."""

    n: int
    sentence: str
    start: int
    end: int
    score: float


@dataclass
class Check:
    """One check of the generated answer: ``answer_type`` (it holds something of the kind asked for),
    ``grounded`` (its numbers and names occur in the passages it cites)."""

    name: str
    ok: bool
    detail: str = ""


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
    as_of: str | None = None  # for a question about the latest state: the newest cited report's date
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # sources stating other figures
    evidence: EvidenceQuote | None = None
    answer_type: str = "other"  # what the question asks for (``assistant.answer_type``)
    checks: list[Check] = field(default_factory=list)
    retried: bool = False  # the first answer failed a check and the model was asked again on the evidence
    attempts: list[str] = field(default_factory=list)  # answers a check replaced, first one first
    signals: dict[str, float | None] = field(default_factory=dict)  # diagnostics of the refusal rule

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape: question, answer, declined, citations, sources, plus language and timings."""
        data = asdict(self)
        for src in data["sources"]:
            src.pop("passage_id", None)
            src.pop("keyword_score", None)
        return data


@dataclass
class Event:
    """One step of a streamed answer: ``queued`` (from the service only: ``text`` is how many questions
    are ahead), ``rewritten`` (a follow-up's standalone question), ``sources``
    (retrieval done), ``evidence`` (the best evidence sentence), ``token`` (text), ``retry`` (the streamed
    text failed a check and is replaced by what follows; ``text`` says why), ``done``; ``llm_error`` (its
    text says why) comes before an extractive answer when the LLM failed."""

    kind: EventKind
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    answer: Answer | None = None
    evidence: EvidenceQuote | None = None
