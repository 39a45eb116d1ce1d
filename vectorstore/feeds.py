"""RSS and Atom feeds: each item becomes an article, fetched in full when the feed only has a summary.

Items whose link is already in the collection are not fetched again, so re-reading a feed adds only
what is new.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vectorstore.documents import Article, article_id_for, normalize_source
from vectorstore.fetch import Fetcher, FetchError, fetch_article
from vectorstore.loaders import LoadError, Skipped, clean_text, make_article

# A feed item with at least this much text carries the article itself; shorter ones are summaries.
FULL_TEXT_CHARS = 1200


@dataclass(frozen=True)
class AlreadyStored:
    """A feed item whose article is in the collection already (not fetched again)."""

    source: str


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed."""

    link: str
    title: str
    date: datetime | None
    text: str  # the item's content, or its summary, as plain text
    outlet: str


def _plain(html: str) -> str:
    import lxml.html

    if not html.strip():
        return ""
    try:
        return clean_text(lxml.html.fromstring(html).text_content())
    except (ValueError, lxml.etree.ParserError):
        return clean_text(html)


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def parse_feed(data: bytes) -> list[FeedItem]:
    """The items of an RSS/Atom document; raises LoadError when it is not a feed."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        if parsed.get("bozo"):
            raise LoadError("not an RSS/Atom feed")
        return []
    outlet = clean_text(parsed.feed.get("title", ""))
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or entry.get("id") or ""
        if not link:
            continue
        contents = [c.get("value", "") for c in entry.get("content", [])]
        text = max((_plain(c) for c in contents), key=len, default="")
        summary = _plain(entry.get("summary", ""))
        items.append(
            FeedItem(link, clean_text(entry.get("title", "")), _entry_date(entry), max(text, summary, key=len), outlet)
        )
    return items


def _item_article(item: FeedItem, fetcher: Fetcher) -> Article:
    """The item's article: its own text if complete, else the linked page (dated and titled by the feed
    when the page is not)."""
    source = normalize_source(item.link)
    if len(item.text) >= FULL_TEXT_CHARS:
        return make_article(source, item.text, item.title, item.date, outlet=item.outlet or None)
    page = fetch_article(item.link, fetcher)
    page.date = item.date or page.date
    if not page.titled and item.title:
        page.title, page.titled = item.title, True
    return page


def iter_feed(
    url: str, fetcher: Fetcher, is_stored: Callable[[str], bool]
) -> Iterator[Article | Skipped | AlreadyStored]:
    """Every item of the feed at ``url``: new articles, items already stored, and items that failed."""
    try:
        items = parse_feed(fetcher.get(url).body)
    except (FetchError, LoadError) as exc:
        yield Skipped(url, f"feed: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a parser bug is this feed's failure only
        yield Skipped(url, f"feed: {type(exc).__name__}: {exc}".splitlines()[0][:300])
        return
    for item in items:
        try:
            if is_stored(article_id_for(item.link)):
                yield AlreadyStored(normalize_source(item.link))
                continue
            yield _item_article(item, fetcher)
        except (FetchError, LoadError) as exc:
            yield Skipped(item.link, str(exc))
        except Exception as exc:  # noqa: BLE001 - one item failing unexpectedly costs only itself
            yield Skipped(item.link, f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
