"""Digest sentences written by the LLM (``digest_sentences = "llm"``) with a scripted chat model: a good
sentence is kept with its citation; an invented number, a citation outside the story or the wrong
language falls back to the extractive sentence, flagged; a failing LLM leaves the digest extractive with
a warning. No model is loaded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import Field

from assistant.app import Assistant
from assistant.news.corpus import NewsArticle, NewsPassage
from assistant.news.render import digest_lines
from assistant.settings import load_settings

pytestmark = pytest.mark.unit

LEWOTOBI = (
    "Gunung Lewotobi erupsi\n\nGunung Lewotobi Laki-laki di Kabupaten Flores Timur kembali erupsi pada Selasa "
    "dini hari dengan tinggi kolom abu 8.000 meter. Warga di radius tujuh kilometer diminta mengungsi."
)
BULOG = (
    "Operasi pasar beras\n\nPerum Bulog mulai menggelar operasi pasar beras di 500 titik di seluruh Indonesia "
    "untuk menahan kenaikan harga beras medium."
)
GOOD_1 = "Gunung Lewotobi Laki-laki di Flores Timur kembali erupsi dengan tinggi kolom abu 8.000 meter [1]."
GOOD_2 = "Perum Bulog menggelar operasi pasar beras di 500 titik di seluruh Indonesia [2]."


def article(aid: str, text: str, vector: tuple[float, ...], day: int, lang: str = "id") -> NewsArticle:
    vec = np.asarray(vector, dtype=np.float32)
    vec = vec / np.linalg.norm(vec)
    title = text.partition("\n")[0]
    when = datetime(2025, 5, 1, 9, 0, tzinfo=UTC) + timedelta(days=day - 1)
    passage = NewsPassage(f"{aid}:0", text, 0, len(text), None, vec)
    return NewsArticle(aid, title, "ANTARA News", f"https://x/{aid}", when, lang, aid, [passage], vec, text)


def articles() -> list[NewsArticle]:
    """Two stories: [1] Lewotobi (13 May), [2] Bulog (14 May)."""
    return [article("a", LEWOTOBI, (1.0, 0.0, 0.0), 13), article("b", BULOG, (0.0, 1.0, 0.0), 14)]


class RecordingModel(GenericFakeChatModel):
    """Scripted replies; remembers the messages of every call."""

    prompts: list = Field(default_factory=list)

    def _generate(self, messages, *args, **kwargs):
        self.prompts.append(messages)
        return super()._generate(messages, *args, **kwargs)


def _model(*replies: str) -> RecordingModel:
    return RecordingModel(messages=iter([AIMessage(content=r) for r in replies]))


def _assistant(tmp_path, llm) -> Assistant:
    return Assistant(load_settings(data_dir=str(tmp_path / "data")), llm=llm)


def test_good_sentences_are_kept_with_their_citations(tmp_path):
    llm = _model(GOOD_1, GOOD_2)
    digest = _assistant(tmp_path, llm).digest(articles(), written=True)
    first, second = digest.stories
    assert [(w.text, w.citations) for w in first.written] == [(GOOD_1.replace(" [1].", "."), [1])]
    assert second.written and second.written[0].citations == [2]
    assert all(c.ok for c in first.checks) and {c.name for c in first.checks} >= {
        "citation",
        "grounded",
        "language",
        "supported",
        "complete",
    }
    assert digest.warning is None and digest.written_line == "2 of 2 stories written by the LLM and checked"
    # each story's prompt holds its own reports numbered from 1 (the digest's numbers come back after),
    # delimited as data
    prompt_2 = llm.prompts[1][-1].content
    assert "<passages>\n[1] Perum Bulog" in prompt_2 and "[2]" not in prompt_2.split("</passages>")[0]
    assert "Indonesian" in prompt_2
    text = "\n".join(t for t, _ in digest_lines(digest))
    assert "8.000 meter. [1]" in text and "(written by the LLM, checked)" in text
    assert "2 articles → 2 stories; every article is cited or listed" in text


def test_an_invented_number_falls_back_to_the_extractive_sentence_and_is_flagged(tmp_path):
    invented = "Gunung Lewotobi Laki-laki di Flores Timur kembali erupsi dengan tinggi kolom abu 9.500 meter [1]."
    digest = _assistant(tmp_path, _model(invented, GOOD_2)).digest(articles(), written=True)
    first = digest.stories[0]
    assert first.written is None
    assert first.sentences[0][0].startswith("Gunung Lewotobi Laki-laki di Kabupaten Flores Timur")
    failed = first.failed_checks
    assert [c.name for c in failed] == ["grounded"] and "9.500" in failed[0].detail
    assert digest.stories[1].written is not None
    text = "\n".join(t for t, _ in digest_lines(digest))
    assert "(extractive: the LLM's sentence failed its checks · grounded: not in the cited reports: 9.500)" in text
    assert digest.written_line == "1 of 2 stories written by the LLM and checked; 1 kept its extractive sentences"


def test_a_citation_outside_the_story_is_dropped_and_falls_back(tmp_path):
    outside = "Perum Bulog menggelar operasi pasar beras di 500 titik di seluruh Indonesia [3]."
    digest = _assistant(tmp_path, _model(GOOD_1, outside)).digest(articles(), written=True)
    second = digest.stories[1]
    assert second.written is None and second.sentences[0][1] == 2
    (failed,) = second.failed_checks
    assert failed.name == "citation" and failed.detail == "dropped [3]: not a report of this story"


def test_a_valid_citation_beside_an_outside_one_is_kept(tmp_path):
    both = "Perum Bulog menggelar operasi pasar beras di 500 titik di seluruh Indonesia [2][7]."
    digest = _assistant(tmp_path, _model(GOOD_1, both)).digest(articles(), written=True)
    second = digest.stories[1]
    assert second.written is not None and second.written[0].citations == [2]
    assert second.checks[0].detail == "dropped [7]: not a report of this story"


def test_a_sentence_in_the_wrong_language_falls_back(tmp_path):
    english = "Mount Lewotobi Laki-laki in Flores Timur erupted again, sending an ash column 8,000 meters high [1]."
    digest = _assistant(tmp_path, _model(english, GOOD_2)).digest(articles(), written=True)
    first = digest.stories[0]
    assert first.written is None
    language = next(c for c in first.checks if c.name == "language")
    assert not language.ok and "'en'" in language.detail and "the digest in 'id'" in language.detail


def test_links_are_taken_out_and_a_third_sentence_is_left_out(tmp_path):
    reply = (
        "Gunung Lewotobi Laki-laki di Flores Timur kembali erupsi https://evil.example/x dengan tinggi kolom abu "
        "8.000 meter [1]. Warga di radius tujuh kilometer diminta mengungsi [1]. Warga diminta mengungsi [1]."
    )
    digest = _assistant(tmp_path, _model(reply, GOOD_2)).digest(articles(), written=True)
    first = digest.stories[0]
    assert first.written is not None and len(first.written) == 2
    assert "evil.example" not in first.written[0].text and "http" not in first.written[0].text
    assert any(c.name == "sentences" and c.detail == "kept the first 2 of 3" for c in first.checks)


def test_an_empty_reply_falls_back(tmp_path):
    digest = _assistant(tmp_path, _model("", GOOD_2)).digest(articles(), written=True)
    assert digest.stories[0].written is None
    assert digest.stories[0].failed_checks[0].detail == "the reply holds no sentence"


def test_a_failing_llm_leaves_the_digest_extractive_with_a_warning(tmp_path):
    from assistant.llm import unavailable_chat_model

    digest = _assistant(tmp_path, unavailable_chat_model(ConnectionError("refused"))).digest(articles(), written=True)
    assert all(s.written is None and s.checks is None for s in digest.stories)
    assert digest.warning and digest.warning.endswith("; the digest is extractive") and "\n" not in digest.warning
    lines = digest_lines(digest)
    assert (f"warning: {digest.warning}", "yellow") in lines
    assert "2 articles → 2 stories; every article is cited or listed" in [t for t, _ in lines]


def test_an_llm_failing_midway_keeps_what_was_written(tmp_path):
    class FailsSecond(RecordingModel):
        def _generate(self, messages, *args, **kwargs):
            if self.prompts:
                raise TimeoutError("no reply")
            return super()._generate(messages, *args, **kwargs)

    llm = FailsSecond(messages=iter([AIMessage(content=GOOD_1)]))
    digest = _assistant(tmp_path, llm).digest(articles(), written=True)
    assert digest.stories[0].written is not None and digest.stories[1].written is None
    assert (
        digest.warning
        == "the LLM did not answer in time (TimeoutError); the last 1 of 2 stories keep their extractive sentences"
    )


def test_an_llm_that_cannot_be_set_up_is_a_warning(tmp_path, monkeypatch):
    from assistant.services import Services

    def broken(self):
        raise FileNotFoundError("llm_path /nowhere.gguf does not exist")

    monkeypatch.setattr(Services, "llm", property(broken))
    digest = _assistant(tmp_path, None).digest(articles(), written=True)
    assert digest.warning.endswith("; the digest is extractive") and "nowhere.gguf" in digest.warning
    assert all(s.written is None for s in digest.stories)


def test_the_setting_chooses_and_extractive_is_the_default(tmp_path):
    llm = _model(GOOD_1, GOOD_2)
    assert _assistant(tmp_path, llm).digest(articles()).sentence_kind == "extractive" and not llm.prompts
    settings = load_settings(data_dir=str(tmp_path / "data"), digest_sentences="llm")
    digest = Assistant(settings, llm=llm).digest(articles())
    assert digest.sentence_kind == "llm" and all(s.written for s in digest.stories)


def test_the_json_has_the_fields(tmp_path, monkeypatch, capsys):
    from assistant.news import run

    assistant = _assistant(tmp_path, _model(GOOD_1, "Bulog menjual beras di 900 titik [2]."))
    monkeypatch.setattr(run, "_assistant", lambda settings: assistant)
    monkeypatch.setattr(run, "_window", lambda assistant, article_filter, what: articles())
    assert run.run_digest(assistant.settings, None, True, "time", written=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sentences"] == "llm" and data["warning"] is None
    assert data["coverage"] == "2 articles → 2 stories; every article is cited or listed"
    assert data["written"] == "1 of 2 stories written by the LLM and checked; 1 kept its extractive sentences"
    first, second = data["stories"]
    assert first["written"] is True and first["summary"][0]["citations"] == [1] and first["summary"][0]["citation"] == 1
    assert all(c["ok"] for c in first["checks"])
    assert second["written"] is False and second["summary"][0]["sentence"].startswith("Perum Bulog mulai")
    grounded = next(c for c in second["checks"] if c["name"] == "grounded")
    assert grounded == {
        "sentence": "Bulog menjual beras di 900 titik.",
        "name": "grounded",
        "ok": False,
        "detail": "not in the cited reports: 900",
    }
    assert "write_s" in data["timings"]


def test_an_extractive_json_says_so_and_lists_no_checks(tmp_path, monkeypatch, capsys):
    from assistant.news import run

    assistant = _assistant(tmp_path, _model())
    monkeypatch.setattr(run, "_assistant", lambda settings: assistant)
    monkeypatch.setattr(run, "_window", lambda assistant, article_filter, what: articles())
    assert run.run_digest(assistant.settings, None, True, "time") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sentences"] == "extractive" and data["written"] is None
    assert all(s["written"] is False and "checks" not in s for s in data["stories"])
    assert "write_s" not in data["timings"]


def test_the_flags_and_the_chat_option():
    from assistant.cli import build_parser
    from assistant.news.chat import NewsError, digest_options

    parser = build_parser()
    assert parser.parse_args(["digest", "--written"]).written is True
    assert not hasattr(parser.parse_args(["digest"]), "written")
    assert parser.parse_args(["digest", "--digest-sentences", "llm"]).digest_sentences == "llm"
    with pytest.raises(SystemExit):
        parser.parse_args(["digest", "--digest-sentences", "poetry"])
    assert digest_options("") == (False, None)
    assert digest_options("size written") == (True, True)
    with pytest.raises(NewsError):
        digest_options("llm please")


def test_the_cli_warns_on_stderr_in_one_line(tmp_path, monkeypatch, capsys):
    from assistant.llm import unavailable_chat_model
    from assistant.news import run

    assistant = _assistant(tmp_path, unavailable_chat_model(ConnectionError("refused")))
    monkeypatch.setattr(run, "_assistant", lambda settings: assistant)
    monkeypatch.setattr(run, "_window", lambda assistant, article_filter, what: articles())
    assert run.run_digest(assistant.settings, None, False, "time", written=True) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith("assistant: warning: ")
    assert warnings[0].endswith("; the digest is extractive") and "Traceback" not in captured.err
    assert "Gunung Lewotobi Laki-laki di Kabupaten Flores Timur" in captured.out and "warning" not in captured.out
    assert "0 of 2 stories written by the LLM and checked; 2 kept their extractive sentences" in captured.out


def test_a_written_digest_waits_while_an_answer_uses_the_model():
    import threading

    from assistant.app import Assistant

    facade = Assistant.__new__(Assistant)  # only the turn-taking is exercised here
    facade._model_turn = threading.Lock()
    order: list[str] = []

    def answer_events():
        order.append("answer starts")
        yield "token"
        order.append("answer ends")

    events = facade._taking_turns(answer_events())
    next(events)  # an answer is streaming: it holds the model
    waiting = threading.Thread(
        target=lambda: (facade._model_turn.acquire(), order.append("digest"), facade._model_turn.release())
    )
    waiting.start()
    waiting.join(timeout=0.2)
    assert waiting.is_alive() and order == ["answer starts"]
    list(events)
    waiting.join(timeout=5)
    assert order == ["answer starts", "answer ends", "digest"]


def test_a_lead_copied_with_one_closing_citation_cites_every_sentence(tmp_path):
    # what the bundled model does: the report's sentences, one marker at the end, numbered as it was shown
    reply = (
        "Perum Bulog menggelar operasi pasar beras di 500 titik di seluruh Indonesia. "
        "Perum Bulog menggelar operasi pasar beras di 500 titik. [1]"
    )
    digest = _assistant(tmp_path, _model(GOOD_1, reply)).digest(articles(), written=True)
    second = digest.stories[1]
    assert second.written is not None and [w.citations for w in second.written] == [[2], [2]]
