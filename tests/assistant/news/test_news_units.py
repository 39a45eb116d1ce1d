"""The news features' deterministic parts without models: figures, stated dates, disagreements,
grouping, digest coverage, subscriptions and followed questions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from assistant.news.corpus import NewsArticle, NewsPassage
from assistant.news.digest import build_digest, lead_sentence
from assistant.news.disagreements import find_disagreements
from assistant.news.event_dates import stated_dates
from assistant.news.figures import find_figures, parse_number
from assistant.news.follow import FollowError, FollowList
from assistant.news.grouping import group_stories, pairwise_scores
from assistant.news.subscriptions import SubscriptionError, Subscriptions


def article(aid, text, outlet="Kompas.com", day=6, lang="id", vector=(1.0, 0.0, 0.0), cluster=None, title=""):
    vec = np.asarray(vector, dtype=np.float32)
    vec = vec / np.linalg.norm(vec)
    when = datetime(2025, 5, 1, 9, 0, tzinfo=UTC) + timedelta(days=day - 1) if day else None
    return NewsArticle(
        aid,
        title or f"Judul {aid}",
        outlet,
        f"https://x/{aid}",
        when,
        lang,
        cluster or aid,
        [NewsPassage(f"{aid}:0", text, 0, len(text), None, vec)],
        vec,
        text,
    )


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("4.200", "id", 4200),
        ("6,1", "id", 6.1),
        ("4,200", "en", 4200),
        ("5.9", "en", 5.9),
        ("1.495", "id", 1495),
        ("5,50", "id", 5.5),
        ("10.1", "en", 10.1),
    ],
)
def test_numbers_are_read_in_the_article_language(text, lang, value):
    assert parse_number(text, lang) == pytest.approx(value)


def test_figures_name_what_they_count():
    figures = find_figures(
        "BPBD mencatat 12 tewas dan delapan orang masih hilang. Pada 5 Mei 2025 pukul 10.00 "
        "hujan turun; tarif Rp3.000 naik 25 persen.",
        "id",
    )
    assert [(f.measure, f.value, f.written) for f in figures] == [
        ("deaths", 12, "12 tewas"),
        ("missing", 8, "delapan orang masih hilang"),
    ]
    en = find_figures("A flash flood killed at least 12 people; a magnitude 5.9 quake.", "en")
    assert [(f.measure, f.value) for f in en] == [("deaths", 12), ("magnitude", 5.9)]
    aftershock = find_figures("Gempa susulan terbesar bermagnitudo 4,2.", "id")
    assert [f.measure for f in aftershock] == ["magnitude (aftershock)"]


def test_stated_dates_take_the_article_year():
    published = date(2025, 4, 29)
    assert stated_dates("Pada 27 April 2025, Korea Utara mengakui.", published) == [date(2025, 4, 27)]
    assert stated_dates("On May 26, 2025, the ministry said so.", published) == [date(2025, 5, 26)]
    assert stated_dates("Rapat pada 20-21 Mei memutuskan.", published) == [date(2025, 5, 21)]
    assert stated_dates("Senin (28/4/2025) malam.", published) == [date(2025, 4, 28)]
    assert stated_dates("Kuota berlaku mulai Juli 2025 dan 12 tewas.", published) == []


def test_disagreement_side_by_side_and_updates_alone_are_not_one():
    kompas = article("k", "BPBD mencatat 12 tewas akibat banjir.", "Kompas.com", 6)
    tempo = article("t", "Korban bertambah menjadi 15 tewas.", "Tempo.co", 6)
    antara = article("a", "Korban meninggal banjir menjadi 17 orang.", "ANTARA News", 9)
    found = find_disagreements([(kompas, 1), (tempo, 2), (antara, 3)])
    assert [d.line() for d in found] == [
        "deaths: Kompas.com (2025-05-06): 12 tewas [1] · Tempo.co (2025-05-06): 15 tewas [2] · "
        "ANTARA News (2025-05-09): meninggal banjir menjadi 17 [3]"
    ]
    assert found[0].to_json()["versions"][1] == {
        "value": 15.0,
        "text": "15 tewas",
        "outlet": "Tempo.co",
        "date": "2025-05-06",
        "citation": 2,
    }
    assert find_disagreements([(kompas, 1), (antara, 3)]) == []  # three days apart: an update
    same = article("s", "BPBD mencatat 12 tewas.", "Jakarta Globe", 6)
    assert find_disagreements([(kompas, 1), (same, 2)]) == []


def test_grouping_uses_similarity_dates_and_copies():
    a1 = article("a1", "x", day=5, vector=(1, 0.1, 0))
    a2 = article("a2", "x", day=6, vector=(1, 0.12, 0.02))
    copy = article("a3", "x", day=6, vector=(1, 0.1, 0), cluster="a1")
    far = article("a4", "x", day=70, vector=(1, 0.11, 0))  # same subject, two months later
    other = article("b1", "x", day=6, vector=(0, 1, 0))
    undated = article("u1", "x", day=None, vector=(1, 0.1, 0))
    stories = group_stories([a1, a2, copy, far, other, undated])
    ids = [[a.article_id for a in s.articles] for s in stories]
    assert ids == [["a1", "a2"], ["b1"], ["a4"], ["u1"]]
    assert [c.article_id for c in stories[0].copies["a1"]] == ["a3"]
    gold = {"a1": "s", "a2": "s", "a3": "s", "a4": "s", "b1": "o", "u1": "u"}
    scores = pairwise_scores(stories, gold)
    assert scores["precision"] == 1.0 and scores["recall"] == 0.5 and scores["stories_exact"] == 2


def test_digest_cites_or_lists_every_article():
    texts = [
        "Banjir bandang menerjang tiga kecamatan di Sukabumi pada Senin malam.",
        "Tim SAR menemukan dua jenazah lagi di hilir sungai sehingga korban bertambah.",
    ]
    a1 = article("a1", "Judul a1\nKompas.com - 06/05/2025, 09:15 WIB\n" + texts[0], day=6, title="Judul a1")
    a2 = article("a2", texts[1], "ANTARA News", day=9, vector=(1, 0.05, 0))
    copy = article("a3", texts[1], "Jakarta Globe", day=9, vector=(1, 0.05, 0), cluster="a2")
    other = article("b1", "Timnas Indonesia menang dua gol atas Vietnam di Jakarta.", day=15, vector=(0, 1, 0))
    digest = build_digest([a1, a2, copy, other])
    assert digest.coverage_line == "4 articles → 2 stories; every article is cited or listed"
    first = digest.stories[0]
    assert first.sentences == [(texts[0], 1, None), (texts[1], 2, None)]
    assert lead_sentence(a1) == (texts[0], a1.text.index(texts[0]))
    assert [s.story.first.article_id for s in build_digest([a1, a2, copy, other], by_size=True).stories] == ["a1", "b1"]


def test_subscriptions(tmp_path):
    subs = Subscriptions(tmp_path / "feeds.json")
    assert subs.add("https://www.antaranews.com/rss/terkini.xml/") is True
    assert subs.add("https://www.antaranews.com/rss/terkini.xml") is False
    assert [f["url"] for f in subs.load()] == ["https://www.antaranews.com/rss/terkini.xml"]
    with pytest.raises(SubscriptionError, match="not an http"):
        subs.add("ftp://example")
    with pytest.raises(SubscriptionError, match="not subscribed"):
        subs.remove("7")
    assert subs.remove("1") == "https://www.antaranews.com/rss/terkini.xml"
    assert subs.load() == []


def test_follow_list(tmp_path):
    follows = FollowList(tmp_path / "follow.json")
    assert follows.add("Berapa korban banjir Sukabumi?") == 1
    with pytest.raises(FollowError, match="already followed"):
        follows.add("berapa korban banjir  sukabumi?")
    with pytest.raises(FollowError, match=r"no followed question '3' \(1 to 1"):
        follows.remove("3")
    assert follows.remove("1") == "Berapa korban banjir Sukabumi?"
    with pytest.raises(FollowError, match="none are followed"):
        follows.remove("1")


def test_sort_is_deterministic_for_same_time():
    a = article("a", "x", day=6)
    b = article("b", "x", day=6)
    b.date = a.date + timedelta(0)
    assert [s.first.article_id for s in group_stories([b, a], similarity=0.999)] in (["a"], ["b"])


def test_answer_sources_show_the_pdf_page(capsys):
    from assistant.chain import Source
    from assistant.commands import print_sources
    from assistant.news.pages import add_pages, source_pages

    sources = [
        Source(
            1,
            "a",
            "/x/layanan.pdf",
            "Layanan pulih",
            "2025-05-28",
            "Layanan imigrasi normal.",
            0,
            20,
            0.88,
            passage_id="a:v:1",
            outlet="ANTARA News",
        ),
        Source(2, "b", "https://x/b", "Lain", "2025-05-27", "Teks lain.", 0, 10, 0.8, passage_id="b:v:0"),
    ]

    class Store:
        def get_passages(self, ids):
            from vectorstore.store import Hit

            return [Hit("a:v:1", "", {"page": 2}, 0.0), Hit("b:v:0", "", {}, 0.0)]

    pages = source_pages(Store(), sources)
    assert pages == {1: 2}
    print_sources(sources, [1], pages)
    out = capsys.readouterr().out
    assert "(2025-05-28 · ANTARA News · /x/layanan.pdf · p. 2 · score 0.88)" in out
    assert "p. " not in out.split("[2]")[1]
    data = add_pages({"sources": [{"n": 1}, {"n": 2}]}, pages)
    assert [s["page"] for s in data["sources"]] == [2, None]


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    from assistant.cli import main

    assert main(["ingest", "--watch", str(tmp_path / "missing")]) == 2
    assert main(["feeds", "add", "not-a-url"]) == 2
    assert main(["feeds", "add"]) == 2
    assert main(["follow", "rm", "1"]) == 2
    assert main(["follow"]) == 2
    assert main(["follow", "add", "  "]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        f"assistant: error: not a folder: {tmp_path / 'missing'}",
        "assistant: error: not an http(s) URL: 'not-a-url'",
        "assistant: error: feeds add needs a feed URL",
        "assistant: error: no followed question '1' (none are followed; see: assistant follow list)",
        'assistant: error: no followed questions; add one with: assistant follow add "QUESTION"',
        "assistant: error: the question is empty",
    ]
