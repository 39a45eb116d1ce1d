"""``POST /v1/ingest`` fetches from public addresses only (``service_fetch_private``): a client of the API
cannot make the service read this machine, its networks or a cloud's metadata endpoint. A real HTTP server
on 127.0.0.1 and the real facade and collection, with a stand-in embedding model (no model is loaded)."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from served import SAMPLE

from assistant.app import Assistant
from assistant.service.http import ServiceState, create_app
from assistant.settings import load_settings
from vectorstore import netguard


class FakeEmbedder:
    def embed_documents(self, texts, progress=None):
        return [[1.0, float(len(t) % 5), 0.5] for t in texts]

    def embed_query(self, text):
        return [1.0, 0.5, 0.5]


@pytest.fixture
def site():
    """A server on 127.0.0.1: ``/article`` (plain text), ``/to-metadata`` (a redirect to the cloud metadata
    endpoint); yields (base URL, requested paths)."""
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requested.append(self.path)
            if self.path == "/to-metadata":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
                return
            body = SAMPLE.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()
    server.server_close()


def _service(tmp_path, fetch_private: bool):
    settings = load_settings(data_dir=str(tmp_path / "data")).model_copy(
        update={"service_fetch_private": fetch_private, "service_ingest_roots": [tmp_path]}
    )
    assistant = Assistant(settings, reader=False, embedder=FakeEmbedder())
    return TestClient(create_app(ServiceState(assistant, tmp_path / "service.log"))), assistant


def _refused(response) -> str:
    assert response.status_code == 403, response.text
    body = response.json()
    assert set(body) == {"error", "status"} and "\n" not in body["error"]
    return body["error"]


def test_the_service_refuses_a_url_on_this_machine_before_fetching_it(tmp_path, site):
    base, requested = site
    port = base.rsplit(":", 1)[1]
    client, assistant = _service(tmp_path, fetch_private=False)
    with client:
        error = _refused(client.post("/v1/ingest", json={"paths": [f"{base}/article"]}))
        assert error == (
            "not fetched: 127.0.0.1 is not a public address (loopback); "
            "the service fetches from public addresses only (service_fetch_private)"
        )
        assert "loopback" in _refused(client.post("/v1/ingest", json={"feeds": [f"{base}/feed.xml"]}))
        for url, kind in [
            (f"http://localhost:{port}/article", "loopback"),
            (f"http://[::1]:{port}/article", "loopback"),
            (f"http://[::ffff:127.0.0.1]:{port}/article", "loopback"),
            (f"http://0.0.0.0:{port}/article", "unspecified"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://[fe80::1]/", "link-local"),
            ("https://10.1.2.3/", "private"),
            ("http://192.168.1.1/", "private"),
            ("http://[fd00::1]/", "private"),
            ("http://224.0.0.1/", "multicast"),
        ]:
            assert f"({kind})" in _refused(client.post("/v1/ingest", json={"paths": [url]})), url
        # a refused URL beside a good file: nothing of the request is ingested
        inside = tmp_path / "note.txt"
        inside.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        _refused(client.post("/v1/ingest", json={"paths": [str(inside), f"{base}/article"]}))
    assert requested == [] and assistant.count() == 0


def test_with_service_fetch_private_on_the_service_stores_it(tmp_path, site):
    base, requested = site
    client, assistant = _service(tmp_path, fetch_private=True)
    with client:
        response = client.post("/v1/ingest", json={"paths": [f"{base}/article"]})
        assert response.status_code == 200, response.text
        assert response.json()["added"] == [f"{base}/article"]
        assert [row["source"] for row in client.get("/v1/articles").json()] == [f"{base}/article"]
    assert requested == ["/article"] and assistant.count() > 0


def test_the_cli_facade_still_fetches_from_this_machine(tmp_path, site):
    base, requested = site
    _client, assistant = _service(tmp_path, fetch_private=False)  # the setting is the service's only
    report = assistant.ingest([f"{base}/article"])  # as `assistant ingest URL` calls it
    assert report.added == [f"{base}/article"] and requested == ["/article"]


def test_a_public_looking_name_that_resolves_to_a_private_address_is_refused(tmp_path, site, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "news.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    client, assistant = _service(tmp_path, fetch_private=False)
    with client:
        error = _refused(client.post("/v1/ingest", json={"paths": ["http://news.example/berita"]}))
        assert "news.example resolves to 10.0.0.7, not a public address (private)" in error
        assert "news.example" in _refused(client.post("/v1/ingest", json={"feeds": ["https://news.example/rss"]}))
    assert assistant.count() == 0


def test_a_name_that_resolves_elsewhere_when_fetched_is_refused_as_it_connects(tmp_path, monkeypatch):
    """DNS rebinding: public when the request is checked, 127.0.0.1 when the fetcher connects. The fetcher
    connects only to the address it checked itself, so it refuses instead of reaching this machine."""
    answers = iter(["93.184.215.14"])  # the first lookup only

    def resolve(host, port, *args, **kwargs):
        assert host == "news.example", host  # nothing else is looked up (no internet in the tests)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    client, assistant = _service(tmp_path, fetch_private=False)
    with client:
        response = client.post("/v1/ingest", json={"paths": ["http://news.example/berita"]})
    assert response.status_code == 200, response.text
    (skipped,) = response.json()["skipped"]
    assert skipped["path"] == "http://news.example/berita"
    assert skipped["reason"] == "refused: news.example resolves to 127.0.0.1, not a public address (loopback)"
    assert assistant.count() == 0


def test_a_redirect_to_a_private_address_is_not_followed(tmp_path, site, monkeypatch):
    base, requested = site
    real_kind = netguard.address_kind
    # 127.0.0.1 stands in for a public server here; every other address is judged as usual
    monkeypatch.setattr(netguard, "address_kind", lambda ip: None if str(ip) == "127.0.0.1" else real_kind(ip))
    client, assistant = _service(tmp_path, fetch_private=False)
    with client:
        response = client.post("/v1/ingest", json={"paths": [f"{base}/to-metadata"]})
    assert response.status_code == 200, response.text
    (skipped,) = response.json()["skipped"]
    assert skipped["reason"] == "refused: 169.254.169.254 is not a public address (link-local)"
    assert requested == ["/to-metadata"] and assistant.count() == 0
