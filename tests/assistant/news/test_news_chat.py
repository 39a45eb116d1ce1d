"""/digest, /timeline and /follow in the chat (Textual's Pilot; real Chroma and e5, a scripted LLM)."""

from __future__ import annotations

import time
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant.app import Assistant
from assistant.settings import load_settings
from assistant.tui.app import AssistantApp
from assistant.tui.widgets import Notice

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "news_corpus"


async def _wait(pilot, condition, timeout=60.0):
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, ([n.message for n in pilot.app._notifications], _chat(pilot.app))
        await pilot.pause(0.1)


def _chat(app) -> str:
    return "\n".join(str(w.render()) for w in app.query(Notice))


async def _send(pilot, app, text):
    prompt = app.query_one("#prompt")
    prompt.text = text
    prompt.focus()
    await pilot.press("enter")


async def test_news_slash_commands(tmp_path, embedding_path):
    settings = load_settings(
        data_dir=str(tmp_path / "data"), models_dir=str(embedding_path.parent), refusal_check=False
    )
    assistant = Assistant(settings, reader=False, llm=GenericFakeChatModel(messages=iter([])))
    assistant.ingest([str(CORPUS / "html")])
    app = AssistantApp(assistant)
    async with app.run_test(size=(140, 50)) as pilot:
        await _wait(pilot, lambda: app.phase == "ready")
        await _send(pilot, app, "/since 2025-05-13")
        await _send(pilot, app, "/until 2025-05-14")
        await _send(pilot, app, "/digest")
        await _wait(pilot, lambda: "every article is cited or listed" in _chat(app))
        assert "Gunung Lewotobi Laki-laki" in _chat(app)
        await _send(pilot, app, "/filters off")
        await _send(pilot, app, "/timeline serangan ransomware Pusat Data Nasional")
        await _wait(pilot, lambda: "(dateline)" in _chat(app))
        assert "2025-05-21" in _chat(app)
        await _send(pilot, app, "/follow add Berapa korban banjir bandang Sukabumi?")
        await _wait(pilot, lambda: "Following [1]" in _chat(app))
        await _send(pilot, app, "/follow")
        await _wait(pilot, lambda: "(2025-05-0" in _chat(app))  # the evidence: Sukabumi reports of 6-9 May
        new = tmp_path / "susulan.txt"
        new.write_text(
            "Korban Banjir Sukabumi Bertambah\n\nTempo.co - 10/05/2025, 08:00 WIB\nKorban meninggal banjir bandang "
            "Sukabumi bertambah menjadi 18 orang setelah satu jenazah ditemukan di hilir Sungai Cidadap.",
            encoding="utf-8",
        )
        await _send(pilot, app, f"/ingest {new}")
        await _wait(
            pilot, lambda: any("New evidence for followed question [1]" in n.message for n in app._notifications)
        )
        await _send(pilot, app, "/follow rm 9")
        await _wait(pilot, lambda: any("no followed question '9'" in n.message for n in app._notifications))
