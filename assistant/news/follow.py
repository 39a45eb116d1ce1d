"""Followed questions, kept in the data directory (``follow.json``): what is new for each since the
last look. Evidence is a passage close to the question (stored embeddings against the question's);
a passage seen once is not shown again (a replaced article's new passages are new evidence)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.news.corpus import NewsArticle, NewsPassage
from assistant.news.relevance import relevant_passages
from vectorstore.chunking import sentence_spans

_MAX_NEW = 8


class FollowError(ValueError):
    """An unknown followed question or an unusable list; the message is one line."""


@dataclass
class Evidence:
    """A new passage for a followed question, shown by its best sentence."""

    sentence: str
    article: NewsArticle
    passage: NewsPassage
    score: float


class FollowList:
    """The followed questions of one data directory, written atomically."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> list[dict[str, Any]]:
        """Every followed question (``question``, ``added``, ``last_look``, ``seen`` passage ids)."""
        if not self.path.is_file():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FollowError(f"cannot read the followed questions in {self.path}: {exc}") from None
        return list(data.get("questions", []))

    def save(self, questions: list[dict[str, Any]]) -> None:
        """Write the list (temp file then rename: a crash leaves the old list or the new one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".follow-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"questions": questions}, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def add(self, question: str) -> int:
        """Follow ``question``; returns its number (1-based). Following it twice is refused."""
        question = " ".join(question.split())
        if not question:
            raise FollowError("the question is empty")
        questions = self.load()
        if any(q["question"].lower() == question.lower() for q in questions):
            raise FollowError(f"already followed: {question!r}")
        questions.append({"question": question, "added": _now(), "last_look": None, "seen": []})
        self.save(questions)
        return len(questions)

    def remove(self, number: str) -> str:
        """Stop following question ``number`` (as listed); returns its text."""
        questions = self.load()
        index = _index(number, len(questions))
        gone = questions.pop(index)
        self.save(questions)
        return str(gone["question"])


def _index(number: str, count: int) -> int:
    try:
        n = int(number)
    except ValueError:
        n = 0
    if not 1 <= n <= count:
        have = f"1 to {count}" if count else "none are followed"
        raise FollowError(f"no followed question {number!r} ({have}; see: assistant follow list)")
    return n - 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def best_sentence(question: str, text: str, title: str = "") -> str:
    """The sentence of ``text`` (not its ``title``) sharing the most words (4+ letters) with the question;
    the first one on a tie."""
    words = {w.strip("?,.!").lower() for w in question.split() if len(w) > 3}
    best, best_hits = "", -1
    for start, end in sentence_spans(text):
        sentence = " ".join(text[start:end].split())
        if sentence.lower() == " ".join(title.split()).lower():
            continue
        hits = sum(1 for w in sentence.lower().split() if w.strip("?,.!\"'()") in words)
        if hits > best_hits and len(sentence) >= 15:
            best, best_hits = sentence, hits
    return best or " ".join(text.split())


def new_evidence(
    question: str, seen: set[str], articles: list[NewsArticle], query_vector: list[float], floor: float
) -> list[Evidence]:
    """Passages relevant to ``question`` not in ``seen``, best first (at most one per article, eight in all)."""
    found: list[Evidence] = []
    articles_used: set[str] = set()
    for score, article, passage in relevant_passages(question, articles, query_vector, floor):
        if passage.passage_id in seen or article.cluster in articles_used:
            continue
        articles_used.add(article.cluster)
        found.append(Evidence(best_sentence(question, passage.text, article.title), article, passage, score))
        if len(found) >= _MAX_NEW:
            break
    return found


def relevant_ids(question: str, articles: list[NewsArticle], query_vector: list[float], floor: float) -> set[str]:
    """Every relevant passage's id (all are marked seen after a look, shown or not)."""
    return {p.passage_id for _, _, p in relevant_passages(question, articles, query_vector, floor)}


def look(
    follows: FollowList,
    questions: list[dict[str, Any]],
    articles: list[NewsArticle],
    embed_query: Callable[[str], list[float]],
    floor: float,
) -> list[tuple[dict[str, Any], list[Evidence]]]:
    """What is new for each followed question; every relevant passage is then marked seen (and saved)."""
    report = []
    for q in questions:
        vector = embed_query(q["question"])
        report.append((q, new_evidence(q["question"], set(q.get("seen", [])), articles, vector, floor)))
        q["seen"] = sorted(set(q.get("seen", [])) | relevant_ids(q["question"], articles, vector, floor))
        q["last_look"] = _now()
    follows.save(questions)
    return report
