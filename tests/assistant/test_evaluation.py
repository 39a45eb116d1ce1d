"""`assistant eval`: predictions in score.py's format, resumable, on a tiny corpus with the real retriever."""

import json

from assistant.cli import main
from assistant.evaluation import done_ids, read_questions


def _write_set(tmp_path, sample_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "korea.txt").write_text(sample_path.read_text())
    (corpus / "banjir.txt").write_text("Banjir Jakarta\nBanjir melanda Jakarta Utara pada hari Minggu pagi.")
    questions = tmp_path / "questions.jsonl"
    rows = [
        {
            "id": "q1",
            "question": "Siapa yang memerintahkan pengiriman pasukan?",
            "answers": ["Kim Jong Un"],
            "answerable": True,
            "doc": "korea.txt",
        },
        {
            "id": "q2",
            "question": "Kapan banjir melanda Jakarta Utara?",
            "answers": ["Minggu"],
            "answerable": True,
            "doc": "banjir.txt",
        },
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return corpus, questions


def test_retrieval_only_eval_writes_ranked_sources_and_resumes(tmp_path, sample_path, embedding_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    corpus, questions = _write_set(tmp_path, sample_path)
    out = tmp_path / "pred.jsonl"
    args = ["eval", str(questions), "--corpus", str(corpus), "--out", str(out), "--retrieval-only"]
    assert main(args) == 0
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["id"] for p in preds] == ["q1", "q2"]
    assert preds[0]["sources"][0] == "korea.txt" and preds[1]["sources"][0] == "banjir.txt"
    assert all(isinstance(p["declined"], bool) for p in preds)
    # an interrupted run leaves a cut line; the next run answers only what is missing
    out.write_text(out.read_text().splitlines()[0] + "\n" + '{"id": "q2", "ans')
    assert done_ids(out) == {"q1"}
    assert main(args) == 0
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == ["q1", "q2"]


def test_bad_questions_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "q.jsonl"
    bad.write_text("{not json\n")
    corpus = tmp_path / "c"
    corpus.mkdir()
    assert main(["eval", str(bad), "--corpus", str(corpus)]) == 1
    assert "malformed JSON" in capsys.readouterr().err
    assert read_questions.__doc__
