"""The outlet of an article: the publication it comes from (``Kompas.com``, ``antaranews.com``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def host_of(source: str) -> str:
    """The host of a URL without ``www.``/``m.``/``amp.``; empty for a file path."""
    if "://" not in source:
        return ""
    try:
        host = (urlsplit(source.strip()).hostname or "").lower()
    except ValueError:  # a malformed URL has no host to name
        return ""
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
    return host


def outlet_for(source: str, declared: str | None = None) -> str:
    """The declared outlet (site name meta, a record's ``outlet``/``source`` field) if any, else the
    URL's host; empty for a local file without one."""
    declared = " ".join((declared or "").split())
    declared = re.sub(r"(?<=\w):\d+$", "", declared)  # extractors name a site without one by its host:port
    if declared and "://" not in declared:
        return declared[:100]
    return host_of(declared) or host_of(source)
