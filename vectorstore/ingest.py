"""Idempotent ingest: unchanged articles are skipped before any model call, changed ones replaced."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vectorstore.chunking import chunk_article, chunking_label
from vectorstore.documents import Article, Passage, article_id_for
from vectorstore.duplicates import DuplicateIndex
from vectorstore.embeddings import TextEmbedder
from vectorstore.feeds import AlreadyStored, iter_feed
from vectorstore.fetch import Fetcher, FetchError, fetch_article, is_url
from vectorstore.keyword import KeywordIndex
from vectorstore.loaders import LoadError, Skipped, detect_article_language, iter_articles
from vectorstore.store import ChromaStore, StoredArticle, StoreError, epoch, write_failure
from vectorstore.versions import VersionRegistry, article_version
from vectorstore.writelock import write_lock


class IngestProgress(Protocol):
    """Receives progress as ingest goes (the CLI shows it as a progress bar)."""

    def article_seen(self, article: Article | Skipped) -> None:
        """An article was loaded (or a file skipped)."""

    def passages_embedded(self, count: int) -> None:
        """``count`` more passages were embedded."""


@dataclass
class IngestReport:
    """What one ingest did."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    passages: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (new source, cluster it joined)

    @property
    def articles_written(self) -> int:
        """Articles added or replaced."""
        return len(self.added) + len(self.replaced)


def _unexpected(exc: BaseException) -> str:
    """One line for an exception nobody expected: its type and first line."""
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _isolated(source: str, load: Callable[[], Article]) -> Article | Skipped:
    """``load()``, or a Skipped for ``source`` with the reason it failed (expected or not)."""
    try:
        return load()
    except (FetchError, LoadError) as exc:
        return Skipped(source, str(exc))
    except Exception as exc:  # noqa: BLE001 - one URL failing unexpectedly costs only itself
        return Skipped(source, _unexpected(exc))


class Ingester:
    """Loads, chunks, embeds and stores articles into one collection.

    Unchanged articles are recognised by their content hash before the embedding model is loaded.
    """

    def __init__(
        self,
        store: ChromaStore,
        keyword: KeywordIndex,
        get_embedder: Callable[[], TextEmbedder],
        chunk_size: int,
        chunk_overlap: int,
        max_bytes: int = 50_000_000,
        duplicates: DuplicateIndex | None = None,
        fetcher: Fetcher | None = None,
        lock_dir: Path | None = None,
        lock_timeout: float = 30.0,
        lock_label: str | None = None,
        batch_passages: int = 256,
    ):
        """``lock_dir``: where the cross-process write lock lives (None: no lock, for single-process use);
        a second writer waits ``lock_timeout`` seconds for it, then fails with a one-line message;
        ``batch_passages``: passages embedded and written per batch."""
        self.store = store
        self.keyword = keyword
        self.get_embedder = get_embedder  # called only when something must be embedded
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.max_bytes = max_bytes
        self.duplicates = duplicates
        self.fetcher = fetcher or Fetcher()
        self.lock_dir = lock_dir
        self.lock_timeout = lock_timeout
        self.lock_label = lock_label
        self.batch_passages = batch_passages
        if store.registry is None:  # readers through this store see what the registry commits
            store.registry = keyword.registry

    @property
    def chunking(self) -> str:
        """The passage settings; articles cut with other settings are re-cut on the next ingest."""
        return chunking_label(self.chunk_size, self.chunk_overlap)

    def _fetched(self, urls: list[str], feeds: list[str], fetcher: Fetcher) -> list[Article | Skipped | AlreadyStored]:
        """Article URLs and feeds, downloaded before the write lock is taken (a slow server never holds up
        another ingest); each URL and feed item succeeds or fails on its own."""
        if not urls and not feeds:
            return []
        items: list[Article | Skipped | AlreadyStored] = []
        for url in urls:
            items.append(_isolated(url, lambda url=url: fetch_article(url, fetcher)))
        if feeds:
            stored = self.store.articles()  # a read: readers never need the lock
            for feed in feeds:
                # an interrupted write (incomplete article) is fetched again
                try:
                    items.extend(
                        iter_feed(feed, fetcher, lambda aid: aid in stored and stored[aid].complete)
                    )
                except Exception as exc:  # noqa: BLE001 - one feed failing unexpectedly costs only itself
                    items.append(Skipped(feed, f"feed: {_unexpected(exc)}"))
        return items

    def _items(
        self, files: list[str | Path], fetched: list[Article | Skipped | AlreadyStored]
    ) -> Iterator[Article | Skipped | AlreadyStored]:
        """Articles from files and folders, then those fetched from URLs and feeds."""
        # languages are detected later, only for articles that will be written (unchanged ones are skipped first)
        yield from iter_articles(files, self.max_bytes, detect=False)
        yield from fetched

    def _locked(self) -> AbstractContextManager[None]:
        if self.lock_dir is None:
            return nullcontext()
        return write_lock(self.lock_dir, self.lock_timeout, self.lock_label)

    def _version(self, article: StoredArticle | Article) -> str:
        chunking = article.chunking if isinstance(article, StoredArticle) else self.chunking
        return article_version(article.content_hash, chunking)

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: IngestProgress | None = None,
        feeds: Iterable[str] = (),
        fetcher: Fetcher | None = None,
    ) -> IngestReport:
        """Ingest every article under ``paths`` (files, folders, or http(s) URLs of articles) and in the
        RSS/Atom ``feeds``; what fails is reported, the rest stored. ``fetcher``: downloads this ingest's
        URLs, feeds and feed items (default: the ingester's own, ``self.fetcher``).

        URLs and feeds are fetched first; then the write lock is held while files are read and everything
        is written. Each file, record, line, URL and feed item succeeds or fails on its own (a Skipped
        with a one-line reason). Under the lock it first repairs what an interrupted ingest or removal
        may have left (passages of uncommitted or replaced versions, keyword rows of articles Chroma does
        not have)."""
        paths = list(paths)
        urls = [str(p) for p in paths if is_url(str(p))]
        files = [p for p in paths if not is_url(str(p))]
        fetched = self._fetched(urls, list(feeds), fetcher or self.fetcher)
        with self._locked():
            return self._ingest(files, fetched, progress)

    def _ingest(
        self,
        files: list[str | Path],
        fetched: list[Article | Skipped | AlreadyStored],
        progress: IngestProgress | None,
    ) -> IngestReport:
        report = IngestReport()
        with self._writing():
            self._repair()
            self._rebuild_lost_indexes(report)
        stored = self.store.articles()
        keyword_states = self.keyword.article_states()
        indexed = self.duplicates.indexed() if self.duplicates is not None else set()
        with self._writing():
            for aid in keyword_states.keys() - stored.keys():
                self.keyword.delete_article(aid)
        seen: set[str] = set()
        pending: list[tuple[Article, list[Passage]]] = []
        pending_passages = 0
        for item in self._items(files, fetched):
            if isinstance(item, AlreadyStored):
                report.unchanged.append(item.source)
                continue
            if progress:
                progress.article_seen(item)
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            try:
                prepared = self._prepare(item, stored, keyword_states, indexed, seen, report)
            except StoreError:
                raise
            except Exception as exc:  # noqa: BLE001 - one article failing unexpectedly costs only itself
                report.skipped.append(Skipped(item.source, _unexpected(exc)))
                continue
            if prepared is None:
                continue
            pending.append(prepared)
            pending_passages += len(prepared[1])
            if pending_passages >= self.batch_passages:
                report.passages += self._flush_isolated(pending, progress, report)
                pending, pending_passages = [], 0
        if pending:
            report.passages += self._flush_isolated(pending, progress, report)
        return report

    def _prepare(
        self,
        item: Article,
        stored: dict[str, StoredArticle],
        keyword_states: dict[str, tuple[int, str]],
        indexed: set[str],
        seen: set[str],
        report: IngestReport,
    ) -> tuple[Article, list[Passage]] | None:
        """The article and its passages when it must be written; None when it is unchanged (or repeated)."""
        aid = item.article_id
        if aid in seen:
            report.skipped.append(Skipped(item.source, "duplicate source in this ingest"))
            return None
        seen.add(aid)
        old = stored.get(aid)
        unchanged = old is not None and old.content_hash == item.content_hash and old.chunking == self.chunking
        if unchanged and old.complete:
            if keyword_states.get(aid) != (old.passages_found, self._version(old)):
                self._reindex_keywords(item)  # repair from Chroma, no re-embedding
            if self.duplicates is not None and aid not in indexed:  # stored before clustering existed
                cluster = self._cluster(item, report)
                if cluster != old.cluster:
                    self.store.set_cluster(aid, cluster)
            report.unchanged.append(item.source)
            return None
        detect_article_language(item)
        if self.duplicates is not None:
            item.extra["cluster"] = self._cluster(item, report)
        passages = chunk_article(item, self.chunk_size, self.chunk_overlap)
        (report.replaced if old is not None else report.added).append(item.source)
        return item, passages

    def _flush_isolated(
        self, pending: list[tuple[Article, list[Passage]]], progress: IngestProgress | None, report: IngestReport
    ) -> int:
        """``_flush``; when a batch fails for a reason other than storage (the embedding of one text, say),
        its articles are written one by one, and only those that fail are skipped."""
        try:
            return self._flush(pending, progress)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the article that fails
            if len(pending) > 1:
                return sum(self._flush_isolated([one], progress, report) for one in pending)
            article = pending[0][0]
            for done in (report.added, report.replaced):
                if article.source in done:
                    done.remove(article.source)
            report.skipped.append(Skipped(article.source, _unexpected(exc)))
            return 0

    def _cluster(self, article: Article, report: IngestReport) -> str:
        """Put the article in its near-duplicate cluster (a new one unless it copies a stored article)."""
        assert self.duplicates is not None
        cluster = self.duplicates.assign(
            article.article_id, article.text, article.outlet, article.source, article.title, epoch(article.date)
        )
        if cluster != article.article_id:
            report.duplicates.append((article.source, cluster))
        return cluster

    def _flush(self, pending: list[tuple[Article, list[Passage]]], progress: IngestProgress | None) -> int:
        texts = [article.embedding_text(p.text) for article, passages in pending for p in passages]
        vectors = self.get_embedder().embed_documents(
            texts, progress=(progress.passages_embedded if progress else None)
        )
        items = []
        at = 0
        for article, passages in pending:
            items.append((article, passages, vectors[at : at + len(passages)]))
            at += len(passages)
        versions = {article.article_id: self._version(article) for article, _ in pending}
        with self._writing():
            # Write order (each step survives a kill: the next ingest's _repair finishes or undoes it):
            # 1. the new versions are pending; 2. their passages are added under ids of their own;
            # 3. one transaction replaces the keyword rows and commits the versions (both legs switch);
            # 4. the other versions' passages are deleted; 5. the pending rows go.
            self.keyword.registry.mark_pending(versions)
            self.store.write_articles(items, self.chunking)
            self.keyword.replace_articles(
                [
                    (article.article_id, [(p.passage_id, article.embedding_text(p.text)) for p in passages],
                     versions[article.article_id])
                    for article, passages in pending
                ]
            )
            self.store.delete_other_versions(versions)
            self.keyword.registry.settle(versions)
        return len(texts)

    def _rebuild_lost_indexes(self, report: IngestReport) -> None:
        """An empty keyword index (or duplicate index) beside a collection that has passages was lost
        (deleted, or set aside as damaged): rebuild it from Chroma before anything else is written."""
        from vectorstore.rebuild import rebuild_duplicates, rebuild_keyword

        if not self.store.count():
            return
        if not self.keyword.article_passage_counts():
            rebuild_keyword(self.store, self.keyword)
        if self.duplicates is not None and not self.duplicates.indexed():
            rebuild_duplicates(self.store, self.duplicates, report.duplicates)

    def _repair(self) -> None:
        """Finish what an interrupted write or removal left: delete the passages no reader sees (of
        uncommitted versions, of versions replaced by a committed one, of removed articles), then clear
        the pending rows and tombstones. Every such leftover has a pending row or a tombstone, so only
        those articles are looked at."""
        unfinished = self.keyword.registry.unfinished()
        if not unfinished:
            return
        stale = [
            pid
            for aid, by_version in self.store.versions_stored(list(unfinished)).items()
            for version, ids in by_version.items()
            if VersionRegistry.stale(version, *unfinished[aid])
            for pid in ids
        ]
        self.store.delete_passages(stale)
        self.keyword.registry.settle(unfinished)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Store write failures (full disk, read-only directory) become one-line StoreErrors."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # Chroma and SQLite report these in many types
            raise StoreError(write_failure(exc, self.lock_dir)) from exc

    def _reindex_keywords(self, article: Article) -> None:
        hits = self.store.article_passages(article.article_id)
        passages = [(h.passage_id, article.embedding_text(h.text)) for h in hits]
        with self._writing():
            self.keyword.replace_article(article.article_id, passages, self._version(article))

    def remove(self, source: str) -> int:
        """Delete the article whose source (or id, or file name) is ``source``; returns passages removed."""
        with self._locked():
            return self._remove(source)

    def _remove(self, source: str) -> int:
        candidates = {article_id_for(source)}
        path = Path(source)
        if path.exists():
            candidates.add(article_id_for(str(path.resolve())))
        # by source or id: a lookup of those ids only; by file name: a scan of the manifest
        matches = list(self.store.articles([*candidates, source]).values())
        if not matches:
            matches = [a for a in self.store.articles().values() if Path(a.source).name == source]
        if len(matches) > 1:
            raise ValueError(f"{source!r} matches {len(matches)} articles; give the full source")
        if not matches:
            raise KeyError(source)
        aid = matches[0].article_id
        with self._writing():
            # the tombstone hides the article from both legs at once; the passages go after it
            self.keyword.delete_article(aid, tombstone=True)
            if self.duplicates is not None:
                self.duplicates.remove(aid)
            removed = self.store.delete_article(aid)
            self.keyword.registry.settle([aid])
            return removed
