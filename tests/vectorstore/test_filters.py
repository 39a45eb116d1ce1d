"""Filters: dates and phrases in Indonesian and English, where clauses, and their evaluation."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from vectorstore.filters import ArticleFilter, FilterError, build_filter, matches, parse_when, to_where

NOW = datetime(2025, 6, 18, 15, 30)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-01", datetime(2025, 4, 1)),
        ("1 Mei 2025", datetime(2025, 5, 1)),
        ("sejak Januari 2025", datetime(2025, 1, 1)),
        ("since April 2025", datetime(2025, 4, 1)),
        ("03/05/2025", datetime(2025, 5, 3)),  # day first, as written in Indonesia
        ("minggu lalu", datetime(2025, 6, 11)),
        ("pekan lalu", datetime(2025, 6, 11)),
        ("last week", datetime(2025, 6, 11)),
        ("3 hari lalu", datetime(2025, 6, 15)),
        ("kemarin", datetime(2025, 6, 17)),
        ("yesterday", datetime(2025, 6, 17)),
    ],
)
def test_dates_and_phrases(text, expected):
    assert parse_when(text, now=NOW) == expected.replace(tzinfo=UTC)


def test_until_covers_the_whole_day():
    assert parse_when("2025-04-30", end_of_day=True) == datetime(2025, 4, 30, 23, 59, 59, tzinfo=UTC)


def test_unreadable_date_is_one_clear_error():
    with pytest.raises(FilterError, match="cannot understand the date 'kapan-kapan'"):
        build_filter(since="kapan-kapan")
    with pytest.raises(FilterError, match="is after"):
        build_filter(since="2025-05-01", until="2025-04-01")


@dataclass
class Stored:
    article_id: str
    outlet: str
    source: str


ARTICLES = [
    Stored("k", "Kompas.com", "https://nasional.kompas.com/read/1"),
    Stored("a", "ANTARA News", "https://www.antaranews.com/berita/2"),
    Stored("f", "", "/home/u/berita/kompas-lokal.txt"),
]


def test_where_clause_and_its_evaluation():
    f = build_filter(since="2025-05-01", until="2025-05-31", source="KOMPAS", lang="id")
    where = to_where(f, ARTICLES)
    assert where == {
        "$and": [
            {"date": {"$gte": int(datetime(2025, 5, 1, tzinfo=UTC).timestamp())}},
            {"date": {"$lte": int(datetime(2025, 5, 31, 23, 59, 59, tzinfo=UTC).timestamp())}},
            {"lang": "id"},
            {"article_id": {"$in": ["f", "k"]}},  # outlet or source path, any case
        ]
    }
    may = int(datetime(2025, 5, 3, tzinfo=UTC).timestamp())
    assert matches({"article_id": "k", "lang": "id", "date": may}, where)
    assert not matches({"article_id": "a", "lang": "id", "date": may}, where)
    assert not matches({"article_id": "k", "lang": "id"}, where)  # undated articles fall outside a date range
    assert not matches({"article_id": "k", "lang": "en", "date": may}, where)
    assert to_where(ArticleFilter()) is None and matches({}, None)


def test_unknown_source_matches_nothing():
    where = to_where(build_filter(source="tempo"), ARTICLES)
    assert not any(matches({"article_id": a.article_id}, where) for a in ARTICLES)


def test_describe_and_clear():
    f = ArticleFilter().with_value("since", "2025-04-01").with_value("source", "Kompas")
    assert f.describe() == "since 2025-04-01 · source kompas"
    assert not f.with_value("since", None).with_value("source", "").active
