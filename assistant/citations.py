"""Citation markers ``[n]`` in answers: parse them, and drop those that point at no given passage."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable

from vectorstore.text import is_no_space_script, sentence_spans

# [1], [1, 2], [1][2], [1-2] are accepted; anything else in brackets is left alone.
_MARKER = re.compile(r"([ \t]*)\[\s*(\d{1,3}(?:\s*(?:,|;|-|–)\s*\d{1,3})*)\s*\]")
_MAX_MARKER = 24  # longest marker text we wait for while streaming


def _numbers(inner: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", inner):
        if re.search(r"[-–]", part):
            lo, hi = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            out.extend(range(lo, hi + 1) if 0 < hi - lo < 10 else [lo, hi])
        else:
            out.append(int(part))
    return out


def filter_citations(text: str, passage_count: int) -> tuple[str, list[int]]:
    """Remove citation numbers outside 1..passage_count; returns the cleaned text and the valid
    numbers cited, in order of first appearance."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        valid = [n for n in _numbers(match.group(2)) if 1 <= n <= passage_count]
        for n in valid:
            if n not in cited:
                cited.append(n)
        if not valid:
            return ""  # the marker and the space before it
        return match.group(1) + "".join(f"[{n}]" for n in dict.fromkeys(valid))

    return _MARKER.sub(keep, text), cited


def cited_numbers(text: str) -> list[int]:
    """Every number the citation markers of ``text`` cite (valid or not), in order of first appearance."""
    return list(dict.fromkeys(n for m in _MARKER.finditer(text) for n in _numbers(m.group(2))))


def without_markers(text: str) -> str:
    """``text`` with its citation markers (and the spaces before them) removed."""
    return _MARKER.sub("", text)


class StreamingCitationFilter:
    """Applies :func:`filter_citations` to a token stream, holding back only an unfinished ``[...``
    so the user never sees a citation that would be removed."""

    def __init__(self, passage_count: int):
        self.passage_count = passage_count
        self._pending = ""
        self.cited: list[int] = []

    def _emit(self, text: str) -> str:
        cleaned, cited = filter_citations(text, self.passage_count)
        for n in cited:
            if n not in self.cited:
                self.cited.append(n)
        return cleaned

    def feed(self, chunk: str) -> str:
        """Text that is safe to show now."""
        self._pending += chunk
        cut = self._pending.rfind("[")
        if cut < 0 or "]" in self._pending[cut:] or len(self._pending) - cut > _MAX_MARKER:
            cut = len(self._pending)
        while cut > 0 and self._pending[cut - 1] in " \t":  # a space may go with a dropped marker
            cut -= 1
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._emit(ready) if ready else ""

    def flush(self) -> str:
        """The rest, at the end of the stream."""
        ready, self._pending = self._pending, ""
        return self._emit(ready) if ready else ""


_TOKEN = re.compile(r"\w+", re.UNICODE)


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer (``vectorstore.text.sentence_spans``: a period inside a number or
    a name, "10.000", stays in the sentence), each with the citation markers that follow it."""
    spans = sentence_spans(text, markers=True)
    return [text[a:b] for a, b in spans if _TOKEN.search(text[a:b])]


def key_terms(text: str) -> set[str]:
    """Numbers and longer words (names, content words) of a text, lower-cased, markers removed."""
    from vectorstore.keyword import tokenize

    terms = set()
    for tok in tokenize(_MARKER.sub(" ", text)):
        no_space = is_no_space_script(tok)
        # numbers, longer words, and character bigrams of scripts written without spaces
        if tok.isdigit() or (len(tok) >= 4 and not no_space) or (len(tok) == 2 and no_space):
            terms.add(tok)
    return terms


def lexical_support(sentence: str, passage: str) -> float:
    """Share of the sentence's numbers and content words that occur in the passage (0..1).

    Scripts without spaces (Chinese, Thai) are compared by character bigrams instead."""
    terms = key_terms(sentence)
    if not terms:
        return 1.0
    return len(_found_in(passage, terms)) / len(terms)


def _found_in(passage: str, terms: set[str]) -> set[str]:
    """The terms that occur in the passage. A longer passage word inside a single-word term counts
    too, for Indonesian affixes (perintah -> diperintahkan)."""
    haystack = unicodedata.normalize("NFKC", passage).lower()
    words = {w for w in _TOKEN.findall(haystack) if len(w) >= 5}
    return {t for t in terms if t in haystack or (" " not in t and any(w in t for w in words))}


def _flat(text: str) -> str:
    """Lower-cased NFKC words only (punctuation and spacing dropped), for comparing quotations."""
    return " ".join(_TOKEN.findall(unicodedata.normalize("NFKC", text).lower()))


def copied_from(sentence: str, passage: str) -> bool:
    """The sentence is the passage's own words (a quotation, or the passage cut short)."""
    flat = _flat(sentence)
    return bool(flat) and flat in _flat(passage)


def _paragraph_citations(text: str, passages: dict[int, str]) -> list[tuple[str, list[int]]]:
    """Each sentence with the passages it cites; a sentence without a marker takes those of the next
    cited sentence of its paragraph (a citation that closes a paragraph covers it)."""
    out: list[tuple[str, list[int]]] = []
    for paragraph in text.split("\n"):
        pending: list[str] = []
        for sentence in answer_sentences(paragraph):
            cited = [n for m in _MARKER.finditer(sentence) for n in _numbers(m.group(2)) if n in passages]
            if not cited:
                pending.append(sentence)
                continue
            out.extend((p, cited) for p in pending)
            pending = []
            out.append((sentence, cited))
        out.extend((p, []) for p in pending)
    return out


def unsupported_sentences(
    text: str,
    passages: dict[int, str],
    similarity: Callable[[str, str], float] | None = None,
    lexical_bound: float = 0.5,
    similarity_bound: float = 0.9,
    relative_floor: float = 0.8,
) -> list[str]:
    """Sentences with no citation, or whose cited passages share too little with them.

    A sentence is supported when a cited passage holds its words (a quotation), or enough of its
    names/numbers/content words, or (if ``similarity`` is given) its embedding is close enough: above
    ``similarity_bound``, or the closest of all the given passages and above ``relative_floor`` (a
    sentence translated from its passage shares no words with it, and cross-lingual cosines are lower)."""
    bad = []
    for sentence, cited in _paragraph_citations(text, passages):
        plain = _MARKER.sub("", sentence).strip()
        if not cited:
            bad.append(plain)
            continue
        if any(copied_from(plain, passages[n]) or lexical_support(plain, passages[n]) >= lexical_bound for n in cited):
            continue
        if similarity is not None:
            scores = {n: similarity(plain, p) for n, p in passages.items()}
            best = max(scores.values())
            if any(scores[n] >= similarity_bound or (scores[n] >= best and scores[n] >= relative_floor) for n in cited):
                continue
        bad.append(plain)
    return bad


def _weighted_support(terms: set[str], passage: str, weights: dict[str, float]) -> float:
    return sum(weights[t] for t in _found_in(passage, terms))


def _terms_and_pairs(text: str) -> set[str]:
    """Key terms plus consecutive word pairs: pairs ("kim jong", "jong un") tell names apart."""
    words = _TOKEN.findall(_MARKER.sub(" ", text).lower())
    return key_terms(text) | {f"{a} {b}" for a, b in itertools.pairwise(words)}


def repair_citations(text: str, passages: dict[int, str], question: str = "", margin: float = 0.5) -> str:
    """Point each sentence's citation at the passage that supports it best, when the cited one
    clearly does not: terms are weighted by how rare they are among the given passages (a name found
    in only one passage decides) and words repeated from ``question`` (the question, titles) count little. Sentences
    without citations are left as they are."""
    asked = _terms_and_pairs(question)
    out = []
    pos = 0
    for first, last in sentence_spans(text, markers=True):  # whitespace between them is kept as it is
        sentence = text[first:last]
        markers = [n for m in _MARKER.finditer(sentence) for n in _numbers(m.group(2)) if n in passages]
        terms = _terms_and_pairs(sentence)
        if markers and terms:
            df = {t: sum(1 for p in passages.values() if t in unicodedata.normalize("NFKC", p).lower()) for t in terms}
            weights = {t: math.log(1 + len(passages) / (1 + df[t])) * (0.2 if t in asked else 1.0) for t in terms}
            scores = {n: _weighted_support(terms, p, weights) for n, p in passages.items()}
            best = max(scores, key=scores.__getitem__)
            if best not in markers and scores[best] - max(scores[n] for n in markers) >= margin:
                sentence = _MARKER.sub("", sentence).rstrip()
                end = len(sentence.rstrip(".!?。！？"))
                sentence = f"{sentence[:end]} [{best}]{sentence[end:]}"
        out.append(text[pos:first] + sentence)
        pos = last
    out.append(text[pos:])
    return "".join(out)


def grounding(answer: str, passages: list[str], known: str = "") -> float:
    """Share of the answer's own terms (numbers, names, content words not already in ``known``: the
    question and titles) that occur in the given passages; low values mean invented content."""
    terms = key_terms(answer) - key_terms(known)
    if not terms:
        return 1.0
    haystack = unicodedata.normalize("NFKC", " ".join(passages)).lower()
    return sum(1 for t in terms if t in haystack) / len(terms)
