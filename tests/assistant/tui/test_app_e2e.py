"""The chat with the real default models: a question in Indonesian gets a streamed, cited answer."""

import time

import pytest

from assistant.services import Services
from assistant.settings import load_settings
from assistant.tui.app import AssistantApp
from assistant.tui.widgets import AnswerMessage, SourceItem


@pytest.mark.e2e
async def test_real_models_answer_in_the_chat(tmp_path, embedding_path, gguf_path, sample_path):
    settings = load_settings(data_dir=str(tmp_path / "data"), models_dir=str(gguf_path.parent))
    services = Services(settings)
    services.ingester.ingest([sample_path])
    app = AssistantApp(services)
    async with app.run_test(size=(140, 45)) as pilot:
        start = time.monotonic()
        while app.phase != "ready":
            await pilot.pause(0.2)
        prompt = app.query_one("#prompt")
        prompt.text = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"
        prompt.focus()
        await pilot.press("enter")
        phases = set()
        while not app.conversation.turns:
            phases.add(app.phase)
            assert time.monotonic() - start < 240, app.phase
            await pilot.pause(0.1)
        assert "streaming" in phases or "thinking" in phases
        answer = app.query_one(AnswerMessage).text
        assert "Kim Jong Un" in answer
        cited = [item for item in app.query(SourceItem) if item.has_class("cited")]
        assert cited and any("Kim Jong Un" in item.source.passage for item in cited)
