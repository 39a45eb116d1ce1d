"""One-token verdicts read from log-probabilities."""

import math

from langchain_core.messages import AIMessage

from assistant.verdicts import no_probability, passage_probabilities


def _reply(*tokens):
    top = [{"token": t, "logprob": math.log(p)} for t, p in tokens]
    return AIMessage(content="", response_metadata={"logprobs": {"content": [{"top_logprobs": top}]}})


def test_which_passage_probabilities_are_renormalised_over_the_numbers():
    probs = passage_probabilities(_reply(("2", 0.5), ("0", 0.25), ("The", 0.2), ("9", 0.05)), 3)
    assert probs is not None
    assert abs(probs[2] - 2 / 3) < 1e-9 and abs(probs[0] - 1 / 3) < 1e-9 and probs[1] == 0.0


def test_no_logprobs_means_no_verdict():
    assert passage_probabilities(AIMessage(content="2"), 3) is None
    assert no_probability(AIMessage(content="no")) is None
    assert abs(no_probability(_reply(("yes", 0.3), ("no", 0.6))) - 2 / 3) < 1e-9
