"""``assistant ingest --watch DIR``: ingest the folder, then apply every new, changed and deleted file
as it happens (watchfiles). Each batch of changes is one ordinary ingest or removal, so it is as
crash-safe as any: a killed watcher leaves no article half-visible, and the next start catches up
(files deleted while nobody watched are removed then)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.present import plural
from vectorstore.loaders import SUPPORTED_SUFFIXES, printable_path


@dataclass
class WatchCounts:
    """What the watcher has applied so far."""

    added: int = 0
    replaced: int = 0
    removed: int = 0
    skipped: int = 0
    batches: int = 0

    def line(self, directory: Path) -> str:
        """The live status line."""
        return (
            f"watching {printable_path(directory)}: {self.added} added, {self.replaced} replaced, "
            f"{self.removed} removed, {self.skipped} skipped ({plural(self.batches, 'update')}) · Ctrl+C stops"
        )


def _wanted(path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and Path(path).suffix.lower() in SUPPORTED_SUFFIXES


def _stored_under(store: Any, paths: list[str]) -> list[str]:
    """Sources of stored articles that came from ``paths`` (a file, or a JSON file's records ``file#i``)."""
    wanted = set(paths)
    found = []
    for article in store.articles().values():
        base = article.source.split("#", 1)[0]
        if article.source in wanted or base in wanted:
            found.append(article.source)
    return found


def _missing_under(store: Any, directory: Path) -> list[str]:
    """Stored articles from files under ``directory`` that no longer exist."""
    prefix = str(directory) + "/"
    return [
        a.source
        for a in store.articles().values()
        if a.source.startswith(prefix) and not Path(a.source.split("#", 1)[0]).exists()
    ]


def apply_changes(ingester: Any, changed: list[str], deleted: list[str], counts: WatchCounts) -> list[str]:
    """Ingest ``changed`` files and remove the articles of ``deleted`` ones; returns one line per event."""
    lines = []
    if changed:
        report = ingester.ingest(changed)
        counts.added += len(report.added)
        counts.replaced += len(report.replaced)
        counts.skipped += len(report.skipped)
        lines += [f"added {printable_path(s)}" for s in report.added]
        lines += [f"replaced {printable_path(s)}" for s in report.replaced]
        lines += [f"skipped {printable_path(s.path)}: {s.reason}" for s in report.skipped]
    for source in _stored_under(ingester.store, deleted):
        try:
            ingester.remove(source)
        except KeyError:
            continue  # removed by someone else meanwhile
        counts.removed += 1
        lines.append(f"removed {printable_path(source)}")
    counts.batches += 1
    return lines


def watch_folder(
    ingester: Any,
    directory: Path,
    on_event: Callable[[str, WatchCounts], None],
    stop: threading.Event | None = None,
    debounce_ms: int = 400,
) -> WatchCounts:
    """Ingest ``directory``, remove articles of files gone from it, then apply changes until ``stop`` is
    set (or Ctrl+C). ``on_event(line, counts)`` is called for every applied file and after each batch
    (with an empty line)."""
    import watchfiles

    directory = directory.resolve()
    counts = WatchCounts()
    for line in apply_changes(ingester, [str(directory)], _missing_under(ingester.store, directory), counts):
        on_event(line, counts)
    on_event("", counts)
    for changes in watchfiles.watch(
        directory,
        watch_filter=lambda _change, path: _wanted(path),
        stop_event=stop,
        debounce=debounce_ms,
        raise_interrupt=False,
    ):
        paths = sorted({path for _, path in changes})
        changed = [p for p in paths if Path(p).is_file()]
        deleted = [p for p in paths if not Path(p).exists()]
        for line in apply_changes(ingester, changed, deleted, counts):
            on_event(line, counts)
        on_event("", counts)
    return counts
