"""Conversations saved as JSON in the data directory, and exported as Markdown with footnotes."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Turn:
    """One question and its answer with the sources it was given."""

    question: str
    answer: str = ""
    declined: bool = False
    citations: list[int] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    rewritten: str | None = None


@dataclass
class Conversation:
    """A chat: its turns, saved after every answer."""

    id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
    created: float = field(default_factory=time.time)
    turns: list[Turn] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The first question, shortened."""
        return self.turns[0].question[:60] if self.turns else "(empty)"

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs for follow-up rewriting."""
        return [(t.question, t.answer) for t in self.turns if t.answer]


class ConversationStore:
    """One JSON file per conversation under ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory

    def save(self, conversation: Conversation) -> None:
        """Write atomically (temp file, then rename)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{conversation.id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(conversation), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)

    def load(self, conversation_id: str) -> Conversation:
        """Read one conversation."""
        data = json.loads((self.directory / f"{conversation_id}.json").read_text(encoding="utf-8"))
        turns = [Turn(**t) for t in data.pop("turns", [])]
        return Conversation(**data, turns=turns)

    def list(self) -> list[Conversation]:
        """Every saved conversation, newest first (unreadable files are skipped)."""
        found = []
        for path in sorted(self.directory.glob("*.json"), reverse=True):
            try:
                found.append(self.load(path.stem))
            except (OSError, ValueError, TypeError):
                continue
        return found


def to_markdown(conversation: Conversation) -> str:
    """The conversation as Markdown; citations become numbered footnotes naming title, date and source."""
    lines = [f"# {conversation.title}", ""]
    footnotes: list[str] = []
    for turn in conversation.turns:
        lines += [f"**Q:** {turn.question}", ""]
        answer = turn.answer
        for src in turn.sources:
            if src["n"] not in turn.citations:
                continue
            footnotes.append(
                f"[^{len(footnotes) + 1}]: {src.get('title') or src.get('source')}"
                f"{' (' + str(src['date'])[:10] + ')' if src.get('date') else ''}, {src.get('source')}: "
                f'"{" ".join(str(src.get("passage", "")).split())[:200]}"'
            )
            answer = answer.replace(f"[{src['n']}]", f"[^{len(footnotes)}]")
        lines += [f"**A:** {answer}", ""]
    return "\n".join(lines + footnotes) + "\n"
