"""The HTTP API's routes and errors over a stand-in facade (logic only: the real service with the real
models is tested in test_service_e2e.py)."""

import json
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import ArticleNotFound, ArticleRow
from assistant.service.http import ServiceState, create_app
from assistant.settings import load_settings
from assistant.types import Answer, Event, Source

ROW = ArticleRow("a1", "/x/korea.txt", "Korea Utara", "2025-04-29", "id", "", "", 3)


class StandIn:
    """The facade's surface with canned results; ``gate`` holds an answer until it is set."""

    def __init__(self, settings):
        self.settings = settings
        self.gate = threading.Event()
        self.gate.set()
        self.closed = threading.Event()
        self.answering = threading.Event()  # set while an answer holds the model
        self.removed: list[str] = []
        self.ingested: list[list[str]] = []

    def count(self):
        return 10

    def stream(self, question, history=None, article_filter=None):
        source = Source(1, "a1", "/x/korea.txt", "Korea Utara", None, "Kim Jong Un.", 0, 12, 0.9)
        try:
            yield Event("sources", sources=[source])
            self.answering.set()
            self.gate.wait(10)
            for word in ("Kim ", "Jong ", "Un. [1]"):
                yield Event("token", text=word)
            yield Event("done", answer=Answer(question, "Kim Jong Un. [1]", False, [1], [source], "id"))
        finally:
            self.closed.set()

    def ask(self, question, history=None, article_filter=None):
        return next(e.answer for e in self.stream(question) if e.kind == "done")

    def answer_json(self, answer, article_filter=None):
        data = answer.to_json()
        data["filter"] = None
        return data

    def search(self, query, article_filter=None, k=None):
        return [Source(1, "a1", "/x/korea.txt", "Korea Utara", None, "Kim Jong Un.", 0, 12, 0.9)]

    def articles(self, article_filter=None, order="newest"):
        return [ROW]

    def article(self, key):
        if key not in ("a1", "korea.txt"):
            raise ArticleNotFound(f"no article {key!r} in the collection")
        return ROW

    def article_text(self, article_id):
        return "Kim Jong Un."

    def remove(self, source):
        if source != "a1":
            raise ArticleNotFound(f"no article with source {source!r}")
        self.removed.append(source)
        return 3

    def ingest(self, paths, progress=None, feeds=None, public_only=False):
        from vectorstore.ingest import IngestReport

        self.ingested.append(list(paths))
        self.public_only = public_only
        return IngestReport(added=list(paths), passages=4)


@pytest.fixture
def api(tmp_path):
    settings = load_settings(data_dir=str(tmp_path / "data")).model_copy(
        update={"service_ingest_roots": [tmp_path / "allowed"], "max_request_kb": 4}
    )
    (tmp_path / "allowed").mkdir()
    facade = StandIn(settings)
    state = ServiceState(facade, tmp_path / "service.log")
    with TestClient(create_app(state)) as client:
        yield client, facade, tmp_path


def _error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "status"} and "\n" not in body["error"] and "Traceback" not in body["error"]
    return body["error"]


def test_ask_streams_ndjson_events_and_json_without_stream(api):
    client, _, tmp = api
    response = client.post("/v1/ask", json={"question": "Siapa?"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [e["kind"] for e in events] == ["sources", "token", "token", "token", "done"]
    assert events[-1]["answer"]["answer"] == "Kim Jong Un. [1]"
    plain = client.post("/v1/ask", json={"question": "Siapa?", "stream": False}).json()
    assert plain == events[-1]["answer"]
    log = (tmp / "service.log").read_text().splitlines()
    assert any("POST /v1/ask 200" in line and "token=" in line for line in log), log


def test_bad_requests_get_one_line_json_errors_and_change_nothing(api):
    client, facade, tmp = api
    garbled = client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert "not valid JSON" in _error(garbled, 422)
    assert "question" in _error(client.post("/v1/ask", json={"question": 42}), 422)
    assert "question" in _error(client.post("/v1/ask", json={}), 422)
    assert "empty" in _error(client.post("/v1/ask", json={"question": "   "}), 400)
    backwards = {"question": "q", "since": "2025-05-01", "until": "2025-01-01"}
    assert "is after" in _error(client.post("/v1/ask", json=backwards), 400)
    assert "over" in _error(client.post("/v1/ask", json={"question": "x" * 5000}), 413)
    _error(client.get("/v1/articles/nope"), 404)
    _error(client.delete("/v1/articles/nope"), 404)
    outside = tmp / "secret.txt"
    outside.write_text("geheim")
    assert "outside" in _error(client.post("/v1/ingest", json={"paths": [str(outside)]}), 403)
    climbing = str(tmp / "allowed" / ".." / "secret.txt")
    assert "outside" in _error(client.post("/v1/ingest", json={"paths": [climbing]}), 403)
    linked = tmp / "allowed" / "notes"
    linked.mkdir()
    (linked / "innocent.txt").symlink_to(outside)
    assert "links outside" in _error(client.post("/v1/ingest", json={"paths": [str(linked)]}), 403)
    _error(client.post("/v1/ingest", json={"paths": ["relative.txt"]}), 400)
    _error(client.post("/v1/ingest", json={"paths": ["file:///etc/passwd"]}), 400)
    _error(client.post("/v1/ingest", json={"paths": [], "feeds": []}), 400)
    _error(client.get("/v1/nothing-here"), 404)
    assert facade.removed == [] and facade.ingested == []


def test_articles_article_remove_ingest_and_health(api):
    client, facade, tmp = api
    assert client.get("/v1/articles", params={"lang": "id"}).json() == [ROW.to_json()]
    one = client.get("/v1/articles/korea.txt").json()
    assert one["article_id"] == "a1" and one["text"] == "Kim Jong Un."
    assert client.delete("/v1/articles/a1").json() == {"removed": "a1", "passages": 3}
    inside = tmp / "allowed" / "new.txt"
    inside.write_text("Berita.")
    assert client.post("/v1/ingest", json={"paths": [str(inside)]}).json()["added"] == [str(inside)]
    assert facade.public_only  # service_fetch_private is off by default
    health = client.get("/v1/health").json()
    assert health["status"] == "ok" and health["passages"] == 10
    assert "/v1/ask" in client.get("/openapi.json").json()["paths"]


def test_a_second_question_is_told_its_place_in_the_queue(api):
    client, facade, _ = api
    facade.gate.clear()
    first: list[str] = []
    worker = threading.Thread(target=lambda: first.append(client.post("/v1/ask", json={"question": "a"}).text))
    worker.start()
    assert facade.answering.wait(10)  # the first question holds the model
    with client.stream("POST", "/v1/ask", json={"question": "b"}) as response:
        lines = response.iter_lines()
        queued = json.loads(next(lines))
        assert queued == {"kind": "queued", "text": "1"}
        facade.gate.set()
        kinds = [json.loads(line)["kind"] for line in lines]
    worker.join()
    assert kinds[-1] == "done" and first and first[0].strip().endswith("}")


def test_a_bearer_token_is_required_when_one_is_set(tmp_path):
    settings = load_settings(data_dir=str(tmp_path))
    state = ServiceState(StandIn(settings), None, token="s3cret")
    with TestClient(create_app(state)) as client:
        _error(client.get("/v1/health"), 401)
        _error(client.get("/v1/health", headers={"Authorization": "Bearer wrong"}), 401)
        assert client.get("/v1/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_roots_default_to_the_home_folder(tmp_path):
    state = ServiceState(StandIn(load_settings(data_dir=str(tmp_path))), None)
    assert Path.home().resolve() in state.allowed_roots()
