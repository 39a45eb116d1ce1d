"""Citation markers ``[n]`` in answers: parse them, and drop those that point at no given passage."""

from __future__ import annotations

import re

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
        while cut > 0 and self._pending[cut - 1] in " \t":  # the space may go with a dropped marker
            cut -= 1
        if cut >= 0 and "]" not in self._pending[cut:] and len(self._pending) - cut <= _MAX_MARKER:
            ready, self._pending = self._pending[:cut], self._pending[cut:]
        else:
            ready, self._pending = self._pending, ""
        return self._emit(ready) if ready else ""

    def flush(self) -> str:
        """The rest, at the end of the stream."""
        ready, self._pending = self._pending, ""
        return self._emit(ready) if ready else ""
