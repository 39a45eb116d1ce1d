"""The two records that flow through ingestion: an article and its passages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from vectorstore.versions import version_tag


@dataclass
class Article:
    """One cleaned article; passages carry offsets into ``text``."""

    source: str
    text: str
    title: str = ""
    date: datetime | None = None
    lang: str = ""
    titled: bool = True  # False when the title was made up from the file name
    outlet: str = ""  # the publication (site name, declared outlet, or the URL's host)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def article_id(self) -> str:
        """Stable id derived from the normalized source."""
        return article_id_for(self.source)

    def embedding_text(self, passage_text: str) -> str:
        """What is embedded and keyword-indexed for a passage: its article's real title helps both
        legs find passages that never repeat the subject's name."""
        return f"{self.title}\n{passage_text}" if self.titled and self.title else passage_text

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up stored; a change means the article is replaced."""
        date = self.date.isoformat() if self.date else ""
        fields = (self.title, date, self.text, self.outlet) if self.outlet else (self.title, date, self.text)
        payload = "\x1f".join(fields)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    """A span ``text == article.text[start:end]`` of an article."""

    article_id: str
    index: int
    text: str
    start: int
    end: int
    version: str = ""  # the article's version (content hash / chunking) it was cut from

    @property
    def passage_id(self) -> str:
        """Id of the passage in the stores: ``article:tag:index`` with the tag of its version, so a new
        version never overwrites an old one in place (``article:index`` without a version)."""
        if not self.version:
            return f"{self.article_id}:{self.index}"
        return f"{self.article_id}:{version_tag(self.version)}:{self.index}"


def normalize_source(source: str) -> str:
    """Canonical form of a source: URLs lower-cased in scheme/host without fragment or trailing slash."""
    source = source.strip()
    if "://" in source:
        try:
            parts = urlsplit(source)
        except ValueError:  # a malformed URL (``http://[::1``) is kept as written
            return source
        path = parts.path.rstrip("/") or ""
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
    return source


def article_id_for(source: str) -> str:
    """Short stable id of a (normalized) source."""
    return hashlib.sha1(normalize_source(source).encode("utf-8")).hexdigest()[:20]
