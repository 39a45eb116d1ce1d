"""The facade takes its models through its constructor (no model is loaded: both are stand-ins)."""

from __future__ import annotations

import pytest

from assistant.app import Assistant
from assistant.services import Services
from assistant.settings import Settings


class StandIn:
    """Any object: the parts are not called here."""


def test_the_models_given_are_the_ones_used():
    llm, embedder = StandIn(), StandIn()
    assistant = Assistant(Settings(), llm=llm, embedder=embedder)
    assert assistant.services.llm is llm and assistant.services.embedder is embedder


def test_a_given_services_takes_the_models_itself():
    llm = StandIn()
    services = Services(Settings(), llm=llm)
    assert Assistant(services.settings, services=services).services.llm is llm
    with pytest.raises(TypeError, match="Services"):
        Assistant(services.settings, services=services, llm=StandIn())


def test_models_status_lists_each_model_with_its_state_and_the_selected_one(tmp_path):
    from assistant.models.catalog import GGUF_MODELS
    from assistant.settings import load_settings

    settings = load_settings(data_dir=str(tmp_path / "data"), models_dir=str(tmp_path / "models"))
    rows = Assistant(settings).models_status()
    onnx = f"{settings.embedding_model} (ONNX)"
    assert [r.name for r in rows] == [settings.embedding_model, onnx, *GGUF_MODELS]
    assert {r.state for r in rows[1:]} == {"not prepared"}  # (e5 may sit in a Hugging Face cache elsewhere)
    assert [r.name for r in rows if r.selected] == [settings.llm_model]
    assert not (tmp_path / "data").exists()  # looking prepares nothing and creates nothing
