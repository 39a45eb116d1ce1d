"""The processed prompt prefix kept on disk, so a cold process skips processing it.

Every question starts from the same state: the system prompt and the head of the passages block,
processed (``Answerer.warm``). llama.cpp can save a slot's KV cache to a file and restore it; the file
is named by everything that changes its contents (the model file, the thread count, the context size,
the weight layout, the llama.cpp build and the prefix text), so a restored prefix is bit for bit the one
a fresh process would compute, and a changed prompt or model simply makes a new file.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from typing import Any

#: seconds a save or restore may take (a few MB of KV cache)
_TIMEOUT_S = 30.0


def prefix_file_name(server_key: tuple[str, int, int, bool], prefix_text: str) -> str:
    """The slot file for ``prefix_text`` processed by the server of ``server_key``."""
    import xllamacpp

    model_path, threads, n_ctx, repack = server_key
    try:
        stat = os.stat(model_path)
        identity = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        identity = "?"
    version = getattr(xllamacpp, "__version__", "")
    material = json.dumps([model_path, identity, threads, n_ctx, repack, version, prefix_text])
    return "prefix-" + hashlib.sha256(material.encode()).hexdigest()[:24] + ".bin"


def _slot_action(handle: Any, action: str, filename: str) -> bool:
    """``POST /slots/0?action=save|restore`` on the server's loopback listener; whether it worked."""
    address = str(handle.server.listening_address)
    base = address if address.startswith("http") else f"http://{address}"
    request = urllib.request.Request(
        f"{base}/slots/0?action={action}",
        data=json.dumps({"filename": filename}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {handle.api_key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def restore_prefix(handle: Any, filename: str) -> bool:
    """Load the saved prefix into the server's slot; False when there is none (or it cannot be read)."""
    if not handle.slot_dir or not os.path.isfile(os.path.join(handle.slot_dir, filename)):
        return False
    return _slot_action(handle, "restore", filename)


def save_prefix(handle: Any, filename: str) -> bool:
    """Save the slot (holding the prefix just processed); False when the folder cannot be written."""
    if not handle.slot_dir:
        return False
    try:
        os.makedirs(handle.slot_dir, exist_ok=True)
    except OSError:
        return False  # a read-only models folder: the prefix is processed each time, as before
    # written under a name of its own, then renamed: a process restoring meanwhile never reads half a file
    partial = f"{filename}.{os.getpid()}.part"
    if not _slot_action(handle, "save", partial):
        return False
    try:
        os.replace(os.path.join(handle.slot_dir, partial), os.path.join(handle.slot_dir, filename))
    except OSError:
        return False
    return True
