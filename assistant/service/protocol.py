"""What the service and its clients exchange: events and answers as JSON, and back.

Light on purpose: the CLI's client path imports this and nothing heavier than the standard library
and ``assistant.types``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from typing import Any

from assistant.types import Answer, Check, Event, EvidenceQuote, Source

#: the settings that do not change what a question gets (so a service started with other values of
#: these still answers a client exactly as the client would itself)
_NOT_ANSWER_SETTINGS = {
    "config_file",
    "service",
    "service_idle_timeout",
    "api_token_env",
    "service_ingest_roots",
    "max_request_kb",
    "service_fetch_private",
    "lock_timeout",
    "fetch_timeout",
    "max_fetch_mb",
    "max_file_mb",
    "ingest_batch",
    "max_question_chars",
}


def settings_key(settings: Any) -> str:
    """A fingerprint of the settings that decide answers: a client uses a service only when the two agree."""
    data = settings.model_dump(mode="json", exclude=_NOT_ANSWER_SETTINGS)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def event_json(event: Event, answer_json: dict[str, Any] | None = None) -> dict[str, Any]:
    """One event as a JSON object: ``kind`` plus what that kind carries (``done`` carries the answer in
    its ``--json`` shape, ``answer_json``)."""
    data: dict[str, Any] = {"kind": event.kind}
    if event.text:
        data["text"] = event.text
    if event.kind == "sources":
        data["sources"] = [source_json(s) for s in event.sources]
    if event.evidence is not None:
        data["evidence"] = asdict(event.evidence)
    if event.kind == "done":
        data["answer"] = answer_json
    return data


def source_json(source: Source) -> dict[str, Any]:
    """A source as JSON (its internal keyword score left out)."""
    data = asdict(source)
    data.pop("keyword_score", None)
    return data


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def source_from_json(data: dict[str, Any]) -> Source:
    """A ``Source`` from its JSON (extra keys such as ``page`` are ignored)."""
    return Source(**_known(Source, data))


def answer_from_json(data: dict[str, Any]) -> Answer:
    """An ``Answer`` from its ``--json`` shape."""
    fields_ = _known(Answer, data)
    fields_["sources"] = [source_from_json(s) for s in data.get("sources", [])]
    fields_["checks"] = [Check(**_known(Check, c)) for c in data.get("checks", [])]
    if data.get("evidence"):
        fields_["evidence"] = EvidenceQuote(**_known(EvidenceQuote, data["evidence"]))
    return Answer(**fields_)


def pages_from_json(data: dict[str, Any]) -> dict[int, int]:
    """The PDF page of each source of an answer's ``--json``, by source number."""
    return {int(s["n"]): int(s["page"]) for s in data.get("sources", []) if s.get("page")}


def event_from_json(data: dict[str, Any]) -> Event:
    """An ``Event`` from its JSON object (``done`` rebuilds the answer)."""
    kind = data["kind"]
    answer = answer_from_json(data["answer"]) if kind == "done" and data.get("answer") else None
    evidence = EvidenceQuote(**_known(EvidenceQuote, data["evidence"])) if data.get("evidence") else None
    sources = [source_from_json(s) for s in data.get("sources", [])]
    return Event(kind, text=data.get("text", ""), sources=sources, answer=answer, evidence=evidence)
