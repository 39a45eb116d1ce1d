"""Snapshot of the main screen on first run (pytest-textual-snapshot; update with --snapshot-update)."""

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant.app import Assistant
from assistant.settings import load_settings
from assistant.tui.app import AssistantApp


def test_first_run_screen(snap_compare, tmp_path, embedding_path):
    settings = load_settings(data_dir=str(tmp_path / "data"), models_dir=str(embedding_path.parent))
    services = Assistant(settings, reader=False, llm=GenericFakeChatModel(messages=iter([])))

    async def until_ready(pilot):
        pilot.app.query_one("#prompt").cursor_blink = False  # a blinking cursor makes snapshots flaky
        while pilot.app.phase != "ready":
            await pilot.pause(0.1)
        await pilot.pause(0.3)

    assert snap_compare(AssistantApp(services), terminal_size=(110, 30), run_before=until_ready)
