"""The answer as it streams, already in its checked form: links removed and each sentence's citation
pointed at the passage that supports it, so that what the user watches appear is what the final
answer says, with the same citation numbers.

Prose is shown as it comes, one word behind; a sentence's citation markers (and anything after its
first ``[``, and the period that may end it) are held until the sentence has ended, because only then
can the marker be checked against the passages (``citations.repair_citations``, which puts a repaired
marker before the period). Links are removed from each word once it is
complete (``untrusted.strip_link_text``); a markdown link ``[text](url)`` is held with the ``[``.
"""

from __future__ import annotations

import re

from assistant.citations import StreamingCitationFilter, repair_citations
from assistant.untrusted import strip_link_text
from vectorstore.text import sentence_spans

_WORD_START = re.compile(r"\s+\S*$")


def _between(space: str) -> str:
    """The white space between two sentences, runs of spaces made one as in ``strip_links``."""
    return re.sub(r"[ \t]{2,}", " ", space)


class CheckedStream:
    """Feed the model's chunks; get back the text that may be shown now. ``text`` is the whole answer
    shown so far, which is the final answer once the stream is flushed."""

    def __init__(self, passages: dict[int, str], known: str = ""):
        self.passages = passages
        self.known = known
        self._citations = StreamingCitationFilter(len(passages))
        self._raw = ""  # citation-filtered model text not yet settled: the sentence under way, and what follows
        self._shown = ""  # what has been shown of that sentence
        self.text = ""

    @property
    def cited(self) -> list[int]:
        """The passage numbers the model cited (before repair), in order."""
        return self._citations.cited

    def feed(self, chunk: str) -> str:
        """The text that is safe to show after ``chunk``."""
        self._raw += self._citations.feed(chunk)
        return self._release(final=False)

    def flush(self) -> str:
        """The rest, at the end of the stream."""
        self._raw += self._citations.flush()
        return self._release(final=True)

    def _release(self, final: bool) -> str:
        out: list[str] = []
        while True:
            spans = sentence_spans(self._raw, markers=True)
            if not spans:
                break
            first, last = spans[0]
            ended = final or (len(spans) > 1 and not self._raw[spans[1][0]].startswith("["))
            if not ended:
                out.append(self._prose(first, last))
                break
            out.append(self._settle(first, last))
            self._raw = self._raw[last:]
        if final and self._raw.strip() == "":
            self._raw = ""
        shown = "".join(out)
        self.text += shown
        return shown

    def _prose(self, first: int, last: int) -> str:
        """What more may be shown of the unfinished sentence at ``first:last``: up to its last word and
        its first ``[``, links removed."""
        sentence = self._raw[first:last]
        cut = len(sentence)
        bracket = sentence.find("[")
        if bracket >= 0:
            cut = bracket
        word = _WORD_START.search(sentence[:cut])
        cut = word.start() if word else 0
        # a period that ends the prose may still get a marker put before it ("PBSI. [2]" is repaired
        # to "PBSI [1]."): it waits with the markers
        prose = strip_link_text(sentence[:cut]).rstrip(".!?。！？")
        ready = _between(self._raw[:first]) + prose
        if not ready.startswith(self._shown) or len(ready) <= len(self._shown):
            return ""
        more = ready[len(self._shown) :]
        self._shown = ready
        return more

    def _settle(self, first: int, last: int) -> str:
        """The rest of the ended sentence at ``first:last``, in its final form."""
        whole = _between(self._raw[:first]) + repair_citations(
            strip_link_text(self._raw[first:last]), self.passages, self.known
        )
        shown, self._shown = self._shown, ""
        if whole.startswith(shown):
            return whole[len(shown) :]
        # repair would change text already shown (not expected: markers are held back); keep what was
        # shown and add the rest unrepaired, so that the final answer is still what was streamed
        plain = _between(self._raw[:first]) + strip_link_text(self._raw[first:last])
        return plain[len(shown) :] if plain.startswith(shown) else ""
