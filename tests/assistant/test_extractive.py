"""LLM down, slow or failing: the passages are still shown, as a labelled, cited extractive answer."""

import json
import re
import socket
import threading

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.retrievers import BaseRetriever

from assistant.chain import Answerer
from assistant.cli import main
from assistant.extractive import best_sentences
from assistant.llm import unavailable_chat_model
from prompts import extractive_label


class FixedRetriever(BaseRetriever):
    docs: list[Document]

    def _get_relevant_documents(self, query, *, run_manager):
        return self.docs


def _doc(i, text):
    meta = {"article_id": f"a{i}", "source": f"/x/a{i}.txt", "title": f"T{i}", "start": 0, "end": len(text),
            "dense_score": 0.9, "passage_id": f"a{i}:0"}
    return Document(page_content=text, metadata=meta)


DOCS = [
    _doc(1, "Pasukan Korea Utara membantu merebut Kursk."),
    _doc(2, "Pengiriman pasukan atas perintah langsung Pemimpin Korea Utara, Kim Jong Un."),
]


class DownModel(GenericFakeChatModel):
    def _generate(self, *args, **kwargs):
        raise ConnectionError("connection refused")

    def _stream(self, *args, **kwargs):
        raise ConnectionError("connection refused")


class DiesMidAnswer(GenericFakeChatModel):
    def _stream(self, *args, **kwargs):
        yield from list(super()._stream(*args, **kwargs))[:2]
        raise TimeoutError("read timed out")


def _answerer(llm, docs=DOCS):
    return Answerer(FixedRetriever(docs=docs), llm)


def test_backend_down_gives_a_labelled_cited_extractive_answer():
    events = list(_answerer(DownModel(messages=iter([]))).stream("Siapa yang memerintahkan pengiriman pasukan?"))
    kinds = [e.kind for e in events]
    assert kinds == ["sources", "llm_error", "token", "done"]
    assert "cannot reach the LLM server" in events[1].text
    answer = events[-1].answer
    assert answer.extractive and not answer.declined
    assert answer.answer.startswith(extractive_label("id"))
    assert "Kim Jong Un. [2]" in answer.answer and 2 in answer.citations
    data = answer.to_json()
    assert data["extractive"] is True and data["sources"][1]["passage"] == DOCS[1].page_content


def test_failure_mid_stream_still_ends_with_the_extractive_answer():
    llm = DiesMidAnswer(messages=iter([AIMessage(content="Kim Jong Un memerintahkan [2].")]))
    answerer = _answerer(llm)
    answerer.max_no_probability = None
    events = list(answerer.stream("Who ordered the troops to be sent?"))
    assert events[-1].answer.extractive
    assert "did not answer in time" in events[-1].answer.llm_error
    assert events[-1].answer.answer.startswith(extractive_label("en"))


def test_a_model_that_cannot_load_still_answers_extractively():
    llm = unavailable_chat_model(RuntimeError("GGUF model not found: /nope.gguf"))
    answer = _answerer(llm).ask("Siapa yang memerintahkan pengiriman pasukan?")
    assert answer.extractive and "GGUF model not found" in answer.llm_error


def test_best_sentences_prefers_question_terms_and_keeps_passage_order():
    from assistant.chain import to_sources

    docs = [
        _doc(1, "Cuaca cerah di Jakarta hari ini. Harga beras naik sepuluh persen di pasar induk."),
        _doc(2, "Menteri menyebut harga beras akan turun bulan depan. Warga antre sejak pagi."),
    ]
    picked = best_sentences("Berapa kenaikan harga beras?", to_sources(docs), limit=2)
    assert picked == [("Harga beras naik sepuluh persen di pasar induk.", 1),
                      ("Menteri menyebut harga beras akan turun bulan depan.", 2)]


@pytest.fixture
def ingested(monkeypatch, embedding_path, sample_path, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    assert main(["ingest", str(sample_path)]) == 0
    capsys.readouterr()


@pytest.fixture
def silent_server():
    """A loopback server that accepts connections and never answers (a hung LLM server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_llm_server_timing_out_shows_the_passages(ingested, silent_server, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_REQUEST_TIMEOUT", "1")
    argv = ["--llm-backend", "openai", "--openai-base-url", silent_server, "--ask",
            "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["extractive"] and result["citations"] and result["sources"]
    body = result["answer"].split("\n", 1)[1]  # after the label
    passages = " ".join(" ".join(s["passage"].split()) for s in result["sources"])
    assert all(sentence.strip() in passages for sentence in re.split(r"\s*\[\d+\]\s*", body) if sentence.strip())
    (warning,) = [line for line in captured.err.splitlines() if "warning" in line]
    assert "did not answer in time" in warning and "Traceback" not in captured.err


@pytest.mark.e2e
def test_embedded_model_timing_out_shows_the_passages(ingested, gguf_path, monkeypatch, capsys):
    """The in-process model honours request_timeout too: prompt processing alone takes seconds here."""
    monkeypatch.setenv("ASSISTANT_REQUEST_TIMEOUT", "0.05")
    argv = ["--ask", "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["extractive"] and result["citations"] and result["sources"]
    (warning,) = [line for line in captured.err.splitlines() if "warning" in line]
    assert "did not answer in time" in warning and "Traceback" not in captured.err
