"""The chat driven through Textual's Pilot: real Chroma and embedding model, a scripted LLM; and what it says
after an ingest (no app run, no model)."""

import time
from types import SimpleNamespace

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.app import Assistant
from assistant.present import ingest_summary
from assistant.settings import load_settings
from assistant.tui.app import SKIPPED_SHOWN, AssistantApp, ingest_message
from assistant.tui.widgets import AnswerMessage, Notice, SourceItem


class SlowFakeChatModel(GenericFakeChatModel):
    """Streams its scripted reply word by word, slowly (to test cancelling)."""

    def _stream(self, *args, **kwargs):
        for chunk in super()._stream(*args, **kwargs):
            time.sleep(0.2)
            yield chunk


def make_services(tmp_path, embedding_path, replies, slow=False):
    settings = load_settings(
        data_dir=str(tmp_path / "data"),
        models_dir=str(embedding_path.parent),
        refusal_check=False,
        max_decline_probability=1.0,  # the chat's behaviour, not the refusal rule's calibration, is tested here
    )
    model_cls = SlowFakeChatModel if slow else GenericFakeChatModel
    llm = model_cls(messages=iter([AIMessage(content=r) for r in replies]))
    return Assistant(settings, reader=False, llm=llm)


async def wait_until(pilot, condition, timeout=60.0):
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            notes = [n.message for n in pilot.app._notifications]
            raise AssertionError(f"timed out in phase {pilot.app.phase!r}; notifications: {notes}")
        await pilot.pause(0.1)


def chat_text(app):
    return "\n".join(str(w.render()) for w in app.query(Notice))


async def ask(pilot, app, text):
    prompt = app.query_one("#prompt")
    prompt.text = text
    prompt.focus()
    await pilot.press("enter")


async def ask_and_wait(pilot, app, text):
    """Send a question and wait until its answer is recorded."""
    turns = len(app.conversation.turns)
    await ask(pilot, app, text)
    await wait_until(pilot, lambda: len(app.conversation.turns) > turns and app.phase == "ready")


def started_app(tmp_path, embedding_path, replies, articles=()):
    services = make_services(tmp_path, embedding_path, replies)
    if articles:
        services.ingest([str(a) for a in articles])
    return AssistantApp(services)


@pytest.mark.asyncio
async def test_first_run_ingests_examples_then_answers_with_sources(tmp_path, embedding_path):
    services = make_services(tmp_path, embedding_path, ["Kim Jong Un memerintahkannya [1]."])
    app = AssistantApp(services)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_until(pilot, lambda: app.article_count is not None)
        assert "No articles yet" in chat_text(app)
        await pilot.press("f2")
        await wait_until(pilot, lambda: app.article_count == 1)
        await ask(pilot, app, "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?")
        await wait_until(pilot, lambda: app.phase == "ready" and app.conversation.turns)
        answer = app.query_one(AnswerMessage)
        assert "Kim Jong Un" in answer.text
        items = list(app.query(SourceItem))
        assert items and items[0].has_class("cited")
        await pilot.press("ctrl+n")
        assert items[0].has_focus
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "ArticleScreen"
        await pilot.press("escape")
        # persisted: a new app sees the conversation in /history
        saved = app.conversations.list()
        assert saved and saved[0].turns[0].answer.startswith("Kim Jong Un")


@pytest.mark.asyncio
async def test_escape_cancels_a_running_answer(tmp_path, embedding_path, sample_path):
    services = make_services(tmp_path, embedding_path, [" ".join(["kata"] * 60) + " [1]."], slow=True)
    services.ingest([str(sample_path)])
    app = AssistantApp(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.phase == "ready")
        await ask(pilot, app, "Apa yang terjadi?")
        await wait_until(pilot, lambda: app.phase == "streaming")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.phase == "ready")
        assert "cancelled" in app.query_one(AnswerMessage).text or not app.conversation.turns
        assert not app.conversation.turns


@pytest.mark.asyncio
async def test_slash_commands(tmp_path, embedding_path, sample_path):
    app = started_app(tmp_path, embedding_path, ["Kim Jong Un [1]."], [sample_path])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.phase == "ready")
        await ask(pilot, app, "/help")
        await pilot.pause(0.1)
        assert "/ingest PATH" in chat_text(app)
        await ask_and_wait(pilot, app, "Siapa yang memerintahkan pengiriman pasukan?")
        out = tmp_path / "chat.md"
        await ask(pilot, app, f"/export {out}")
        await pilot.pause(0.2)
        exported = out.read_text()
        assert "[^1]" in exported and "Korea Utara" in exported
        await ask(pilot, app, "/model")
        await pilot.pause(0.1)
        assert "qwen2.5-coder-1.5b-instruct" in chat_text(app)
        await ask(pilot, app, "/sources")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "SourcesScreen"
        await pilot.press("escape")
        await ask(pilot, app, "/new")
        await pilot.pause(0.1)
        assert not app.conversation.turns and not list(app.query(AnswerMessage))


@pytest.mark.asyncio
async def test_markup_in_articles_renders_literally(tmp_path, embedding_path):
    article = tmp_path / "markup.txt"
    article.write_text("Judul [bold]Tebal[/bold]\nIsi [link=http://evil.example]klik[/link] dan [/] serta [red]merah.")
    app = started_app(tmp_path, embedding_path, ["Isi artikel [1]."], [article])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.phase == "ready")
        await ask_and_wait(pilot, app, "Apa isi artikel tentang klik?")
        rendered = "\n".join(str(item.render()) for item in app.query(SourceItem))
        assert "[link=http://evil.example]klik[/link]" in rendered
        assert "[/]" in rendered and "[bold]Tebal[/bold]" in rendered


async def test_conversation_survives_a_restart(tmp_path, embedding_path, sample_path):
    app = started_app(tmp_path, embedding_path, ["Kim Jong Un [1]."], [sample_path])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.phase == "ready")
        await ask_and_wait(pilot, app, "Siapa yang memerintahkan pengiriman pasukan?")
        first_id = app.conversation.id
        first_answer = app.conversation.turns[0].answer

    again = AssistantApp(make_services(tmp_path, embedding_path, ["Pada 27 April 2025 [1]."]))
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: again.phase == "ready")
        await ask(pilot, again, "/history")
        await pilot.pause(0.3)
        assert type(again.screen).__name__ == "HistoryScreen"
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert again.conversation.id == first_id
        assert again.query_one(AnswerMessage).text == first_answer
        # the follow-up continues the restored conversation
        assert again.conversation.history()[0][0] == "Siapa yang memerintahkan pengiriman pasukan?"


@pytest.mark.asyncio
async def test_news_filters_duplicates_and_feeds_in_the_chat(tmp_path, embedding_path, news_site):
    base, site, _ = news_site
    pages = [site / name for name in ("kompas-karian.html", "antara-karian.html", "tempo-banjir.html")]
    app = started_app(tmp_path, embedding_path, ["Banjir [1].", "Bendungan [1]."], pages)
    question = "Apa yang terjadi di Karian dan Jakarta Utara?"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.phase == "ready")
        await ask(pilot, app, "/since sejak Juni 2025")
        await pilot.pause(0.1)
        assert "since 2025-06-01" in str(app.query_one("#status").render())
        await ask_and_wait(pilot, app, question)
        assert {s["outlet"] for s in app.conversation.turns[-1].sources} == {"Tempo.co"}

        await ask(pilot, app, "/filters off")
        await ask(pilot, app, "/new")  # no follow-up rewriting: the scripted model has one reply per answer
        await ask_and_wait(pilot, app, question)
        outlets = [s["outlet"] for s in app.conversation.turns[-1].sources]
        assert not {"Kompas.com", "ANTARA News"} <= set(outlets)
        rendered = "\n".join(str(item.render()) for item in app.query(SourceItem))
        assert "also reported by: " in rendered

        # the sources screen lists what `assistant sources` lists for the same filters, in its order
        await ask(pilot, app, "/source tempo")
        await ask(pilot, app, "/sources")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SourcesScreen")
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        shown = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        expected = [row.title for row in app.assistant.articles(app.article_filter)]
        assert shown == expected and shown and len(shown) < 3
        await pilot.press("escape")
        await ask(pilot, app, "/filters off")
        await ask(pilot, app, "/sources")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SourcesScreen")
        table = app.screen.query_one(DataTable)
        dates = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert table.row_count == 3 and dates == sorted(dates, reverse=True)  # newest first, as the CLI
        await pilot.press("escape")

        await ask(pilot, app, "/until kapan-kapan")
        await pilot.pause(0.1)
        assert any("cannot understand the date" in n.message for n in app._notifications)

        await ask(pilot, app, f"/ingest --feed {base}/atom.xml")
        await wait_until(pilot, lambda: "Ingested: 1 added" in chat_text(app))
        assert app.article_count == 4


def test_the_chat_says_what_the_cli_says_after_an_ingest():
    skipped = [SimpleNamespace(path=f"/x/{i}.bin", reason="unsupported file type .bin") for i in range(25)]
    report = SimpleNamespace(added=[1], replaced=[], unchanged=[1, 2], skipped=skipped, passages=4, duplicates=[1])
    lines = ingest_message(report, 2.0).split("\n")
    assert lines[0] == "Ingested: " + ingest_summary(report, 2.0)
    assert lines[0].endswith("25 skipped; 4 passages embedded in 2.0s (2.0 passages/s)")
    assert lines[1].startswith("1 near-duplicate of stored articles grouped with them")
    assert lines[2:] == [f"  skipped /x/{i}.bin: unsupported file type .bin" for i in range(SKIPPED_SHOWN)]
    clean = SimpleNamespace(added=[], replaced=[], unchanged=[1], skipped=[], passages=0, duplicates=[])
    assert ingest_message(clean) == "Ingested: 0 added, 0 replaced, 1 unchanged, 0 skipped (0 passages)"
