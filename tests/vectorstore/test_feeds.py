"""RSS/Atom feeds from a real HTTP server on 127.0.0.1: items, dates, full text, already-stored items."""

from datetime import UTC, datetime

from vectorstore.documents import article_id_for
from vectorstore.feeds import AlreadyStored, iter_feed, parse_feed
from vectorstore.fetch import Fetcher
from vectorstore.loaders import Skipped


def test_rss_summaries_are_fetched_in_full(news_site):
    base, _, requested = news_site
    items = list(iter_feed(f"{base}/feed.xml", Fetcher(), lambda aid: False))
    assert [a.title for a in items] == ["Presiden Resmikan Bendungan Karian di Lebak", "Banjir Rendam Jakarta Utara"]
    karian, banjir = items
    assert "314 juta meter kubik" in karian.text  # from the page, the feed has one sentence
    assert karian.date == datetime(2025, 5, 3, 1, 15, tzinfo=UTC)  # the feed's date
    assert karian.outlet == "Kompas.com" and banjir.outlet == "Tempo.co"
    assert requested == ["/feed.xml", "/kompas-karian.html", "/tempo-banjir.html"]


def test_atom_with_full_content_is_not_fetched(news_site):
    base, _, requested = news_site
    [item] = list(iter_feed(f"{base}/atom.xml", Fetcher(), lambda aid: False))
    assert item.title == "Harga Beras Naik di Pasar Induk"
    assert "Cipinang" in item.text and "<p>" not in item.text
    assert item.date == datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    assert item.outlet == "Harian Uji"
    assert requested == ["/atom.xml"]


def test_items_already_stored_are_not_fetched(news_site):
    base, _, requested = news_site
    stored = {article_id_for(f"{base}/kompas-karian.html")}
    items = list(iter_feed(f"{base}/feed.xml", Fetcher(), stored.__contains__))
    assert isinstance(items[0], AlreadyStored) and items[1].title == "Banjir Rendam Jakarta Utara"
    assert "/kompas-karian.html" not in requested


def test_broken_feed_and_missing_page_are_skipped_with_a_reason(news_site):
    base, site, _ = news_site
    [bad] = list(iter_feed(f"{base}/kompas-karian.html", Fetcher(), lambda aid: False))
    assert isinstance(bad, Skipped) and bad.reason == "feed: not an RSS/Atom feed"
    (site / "tempo-banjir.html").unlink()
    items = list(iter_feed(f"{base}/feed.xml", Fetcher(), lambda aid: False))
    assert isinstance(items[1], Skipped) and items[1].reason == "HTTP 404 File not found"
    [gone] = list(iter_feed(f"{base}/nope.xml", Fetcher(), lambda aid: False))
    assert isinstance(gone, Skipped) and "HTTP 404" in gone.reason


def test_parse_feed_without_items():
    assert parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>') == []
