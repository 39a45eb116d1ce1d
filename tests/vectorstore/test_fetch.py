"""Fetching article pages from a real HTTP server on 127.0.0.1."""

from datetime import UTC, datetime

import pytest

from vectorstore.fetch import Fetcher, FetchError, fetch_article, is_url


def test_article_from_url_has_text_date_outlet(news_site):
    base, _, _ = news_site
    article = fetch_article(f"{base}/kompas-karian.html", Fetcher())
    assert article.source == f"{base}/kompas-karian.html"
    assert article.title == "Presiden Resmikan Bendungan Karian di Lebak"
    assert "314 juta meter kubik" in article.text and "Beranda" not in article.text
    # the full timestamp from the meta tag, not only the day trafilatura keeps
    assert article.date.astimezone(UTC) == datetime(2025, 5, 3, 1, 15, tzinfo=UTC)
    assert article.outlet == "Kompas.com"
    # the language is detected when the article is written (not for pages a re-read skips)


def test_outlet_falls_back_to_the_host(news_site):
    base, site, _ = news_site
    body = "Gempa kecil terasa di Bandung pada Senin malam. " * 10
    (site / "plain.html").write_text(f"<html><body><article><p>{body}</p></article></body></html>")
    assert fetch_article(f"{base}/plain.html", Fetcher()).outlet == "127.0.0.1"


@pytest.mark.parametrize(
    ("path", "fetcher", "reason"),
    [
        ("/missing.html", Fetcher(), "HTTP 404"),
        ("/big", Fetcher(max_bytes=1_000_000), "larger than 1 MB"),
        ("/slow", Fetcher(timeout=0.5), "timed out after 0.5s"),
    ],
)
def test_failures_are_one_line(news_site, path, fetcher, reason):
    base, _, _ = news_site
    with pytest.raises(FetchError) as info:
        fetcher.get(base + path)
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_unreachable_host_is_a_fetch_error():
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="cannot fetch"):
        Fetcher(timeout=2).get(f"http://127.0.0.1:{port}/a.html")


def test_is_url():
    assert is_url("https://kompas.com/a") and is_url("http://x")
    assert not is_url("/tmp/a.html") and not is_url("kompas.com/a") and not is_url("C:\\a.html")
