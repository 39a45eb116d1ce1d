"""The command line, in-process, on real Chroma and the real embedding model in temp dirs."""

import json

import pytest

from assistant.cli import main


@pytest.fixture
def prepared_env(monkeypatch, embedding_path):
    """Point the CLI at the session's prepared models (the data dir is already a temp dir)."""
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "ingest" in capsys.readouterr().out


def test_empty_question_is_a_usage_error(capsys):
    assert main(["--ask", "  "]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "question is empty" in err


def test_bad_setting_is_one_line(capsys):
    assert main(["--top-k", "0", "sources"]) == 2
    err = capsys.readouterr().err
    assert "top_k" in err and "Traceback" not in err


def test_ingest_reports_bad_files_and_keeps_the_rest(prepared_env, tmp_path, sample_path, capsys):
    assert main(["ingest", str(sample_path)]) == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "zero.txt").write_bytes(b"")
    (bad / "bin.txt").write_bytes(b"\x00\x00\x00")
    (bad / "latin.txt").write_bytes(b"\xe9t\xe9")
    (bad / "broken.json").write_text("{")
    (bad / "ok.txt").write_text("Banjir Jakarta\nBanjir melanda Jakarta Utara pada hari Minggu pagi.")
    code = main(["ingest", str(bad), str(tmp_path / "missing.txt")])
    captured = capsys.readouterr()
    assert code == 3
    assert "Traceback" not in captured.err
    for reason in ("empty file", "binary file", "not valid UTF-8", "malformed JSON", "no such file"):
        assert reason in captured.err
    assert main(["sources", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {a["title"] for a in listed} == {
        "Banjir Jakarta",
        "Akhirnya, Korea Utara Akui Kirim Pasukan ke Rusia untuk Lawan Ukraina",
    }
    assert main(["remove", "ok.txt"]) == 0
    assert main(["remove", "ok.txt"]) == 1
    assert "no article" in capsys.readouterr().err


def test_ask_on_empty_collection_is_a_clear_error(prepared_env, capsys):
    assert main(["--ask", "Apa kabar?"]) == 1
    assert "collection is empty" in capsys.readouterr().err


def test_ingest_urls_and_feeds_then_filter_sources(prepared_env, news_site, capsys):
    base, _, _ = news_site
    assert main(["ingest", "--feed", f"{base}/feed.xml", f"{base}/antara-karian.html"]) == 0
    out = capsys.readouterr().out
    assert "3 added" in out and "1 near-duplicate" in out
    assert main(["ingest", "--feed", f"{base}/feed.xml"]) == 0  # re-reading the feed adds nothing
    assert "0 added, 0 replaced, 2 unchanged" in capsys.readouterr().out

    assert main(["sources", "--json", "--source", "ANTARA"]) == 0
    [antara] = json.loads(capsys.readouterr().out)
    assert antara["outlet"] == "ANTARA News" and antara["date"] == "2025-05-04"
    assert main(["sources", "--json", "--since", "sejak Juni 2025"]) == 0
    assert [a["outlet"] for a in json.loads(capsys.readouterr().out)] == ["Tempo.co"]
    assert main(["sources", "--json", "--until", "2025-05-03", "--lang", "id"]) == 0
    assert [a["outlet"] for a in json.loads(capsys.readouterr().out)] == ["Kompas.com"]


def test_network_failures_and_bad_dates_are_one_line(prepared_env, news_site, capsys):
    base, _, _ = news_site
    assert main(["ingest", f"{base}/missing.html"]) == 3
    err = capsys.readouterr().err
    assert f"skipped {base}/missing.html: HTTP 404" in err and "Traceback" not in err
    assert main(["ingest", "--feed", "http://127.0.0.1:9/feed.xml"]) == 3
    assert "skipped http://127.0.0.1:9/feed.xml: feed: cannot fetch" in capsys.readouterr().err
    assert main(["sources", "--since", "kapan-kapan"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot understand the date 'kapan-kapan'" in err
    assert main(["ingest"]) == 2


def test_ask_with_filters_uses_only_matching_articles(prepared_env, news_site, monkeypatch, capsys):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.services import Services

    base, _, _ = news_site
    replies = iter([AIMessage(content="Jawaban [1].")] * 3)
    monkeypatch.setattr(Services, "llm", property(lambda self: GenericFakeChatModel(messages=replies)))
    monkeypatch.setenv("ASSISTANT_REFUSAL_CHECK", "false")
    monkeypatch.setenv("ASSISTANT_MIN_RELEVANCE", "0")
    assert main(["ingest", "--feed", f"{base}/feed.xml", f"{base}/antara-karian.html"]) == 0
    capsys.readouterr()
    question = "Berapa juta meter kubik air yang bisa ditampung Bendungan Karian?"
    assert main(["--ask", question, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    top = data["sources"][0]
    assert top["outlet"] in {"Kompas.com", "ANTARA News"} and len(top["also_reported_by"]) == 1
    assert main(["ask", question, "--source", "tempo", "--since", "2025-06-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["filter"] == "since 2025-06-01 · source tempo"
    assert data["sources"] and {s["outlet"] for s in data["sources"]} == {"Tempo.co"}
    assert main(["--ask", question]) == 0
    shown = capsys.readouterr().out
    assert "also reported by: " in shown and ("ANTARA News (2025-05-04)" in shown or "Kompas.com (2025-05-03)" in shown)
