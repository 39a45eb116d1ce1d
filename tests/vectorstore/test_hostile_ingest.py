"""Issue 17, lists 1, 2, 7 and 8: every item of a hostile batch succeeds or fails on its own, with an honest
one-line reason; downloads end at their deadline and never hold the write lock.

Real files, a real Chroma collection, misbehaving servers on 127.0.0.1 (``tests/hostile_servers.py``)."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from hostile_servers import HostileServer

from vectorstore.fetch import Fetcher, FetchError, url_problem
from vectorstore.loaders import Skipped, iter_articles, parse_date
from vectorstore.quality import text_problem
from vectorstore.writelock import write_lock

BODY = "Banjir melanda kota Bandung pada Senin pagi. Ribuan rumah warga terendam air setinggi satu meter."


def test_a_byte_a_second_page_stops_at_fetch_timeout():
    with HostileServer("slow-byte", interval=0.2) as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out after 2s"):
            Fetcher(timeout=2).get(server.url + "/page")
        assert time.monotonic() - started < 3.5
        assert server.sent < 30


def test_an_endless_page_stops_at_the_size_cap():
    with HostileServer("endless-page") as server, pytest.raises(FetchError, match="larger than 1 MB"):
        Fetcher(timeout=20, max_bytes=1_000_000).get(server.url + "/page")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "malformed URL"),
        ("ftp://example.com/a.txt", "unsupported URL scheme ftp://"),
        ("http://127.0.0.1:99999/a", "Port out of range"),
        ("http:///nohost", "no host"),
    ],
)
def test_bad_urls_get_honest_reasons(url, reason):
    assert reason in (url_problem(url) or "")
    with pytest.raises(FetchError, match="URL"):
        Fetcher().get(url)


def test_a_fetch_never_holds_the_write_lock(tmp_path):
    """While one ingest downloads a page a byte at a time, another takes the write lock at once."""
    from assistant.services import Services
    from assistant.settings import load_settings

    settings = load_settings(data_dir=str(tmp_path / "data")).model_copy(update={"fetch_timeout": 3.0})
    services = Services(settings)
    with HostileServer("slow-byte", interval=0.2) as server:
        result = {}
        worker = threading.Thread(target=lambda: result.update(report=services.ingester.ingest([server.url + "/p"])))
        worker.start()
        time.sleep(1.0)
        with write_lock(settings.store_dir, timeout=0.5):  # raises if the slow fetch held the lock
            pass
        worker.join(10)
    (skipped,) = result["report"].skipped
    assert skipped.reason == "timed out after 3s"


def test_dates_that_cannot_be_read_drop_only_the_date():
    for value in (float("inf"), float("nan"), 1e300, -1e300, True, {"a": 1}, "\ud800"):
        assert parse_date(value) is None


def test_text_that_is_not_language_is_refused():
    assert "over 60 characters" in text_problem("a" * 5_000_000)
    assert text_problem("!!! ??? ... ---") == "not language: no word-like tokens"
    assert text_problem("kata " * 3000) == "not language: one word repeated"
    assert text_problem(BODY) is None
    assert text_problem("北朝鮮はロシアに部隊を派遣したことを認めた" * 50) is None
    assert text_problem(BODY * 3 + " https://example.com/" + "a" * 200) is None


def _hostile_batch(folder):
    """Files that each fail or load on their own; returns name -> expected reason (None: loads)."""
    folder.mkdir()
    expect: dict[str, str | None] = {}

    def put(name, data, reason):
        (folder / name).write_bytes(data)
        expect[name] = reason

    records = [{"title": "Surrogat", "text": BODY + " \ud800 akhir.", "url": "https://x.id/s\ud800"}]
    put("surrogate.json", json.dumps(records).encode(), None)
    put("good.txt", ("Judul Baik\n" + BODY).encode(), None)
    lines = [json.dumps({"title": f"Baris {i}", "text": f"{BODY} Nomor {i}."}) for i in range(3)]
    lines.insert(1, "{broken")
    lines.append(json.dumps({"title": "Tanggal tak terbaca", "text": BODY + " Lima.", "date": 1e400}))
    lines.append('{"title": "NaN", "text": "' + BODY + ' Enam.", "date": NaN}')
    put("lines.jsonl", "\n".join(lines).encode(), "malformed JSON on line 2")
    put("utf16.txt", ("Judul UTF-16\n" + BODY).encode("utf-16"), None)
    put("one-letter.txt", b"a" * 5_000_000, "not language")
    os.symlink("/dev/zero", folder / "zero.txt")
    expect["zero.txt"] = "not a regular file (a character device: /dev/zero)"
    return expect


def test_every_item_of_a_hostile_folder_loads_or_fails_alone(tmp_path):
    expect = _hostile_batch(tmp_path / "in")
    items = list(iter_articles([tmp_path / "in"]))
    skipped = {os.path.basename(i.path): i.reason for i in items if isinstance(i, Skipped)}
    for name, reason in expect.items():
        if reason:
            assert reason in skipped.get(name, ""), (name, skipped)
    articles = [i for i in items if not isinstance(i, Skipped)]
    titles = {a.title for a in articles}
    assert {"Surrogat", "Judul Baik", "Baris 0", "Baris 1", "Baris 2", "Judul UTF-16"} <= titles
    assert {"Tanggal tak terbaca", "NaN"} <= titles
    assert all(a.date is None for a in articles if a.title in {"Tanggal tak terbaca", "NaN"})
    (surrogate,) = [a for a in articles if a.title == "Surrogat"]
    assert "\ufffd" in surrogate.text and surrogate.article_id


def test_a_hostile_batch_stores_every_good_item(tmp_path, embedding_path, monkeypatch, capsys):
    """The whole batch through ``assistant ingest``: files, a malformed URL, ftp://, a bad port and a
    feed with a malformed URL; the good items are stored, each bad one is one line, exit 3."""
    from assistant.cli import main

    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))
    _hostile_batch(tmp_path / "in")
    code = main(
        ["ingest", str(tmp_path / "in"), "http://[::1", "ftp://example.com/a", "http://127.0.0.1:99999/x",
         "--feed", "http://[::1"]
    )
    captured = capsys.readouterr()
    assert code == 3 and "Traceback" not in captured.err
    lines = [x for x in captured.err.splitlines() if x.startswith("skipped")]
    assert any("http://[::1: malformed URL" in x for x in lines)
    assert any("ftp://example.com/a: unsupported URL scheme ftp://" in x for x in lines)
    assert any("99999" in x and "Port out of range" in x for x in lines)
    assert any("lines.jsonl: malformed JSON on line 2" in x for x in lines)
    assert "no such file" not in captured.err and "binary file" not in captured.err
    assert main(["sources", "--json"]) == 0
    titles = {a["title"] for a in json.loads(capsys.readouterr().out)}
    assert {"Surrogat", "Judul Baik", "Baris 0", "Baris 2", "Judul UTF-16", "NaN"} <= titles
