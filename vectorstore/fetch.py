"""Fetching an article from a URL: HTTP with a deadline and a size cap, main text via trafilatura.

``fetch_timeout`` covers the whole download (redirects, headers, every byte: ``vectorstore.netlimits``),
so a server that sends a byte a second is cut off at the deadline, not at a per-read timeout.

Only used when the user gives a URL; nothing else in the assistant touches the network. The service fetches
with ``public_only`` (``vectorstore.netguard``) unless told otherwise.
"""

from __future__ import annotations

import re
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


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def url_scheme(text: str) -> str | None:
    """The scheme of ``text`` when it is written as a URL (``scheme://...``), lower-cased; else None."""
    match = _SCHEME.match(text.strip())
    return match.group(1).lower() if match else None


def is_url(text: str) -> bool:
    """Whether ``text`` is written as a URL (``scheme://...``) rather than a file path: http(s) URLs are
    fetched, others are refused with a reason (never looked up as files). Never raises, even for a
    malformed URL such as ``http://[::1``."""
    return url_scheme(text) is not None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched before any connection (scheme, host, port), or None."""
    scheme = url_scheme(url)
    if scheme not in {"http", "https"}:
        return f"unsupported URL scheme {scheme or '(none)'}:// (only http and https are fetched)"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if not parts.hostname:
        return "malformed URL (no host)"
    if port == 0:
        return "malformed URL (port 0)"
    return None


@dataclass(frozen=True)
class Fetcher:
    """HTTP GET with a deadline for the whole download (``timeout``), a size cap and redirects followed.

    ``public_only``: connect only to public internet addresses, on the first request and on every
    redirect (a URL whose host is or resolves to a loopback, private, link-local, ... address fails with
    ``FetchError("refused: ...")`` before anything is sent; ``vectorstore.netguard``). For a service that
    fetches what its clients name; a user's own command fetches from anywhere."""

    timeout: float = 20.0
    max_bytes: int = 10_000_000
    user_agent: str = "Mozilla/5.0 (compatible; article-assistant)"
    public_only: bool = False

    def get(self, url: str) -> Page:
        """Fetch ``url``; raises FetchError with a one-line reason on any failure."""
        import httpx

        from vectorstore.netguard import PrivateAddress
        from vectorstore.netlimits import BoundedTransport, ResponseTooLarge, deadline

        problem = url_problem(url)
        if problem:
            raise FetchError(problem)
        # every connection, redirects included, goes through this transport (httpx reads no proxy from the
        # environment when it is given a transport), so public_only holds for each hop
        transport = BoundedTransport(max_bytes=self.max_bytes + _CHUNK, public_only=self.public_only)
        try:
            with (
                deadline(self.timeout),
                httpx.Client(
                    timeout=self.timeout,
                    follow_redirects=True,
                    headers={"User-Agent": self.user_agent},
                    transport=transport,
                ) as client,
                client.stream("GET", url.strip()) as response,
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
        except ResponseTooLarge:
            raise FetchError(f"response larger than {self.max_bytes / 1e6:.0f} MB") from None
        except PrivateAddress as exc:
            raise FetchError(f"refused: {exc}") from None
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
