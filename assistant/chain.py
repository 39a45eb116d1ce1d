"""Answering: retrieve passages, score the evidence, prompt the LLM (LCEL chains), check the answer.

(Over 400 lines: the one answer path, step by step, with its decline, retry and extractive branches;
the steps themselves live in evidence, answer_checks, citations, refusal, recency and
source_disagreements.)

Evidence first: the retrieved candidates are reranked by how well their sentences answer the question
(``assistant.evidence``), the best evidence sentence is shown before anything is generated, and the model
is asked which passage states the answer (one token, on the cached prompt). The application decides
refusal (``assistant.refusal``) and checks the generated answer (``assistant.answer_checks``, and
``assistant.answer_language``: written in the question's language); a failed check gets one focused retry
on the evidence sentences, then the evidence itself (translated when its article is in another language
than the question) or a refusal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever

from assistant.answer_checks import check_answer, check_type
from assistant.answer_language import check_language, faithful_translation, written_language
from assistant.answer_type import answer_type
from assistant.checked_stream import CheckedStream
from assistant.chronology import dates_note
from assistant.citations import grounding, unsupported_sentences
from assistant.errors import describe_llm_error
from assistant.evidence import PassageEvidence, rerank_order
from assistant.followup import followup_query
from assistant.passages import date_text, format_evidence, format_passages, to_sources
from assistant.recency import as_of_note, asks_latest, newest_first
from assistant.refusal import DEFAULT_RULE, RefusalRule, decides_before_answer, refusal_features
from assistant.source_disagreements import answer_disagreements
from assistant.types import Answer, Check, Event, EvidenceQuote, Source
from assistant.untrusted import strip_link_text
from assistant.verdicts import no_probability, passage_probabilities
from prompts import (
    answer_prompt,
    check_prompt,
    closest_articles_label,
    evidence_label,
    extract_prompt,
    language_name,
    locate_prompt,
    refusal_sentence,
    rewrite_prompt,
    translate_prompt,
    translated_label,
    verify_prompt,
)
from vectorstore.language import detect_language

__all__ = ["Answer", "Answerer", "Event", "Source", "format_passages", "no_probability", "to_sources"]

# (question, passages, keyword scores, dense scores: 0 for a passage only the keyword leg found)
EvidenceFn = Callable[[str, list[str], list[float], list[float]], list[PassageEvidence]]


@dataclass
class _Turn:
    """One question being answered: what every step after retrieval needs."""

    question: str
    lang: str
    sources: list[Source]
    timings: dict[str, float]
    t0: float
    rewritten: str | None = None
    evidence: list[PassageEvidence] = field(default_factory=list)
    signals: dict[str, float | None] = field(default_factory=dict)
    latest: bool = False  # the question asks for the latest state: newest evidence first, "as of DATE"

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


class Answerer:
    """Retrieval, evidence, prompt and LLM, streaming events; the answer is checked before it is final."""

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
        persist_prefix: bool = False,
        evidence: EvidenceFn | None = None,
        candidates: int | None = None,
        rule: RefusalRule = DEFAULT_RULE,
        all_signals: bool = False,
        answer_checks: bool = True,
        common_words: Callable[[list[str]], set[str]] | None = None,
    ):
        """``max_decline`` enables the refusal rule (``rule`` over the model's which-passage check, when
        ``check``, the evidence scores and, for questions in the passages' language, the question's
        ``coverage``). ``evidence`` scores the passages and their sentences (reranking ``candidates``
        retrieved passages down to the retriever's ``k``). ``prefix_first``: the LLM caches prompts (the
        embedded one): process the prompts' common prefix before each question (``warm``), so every
        question is computed the same way, first or fiftieth, in the chat, the service or a one-off.
        ``persist_prefix``: the first warm-up restores the processed prefix from disk when the LLM can
        (the embedded one), and saves it when none was saved.
        ``all_signals``: compute every signal (both checks) for calibration, whatever the rule needs."""
        self.retriever = retriever
        self.llm = llm
        self.min_relevance = min_relevance
        self.similarity = similarity
        self.max_decline = max_decline
        self.coverage = coverage
        self.check = check
        self.evidence = evidence
        self.top_k = int(getattr(retriever, "k", 5) or 5)
        self.candidates = max(candidates or self.top_k, self.top_k)
        self.rule = rule
        self.all_signals = all_signals
        self.answer_checks = answer_checks
        self.common_words = common_words  # words frequent in the collection: they carry no answer
        verdict = llm.bind(max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=10)
        self.check_chain = check_prompt() | verdict
        self.locate_chain = locate_prompt() | verdict
        self.verify_chain = verify_prompt() | verdict
        self.max_verify_no = max_verify_no
        self.trim = trim  # the prompt budget: (question, passages) -> what the model reads of them
        self.prefix_first = prefix_first
        self.persist_prefix = persist_prefix  # restore the processed prefix from disk (and save it once)
        self.warmed = False
        self.chain = answer_prompt() | llm | StrOutputParser()
        self.extract_chain = extract_prompt() | llm.bind(max_tokens=80) | StrOutputParser()
        self.translate_chain = translate_prompt() | llm.bind(max_tokens=120) | StrOutputParser()
        self.rewrite_chain = rewrite_prompt() | llm.bind(max_tokens=80) | StrOutputParser()

    def warm(self) -> None:
        """Process the prompts' common prefix (system prompt and the head of the passages block) now, so
        the first question only pays for its passages: the chat calls this while the user types. The system
        prompt names no language, so the prefix is the same for every question."""
        inputs = {"passages": "<passages>\n", "question": "", "language": "", "refusal": ""}
        stored = self.persist_prefix and not self.warmed and hasattr(self.llm, "restore_prefix")
        text = locate_prompt().format(**inputs) if stored else ""
        restored = stored and self.llm.restore_prefix(text)
        self.locate_chain.invoke(inputs)  # after a restore, only the prefix's last token is computed
        if stored and not restored:
            self.llm.save_prefix(text)
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
        yields ``rewritten`` (follow-ups only), ``sources``, ``evidence``, then ``token`` events (and
        ``retry`` when a check replaced them), then ``done``."""
        t0 = time.perf_counter()
        lang = detect_language(question)
        history = history or []
        query = self.standalone_question(question, history)
        query = followup_query(question, query, history)
        rewritten = query if query != question else None
        if rewritten:
            yield Event("rewritten", text=rewritten)
        turn = _Turn(question, lang, [], {}, t0, rewritten)
        turn.sources = self._retrieve(turn, where)
        turn.mark("retrieval_s")
        yield Event("sources", sources=turn.sources)
        quote = _best_quote(turn)
        if quote is not None:
            yield Event("evidence", evidence=quote)
        best = max((s.score for s in turn.sources), default=0.0)
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

    def passages(self, question: str, where: dict[str, Any] | None = None) -> list[Source]:
        """The passages the model would read for ``question``, best evidence first (retrieval only)."""
        return self._retrieve(_Turn(question, detect_language(question), [], {}, time.perf_counter()), where)

    def _retrieve(self, turn: _Turn, where: dict[str, Any] | None) -> list[Source]:
        """Retrieve ``candidates`` passages (matching ``where``) and keep the ``top_k`` best evidence."""
        update: dict[str, Any] = {"k": self.candidates}
        if where is not None:
            update["where"] = where
        retriever = self.retriever
        if hasattr(retriever, "model_copy"):  # a pydantic retriever (all of LangChain's): k and filter set per call
            retriever = retriever.model_copy(update=update)
        docs = retriever.invoke(turn.query)
        return self._rank(turn, docs)

    def _rank(self, turn: _Turn, docs: list[Any]) -> list[Source]:
        """The passages the model reads, best evidence first (the first ``top_k`` after reranking)."""
        turn.latest = asks_latest(turn.query, turn.lang)
        if self.evidence is None or not docs:
            kept = docs[: self.top_k]
            return to_sources(newest_first(kept, lambda d: date_text(d.metadata)) if turn.latest else kept)
        keyword = [float(d.metadata.get("keyword_score", 0.0)) for d in docs]
        dense = [float(d.metadata.get("dense_score", 0.0)) for d in docs]
        evidence = self.evidence(turn.query, [d.page_content for d in docs], keyword, dense)
        order = rerank_order(evidence)[: self.top_k]
        if turn.latest:  # the best evidence is chosen as always, then read newest first
            order = newest_first(order, lambda i: date_text(docs[i].metadata))
        docs = [docs[i] for i in order]
        turn.evidence = [evidence[i] for i in order]
        sources = to_sources(docs)
        for source, ev in zip(sources, turn.evidence, strict=True):
            source.evidence_score = round(ev.score, 4)
        floor = min((float(d.metadata.get("dense_floor", 0.0)) for d in docs), default=0.0)
        best = max(turn.evidence, key=lambda e: e.best.score if e.best else 0.0)
        turn.signals.update(
            sentence_best=best.best.score if best.best else 0.0,
            passage_best=max(e.passage_score for e in turn.evidence),
            dense_floor=floor or None,
        )
        return sources

    def _extractive(self, turn: _Turn, exc: Exception, after_tokens: bool) -> Iterator[Event]:
        """The best sentences of the passages, cited and labelled, because the LLM failed with ``exc``."""
        from assistant.extractive import extractive_answer

        text, cited = extractive_answer(turn.query, turn.lang, turn.sources)
        reason = describe_llm_error(exc)
        yield Event("llm_error", text=reason)
        yield Event("token", text=("\n\n" if after_tokens else "") + text)
        yield Event("done", answer=turn.answer(text, False, cited, extractive=True, llm_error=reason))

    def _signals(self, turn: _Turn, inputs: dict[str, str]) -> None:
        """The refusal rule's signals: the model's which-passage check (and its yes/no check when asked
        for), and the question's lexical coverage where question and passages share a language."""
        signals = turn.signals
        texts = [s.passage for s in turn.sources]
        top_lang = turn.sources[0].lang if turn.sources else ""
        signals["same_language"] = 1.0 if not top_lang or top_lang == turn.lang else 0.0
        langs = [s.lang for s in turn.sources if s.lang]
        share = sum(x == turn.lang for x in langs) / len(langs) if langs else 1.0
        signals["passages_language_share"] = share
        signals["passages_same_language"] = 1.0 if share == 1.0 else 0.0
        signals["coverage"] = self.coverage(turn.query, texts) if self.coverage else None
        if not self.check:
            return
        needs = self.rule.needs | ({"locate_none", "no_probability"} if self.all_signals else set())
        if "locate_none" in needs or "locate_top" in needs:
            probs = passage_probabilities(self.locate_chain.invoke(inputs), len(turn.sources))
            if probs is not None:
                signals["locate_none"] = probs[0]
                signals["locate_top"] = max((p for n, p in probs.items() if n), default=0.0)
                signals["locate_first"] = probs.get(1, 0.0)
            turn.mark("check_s")
        if "no_probability" in needs:
            signals["no_probability"] = no_probability(self.check_chain.invoke(inputs))
            turn.mark("check_s")

    def _generate(self, turn: _Turn) -> Iterator[Event]:
        """Check, generate, check the answer (one focused retry), decline or answer; raises when the LLM fails."""
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
        if self.prefix_first:
            # Every question starts from the same cache: the common prefix alone. Reusing what an earlier
            # question left behind changes llama.cpp's batches, and with them the probabilities (measured:
            # a repeated question's P(decline) moved from 0.4073 to 0.4101); this costs a few tokens.
            self.warm()
        p_decline: float | None = None
        if self.max_decline is not None:
            self._signals(turn, inputs)
            p_decline = self.rule.probability(refusal_features(turn.signals))
            turn.signals["decline_probability"] = p_decline
            if not decides_before_answer(turn.signals):  # across languages the answer's checks decide
                p_decline = None
            if p_decline is not None and p_decline > self.max_decline:
                yield from self._decline(turn)
                return
        text = yield from self._stream_answer(turn, self.chain.stream(inputs), "first_token_s")
        declined = looks_declined(text, lang) or not text
        if declined:
            extra = refusal_text(lang, sources)[len(refusal_sentence(lang)) :]
            if extra:
                yield Event("token", text=extra)
            yield from self._finish(turn, refusal_text(lang, sources), True, [])
            return
        kind = answer_type(turn.query)
        text, checks, attempts = yield from self._checked(turn, text, kind)
        if checks and not all(c.ok for c in checks):
            # Quote the evidence instead only when it holds an answer of the kind asked for and the rule
            # is not already doubtful; otherwise the passages most likely do not say it.
            quote = _best_quote(turn)
            if (
                quote is None
                or not check_type(quote.sentence, turn.query, kind, self.common_words).ok  # type: ignore[arg-type]
                or (p_decline is not None and p_decline > self.rule.after_failed_checks)
            ):
                yield Event("retry", text="; ".join(c.detail for c in checks if not c.ok))
                text = refusal_text(lang, sources)
                yield Event("token", text=text)
                yield from self._finish(turn, text, True, [], checks=checks, attempts=attempts, kind=kind)
                return
            yield Event("retry", text="; ".join(c.detail for c in checks if not c.ok))
            attempts.append(text)
            text = f"{self._quoted(quote.sentence, lang)} [{quote.n}]"
            yield Event("token", text=text)
        yield from self._finish(turn, text, False, checks=checks, attempts=attempts, kind=kind)

    def _quoted(self, sentence: str, lang: str) -> str:
        """The evidence sentence shown as the answer, labelled: in translation when the article is in
        another language than the question and the translation keeps the sentence's numbers."""
        written = written_language(sentence, lang)
        if written is not None and written != lang:
            try:
                translation = self.translate_chain.invoke({"sentence": sentence, "language": language_name(lang)})
            except Exception:  # noqa: BLE001 - the LLM failed: the sentence as the article writes it
                translation = ""
            # the shown text gets its one citation from the application, and no links
            translation = " ".join(strip_link_text(_strip_markers(translation)).split())
            if faithful_translation(sentence, translation, lang):
                return f"{translated_label(lang)} {translation}"
        return f"{evidence_label(lang)} {sentence}"

    def _stream_answer(self, turn: _Turn, chunks: Iterator[str], first_mark: str) -> Iterator[Event]:
        """Stream ``chunks`` as ``token`` events in their checked form (``CheckedStream``: citations
        filtered and pointed at the passages that support each sentence best, links removed); returns
        the whole text, which is what was streamed."""
        known = " ".join([turn.query, *{s.title for s in turn.sources}])
        checked = CheckedStream({s.n: s.passage for s in turn.sources}, known)
        for chunk in chunks:
            if first_mark not in turn.timings:
                turn.mark(first_mark)
            shown = checked.feed(chunk)
            if shown:
                yield Event("token", text=shown)
        rest = checked.flush()
        if rest:
            yield Event("token", text=rest)
        return checked.text.strip()

    def _checked(self, turn: _Turn, text: str, kind: str) -> Iterator[Event]:
        """Check the answer; when a check fails, ask once more on the evidence sentences alone and keep
        that answer if it passes. Returns (text, checks, earlier attempts)."""
        if not self.answer_checks:
            return text, [], []
        checks = self._checks(turn, text, kind)
        turn.signals["checks_ok"] = float(all(c.ok for c in checks))
        if all(c.ok for c in checks):
            return text, checks, []
        quotes = _retry_quotes(turn)
        if not quotes:
            return text, checks, []
        yield Event("retry", text="; ".join(c.detail for c in checks if not c.ok))
        inputs = {"evidence": format_evidence(quotes), "question": turn.query, "language": language_name(turn.lang)}
        retry = yield from self._stream_answer(turn, self.extract_chain.stream(inputs), "retry_first_token_s")
        retry_checks = self._checks(turn, retry, kind) if retry else checks
        turn.signals["retry_ok"] = float(bool(retry) and all(c.ok for c in retry_checks))
        if retry and all(c.ok for c in retry_checks):
            return retry, retry_checks, [text]
        return retry or text, retry_checks, [text]

    def _checks(self, turn: _Turn, text: str, kind: str) -> list[Check]:
        """The answer checks against the passages the answer cites."""
        cited = [int(n) for n in dict.fromkeys(re.findall(r"\[(\d+)\]", text))]
        passages = [s.passage for s in turn.sources if s.n in cited]
        same = bool(turn.signals.get("same_language", 1.0))
        checks = check_answer(text, turn.query, kind, passages, same, self.common_words)  # type: ignore[arg-type]
        return [*checks, check_language(text, turn.lang)]

    def _finish(
        self,
        turn: _Turn,
        text: str,
        declined: bool,
        cited: list[int] | None = None,
        checks: list[Check] | None = None,
        attempts: list[str] | None = None,
        kind: str = "other",
    ) -> Iterator[Event]:
        """The ``done`` event: citations, the support flags, the optional verification, the dates note."""
        sources = turn.sources
        passages = {s.n: s.passage for s in sources}
        known = " ".join([turn.query, *{s.title for s in sources}])
        if cited is None:
            cited = [int(n) for n in dict.fromkeys(re.findall(r"\[(\d+)\]", text))]
        unsupported = [] if declined else unsupported_sentences(text, passages, self.similarity)
        ground = None if declined else grounding(text, list(passages.values()), known)
        p_verify = None
        if not declined and self.max_verify_no is not None:
            inputs = {"passages": format_passages(sources), "question": turn.query, "answer": _strip_markers(text)}
            p_verify = no_probability(self.verify_chain.invoke(inputs))
            turn.mark("verify_s")
            if p_verify is not None and p_verify > self.max_verify_no:
                declined, text, cited, unsupported = True, refusal_text(turn.lang, sources), [], []
        signals = turn.signals
        answer = turn.answer(
            text,
            declined,
            cited,
            unsupported=unsupported,
            grounding=ground,
            verify_no_probability=p_verify,
            no_probability=signals.get("no_probability"),
            coverage=signals.get("coverage"),
            decline_probability=signals.get("decline_probability"),
            evidence=_best_quote(turn),
            answer_type=kind,
            checks=checks or [],
            retried=bool(attempts),
            attempts=attempts or [],
            signals=dict(signals),
        )
        if not declined:
            answer.dates_note = dates_note(sources, cited, turn.lang)
            answer.as_of = as_of_note(sources, cited, turn.lang) if turn.latest else None
            answer.disagreements = answer_disagreements(sources, cited)
        yield Event("done", answer=answer)

    def _decline(self, turn: _Turn) -> Iterator[Event]:
        """Refuse in the question's language, naming the closest articles, without generating."""
        text = refusal_text(turn.lang, turn.sources)
        yield Event("token", text=text)
        yield from self._finish(turn, text, True, [])

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


def _best_quote(turn: _Turn) -> EvidenceQuote | None:
    """The best evidence sentence of the turn's passages, with its article offsets."""
    best: tuple[float, int] | None = None
    for i, ev in enumerate(turn.evidence):
        if ev.best is not None and (best is None or ev.best.score > best[0]):
            best = (ev.best.score, i)
    if best is None:
        return None
    source, sentence = turn.sources[best[1]], turn.evidence[best[1]].best
    assert sentence is not None
    return EvidenceQuote(
        source.n, sentence.text, source.start + sentence.start, source.start + sentence.end, sentence.score
    )


def _retry_quotes(turn: _Turn, count: int = 2) -> list[tuple[int, str]]:
    """The ``count`` best evidence sentences over all passages, each with its passage number."""
    scored = [
        (sentence.score, source.n, sentence.text)
        for source, ev in zip(turn.sources, turn.evidence, strict=True)
        for sentence in ev.sentences
    ]
    return [(n, text) for _, n, text in sorted(scored, reverse=True)[:count]]
