"""Text from articles (and from a model that read them) is made harmless before it reaches a terminal:
no escape sequences, no control characters, no bidirectional overrides that reorder what is shown."""

from __future__ import annotations

import json
import re
from typing import Any

from vectorstore.text import BIDI_CONTROLS, control_pattern

# CSI and OSC sequences (7-bit), then single control characters: C0 except tab and new line, DEL,
# C1 (0x80-0x9f, which some terminals read as 8-bit CSI), and bidi embeddings/overrides/isolates
_UNSAFE = control_pattern(BIDI_CONTROLS)
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_CONTROLS}]")


def safe(text: str) -> str:
    """Text with escape sequences and control characters removed, so it cannot drive the terminal."""
    return _UNSAFE.sub("", text)


def safe_json(text: str) -> str:
    """JSON text with DEL, C1 controls and bidi overrides written as ``\\uXXXX`` (``json.dumps`` already
    escapes C0 controls); valid JSON with the same values."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_value(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings, numbers) with ``safe`` applied to every string in it."""
    if isinstance(value, str):
        return safe(value)
    if isinstance(value, dict):
        return {safe(str(k)): safe_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe_value(v) for v in value]
    return value


def print_json(data: Any) -> None:
    """Print ``data`` as UTF-8 JSON on stdout: escape sequences and control characters are removed from
    every string (a consumer that prints a value gets harmless text), and what is left of C1 controls
    and bidi overrides is escaped (safe on a terminal as it is)."""
    print(safe_json(json.dumps(safe_value(data), ensure_ascii=False, indent=2)))
