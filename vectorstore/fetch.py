"""Fetching an article from a URL: HTTP with a timeout and a size cap, main text via trafilatura.

Only used when the user gives a URL; nothing else in the assistant touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from vectorstore.documents import Article, normalize_source
from vectorstore.loaders import LoadError, article_from_html, make_article

_CHUNK = 65536


class FetchError(Exception):
    """A URL could not be fetched; the message is the one-line reason."""


@dataclass(frozen=True)
class Page:
    """A fetched response body."""

    url: str  # after redirects
    body: bytes
    content_type: str
    charset: str | None

    def text(self) -> str:
        """The body decoded with its declared charset, else UTF-8 (undecodable bytes replaced)."""
        for encoding in (self.charset, "utf-8"):
            if encoding:
                try:
                    return self.body.decode(encoding)
                except (LookupError, UnicodeDecodeError):
                    continue
        return self.body.decode("utf-8", errors="replace")


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (rather than a file path)."""
    return urlsplit(text.strip()).scheme.lower() in {"http", "https"} and "://" in text


@dataclass(frozen=True)
class Fetcher:
    """HTTP GET with a timeout, a size cap and redirects followed."""

    timeout: float = 20.0
    max_bytes: int = 10_000_000
    user_agent: str = "Mozilla/5.0 (compatible; article-assistant)"

    def get(self, url: str) -> Page:
        """Fetch ``url``; raises FetchError with a one-line reason on any failure."""
        import httpx

        if not is_url(url):
            raise FetchError(f"not an http(s) URL: {url}")
        try:
            with (
                httpx.Client(
                    timeout=self.timeout, follow_redirects=True, headers={"User-Agent": self.user_agent}
                ) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    raise FetchError(f"response too large ({declared / 1e6:.1f} MB > {self.max_bytes / 1e6:.0f} MB)")
                body = bytearray()
                for chunk in response.iter_bytes(_CHUNK):
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        raise FetchError(f"response larger than {self.max_bytes / 1e6:.0f} MB")
                header = Message()
                header["content-type"] = response.headers.get("content-type", "")
                return Page(
                    str(response.url), bytes(body), header.get_content_type(), header.get_param("charset") or None
                )
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g}s") from None
        except httpx.HTTPError as exc:
            reason = (str(exc).splitlines() or [""])[0] or type(exc).__name__
            raise FetchError(f"cannot fetch: {reason}") from None


def article_from_page(page: Page, source: str) -> Article:
    """The article in a fetched page (HTML through trafilatura; plain text as is)."""
    if page.content_type == "text/plain":
        return make_article(source, page.text(), "", None)
    if page.content_type not in {"text/html", "application/xhtml+xml", ""}:
        raise LoadError(f"not an article page ({page.content_type})")
    return article_from_html(page.text(), source, url=source)


def fetch_article(url: str, fetcher: Fetcher) -> Article:
    """Fetch and extract one article; its source is the URL as given (normalized), so asking for the same
    URL again finds the stored article even if the site redirects."""
    return article_from_page(fetcher.get(url), normalize_source(url))
