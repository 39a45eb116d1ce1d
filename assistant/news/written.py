"""Digest sentences written by the LLM (``digest_sentences = "llm"``), each checked like an answer.

For each story the LLM reads the story's reports under the digest's own citation numbers (their lead
prose, delimited as untrusted data: ``assistant.passages.format_numbered``) and writes one or two
sentences in the digest's language, each ending with the number of its report (a third one is left
out). Every sentence must
cite a report it was given (others are dropped), state only numbers and names that the reports it
cites state (``answer_checks.check_grounded``), be written in the digest's language
(``answer_language.check_language``), share enough of its words with its reports
(``citations.unsupported_sentences``) and not stop mid-statement (``dangling.dangling_word``); links
are taken out. When any sentence fails, the story keeps its extractive sentences and its checks say
why. When the LLM fails, the stories not yet written stay extractive and the digest carries a
one-line warning. Temperature 0: the same digest every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from assistant.answer_language import check_language
from assistant.news.corpus import NewsArticle
from assistant.news.digest import Digest, DigestStory, SentenceCheck, WrittenSentence, is_prose
from assistant.untrusted import quarantine

REPORT_CHARS = 700  # of each report's lead prose the model reads
MAX_REPORTS = 5  # reports per story given to the model: the first ones and the latest
MAX_SENTENCES = 2
MAX_TOKENS = 160

Progress = Callable[[int, int], None]


def report_text(article: NewsArticle, limit: int = REPORT_CHARS) -> str:
    """The article's lead prose (not its title or dateline), whole sentences up to ``limit`` characters
    (at least one), with its instructions to the model set aside (``untrusted.quarantine``)."""
    chosen: list[str] = []
    size = 0
    for _start, _end, sentence in article.sentences():
        if not is_prose(sentence, article):
            continue
        if chosen and size + len(sentence) > limit:
            break
        chosen.append(sentence)
        size += len(sentence) + 1
    return quarantine(" ".join(chosen) or article.title)


def story_reports(ds: DigestStory, max_reports: int = MAX_REPORTS) -> dict[int, NewsArticle]:
    """The reports the model reads, by their digest number: all of them, or the first ``max_reports - 1``
    and the latest."""
    articles = ds.story.articles
    if len(articles) > max_reports:
        articles = [*articles[: max_reports - 1], articles[-1]]
    return {ds.numbers[a.article_id]: a for a in articles}


def story_language(ds: DigestStory, lang: str | None = None) -> str:
    """The language the story's sentences are written in: ``lang`` (``--lang``), else that of most of
    its reports (the first report's on a tie)."""
    if lang:
        return lang
    langs = [a.lang for a in ds.story.articles if a.lang]
    return max(dict.fromkeys(langs), key=langs.count) if langs else ""


def check_sentence(
    sentence: str, reports: dict[int, str], report_langs: dict[int, str], lang: str
) -> tuple[WrittenSentence | None, list[SentenceCheck]]:
    """Check one written sentence (with its markers) against the story's reports (by number): its
    citations, numbers and names, language, support and ending. The sentence when every check passed."""
    from assistant.answer_checks import check_grounded
    from assistant.citations import cited_numbers, unsupported_sentences, without_markers
    from assistant.dangling import dangling_word

    plain = without_markers(sentence).strip()
    numbers = cited_numbers(sentence)
    valid = [n for n in numbers if n in reports]
    outside = [n for n in numbers if n not in reports]
    checks: list[SentenceCheck] = []

    def add(name: str, ok: bool, detail: str = "") -> None:
        checks.append(SentenceCheck(plain, name, ok, detail))

    dropped = f"dropped {''.join(f'[{n}]' for n in outside)}: not a report of this story" if outside else ""
    if not valid:
        add("citation", False, dropped or "cites no report")
        return None, checks
    add("citation", True, dropped)
    cited = [reports[n] for n in valid]
    same = all(report_langs.get(n, lang) in ("", lang) for n in valid)
    grounded = check_grounded(plain, "", cited, same_language=same)
    add("grounded", grounded.ok, grounded.detail.replace("passages", "reports"))
    language = check_language(plain, lang) if lang else None
    if language is not None and not language.ok:
        add("language", False, language.detail.replace("the question in", "the digest in"))
    else:
        add("language", True)
    marked = plain + "".join(f" [{n}]" for n in valid)
    unsupported = unsupported_sentences(marked, {n: reports[n] for n in valid})
    add("supported", not unsupported, "" if not unsupported else "shares too few of its words with its reports")
    dangling = dangling_word(plain)
    add("complete", dangling is None, f"ends in {dangling!r}" if dangling else "")
    if all(c.ok for c in checks):
        return WrittenSentence(plain, valid), checks
    return None, checks


def check_reply(
    reply: str, reports: dict[int, str], report_langs: dict[int, str], lang: str
) -> tuple[list[WrittenSentence] | None, list[SentenceCheck]]:
    """The LLM's reply for one story, checked sentence by sentence (links removed, each citation first
    pointed at the report that supports it best when the cited one clearly does not). The sentences
    when every one passed, else None; and every check."""
    from assistant.citations import answer_sentences, repair_citations
    from assistant.untrusted import strip_links

    text = repair_citations(strip_links(reply), reports)
    sentences = closing_citation_covers([s.strip() for s in answer_sentences(text)])
    if not sentences:
        return None, [SentenceCheck("", "sentences", False, "the reply holds no sentence")]
    checks: list[SentenceCheck] = []
    if len(sentences) > MAX_SENTENCES:
        checks.append(SentenceCheck("", "sentences", True, f"kept the first {MAX_SENTENCES} of {len(sentences)}"))
    written: list[WrittenSentence] = []
    for sentence in sentences[:MAX_SENTENCES]:
        kept, sentence_checks = check_sentence(sentence, reports, report_langs, lang)
        checks.extend(sentence_checks)
        if kept is not None:
            written.append(kept)
    if all(c.ok for c in checks):
        return written, checks
    return None, checks


_ONE_MARKER = re.compile(r"\[\s*\d{1,3}\s*\]")


def closing_citation_covers(sentences: list[str]) -> list[str]:
    """Sentences without a citation take the one that closes the run of sentences after them: the
    small model often copies a report's lead and cites it once, at the end."""
    out: list[str] = []
    closing = ""
    for sentence in reversed(sentences):
        markers = _ONE_MARKER.findall(sentence)
        if markers:
            closing = markers[-1]
            out.append(sentence)
        else:
            out.append(f"{sentence} {closing}" if closing else sentence)
    return out[::-1]


def local_numbers(reports: dict[int, Any]) -> dict[int, int]:
    """The story's reports numbered from 1 for the model (digest number by local number): a small model
    cites "[1]" more reliably than "[14]"."""
    return {i: n for i, n in enumerate(reports, start=1)}


def to_digest_numbers(reply: str, local: dict[int, int]) -> str:
    """The reply's local citation numbers turned into the digest's (an unknown one is left as written,
    and the checks drop it)."""
    return _ONE_MARKER.sub(lambda m: f"[{local.get(int(m.group()[1:-1].strip()), m.group()[1:-1].strip())}]", reply)


def digest_chain(llm: Any) -> Any:
    """prompt | LLM (temperature 0, at most ``MAX_TOKENS``) | text."""
    from langchain_core.output_parsers import StrOutputParser

    from prompts import digest_prompt

    return digest_prompt() | llm.bind(temperature=0.0, max_tokens=MAX_TOKENS) | StrOutputParser()


def write_story(chain: Any, ds: DigestStory, lang: str | None = None) -> None:
    """Ask the LLM for the story's sentences and keep them on ``ds`` when they pass (``ds.checks`` says
    what was checked). Raises what the LLM raises."""
    from assistant.passages import format_numbered
    from prompts import language_name

    articles = story_reports(ds)
    reports = {n: report_text(a) for n, a in articles.items()}
    language = story_language(ds, lang)
    local = local_numbers(reports)
    reply = chain.invoke(
        {
            "passages": format_numbered([(i, reports[n]) for i, n in local.items()]),
            "language": language_name(language),
            "example": 1,
        }
    )
    reply = to_digest_numbers(str(reply), local)
    ds.written, ds.checks = check_reply(reply, reports, {n: a.lang for n, a in articles.items()}, language)


def write_digest(digest: Digest, llm: Any, lang: str | None = None, progress: Progress | None = None) -> Digest:
    """Write every story's sentences with ``llm`` (``progress(done, total)`` after each). When the LLM
    fails, the stories not yet written stay extractive and ``digest.warning`` says why."""
    import time

    from assistant.errors import describe_llm_error

    started = time.perf_counter()
    digest.sentence_kind = "llm"
    chain = digest_chain(llm)
    total = len(digest.stories)
    for i, ds in enumerate(digest.stories):
        if progress:
            progress(i, total)
        try:
            write_story(chain, ds, lang)
        except Exception as exc:  # noqa: BLE001 - any LLM failure: the rest of the digest stays extractive
            left = total - i
            rest = (
                "the digest is extractive"
                if i == 0
                else f"the last {left} of {total} stories keep their extractive sentences"
            )
            digest.warning = f"{describe_llm_error(exc)}; {rest}"
            break
    if progress:
        progress(total, total)
    digest.write_s = round(time.perf_counter() - started, 3)
    return digest
