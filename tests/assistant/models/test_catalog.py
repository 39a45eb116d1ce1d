"""The GGUF catalog is the one list of bundled model names (the llm_model setting reads it)."""

import dataclasses

import pytest

from assistant.models import catalog
from assistant.settings import SettingsError, load_settings


def test_the_default_model_is_registered_first():
    assert catalog.gguf_names()[0] == catalog.DEFAULT_LLM_MODEL
    assert load_settings().llm_model == catalog.DEFAULT_LLM_MODEL


def test_a_registered_gguf_is_a_valid_llm_model():
    spec = dataclasses.replace(catalog.GGUF_MODELS[catalog.DEFAULT_LLM_MODEL], name="my-gguf")
    with pytest.raises(SettingsError, match="llm_model"):
        load_settings(llm_model="my-gguf")
    catalog.register_gguf(spec)
    try:
        assert load_settings(llm_model="my-gguf").llm_model == "my-gguf"
    finally:
        del catalog.GGUF_MODELS["my-gguf"]
