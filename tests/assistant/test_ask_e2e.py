"""End to end with the real default models: ingest the sample article, ask, check the cited answer."""

import json

import pytest

from assistant.cli import main

QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"


@pytest.fixture
def real_env(monkeypatch, embedding_path, gguf_path):
    assert embedding_path.parent == gguf_path.parent
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(gguf_path.parent))


@pytest.mark.e2e
def test_sample_question_gets_a_cited_answer(real_env, no_network, sample_path, capsys):
    assert main(["ingest", str(sample_path)]) == 0
    capsys.readouterr()
    assert main(["--ask", QUESTION, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert no_network == [], no_network  # nothing even tried to reach another machine
    assert result["question"] == QUESTION
    assert not result["declined"]
    assert "Kim Jong Un" in result["answer"]
    assert result["citations"], result["answer"]
    numbers = {s["n"] for s in result["sources"]}
    assert set(result["citations"]) <= numbers
    cited = [s for s in result["sources"] if s["n"] in result["citations"]]
    assert any("Kim Jong Un" in s["passage"] for s in cited), result
    for s in result["sources"]:
        assert {"n", "article_id", "source", "title", "date", "passage", "start", "end", "score"} <= set(s)


@pytest.mark.e2e
def test_unrelated_question_is_declined_in_its_language(real_env, sample_path, capsys):
    assert main(["ingest", str(sample_path)]) == 0
    capsys.readouterr()
    assert main(["--ask", "Berapa harga cabai rawit di Pasar Minggu hari ini?", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["declined"], result["answer"]
    assert result["citations"] == []
    assert "Artikel" in result["answer"]
