"""When to decline: the model's own doubt combined with how much of the question the passages cover.

Calibrated on ``../shared/eval-dev`` with ``benchmarks/refusal_calibration.py`` (see the README): with the
1.5B model neither signal alone separates answerable from unanswerable questions well (cross-validated
AUC about 0.77 and 0.78); a logistic rule over both does better (0.85). Fitted on two recordings of the
same 110 questions (220 rows); at the default threshold (``max_decline_probability`` 0.58) it declined
0.51 of the unanswerable questions with 0.08 false declines.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from vectorstore.keyword import tokenize

DocumentFrequencies = Callable[[list[str]], tuple[int, dict[str, int]]]

# Logistic fit on eval-dev: P(decline) = sigmoid(b0 + b1*p_no + b2*coverage).
_WITH_CHECK = (0.38, 3.103, -3.229)
# Without the model's check (refusal_check off): coverage only. At the same threshold: 0.07 false
# declines, 0.28 declined.
_COVERAGE_ONLY = (1.467, -3.695)


def question_coverage(question: str, passages: list[str], frequencies: DocumentFrequencies) -> float:
    """The share of the question's information (IDF-weighted terms) found in its best-covering passage.

    A question whose rare terms (names, numbers, the swapped entity of a false premise) appear in no
    given passage is probably not answered by them. IDF is capped so that a term unknown to the whole
    collection (often just an unusual question word) cannot outweigh everything else.
    """
    terms = list(dict.fromkeys(tokenize(question)))
    total, counts = frequencies(terms)
    if not terms or not passages or total == 0:
        return 0.0
    cap = math.log(total / 5) if total > 5 else 1.0
    weights = {t: min(math.log((total + 1) / (counts.get(t, 0) + 0.5)), cap) for t in terms}
    whole = sum(weights.values()) or 1.0
    best = 0.0
    for passage in passages:
        present = set(tokenize(passage))
        best = max(best, sum(w for t, w in weights.items() if t in present) / whole)
    return best


def decline_probability(coverage: float | None, no_probability: float | None) -> float | None:
    """The calibrated probability that the passages do not answer the question, from what is known:
    both signals, coverage alone, the check's P(no) alone, or nothing (``None``)."""
    if coverage is None:
        return no_probability
    if no_probability is None:
        b0, b2 = _COVERAGE_ONLY
        z = b0 + b2 * coverage
    else:
        b0, b1, b2 = _WITH_CHECK
        z = b0 + b1 * no_probability + b2 * coverage
    return 1.0 / (1.0 + math.exp(-z))
