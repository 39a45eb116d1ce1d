"""One-token verdicts of the model read from its log-probabilities: yes/no, and which passage answers."""

from __future__ import annotations

import math
from typing import Any

_YES = {"yes", "ya", "y"}
_NO = {"no", "tidak", "n"}


def _first_token_alternatives(message: Any) -> list[dict[str, Any]]:
    """The first generated token's top alternatives ({token, logprob}) of a reply."""
    logprobs = (getattr(message, "response_metadata", {}) or {}).get("logprobs") or {}
    # OpenAI and llama.cpp: {"content": [token, ...]}; Ollama: [token, ...]
    content = logprobs if isinstance(logprobs, list) else logprobs.get("content") or []
    return list(content[0].get("top_logprobs") or []) if content else []


def no_probability(message: Any) -> float | None:
    """P(no) / (P(yes) + P(no)) from the first token's top logprobs of a yes/no reply."""
    alternatives = _first_token_alternatives(message)
    if not alternatives:
        return None
    yes = no = 0.0
    for alt in alternatives:
        token = str(alt.get("token", "")).strip().lower()
        if token in _YES:
            yes += math.exp(float(alt["logprob"]))
        elif token in _NO:
            no += math.exp(float(alt["logprob"]))
    return no / (yes + no) if yes + no > 0 else None


def passage_probabilities(message: Any, count: int) -> dict[int, float] | None:
    """From a reply to "which passage states the answer (0 for none)": the probability of each answer
    0..count, renormalised over those numbers (None when the backend gives no log-probabilities)."""
    mass: dict[int, float] = {}
    for alt in _first_token_alternatives(message):
        token = str(alt.get("token", "")).strip().strip("[]")
        if token.isdigit() and 0 <= int(token) <= count:
            mass[int(token)] = mass.get(int(token), 0.0) + math.exp(float(alt["logprob"]))
    total = sum(mass.values())
    if total <= 0:
        return None
    return {n: mass.get(n, 0.0) / total for n in range(count + 1)}
