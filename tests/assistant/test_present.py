"""Plain-text presentation shared by the front ends."""

from types import SimpleNamespace

from assistant.present import (
    ARTICLE_COLUMNS,
    also_reported_text,
    article_json,
    article_row,
    articles_title,
    duplicates_text,
    format_date,
    ingest_summary,
    plural,
    skipped_lines,
)


def test_plural():
    assert plural(1, "article") == "1 article"
    assert plural(0, "article") == "0 articles"
    assert plural(2, "story") == "2 stories"
    assert plural(1, "story") == "1 story"
    assert plural(3, "near-duplicate") == "3 near-duplicates"
    assert plural(2, "person", "people") == "2 people"


def test_format_date():
    assert format_date(None) == "" and format_date("") == ""
    assert format_date(0) == "1970-01-01"
    assert format_date("2025-05-03T10:00:00") == "2025-05-03"


def test_also_reported_text_is_safe():
    copies = [{"outlet": "Tempo", "date": "2025-05-04"}, {"title": "T\x1b[31m", "date": None}]
    assert also_reported_text(copies) == "Tempo (2025-05-04), T"


def _article(**kw):
    base = dict(article_id="a1", source="/x/a.txt", title="Judul", date=0, lang="id", outlet="Kompas",
                cluster="c", passages_found=3)
    return SimpleNamespace(**{**base, **kw})


def test_article_row_and_json():
    from assistant.app import ArticleRow

    row = article_row(ArticleRow(**article_json(_article(title="Bad\x1b]0;x\x07title"))))
    assert len(row) == len(ARTICLE_COLUMNS) and "\x1b" not in row[0]
    assert row[1:] == ("1970-01-01", "Kompas", "id", "3", "/x/a.txt")
    assert article_json(_article())["passages"] == 3 and article_json(_article())["date"] == "1970-01-01"
    assert articles_title(1, "articles") == "1 article in 'articles'"
    assert articles_title(2, "news") == "2 articles in 'news'"


def _report(passages=1, duplicates=(), skipped=()):
    return SimpleNamespace(added=[1], replaced=[], unchanged=[1, 2], skipped=list(skipped), passages=passages,
                           duplicates=list(duplicates))


def test_ingest_summary_one_function_for_both_front_ends():
    assert ingest_summary(_report()) == "1 added, 0 replaced, 2 unchanged, 0 skipped (1 passage)"
    assert ingest_summary(_report(passages=4), 2.0) == (
        "1 added, 0 replaced, 2 unchanged, 0 skipped; 4 passages embedded in 2.0s (2.0 passages/s)"
    )
    assert ingest_summary(_report(passages=0), 0.5).endswith("; 0 passages embedded in 0.5s")
    assert duplicates_text(_report()) == ""
    assert duplicates_text(_report(duplicates=[1])).startswith("1 near-duplicate of stored articles")
    skipped = [SimpleNamespace(path="/x/b.bin", reason="unsupported file type .bin")]
    assert skipped_lines(_report(skipped=skipped)) == ["skipped /x/b.bin: unsupported file type .bin"]
