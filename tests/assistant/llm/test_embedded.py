"""End-to-end test of the in-process xllamacpp chat model with the real default GGUF."""

from __future__ import annotations

import json

import pytest

from assistant.llm.embedded import EmbeddedChatModel


@pytest.mark.e2e
def test_streams_incrementally_and_honours_stop(gguf_path) -> None:
    """Streaming yields several chunks; a stop sequence truncates the reply."""
    llm = EmbeddedChatModel(model_path=str(gguf_path), temperature=0.0, max_tokens=24)
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


@pytest.mark.e2e
def test_json_schema_constrains_output(gguf_path) -> None:
    """Constrained decoding yields JSON of the requested shape (used for structured checks)."""
    llm = EmbeddedChatModel(model_path=str(gguf_path), temperature=0.0, max_tokens=40)
    schema = {
        "type": "object",
        "properties": {"found": {"type": "boolean"}},
        "required": ["found"],
    }
    reply = llm.invoke("Is Jakarta in Indonesia? Answer as JSON.", json_schema=schema)
    assert isinstance(json.loads(str(reply.content))["found"], bool)
