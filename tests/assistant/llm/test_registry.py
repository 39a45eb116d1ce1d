"""One registry of LLM backends: settings, CLI choices and the factory read it (no model is loaded)."""

import pytest

from assistant import llm
from assistant.settings import load_settings


def test_built_ins_are_registered_in_order():
    assert llm.backend_names()[:3] == ["embedded", "openai", "ollama"]


def test_a_third_party_backend_registers_the_same_way():
    made = []

    def factory(settings, gguf_path):
        made.append(settings.llm_backend)
        return "a chat model"

    llm.register_backend("mine", factory)
    try:
        settings = load_settings(llm_backend="mine")
        assert llm.make_chat_model(settings, lambda: pytest.fail("a remote backend prepares no GGUF")) == "a chat model"
        assert made == ["mine"] and settings.llm_label == "mine: qwen2.5-coder-1.5b-instruct"
        from assistant.cli import build_parser

        parser = build_parser()
        assert "mine" in {a.dest: a for a in parser._actions}["llm_backend"].choices
    finally:
        del llm._BACKENDS["mine"], llm._LABELS["mine"]
    with pytest.raises(ValueError, match="invalid backend name"):
        llm.register_backend("no spaces", factory)


def test_labels():
    assert load_settings().llm_label == "qwen2.5-coder-1.5b-instruct"
    s = load_settings(llm_backend="ollama", ollama_model="qwen2.5:3b")
    assert s.llm_label == "qwen2.5:3b @ ollama http://127.0.0.1:11434"
