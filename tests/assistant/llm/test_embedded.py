"""End-to-end test of the in-process xllamacpp chat model.

Needs a real GGUF chat model, given by the ``ASSISTANT_TEST_GGUF`` environment
variable; skipped when it is not set. The value is read when the test runs and,
as a fallback, when this module is imported: the autouse fixture in
``tests/conftest.py`` removes ``ASSISTANT_*`` variables before each test.
"""

from __future__ import annotations

import os

import pytest

from assistant.llm.embedded import EmbeddedChatModel

_GGUF_AT_IMPORT = os.environ.get("ASSISTANT_TEST_GGUF")


@pytest.mark.e2e
def test_streams_incrementally_and_honours_stop() -> None:
    """Streaming yields several chunks; a stop sequence truncates the reply."""
    model_path = os.environ.get("ASSISTANT_TEST_GGUF") or _GGUF_AT_IMPORT
    if not model_path:
        pytest.skip("ASSISTANT_TEST_GGUF is not set")

    llm = EmbeddedChatModel(model_path=model_path, temperature=0.0, max_tokens=24)
    prompt = "Count from 1 to 10, separated by commas. Output only the numbers."

    pieces = [chunk.content for chunk in llm.stream(prompt)]
    assert sum(1 for piece in pieces if piece) >= 3, pieces
    text = "".join(str(piece) for piece in pieces)
    assert "1" in text
    assert "3" in text

    reply = llm.invoke(prompt, stop=["3"])
    assert isinstance(reply.content, str)
    assert "3" not in reply.content
    assert "1" in reply.content
    assert reply.response_metadata.get("finish_reason") == "stop"
