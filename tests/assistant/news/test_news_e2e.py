"""The news commands end to end on the fixture corpus (tests/fixtures/news_corpus: 43 articles, 13
stories, HTML/JSON/PDF), with real Chroma and the real e5 model; feeds from a local HTTP server."""

from __future__ import annotations

import json
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "news_corpus"
FORMS = [str(CORPUS / "html"), str(CORPUS / "json"), str(CORPUS / "pdf")]


@pytest.fixture(scope="module")
def corpus_args(tmp_path_factory, embedding_path):
    """CLI arguments of a data dir holding the whole corpus (ingested once for the module)."""
    args = ["--data-dir", str(tmp_path_factory.mktemp("news-data")), "--models-dir", str(embedding_path.parent)]
    assert main([*args, "ingest", *FORMS]) == 0
    return args


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def _gold_story(source: str, gold: dict[str, str]) -> str:
    return gold.get(source) or gold[Path(source).name]


def test_digest_groups_the_known_stories_and_cites_every_article(corpus_args, capsys):
    started = time.perf_counter()
    assert main([*corpus_args, "digest", "--json"]) == 0
    elapsed = time.perf_counter() - started
    data = _json(capsys)
    assert data["articles"] == 43
    assert data["coverage"].startswith("43 articles → ") and data["coverage"].endswith(
        "every article is cited or listed"
    )
    gold = json.loads((CORPUS / "gold.json").read_text(encoding="utf-8"))
    from assistant.news.corpus import NewsArticle
    from assistant.news.grouping import Story, pairwise_scores

    def stub(entry):
        return NewsArticle(entry["article_id"], "", "", entry["source"], None, "", "")

    stories = [
        Story(
            [stub(a) for a in s["articles"]], {a["article_id"]: [stub(c) for c in a["copies"]] for a in s["articles"]}
        )
        for s in data["stories"]
    ]
    by_id = {a["article_id"]: a["source"] for s in data["stories"] for x in s["articles"] for a in [x, *x["copies"]]}
    assert len(by_id) == 43  # every article once
    scores = pairwise_scores(stories, {aid: _gold_story(src, gold) for aid, src in by_id.items()})
    print(f"\ngrouping on the fixture: {scores}; digest of 43 articles in {elapsed:.2f}s")
    assert scores["f1"] >= 0.8 and scores["stories_exact"] >= 10
    # time order, each sentence cited, copies listed under their original
    firsts = [s["first_date"] for s in data["stories"]]
    assert firsts == sorted(firsts)
    assert all(1 <= len(s["summary"]) <= 2 for s in data["stories"])
    dam = next(s for s in data["stories"] if "Jlantah" in s["articles"][0]["title"])
    assert {c["outlet"] for a in dam["articles"] for c in a["copies"]} == {"Kompas.com"}
    measures = {(d["measure"], tuple(sorted(v["value"] for v in d["versions"]))) for d in data["disagreements"]}
    assert ("evacuees", (4200.0, 4500.0)) in measures
    assert any(m == "deaths" and {12.0, 15.0} <= set(v) for m, v in measures)
    assert any(m == "magnitude" and set(v) == {5.9, 6.1} for m, v in measures)


def test_digest_text_window_and_sizes(corpus_args, capsys):
    assert main([*corpus_args, "digest", "--since", "2025-05-13", "--until", "2025-05-14", "--source", "antara"]) == 0
    text = capsys.readouterr().out
    assert "3 articles → " in text and "every article is cited or listed" in text
    assert "Gunung Lewotobi Laki-laki di Kabupaten Flores Timur" in text and "[1]" in text
    assert main([*corpus_args, "digest", "--by", "size", "--json"]) == 0
    sizes = [s["size"] for s in _json(capsys)["stories"]]
    assert sizes == sorted(sizes, reverse=True)


def test_empty_window_is_one_line(corpus_args, capsys):
    assert main([*corpus_args, "digest", "--since", "2030-01-01"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("assistant: error: no articles in the window (since 2030-01-01)") and "\n" not in err


def test_timeline_dates_events_from_the_text_and_labels_datelines(corpus_args, capsys):
    assert main([*corpus_args, "timeline", "serangan ransomware Pusat Data Nasional", "--json"]) == 0
    data = _json(capsys)
    events = data["events"]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    admitted = next(e for e in events if "mengakui di hadapan Komisi I DPR" in e["sentence"])
    assert admitted["date"] == "2025-05-21" and admitted["date_source"] == "text"
    assert admitted["published"] == "2025-05-22" and admitted["outlet"] == "Kompas.com"
    assert any(e["date_source"] == "dateline" and e["date"] == "2025-05-20" for e in events)
    pdf = next(e for e in events if "Layanan imigrasi kembali normal" in e["sentence"])
    assert pdf["date"] == "2025-05-23" and pdf["page"] == 2
    assert main([*corpus_args, "timeline", "serangan ransomware Pusat Data Nasional"]) == 0
    text = capsys.readouterr().out
    assert "2025-05-21 " in text and "(dateline)" in text and "Kompas.com, published 2025-05-22" in text


def test_timeline_shows_outlets_that_disagree(corpus_args, capsys):
    assert main([*corpus_args, "timeline", "pengungsi erupsi Gunung Lewotobi", "--json"]) == 0
    data = _json(capsys)
    evacuees = next(d for d in data["disagreements"] if d["measure"] == "evacuees")
    assert [(v["outlet"], v["text"]) for v in evacuees["versions"]] == [
        ("ANTARA News", "4.200 pengungsi"),
        ("Tempo.co", "4.500 pengungsi"),
    ]
    assert main([*corpus_args, "timeline", "pengungsi erupsi Gunung Lewotobi"]) == 0
    assert "ANTARA News (2025-05-14): 4.200 pengungsi [" in capsys.readouterr().out


def test_pdf_passages_keep_their_page(corpus_args):
    from assistant.services import Services
    from assistant.settings import load_settings

    services = Services(load_settings(data_dir=corpus_args[1], models_dir=corpus_args[3]))
    pdf = next(a for a in services.store.articles().values() if a.source.endswith("layanan-pdn-pulih.pdf"))
    hits = services.store.article_passages(pdf.article_id)
    assert [h.metadata.get("page") for h in hits] == [1, 2]


def test_follow_shows_only_new_evidence(corpus_args, tmp_path, capsys):
    args = [*corpus_args[:1], str(tmp_path / "data"), *corpus_args[2:]]
    shutil.copytree(corpus_args[1], tmp_path / "data")
    assert main([*args, "follow", "add", "Berapa pengungsi akibat erupsi Gunung Lewotobi?"]) == 0
    assert main([*args, "follow", "list"]) == 0
    assert "[1] Berapa pengungsi" in capsys.readouterr().out
    assert main([*args, "follow", "--json"]) == 0
    first = _json(capsys)[0]["new"]
    assert first and any("4.200 pengungsi" in e["sentence"] or "4.500" in e["sentence"] for e in first)
    assert main([*args, "follow", "--json"]) == 0
    assert _json(capsys)[0]["new"] == []  # seen
    new = tmp_path / "baru.txt"
    new.write_text(
        "Pengungsi Lewotobi Mulai Pulang\n\nTempo.co - 21/05/2025, 09:00 WIB\nSebagian pengungsi erupsi Gunung "
        "Lewotobi Laki-laki mulai pulang ke desa mereka setelah radius bahaya dipersempit.",
        encoding="utf-8",
    )
    assert main([*args, "ingest", str(new)]) == 0
    capsys.readouterr()
    assert main([*args, "follow"]) == 0
    out = capsys.readouterr().out
    assert "mulai pulang ke desa" in out and "[1]" in out and "4.200" not in out
    assert main([*args, "follow", "rm", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "assistant: error: no followed question '5' (1 to 1; see: assistant follow list)"
    assert main([*args, "follow", "rm", "1"]) == 0


@pytest.fixture
def corpus_site(tmp_path):
    """The corpus served on 127.0.0.1 (``{BASE}`` in feed.xml becomes the server's URL)."""
    site = tmp_path / "site"
    shutil.copytree(CORPUS, site)

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):
            path = site / self.path.lstrip("/")
            if self.path.endswith(".xml") and path.is_file():
                body = path.read_text(encoding="utf-8").replace("{BASE}", base).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base, site
    server.shutdown()
    server.server_close()


def test_feed_subscriptions_refresh_only_new_items(corpus_site, prepared_models, capsys):
    base, site = corpus_site
    assert main(["feeds", "add", f"{base}/feed.xml"]) == 0
    assert main(["feeds", "add", f"{base}/feed.xml"]) == 0
    assert "already subscribed" in capsys.readouterr().out
    assert main(["feeds", "refresh"]) == 0
    assert "1 feed: 28 new articles, 0 replaced, 0 already stored, 0 skipped" in capsys.readouterr().out
    assert main(["feeds", "refresh"]) == 0
    assert "0 new articles, 0 replaced, 28 already stored" in capsys.readouterr().out
    assert main(["feeds", "list"]) == 0
    assert "(last refresh " in capsys.readouterr().out
    (site / "feed.xml").unlink()  # the feed disappeared
    assert main(["feeds", "refresh"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"skipped {base}/feed.xml: feed: HTTP 404")
    assert main(["feeds", "rm", "1"]) == 0
    assert main(["feeds", "refresh"]) == 2
    assert main(["feeds", "rm", "https://example.org/none.xml"]) == 2


@pytest.fixture
def prepared_models(monkeypatch, embedding_path):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(embedding_path.parent))


def test_pdf_without_text_is_one_line_and_exit_3(prepared_models, tmp_path, capsys):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 80, 80, style="F")
    pdf.output(str(tmp_path / "scan.pdf"))
    assert main(["ingest", str(tmp_path / "scan.pdf")]) == 3
    err = capsys.readouterr().err.strip()
    assert err == f"skipped {tmp_path / 'scan.pdf'}: no text in the PDF (1 pages; scanned images need OCR first)"


def test_watch_applies_new_changed_and_deleted_files(tmp_path, embedder):
    from assistant.news.watch import watch_folder
    from vectorstore.duplicates import DuplicateIndex
    from vectorstore.embeddings import chroma_embedding_function
    from vectorstore.ingest import Ingester
    from vectorstore.keyword import KeywordIndex
    from vectorstore.store import ChromaStore

    model = "intfloat/multilingual-e5-small"
    store = ChromaStore(tmp_path / "chroma", "news", model, chroma_embedding_function(lambda: embedder, model))
    ingester = Ingester(
        store,
        KeywordIndex(tmp_path / "kw"),
        lambda: embedder,
        400,
        80,
        duplicates=DuplicateIndex(tmp_path / "kw"),
        lock_dir=tmp_path,
    )
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.txt").write_text("Berita A\n\nHarga beras medium naik di pasar induk.", encoding="utf-8")
    (folder / "gone.txt").write_text("Berita lama\n\nIni akan dihapus saat tidak diawasi.", encoding="utf-8")
    ingester.ingest([folder])
    (folder / "gone.txt").unlink()  # deleted while nobody watched
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=watch_folder,
        args=(ingester, folder, lambda line, c: lines.append(line), stop),
        kwargs={"debounce_ms": 100},
    )
    thread.start()

    def wait_for(predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.2)
        return False

    try:
        assert wait_for(lambda: any(x.startswith("removed") for x in lines))
        titles = lambda: sorted(a.title for a in store.articles().values())  # noqa: E731
        assert titles() == ["Berita A"]
        time.sleep(0.5)
        (folder / "b.html").write_text(
            "<html><body><article><h1>Berita B</h1><p>Gunung Lewotobi erupsi lagi "
            "pada Selasa dini hari dengan kolom abu setinggi 8.000 meter.</p></article>"
            "</body></html>",
            encoding="utf-8",
        )
        assert wait_for(lambda: titles() == ["Berita A", "Berita B"])
        (folder / "a.txt").write_text("Berita A diperbarui\n\nHarga beras medium turun lagi.", encoding="utf-8")
        assert wait_for(lambda: titles() == ["Berita A diperbarui", "Berita B"])
        (folder / "b.html").unlink()
        assert wait_for(lambda: titles() == ["Berita A diperbarui"])
    finally:
        stop.set()
        thread.join(timeout=10)
    assert any(x.startswith("replaced") for x in lines) and any(x.startswith("added") for x in lines)


@pytest.mark.e2e
def test_an_answer_about_the_latest_toll_shows_the_outlets_versions_and_its_date(corpus_args, gguf_path, capsys):
    assert gguf_path.parent == Path(corpus_args[3])
    question = "Berapa korban tewas terbaru banjir bandang Sukabumi?"
    assert main([*corpus_args, "--ask", question, "--json"]) == 0
    data = _json(capsys)
    assert not data["declined"], data["answer"]
    dated = [s["date"] for s in data["sources"] if s["date"]]
    assert dated == sorted(dated, reverse=True)  # a question about the latest state reads the newest first
    assert data["as_of"].startswith("Per 2025-05-")
    assert "hari" in data["as_of"]  # the reports are old by now, and the note says so
    deaths = [d for d in data["disagreements"] if d["measure"] == "deaths"]
    assert deaths, data
    assert len({v["value"] for v in deaths[0]["versions"]}) >= 2
    assert all(v["citation"] in {s["n"] for s in data["sources"]} for v in deaths[0]["versions"])


@pytest.mark.e2e
def test_a_written_digest_cites_each_storys_own_reports(corpus_args, gguf_path, capsys):
    """``digest --written`` with the real LLM on a small window: every story has one or two sentences,
    each citing a report of that story; written ones passed every check; the coverage line is intact."""
    assert gguf_path.parent == Path(corpus_args[3])
    window = ["--since", "2025-05-13", "--until", "2025-05-14"]
    assert main([*corpus_args, "digest", *window, "--written", "--json"]) == 0
    data = _json(capsys)
    assert data["sentences"] == "llm" and data["warning"] is None, data["warning"]
    assert data["coverage"].endswith("every article is cited or listed") and " → " in data["coverage"]
    for story in data["stories"]:
        numbers = {a["n"] for a in story["articles"]}
        assert 1 <= len(story["summary"]) <= 2, story
        for sentence in story["summary"]:
            assert sentence["sentence"].strip() and sentence["citation"] in numbers, story
            assert set(sentence.get("citations", [sentence["citation"]])) <= numbers, story
        assert "checks" in story  # the LLM was asked for every story
        if story["written"]:
            assert all(c["ok"] for c in story["checks"]), story["checks"]
        else:
            assert any(not c["ok"] for c in story["checks"]), story["checks"]
    print(f"\n{data['written']}; timings {data['timings']}")
    for story in data["stories"]:
        print(("written  " if story["written"] else "fallback ") + " ".join(s["sentence"] for s in story["summary"]))
    assert main([*corpus_args, "digest", *window, "--written"]) == 0
    text = capsys.readouterr().out
    assert data["coverage"] in text and data["written"] in text
