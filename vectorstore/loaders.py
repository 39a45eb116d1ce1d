"""Turn files (txt, md, html, json, jsonl, pdf, docx) into cleaned Articles, or a one-line reason to skip them.

(Over 400 lines: the registry of loaders by suffix and the text formats with their metadata rules;
PDF and DOCX are in documents_binary.py, the cleaning and dating of an article's text in article_text.py,
whose names are importable from here as well.)"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vectorstore.article_text import (  # noqa: F401  (LoadError, clean_text, ...: importable from here too)
    LoadError,
    clean_text,
    dateline_date,
    make_article,
    outlet_from_text,
    parse_date,
    repair_text,
)
from vectorstore.documents import Article, normalize_source
from vectorstore.language import detect_language

Loader = Callable[[Path, int], "list[Article | Skipped]"]
"""Loads the articles of one file, given its path and the most bytes it may read; raises LoadError."""

_LOADERS: dict[str, Loader] = {}
SUPPORTED_SUFFIXES: set[str] = set()
"""The suffixes a loader is registered for (kept in step with ``register_loader``)."""
_TITLE_MAX = 200
_DATE_LINE = re.compile(
    r"^\s*(?:tanggal|tgl\.?|date|dated|published|diterbitkan|dipublikasikan|terbit)\s*:\s*(?P<date>.+?)\s*$",
    re.IGNORECASE,
)
# byte order marks of the encodings read besides UTF-8 (longest first: UTF-32 LE starts like UTF-16 LE)
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"))
# Full timestamps in HTML (trafilatura keeps only the day): Open Graph meta and JSON-LD.
_HTML_PUBLISHED = (
    re.compile(
        r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:published_time|datePublished|pubdate)["'][^>]*"""
        r"""content=["']([^"']+)["']""",
        re.IGNORECASE,
    ),
    re.compile(
        r"""<meta[^>]+content=["']([^"']+)["'][^>]*(?:property|name|itemprop)=["']"""
        r"""(?:article:published_time|datePublished|pubdate)["']""",
        re.IGNORECASE,
    ),
    re.compile(r'"datePublished"\s*:\s*"([^"]+)"'),
)


@dataclass(frozen=True)
class Skipped:
    """A path that was not ingested, and why."""

    path: str
    reason: str


def html_published(raw: str) -> datetime | None:
    """The full publication timestamp of an HTML page from its meta tags or JSON-LD, if it has one."""
    for pattern in _HTML_PUBLISHED:
        match = pattern.search(raw)
        if match:
            try:
                found = parse_date(match.group(1))
            except (ValueError, OverflowError):
                found = None
            if found is not None:
                return found
    return None


def _split_title_and_date(text: str, default_title: str) -> tuple[str, datetime | None, str]:
    """Take a leading title line and a dated line (``Tanggal: 29 Apr 2025 10:21 wib.``) off the body."""
    lines = text.split("\n")
    title = ""
    date = None
    body_start = 0
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and len(lines) > first + 1:
        candidate = lines[first].strip().lstrip("#").strip()
        if 0 < len(candidate) <= _TITLE_MAX and not re.search(r"[.!?。！？]$", candidate):
            title, body_start = candidate, first + 1
    for i in range(body_start, min(body_start + 4, len(lines))):
        match = _DATE_LINE.match(lines[i])
        if match:
            date = parse_date(match.group("date"))
            if date is not None:
                body_start = i + 1
            break
    body = "\n".join(lines[body_start:]).strip()
    if not body:  # a single line is the article, not its title
        return default_title, date, text.strip()
    return title or default_title, date, body


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    meta = {}
    for line in text[4:end].split("\n"):
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[end + 4 :].lstrip("-\n")


def _title_from_path(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip()


def load_text(path: Path, raw: str) -> Article:
    """A .txt or .md article: optional front matter, title line, dated line, body."""
    meta, raw = _front_matter(clean_text(raw))
    title, date, body = _split_title_and_date(raw, "")
    title = meta.get("title") or title
    date = parse_date(meta.get("date")) or date
    outlet = meta.get("outlet") or meta.get("source")
    if not outlet:
        outlet = outlet_from_text(body)  # "Tempo.co - 21/05/2025, 09:00 WIB"
    return make_article(str(path), body, title, date, meta.get("lang", ""), _title_from_path(path), outlet)


def article_from_html(raw: str, source: str, fallback_title: str = "", url: str | None = None) -> Article:
    """An HTML page's main text and metadata (title, date, language, site name) via trafilatura;
    ``url`` is where it was fetched from (it becomes the source), else its canonical URL or ``source``."""
    import trafilatura

    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, url=url)
    if doc is None:
        raise LoadError("no article text found in HTML")
    data = doc if isinstance(doc, dict) else doc.as_dict()
    text = data.get("text") or ""
    if not text.strip():
        raise LoadError("no article text found in HTML")
    day = parse_date(data.get("date"))
    full = html_published(raw)
    # trafilatura keeps the day only; the meta/JSON-LD timestamp adds the time when it is the same day
    date = full if full is not None and (day is None or full.date() == day.date()) else day
    return make_article(
        url or data.get("url") or source,
        text,
        data.get("title") or "",
        date,
        data.get("language") or "",
        fallback_title,
        data.get("sitename") or None,
    )


def load_html(path: Path, raw: str) -> Article:
    """An HTML file: main text and metadata extracted with trafilatura."""
    return article_from_html(raw, str(path), _title_from_path(path))


def _first(record: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _repaired(value: Any) -> Any:
    """A JSON value with every string in it repaired (``repair_text``)."""
    if isinstance(value, str):
        return repair_text(value)
    if isinstance(value, dict):
        return {repair_text(str(k)): _repaired(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repaired(v) for v in value]
    return value


def _article_from_record(record: Any, path: Path, position: int) -> Article:
    if not isinstance(record, dict):
        raise LoadError("not an object")
    record = {k: _repaired(v) for k, v in record.items()}
    text = _first(record, "text", "content", "body", "article")
    if not isinstance(text, str) or not text.strip():
        raise LoadError("no text field")
    url = _first(record, "url", "link", "source", "id")
    source = normalize_source(str(url)) if url else f"{path}#{position}"
    title = str(_first(record, "title", "headline") or "")
    date = parse_date(_first(record, "date", "published", "publication_date", "pubDate", "published_at"))
    lang = str(_first(record, "lang", "language") or "")
    outlet = _first(record, "outlet", "publisher", "site_name", "sitename", "source")
    return make_article(source, text, title, date, lang, _title_from_path(path), str(outlet) if outlet else None)


def _records(records: list[Any], path: Path, where: str, first: int = 0) -> list[Article | Skipped]:
    """Each record as an article, or a Skipped naming it (``where``: ``item`` or ``line``; ``first``: the
    position of the first record in its file); one bad record never costs the others."""
    out: list[Article | Skipped] = []
    for i, record in enumerate(records, start=first):
        try:
            out.append(_article_from_record(record, path, i))
        except LoadError as exc:
            reason = str(exc)
            out.append(Skipped(str(path), f"{where} {i + 1}: {reason}"))
        except Exception as exc:  # noqa: BLE001 - an unexpected failure skips this record only
            out.append(Skipped(str(path), f"{where} {i + 1}: {type(exc).__name__}: {exc}".splitlines()[0][:300]))
    return out


def load_json(path: Path, raw: str) -> list[Article | Skipped]:
    """A .json file: one article object, a list of them, or ``{"articles": [...]}``; a bad record is
    skipped on its own."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise LoadError(f"malformed JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    return _some_articles(_records(data if isinstance(data, list) else [data], path, "item"))


def load_jsonl(path: Path, raw: str) -> list[Article | Skipped]:
    """A .jsonl file: one article object per line; a broken line is skipped with its number, the
    other lines are read."""
    out: list[Article | Skipped] = []
    for i, line in enumerate(raw.split("\n")):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            out.append(Skipped(str(path), f"malformed JSON on line {i + 1}: {exc}"))
            continue
        out.extend(_records([record], path, "line", first=i))
    if not out:
        raise LoadError("no articles in JSONL")
    return _some_articles(out)


def _some_articles(items: list[Article | Skipped]) -> list[Article | Skipped]:
    """``items`` when one of them is an article; else the file fails with the first record's reason."""
    failed = [x for x in items if isinstance(x, Skipped)]
    if len(failed) < len(items) or not failed:
        return items
    more = f" (and {len(failed) - 1} more records failed)" if len(failed) > 1 else ""
    raise LoadError(failed[0].reason + more)


def read_text_file(path: Path, max_bytes: int) -> str:
    """Read a file as UTF-8, refusing empty, oversized, binary and non-UTF-8 files."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise LoadError("empty file")
        if size > max_bytes:
            raise LoadError(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB)")
        data = path.read_bytes()
    except PermissionError:
        raise LoadError("permission denied") from None
    except OSError as exc:
        raise LoadError(exc.strerror or str(exc)) from None
    for bom, encoding in _BOMS:  # UTF-16/32 with a byte order mark: read as such, not called binary
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:8192]:
        raise LoadError("binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 (byte {exc.start})") from None


def detect_article_language(article: Article) -> Article:
    """Set the article's language from its text unless its metadata gave one."""
    article.lang = article.lang or detect_language(article.text[:2000], default="")
    return article


def load_file(path: Path, max_bytes: int = 50_000_000, detect: bool = True) -> list[Article]:
    """Load every article in one file (``detect=False``: leave undeclared languages empty, for the
    caller to detect only where needed; it is the slowest step of loading). Records of a JSON or JSONL
    file that fail are left out (``load_items`` reports them)."""
    return [a for a in load_items(path, max_bytes, detect) if isinstance(a, Article)]


def load_items(path: Path, max_bytes: int = 50_000_000, detect: bool = True) -> list[Article | Skipped]:
    """Like ``load_file``, with a Skipped for each record or line of the file that failed."""
    items = _load_file(path, max_bytes)
    return [detect_article_language(a) if detect and isinstance(a, Article) else a for a in items]


def _file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is (a device, a pipe, a socket), or None."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _load_file(path: Path, max_bytes: int) -> list[Article | Skipped]:
    try:
        kind = _file_kind(path.stat().st_mode)
    except OSError as exc:
        raise LoadError(exc.strerror or str(exc)) from None
    if kind is not None:
        raise LoadError(f"not a regular file ({kind}: {printable_path(path)})")
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise LoadError(f"unsupported file type {suffix or '(none)'}")
    return loader(path, max_bytes)


def register_loader(suffixes: Iterable[str], loader: Loader) -> None:
    """Load files ending in ``suffixes`` (``.txt``; any case) with ``loader``; folders pick them up too."""
    for suffix in suffixes:
        if not suffix.startswith(".") or len(suffix) < 2:
            raise ValueError(f"a suffix starts with a dot: {suffix!r}")
        _LOADERS[suffix.lower()] = loader
        SUPPORTED_SUFFIXES.add(suffix.lower())


def text_loader(parse: Callable[[Path, str], list[Article | Skipped]]) -> Loader:
    """A loader for a text format: the file is read as text (``read_text_file``), refused when empty, and
    ``parse(path, raw)`` makes its articles."""

    def load(path: Path, max_bytes: int) -> list[Article | Skipped]:
        raw = read_text_file(path, max_bytes)
        if not raw.strip():
            raise LoadError("empty file")
        return parse(path, raw)

    return load


def _load_pdf(path: Path, max_bytes: int) -> list[Article | Skipped]:
    from vectorstore.documents_binary import load_pdf

    return [load_pdf(path, max_bytes)]


def _load_docx(path: Path, max_bytes: int) -> list[Article | Skipped]:
    from vectorstore.documents_binary import load_docx

    return [load_docx(path, max_bytes)]


register_loader((".txt", ".md", ".markdown"), text_loader(lambda path, raw: [load_text(path, raw)]))
register_loader((".html", ".htm"), text_loader(lambda path, raw: [load_html(path, raw)]))
register_loader((".json",), text_loader(load_json))
register_loader((".jsonl",), text_loader(load_jsonl))
register_loader((".pdf",), _load_pdf)
register_loader((".docx",), _load_docx)


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Expand files and folders (recursively, sorted, links not followed into loops)."""
    for given in paths:
        path = Path(given)
        if path.is_symlink() and not path.exists():
            yield Skipped(str(given), "too many levels of symbolic links (a link loop) or a broken link")
        elif not path.exists():
            yield Skipped(str(given), "no such file or directory")
        elif path.is_dir():
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    child = Path(root) / name
                    if not name.startswith(".") and child.suffix.lower() in SUPPORTED_SUFFIXES:
                        yield child
        else:
            yield path


def printable_path(path: str | Path) -> str:
    """``path`` as storable, printable text: bytes that are not UTF-8 and control characters (a new
    line or an escape sequence in a file name) are written as backslash escapes."""
    text = str(path)
    if text.isprintable():
        return text
    try:
        data = os.fsencode(text)
    except UnicodeEncodeError:  # a lone surrogate that no byte decodes to (from JSON text)
        data = text.encode("utf-8", "backslashreplace")
    text = data.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "too many levels of symbolic links (a link loop)"
    if isinstance(exc, FileNotFoundError):
        return "broken link or file removed"
    return (getattr(exc, "strerror", None) or str(exc)).splitlines()[0]


def iter_articles(
    paths: Iterable[str | Path], max_bytes: int = 50_000_000, detect: bool = True
) -> Iterator[Article | Skipped]:
    """Every article found under ``paths``, with files that fail reported as Skipped (``detect``: as
    in ``load_file``)."""
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield Skipped(printable_path(item.path), item.reason)
            continue
        shown = printable_path(item)
        try:
            resolved = item.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # a symlink loop or a link to nothing
            yield Skipped(shown, _os_reason(exc))
            continue
        try:
            articles = load_items(resolved, max_bytes, detect)
        except LoadError as exc:
            yield Skipped(shown, str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the whole ingest
            yield Skipped(shown, f"could not parse: {type(exc).__name__}: {exc}".splitlines()[0])
            continue
        for article in articles:
            if isinstance(article, Skipped):
                yield Skipped(shown, article.reason)
                continue
            article.source = printable_path(article.source)
            yield article
