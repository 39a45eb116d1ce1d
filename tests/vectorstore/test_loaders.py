import json
from datetime import datetime

import pytest

from vectorstore.documents import article_id_for, normalize_source
from vectorstore.loaders import LoadError, Skipped, clean_text, iter_articles, load_file, parse_date


def test_sample_article_title_date_language(sample_article):
    assert sample_article.title.startswith("Akhirnya, Korea Utara Akui")
    assert sample_article.date == datetime(2025, 4, 29, 10, 21)
    assert sample_article.lang == "id"
    assert sample_article.text.startswith("Pada 27 April 2025")
    assert "Tanggal:" not in sample_article.text


def test_markdown_front_matter(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Judul\ndate: 2024-01-02\n---\n# Heading\n\nIsi berita di sini. Kalimat kedua.")
    art = load_file(path)[0]
    assert art.title == "Judul"
    assert art.date.date().isoformat() == "2024-01-02"


def test_html_main_text_and_metadata(tmp_path):
    body = "<p>" + "Presiden meresmikan jembatan baru di Surabaya pada hari Senin. " * 8 + "</p>"
    html = (
        "<html><head><title>Jembatan Baru</title><meta property='article:published_time' content='2025-03-01'>"
        "<script>alert('x')</script><style>p{}</style></head><body><nav>Menu</nav><article>"
        f"<h1>Jembatan Baru</h1>{body}</article></body></html>"
    )
    path = tmp_path / "a.html"
    path.write_text(html)
    art = load_file(path)[0]
    assert "jembatan baru di Surabaya" in art.text
    assert "alert" not in art.text
    assert art.title == "Jembatan Baru"


def test_json_and_jsonl(tmp_path):
    records = [
        {
            "title": "Satu",
            "text": "Berita pertama tentang banjir.",
            "url": "https://Example.com/a/",
            "date": "2025-01-05",
        },
        {"title": "Dua", "content": "Berita kedua tentang gempa.", "published": "2025-02-01T10:00:00Z"},
    ]
    (tmp_path / "a.json").write_text(json.dumps({"articles": records}))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    arts = load_file(tmp_path / "a.json")
    assert [a.title for a in arts] == ["Satu", "Dua"]
    assert arts[0].source == "https://example.com/a"
    assert arts[1].date.year == 2025
    assert len(load_file(tmp_path / "b.jsonl")) == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("bin.txt", b"\x00\x01\x02binary", "binary file"),
        ("bad.txt", b"caf\xe9 latin-1", "not valid UTF-8"),
        ("bad.json", b"{not json", "malformed JSON"),
        ("list.json", b"[1, 2]", "not an object"),
        ("notext.json", b'{"title": "x"}', "no text field"),
        ("spaces.md", b"   \n\n  ", "empty file"),
    ],
)
def test_bad_files_have_one_line_reasons(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason) as info:
        load_file(path)
    assert "\n" not in str(info.value)


def test_too_large_file(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("kata " * 1000)
    with pytest.raises(LoadError, match="too large"):
        load_file(path, max_bytes=100)


def test_folder_walk_reports_missing_and_bad_but_loads_the_rest(tmp_path, sample_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.txt").write_text("Judul\nIsi berita yang cukup panjang di sini.")
    (tmp_path / "sub" / "bad.txt").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "ignored.epub").write_bytes(b"PK")  # not a supported type: not even listed
    items = list(iter_articles([tmp_path, tmp_path / "missing.txt", sample_path]))
    skipped = [i for i in items if isinstance(i, Skipped)]
    loaded = [i for i in items if not isinstance(i, Skipped)]
    assert {s.reason for s in skipped} == {"binary file", "no such file or directory"}
    assert len(loaded) == 2


def test_ids_and_hashes(sample_article):
    assert normalize_source("HTTPS://Kompas.com/berita/1/#top") == "https://kompas.com/berita/1"
    assert article_id_for("https://kompas.com/berita/1") == article_id_for("HTTPS://KOMPAS.COM/berita/1/")
    before = sample_article.content_hash
    sample_article.text += " Tambahan."
    assert sample_article.content_hash != before


def test_clean_text_strips_escapes_and_controls():
    assert clean_text("a\x1b[31mred\x1b[0m\x07b\r\nc") == "aredb\nc"


def test_parse_dates():
    assert parse_date("29 Apr 2025 10:21 wib").hour == 10
    assert parse_date("2025-04-29").year == 2025
    assert parse_date("") is None


def test_a_registered_loader_handles_its_suffix(tmp_path):
    from vectorstore import loaders

    path = tmp_path / "note.rst"
    path.write_text("Judul catatan\n\nIsi catatan tentang banjir di kota.\n")
    with pytest.raises(loaders.LoadError, match=r"unsupported file type \.rst"):
        loaders.load_file(path)
    loaders.register_loader([".rst"], loaders.text_loader(lambda p, raw: [loaders.load_text(p, raw)]))
    try:
        assert ".rst" in loaders.SUPPORTED_SUFFIXES
        (article,) = loaders.load_file(path, detect=False)
        assert article.title == "Judul catatan"
        assert path in list(loaders.iter_files([tmp_path]))
    finally:
        del loaders._LOADERS[".rst"]
        loaders.SUPPORTED_SUFFIXES.discard(".rst")
