"""Shared fixtures. Tests never touch the user's data directory: ASSISTANT_* paths point at temp dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "articles" / "korea-utara-akui-kirim-pasukan-ke-rusia.txt"


# The tiers: a test using a model fixture (even through another fixture) is ``integration`` (e5 and
# Chroma) or ``e2e`` (the GGUF LLM); every other test is ``unit``. A test may also be marked by hand.
_E2E_FIXTURES = {"gguf_path"}
_INTEGRATION_FIXTURES = {"embedding_path", "embedder", "models_dir", "onnx_embedding_path", "onnx_embedder"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("e2e") or used & _E2E_FIXTURES:
            tier = "e2e"
        elif item.get_closest_marker("integration") or used & _INTEGRATION_FIXTURES:
            tier = "integration"
        else:
            tier = "unit"
        if not item.get_closest_marker(tier):
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own data dir and config dir, never the user's."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(home / "assistant-data"))
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") and key not in {"ASSISTANT_DATA_DIR", "ASSISTANT_DEBUG"}:
            monkeypatch.delenv(key)
    # one-off questions answer in-process unless a test starts a service itself: an auto-started
    # service per temp data dir would keep its models loaded after the test
    monkeypatch.setenv("ASSISTANT_SERVICE", "off")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture
def sample_article():
    from vectorstore.loaders import load_file

    return load_file(SAMPLE)[0]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """Models prepared once per test session, in a temp dir (the real offline provisioning path)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedding_path(models_dir) -> Path:
    from assistant.models.embedding import build_e5, e5_is_ready, prepared_e5_path

    if not e5_is_ready(models_dir):
        build_e5(models_dir)
    return prepared_e5_path(models_dir)


@pytest.fixture(scope="session")
def embedder(embedding_path):
    from vectorstore.embeddings import PassageEmbedder

    return PassageEmbedder(embedding_path, "intfloat/multilingual-e5-small")


@pytest.fixture(scope="session")
def onnx_embedding_path(models_dir, embedding_path) -> Path:
    from assistant.models.embedding import resolve_onnx_embedding

    return resolve_onnx_embedding("intfloat/multilingual-e5-small", None, models_dir)


@pytest.fixture(scope="session")
def onnx_embedder(onnx_embedding_path):
    from vectorstore.onnx_embeddings import OnnxEmbedder

    return OnnxEmbedder(onnx_embedding_path, "intfloat/multilingual-e5-small")


@pytest.fixture(scope="session")
def gguf_path(models_dir) -> Path:
    from assistant.models.catalog import GGUF_MODELS
    from assistant.models.gguf import prepare_gguf

    return prepare_gguf(GGUF_MODELS["qwen2.5-coder-1.5b-instruct"], models_dir)


@pytest.fixture
def no_network(monkeypatch):
    """Refuse (and record) every connection or name lookup that is not for this machine: the default
    path must need none. Yields the list of attempts, so a test can also catch attempts whose error
    was swallowed (telemetry threads do that)."""
    import ipaddress
    import socket

    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def is_local(host) -> bool:
        if host in (None, "", "localhost") or str(host).endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def check(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_local(host):
            attempts.append(f"connect {host}")
            raise ConnectionRefusedError(f"test blocks network access to {host}")

    def guarded(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def guarded_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    def lookup(host, *args, **kwargs):
        if not is_local(host):
            attempts.append(f"lookup {host}")
            raise socket.gaierror(f"test blocks name lookups ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return attempts


NEWS_FIXTURES = ROOT / "tests" / "fixtures" / "news"


@pytest.fixture
def news_site(tmp_path):
    """A real HTTP server on 127.0.0.1 serving a copy of tests/fixtures/news (``{BASE}`` in feeds becomes
    its URL), plus ``/big`` (over any size cap), ``/slow`` (answers after 2 s) and 404 for the rest.
    Yields ``(base_url, site_dir, requested_paths)``; files in ``site_dir`` may be changed by the test."""
    import shutil
    import threading
    import time
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    site = tmp_path / "site"
    shutil.copytree(NEWS_FIXTURES, site)
    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):  # keep the test output clean
            pass

        def do_GET(self):
            requested.append(self.path)
            if self.path == "/big":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<p>" + b"x" * 3_000_000 + b"</p>")
                return
            if self.path == "/slow":
                time.sleep(2)
            if self.path.endswith(".xml") and (site / self.path.lstrip("/")).is_file():
                body = (site / self.path.lstrip("/")).read_text(encoding="utf-8").replace("{BASE}", base).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # clients hang up on /big and /slow on purpose
            pass

    server = Server(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, site, requested
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def free_port():
    """A function returning a TCP port nobody listens on (127.0.0.1)."""
    return _free_port


@pytest.fixture(scope="session")
def crash_trials():
    """``benchmarks/crash_trials.py`` as a module (its SIGKILL trial runner)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("crash_trials", ROOT / "benchmarks" / "crash_trials.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_trials"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module
