"""Feed subscriptions, kept in the data directory (``feeds.json``): ``feeds refresh`` reads them all and
the ingest adds only items not stored yet (so it suits cron)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vectorstore.documents import normalize_source
from vectorstore.fetch import url_scheme


class SubscriptionError(ValueError):
    """A bad feed URL or an unknown subscription; the message is one line."""


class Subscriptions:
    """The subscribed feeds of one data directory."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> list[dict[str, Any]]:
        """Every subscription (``url``, ``added``, ``last_refresh``, ``last_result``)."""
        if not self.path.is_file():
            return []
        try:
            return list(json.loads(self.path.read_text(encoding="utf-8")).get("feeds", []))
        except (OSError, ValueError) as exc:
            raise SubscriptionError(f"cannot read the feed list in {self.path}: {exc}") from None

    def save(self, feeds: list[dict[str, Any]]) -> None:
        """Write the list atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".feeds-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"feeds": feeds}, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def add(self, url: str) -> bool:
        """Subscribe to ``url``; False when it was subscribed already."""
        if url_scheme(url) not in ("http", "https"):
            raise SubscriptionError(f"not an http(s) URL: {url!r}")
        url = normalize_source(url)
        feeds = self.load()
        if any(f["url"] == url for f in feeds):
            return False
        feeds.append({"url": url, "added": _now(), "last_refresh": None, "last_result": None})
        self.save(feeds)
        return True

    def remove(self, which: str) -> str:
        """Unsubscribe by URL or by number (as listed); returns the URL."""
        feeds = self.load()
        index = next((i for i, f in enumerate(feeds) if f["url"] == normalize_source(which)), None)
        if index is None and which.isdigit() and 1 <= int(which) <= len(feeds):
            index = int(which) - 1
        if index is None:
            raise SubscriptionError(f"not subscribed: {which!r} (see: assistant feeds list)")
        gone = feeds.pop(index)
        self.save(feeds)
        return str(gone["url"])

    def record(self, results: dict[str, str]) -> None:
        """Note each refreshed feed's outcome (``url -> "3 new"`` or the error)."""
        feeds = self.load()
        for f in feeds:
            if f["url"] in results:
                f["last_refresh"], f["last_result"] = _now(), results[f["url"]]
        self.save(feeds)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
