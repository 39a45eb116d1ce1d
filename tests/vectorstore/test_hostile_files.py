"""Hostile input, generated here: every bad file is skipped with a one-line reason, nothing crashes,
and the loaders survive fuzzing (hypothesis)."""

import json
import os
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vectorstore.documents import Article
from vectorstore.loaders import SUPPORTED_SUFFIXES, Skipped, iter_articles

BODY = "Banjir melanda kota Bandung pada Senin pagi. Ribuan rumah warga terendam air setinggi satu meter."


def _write_hostile(folder: Path) -> dict[str, str | None]:
    """Write the hostile files; returns name -> expected part of the skip reason (None: must load)."""
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str | None] = {}

    def put(name: str, data: bytes, reason: str | None) -> None:
        (folder / name).write_bytes(data)
        expect[name] = reason

    put("binary.txt", os.urandom(2048) + b"\x00" + os.urandom(2048), "binary file")
    put("png-named.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512), "binary file")
    put("zero.txt", b"", "empty file")
    put("whitespace.md", b" \n\t\n  \r\n", "empty file")
    put("latin1.txt", "Berita café déjà vu".encode("latin-1") * 10, "not valid UTF-8")
    put("truncated-utf8.txt", "Judul\nBerita tentang 日本".encode()[:-1], "not valid UTF-8")
    put("controls.txt", ("Judul\n" + BODY + "\x1b]0;pwned\x07\x1b[2J\x07\x08\x7f\u202e").encode(), None)
    with open(folder / "huge.txt", "wb") as f:  # 100 MB, sparse: refused on its size before reading
        f.truncate(100_000_000)
    expect["huge.txt"] = "file too large"
    put("nested.html", b"<html><body>" + b"<div>" * 100_000 + BODY.encode() + b"</div>" * 100_000 + b"</body></html>",
        "")
    scripts = (
        "<html><head><title>Banjir Bandung</title><style>body{color:red} .x::before{content:'STYLE'}</style>"
        "<script>alert('SCRIPT'); document.write('SCRIPT')</script></head><body><article><h1>Banjir Bandung</h1>"
        f"<p>{BODY}</p><script>var SCRIPT = 1;</script><noscript>Aktifkan JavaScript</noscript><p>{BODY}</p>"
        "<iframe src='javascript:alert(1)'></iframe></article></body></html>"
    )
    put("scripts.html", scripts.encode(), None)
    put("nested.json", b"[" * 200_000 + b"]" * 200_000, "malformed JSON")
    put("nested-object.json", b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "malformed JSON")
    records = [{"title": f"Artikel {i}", "text": f"{BODY} Nomor {i}.", "url": f"https://x.id/{i}"} for i in range(3000)]
    put("big-list.json", json.dumps({"articles": records}).encode(), None)
    put("deep-field.json", json.dumps({"title": "x", "text": {"nested": [[[BODY]]]}}).encode(), "no text field")
    put("lines.jsonl", (json.dumps({"text": BODY}) + "\n{broken\n").encode(), "malformed JSON on line 2")
    put("bom.txt", b"\xef\xbb\xbfJudul\n" + BODY.encode(), None)
    put("utf16.txt", ("Judul\n" + BODY).encode("utf-16"), "")
    # odd names: new line, escape sequence, leading dash, spaces, right-to-left override, very long
    for name in ["new\nline.txt", "esc\x1b[31mred.txt", "-rf.txt", "  spaces  .md", "rtl\u202etxt.md",
                 "x" * 240 + ".txt", "日本語の記事.txt"]:
        put(name, ("Judul\n" + BODY).encode(), None)
    # symlink loops: a file link to itself, two links to each other, a folder linking to its parent
    os.symlink(folder / "self.txt", folder / "self.txt")
    os.symlink(folder / "pong.txt", folder / "ping.txt")
    os.symlink(folder / "ping.txt", folder / "pong.txt")
    (folder / "sub").mkdir()
    os.symlink(folder, folder / "sub" / "loop")
    expect.update({"self.txt": "link loop", "ping.txt": "link loop", "pong.txt": "link loop"})
    return expect


def test_every_hostile_file_is_loaded_or_skipped_with_a_reason(tmp_path):
    folder = tmp_path / "hostile"
    expect = _write_hostile(folder)
    started = time.perf_counter()
    items = list(iter_articles([folder, folder / "self.txt", folder / "does-not-exist.txt"]))
    assert time.perf_counter() - started < 60
    skipped = {Path(i.path).name: i.reason for i in items if isinstance(i, Skipped)}
    loaded = [i for i in items if isinstance(i, Article)]
    for name, reason in expect.items():
        if reason is None:
            assert name not in skipped, (name, skipped.get(name))
        elif reason:
            assert reason in skipped.get(name, ""), (name, skipped.get(name))
    for reason in skipped.values():
        assert reason and "\n" not in reason and len(reason) < 300
    assert "does-not-exist.txt" in skipped
    sources = {Path(a.source.split("#")[0]).name for a in loaded}
    assert {"controls.txt", "scripts.html", "bom.txt", "-rf.txt", "日本語の記事.txt"} <= sources
    assert sum(a.source.startswith("https://x.id/") for a in loaded) == 3000
    for article in loaded:
        assert article.text.strip() and "\x1b" not in article.text and "\x07" not in article.text
        assert "SCRIPT" not in article.text and "STYLE" not in article.text


def test_unreadable_file_is_skipped(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("Judul\n" + BODY)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read fail as it would for a user
        real = Path.read_bytes
        monkeypatch.setattr(Path, "read_bytes", lambda p: (_ for _ in ()).throw(PermissionError(13, "denied"))
                            if p.name == "secret.txt" else real(p))
    (item,) = list(iter_articles([path]))
    assert item == Skipped(str(path), "permission denied")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(
                         st.sampled_from(["title", "text", "url", "date", "content", "lang", "x"]), c, max_size=5),
                     max_leaves=30).map(lambda v: json.dumps(v).encode()),
        st.lists(st.sampled_from(["<div>", "</div>", "<p>", "<script>", "</script>", "<!--", "-->", "&amp;",
                                  "<html>", "<body>", "<title>", "</title>", BODY, "\x00", "<![CDATA[", "]]>"]),
                 max_size=60).map(lambda parts: "".join(parts).encode()),
    ),
    suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)),
)
def test_fuzzed_files_never_crash_the_loaders(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    for item in iter_articles([path]):
        if isinstance(item, Skipped):
            assert item.reason and "\n" not in item.reason
        else:
            assert item.text.strip() and item.text == item.text.strip()
            assert not any(ord(c) < 32 and c not in "\n\t" for c in item.text)


class FakeEmbedder:
    def embed_documents(self, texts, progress=None):
        return [[1.0, float(len(t) % 5), 0.5] for t in texts]


def test_hostile_folder_ingests_the_good_files_and_odd_names_are_stored_printable(tmp_path):
    from vectorstore.embeddings import chroma_embedding_function
    from vectorstore.ingest import Ingester
    from vectorstore.keyword import KeywordIndex
    from vectorstore.store import ChromaStore

    folder = tmp_path / "hostile"
    _write_hostile(folder)
    (folder / "big-list.json").unlink()  # keeps this test fast; the loader test covers it
    for raw in (b"\xff\xfenot-utf8-name.txt", b"tab\there.md"):
        (Path(os.fsdecode(bytes(folder)) + "/" + os.fsdecode(raw))).write_bytes(("Judul\n" + BODY).encode())
    store = ChromaStore(tmp_path / "chroma", "hostile", "m", chroma_embedding_function(FakeEmbedder, "m"))
    keyword = KeywordIndex(tmp_path / "kw")
    report = Ingester(store, keyword, FakeEmbedder, 400, 80).ingest([folder])
    sources = {a.source for a in store.articles().values()}
    assert len(report.added) == len(sources) >= 12
    assert any(s.endswith("\\xff\\xfenot-utf8-name.txt") for s in sources)
    assert any(s.endswith("new\\nline.txt") for s in sources) and any("esc\\x1b[31mred" in s for s in sources)
    assert all(s.isprintable() for s in sources) and all(s.path.isprintable() for s in report.skipped)
    again = Ingester(store, keyword, FakeEmbedder, 400, 80).ingest([folder])
    assert again.passages == 0 and len(again.unchanged) == len(sources)
