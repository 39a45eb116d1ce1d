"""When to decline: the model's own doubt combined with how much of the question the passages cover.

Calibrated on ``../shared/eval-dev`` with ``benchmarks/refusal_calibration.py`` (see the README): with the
1.5B model neither signal alone separates answerable from unanswerable questions well (AUC about 0.77
and 0.79); a logistic rule over both does better (cross-validated AUC 0.85). At the default threshold
(``max_decline_probability`` 0.52) it declined 0.57 of the unanswerable questions with 0.06 false declines
(nested cross-validation: 0.57 and 0.09).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from vectorstore.keyword import tokenize

DocumentFrequencies = Callable[[list[str]], tuple[int, dict[str, int]]]

# Logistic fit on eval-dev (110 questions, 46 unanswerable): P(decline) = sigmoid(b0 + b1*p_no + b2*coverage).
_WITH_CHECK = (0.286, 2.183, -2.445)
# Without the model's check (refusal_check off): coverage only; its intercept (fitted: 0.995) is shifted so
# that the same default threshold gives the same false-decline rate (0.06 on eval-dev; declined 0.28).
_COVERAGE_ONLY = (0.915, -2.692)


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
