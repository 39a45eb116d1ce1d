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
