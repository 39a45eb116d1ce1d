"""PDF and DOCX articles: their text (per page for PDFs, so passages keep a page number) and metadata.

A PDF's pages are cleaned one by one and joined by a blank line; the character offset where each page
starts is kept in ``article.extra["page_starts"]`` and becomes each passage's ``page`` (see ``page_of``).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from datetime import datetime
from pathlib import Path
from typing import Any

from vectorstore.article_text import LoadError, clean_text, dateline_date, make_article, outlet_from_text
from vectorstore.documents import Article

BINARY_SUFFIXES = {".pdf", ".docx"}
PAGE_SEPARATOR = "\n\n"


def unwrap_lines(text: str) -> str:
    """Join the lines a PDF wrapped inside a paragraph (a long line not ending a sentence continues on the
    next), so sentences are not cut at line ends; short lines (titles, datelines) stay on their own."""
    lines = text.split("\n")
    longest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and len(out[-1]) >= 0.6 * longest and not re.search(r"[.!?:\"”]$", out[-1]):
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def page_of(article_extra: dict[str, str], start: int) -> int | None:
    """The 1-based page on which the passage starting at ``start`` begins (None: not a paged article)."""
    starts = article_extra.get("page_starts")
    if not starts:
        return None
    offsets = [int(x) for x in starts.split(",")]
    return max(1, bisect_right(offsets, start))


def _pdf_date(reader: Any) -> datetime | None:
    """The PDF's creation date from its metadata (pypdf parses ``D:20250429102100+07'00'``), if readable."""
    try:
        value = reader.metadata.creation_date if reader.metadata else None
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, datetime) else None


def load_pdf(path: Path, max_bytes: int) -> Article:
    """A PDF article: one text per page (extracted with pypdf), its title and date from the text's first
    line and dateline, else the document's metadata. Encrypted, malformed and text-less (scanned) PDFs
    raise LoadError with a one-line reason."""
    import pypdf
    from pypdf.errors import PyPdfError

    _check_size(path, max_bytes)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken files warn on every object
    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, PyPdfError) as exc:
                raise LoadError(f"encrypted PDF ({exc})") from None
            if not opened:
                raise LoadError("encrypted PDF (a password is needed)")
        pages = [clean_text(unwrap_lines(clean_text(page.extract_text() or ""))) for page in reader.pages]
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "").strip()
        created = _pdf_date(reader)
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError(exc.strerror or str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise LoadError(f"malformed PDF ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    starts, parts, at = [], [], 0
    for text in pages:
        if not text:
            continue
        starts.append(at)
        parts.append(text)
        at += len(text) + len(PAGE_SEPARATOR)
    if not parts:
        raise LoadError(f"no text in the PDF ({len(pages)} pages; scanned images need OCR first)")
    body = PAGE_SEPARATOR.join(parts)
    # pages without text are not numbered by position: record the real page of each kept text
    real_pages = [i for i, text in enumerate(pages) if text]
    first_line = body.split("\n", 1)[0].strip()
    title = title or (first_line if len(first_line) <= 200 else "")
    date = dateline_date(body) or created
    article = make_article(str(path), body, title, date, "", path.stem.replace("-", " "), outlet_from_text(body))
    if article.text != body:  # cleaning is idempotent on cleaned pages; offsets must hold
        raise LoadError("PDF text changed when cleaned")
    article.extra["page_starts"] = _page_starts(starts, real_pages)
    return article


def _page_starts(starts: list[int], real_pages: list[int]) -> str:
    """Offsets per real page (a page without text starts where the next page with text starts)."""
    offsets: list[int] = []
    for pos, page in zip(starts, real_pages, strict=True):
        while len(offsets) < page:
            offsets.append(pos)
        offsets.append(pos)
    return ",".join(str(x) for x in offsets)


def load_docx(path: Path, max_bytes: int) -> Article:
    """A DOCX article: its paragraphs (python-docx), title from the core properties or the first line."""
    import docx

    _check_size(path, max_bytes)
    try:
        document = docx.Document(str(path))
        paragraphs = [p.text for p in document.paragraphs]
        props = document.core_properties
        title = (props.title or "").strip()
        created = props.created
    except Exception as exc:  # noqa: BLE001 - a damaged zip or XML raises many types
        raise LoadError(f"malformed DOCX ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    body = "\n\n".join(p.strip() for p in paragraphs if p.strip())
    if not body:
        raise LoadError("no text in the DOCX")
    first_line = body.split("\n", 1)[0].strip()
    title = title or (first_line if len(first_line) <= 200 else "")
    date = dateline_date(body) or created
    return make_article(str(path), body, title, date, "", path.stem.replace("-", " "), outlet_from_text(body))


def _check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(exc.strerror or str(exc)) from None
    if size == 0:
        raise LoadError("empty file")
    if size > max_bytes:
        raise LoadError(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB)")
