"""Builds the parts (models, store, retriever, answerer) from settings, each once and only when used.

Over 400 lines because the reader/writer rules of the data directory (what a reader may open, what a
writer rebuilds) belong next to the parts they guard; front ends reach these parts only through
``assistant.app.Assistant``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.models.catalog import GGUF_MODELS
from assistant.present import plural
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.chain import Answerer
    from vectorstore.duplicates import DuplicateIndex
    from vectorstore.embeddings import PassageEmbedder, TextEmbedder
    from vectorstore.filters import ArticleFilter
    from vectorstore.ingest import Ingester
    from vectorstore.keyword import KeywordIndex
    from vectorstore.store import ChromaStore

StatusFn = Callable[[str, int, int], None]
WarnFn = Callable[[str], None]


class Services:
    """Lazily constructed parts of the assistant for one settings object.

    A ``reader`` (questions, listings) never creates or changes anything in the data directory: a
    missing one is an error, a read-only one is read from a private copy, and a damaged or missing
    keyword index or duplicate index is left as it is (questions are answered from the dense leg, with
    a warning through ``warn``). Writers (ingest, remove) rebuild those two indexes from Chroma.

    ``llm`` and ``embedder``, when given, are the chat model and the embedding model used instead of the
    ones the settings name (tests and benchmarks inject fakes; a writer shares its reader's embedder)."""

    def __init__(
        self,
        settings: Settings,
        status: StatusFn | None = None,
        reader: bool = False,
        warn: WarnFn | None = None,
        *,
        llm: BaseChatModel | None = None,
        embedder: TextEmbedder | None = None,
    ):
        self.settings = settings
        self.status = status
        self.reader = reader
        self.warn = warn
        # a given part is what its cached property returns (functools.cached_property keeps its value in
        # the instance's dict); ``switch_llm`` drops a given LLM like a built one
        if llm is not None:
            self.__dict__["llm"] = llm
        self._embedder_lock = threading.Lock()  # the service's threads may ask for it at once
        if embedder is not None:
            self.__dict__["embedder"] = embedder
        self.problems: list[str] = []  # what was found damaged or missing at open (shown once through warn)
        self.holds_lock = False  # the caller holds the data dir's write lock already (assistant doctor --repair)

    def built(self, name: str) -> Any:
        """The part ``name`` (``embedder``, ``keyword``, ...) if it has been built, else None (never builds it)."""
        return self.__dict__.get(name)

    def replace_part(self, name: str, part: Any) -> None:
        """Use ``part`` as ``name`` from now on (a rebuilt index)."""
        self.__dict__[name] = part

    def forget(self, *names: str) -> list[Any]:
        """Drop the built parts ``names`` so that their next use builds them again; returns those dropped."""
        return [part for name in names if (part := self.__dict__.pop(name, None)) is not None]

    def _problem(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)
            if self.warn:
                self.warn(message)

    @cached_property
    def store_root(self) -> Path:
        """Where the Chroma folder and the local indexes are read from: ``store_dir``, or for a reader on
        a read-only data directory, a private copy of it (removed at exit)."""
        import os

        from vectorstore.store import EmptyStore, MissingDataDir

        s = self.settings
        if not self.reader:
            return s.store_dir
        if not s.data_dir.is_dir() and not s.chroma_url:
            raise MissingDataDir(f"no such data directory: {s.data_dir} (check --data-dir; nothing was created)")
        if not s.store_dir.is_dir() and s.chroma_url:
            return s.store_dir  # the collection is on the server; local indexes may be missing
        if not s.store_dir.is_dir():
            raise EmptyStore(f"no articles in {s.data_dir} yet; add some with: assistant ingest PATH")
        chroma = s.store_dir / "chroma"
        if os.access(s.store_dir, os.W_OK) and (not chroma.exists() or os.access(chroma, os.W_OK | os.X_OK)):
            return s.store_dir
        return _read_only_copy(s.store_dir)

    def _say(self, message: str) -> None:
        if self.status:
            self.status(message, 0, 0)

    def embedding_path(self, fetch: bool = False) -> Path:
        """The embedding model folder, prepared first if needed (``fetch``: its packages may be fetched,
        for ``assistant models prepare``)."""
        from assistant.models.embedding import resolve_embedding_model

        s = self.settings
        return resolve_embedding_model(s.embedding_model, s.embedding_path, s.model_store, self._say, fetch)

    def onnx_embedding_path(self) -> Path | None:
        """The embedding model's ONNX export, exported first if needed; None when it runs on
        sentence-transformers (a model other than the offline-built e5)."""
        from assistant.models.embedding import resolve_onnx_embedding

        s = self.settings
        return resolve_onnx_embedding(s.embedding_model, s.embedding_path, s.model_store, self._say)

    def gguf_path(self) -> Path:
        """The GGUF the embedded backend runs, assembled first if needed."""
        from assistant.models.gguf import ModelError, prepare_gguf

        if self.settings.llm_path is not None:
            if not self.settings.llm_path.is_file():
                raise ModelError(f"llm_path {self.settings.llm_path} does not exist")
            return self.settings.llm_path
        return prepare_gguf(GGUF_MODELS[self.settings.llm_model], self.settings.model_store, self.status)

    @cached_property
    def embedder(self) -> TextEmbedder:
        """The embedding model (loaded on first use, once, whichever thread asks first)."""
        with self._embedder_lock:
            if "embedder" not in self.__dict__:  # set inside the lock: a second caller waits, then finds it
                self.__dict__["embedder"] = self._load_embedder()
            return self.__dict__["embedder"]

    def _load_embedder(self) -> TextEmbedder:
        """onnxruntime for the offline-built e5 (no torch import; float32), else sentence-transformers."""
        s = self.settings
        onnx = self.onnx_embedding_path()
        if onnx is None:
            return self.torch_embedder
        from vectorstore.onnx_embeddings import OnnxEmbedder

        self._say("loading embedding model")
        return OnnxEmbedder(
            onnx, s.embedding_model, s.threads, prompt_family=s.embedding_prompts, passages=self._int8_passages
        )

    def _int8_passages(self) -> PassageEmbedder | None:
        """A collection built with int8 embeddings embeds its new passages that way too, so that all of
        its passages carry the same quantization (questions and sentences are embedded in float32)."""
        return self.torch_embedder if self.store.embedding_precision == "int8" else None

    @cached_property
    def torch_embedder(self) -> PassageEmbedder:
        """The sentence-transformers model, int8 when the collection was built so."""
        from vectorstore.embeddings import PassageEmbedder

        path = self.embedding_path()
        self._say("loading embedding model")
        s = self.settings
        int8 = self.store.embedding_precision == "int8"
        return PassageEmbedder(path, s.embedding_model, s.threads, prompt_family=s.embedding_prompts, int8=int8)

    @cached_property
    def store(self) -> ChromaStore:
        """The Chroma collection."""
        from vectorstore.embeddings import chroma_embedding_function
        from vectorstore.store import ChromaStore

        s = self.settings
        if self.reader and not s.chroma_url:
            from vectorstore.store import CHROMA_DB, EmptyStore, StoreDamaged, embedded_store_problem

            folder = self.store_root / "chroma"
            problem = embedded_store_problem(folder)
            if problem:
                raise StoreDamaged(problem)
            if not (folder / CHROMA_DB).exists():
                raise EmptyStore(f"no articles in {s.data_dir} yet; add some with: assistant ingest PATH")
        # the store first: a server that cannot be reached leaves no index folders behind
        store = ChromaStore(
            self.store_root / "chroma",
            s.collection,
            s.embedding_model,
            chroma_embedding_function(lambda: self.embedder, s.embedding_model),
            url=s.chroma_url,
            precision="int8" if s.embedding_int8 else "fp32",
            timeout=s.chroma_timeout,
            create=not self.reader,
        )
        self.__dict__["store"] = store  # the indexes below may ask the store for its size
        store.registry = self._registry()
        return store

    def _registry(self) -> Any:
        """The commit registry kept with the keyword index (which version of each article readers see);
        None when it cannot be opened (damaged, or missing for a reader): every passage is then shown."""
        import sqlite3

        try:
            keyword = self.keyword
        except (sqlite3.Error, OSError):
            return None
        return keyword.registry if keyword is not None else None

    @property
    def index_dir(self) -> Path:
        """Where the local indexes of the collection live (per server and collection with a Chroma server)."""
        s = self.settings
        server = "" if not s.chroma_url else "server-" + "".join(c if c.isalnum() else "_" for c in s.chroma_url)
        return self.store_root / "keyword" / server / s.collection

    def _local_index(self, name: str, holds: str) -> bool:
        """Whether the local index file ``name`` may be opened: a damaged one is set aside by writers (it
        is rebuilt from Chroma at the next ingest) and left alone by readers; a missing one is created
        only by writers. Problems are reported once."""
        from vectorstore.health import sqlite_problem
        from vectorstore.rebuild import set_aside

        path = self.index_dir / name
        problem = sqlite_problem(path)
        if problem is None and (path.exists() or not self.reader):
            return True
        if problem is None:  # a reader, and the file is missing
            if self.store.count():
                self._problem(
                    f"the {holds} {path} is missing; answering from the dense leg only "
                    "(`assistant doctor --repair` or the next ingest rebuilds it from the collection)"
                )
            return False
        if self.reader:
            self._problem(
                f"the {holds} {path} {problem}; answering without it "
                "(`assistant doctor --repair` or the next ingest rebuilds it from the collection)"
            )
            return False
        kept = set_aside(path)
        self._problem(f"the {holds} {path} {problem}; set aside as {kept.name if kept else '-'}, rebuilding it")
        return True

    @cached_property
    def keyword(self) -> KeywordIndex | None:
        """The bm25s keyword index kept beside the collection (None for a reader when it is missing or
        damaged: questions then use the dense leg only)."""
        from vectorstore.keyword import KeywordIndex

        if not self._local_index("tokens.sqlite", "keyword index"):
            return None
        index = KeywordIndex(self.index_dir)
        if not self.reader and not index.article_passage_counts():
            self.__dict__["keyword"] = index
            self._rebuild_lost(index, "keyword index")
        return index

    @cached_property
    def duplicates(self) -> DuplicateIndex | None:
        """Near-duplicate clusters (MinHash signatures) kept beside the keyword index (None for a reader
        when missing or damaged)."""
        from vectorstore.duplicates import DuplicateIndex

        if not self._local_index("duplicates.sqlite", "duplicate index"):
            return None
        index = DuplicateIndex(self.index_dir)
        if not self.reader and not index.indexed():
            self._rebuild_lost(index, "duplicate index")
        return index

    def _rebuild_lost(self, index: Any, holds: str) -> None:
        """A writer found an empty local index beside a collection with passages (it was deleted, or set
        aside as damaged): rebuild it from Chroma now, under the write lock, so the chat's questions and
        the next ingest see it whole."""
        from contextlib import nullcontext

        from vectorstore.rebuild import rebuild_duplicates, rebuild_keyword
        from vectorstore.writelock import write_lock

        s = self.settings
        if not self.store.count():
            return
        lock = nullcontext() if self.holds_lock else write_lock(s.store_dir, s.lock_timeout, str(s.data_dir))
        with lock:
            if holds == "keyword index":
                # an interrupted write is finished by the next ingest's repair first (it needs the registry)
                if index.article_passage_counts() or index.registry.unfinished():
                    return
                count = rebuild_keyword(self.store, index)
            elif index.indexed():
                return
            else:
                count = rebuild_duplicates(self.store, index)
        what = "passage" if holds == "keyword index" else "article"
        self._problem(f"the {holds} was missing or empty; rebuilt it from the collection ({plural(count, what)})")

    @cached_property
    def ingester(self) -> Ingester:
        """Idempotent ingest into the collection."""
        from vectorstore.fetch import Fetcher
        from vectorstore.ingest import Ingester

        s = self.settings
        store = self.store  # first: a store that cannot be opened leaves no index folders behind
        keyword = self.keyword
        assert keyword is not None  # writers always have one (a damaged one was set aside)
        return Ingester(
            store,
            keyword,
            lambda: self.embedder,
            s.chunk_size,
            s.chunk_overlap,
            int(s.max_file_mb * 1e6),
            lock_dir=s.store_dir,
            lock_timeout=s.lock_timeout,
            lock_label=str(s.data_dir),
            batch_passages=s.ingest_batch,
            duplicates=self.duplicates,
            fetcher=Fetcher(timeout=s.fetch_timeout, max_bytes=int(s.max_fetch_mb * 1e6)),
        )

    @cached_property
    def llm(self) -> BaseChatModel:
        """The chat model of the configured backend."""
        from assistant.llm import make_chat_model

        return make_chat_model(self.settings, self.gguf_path)

    def retriever(self, mode: str = "hybrid", where: dict[str, Any] | None = None) -> Any:
        """The retriever over the collection: ``hybrid`` (default), ``dense`` or ``keyword``."""
        from vectorstore.retriever import HybridRetriever

        keyword = self.keyword if mode in ("hybrid", "keyword") else None
        return HybridRetriever(
            store=self.store,
            embedder=self.embedder,
            keyword=keyword,
            use_dense=mode in ("hybrid", "dense") or keyword is None,
            k=self.settings.top_k,
            where=where,
            duplicates=self.duplicates,
        )

    def where_for(self, article_filter: ArticleFilter | None) -> dict[str, Any] | None:
        """The Chroma where clause of a filter (the source substring is resolved against the stored articles)."""
        from vectorstore.filters import to_where

        if article_filter is None or not article_filter.active:
            return None
        articles = self.store.articles().values() if article_filter.source else ()
        return to_where(article_filter, articles)

    def switch_llm(self, name: str) -> None:
        """Use another bundled GGUF from the next question on; the old one's weights are freed."""
        before = self.settings
        self.settings = before.model_copy(update={"llm_model": name, "llm_path": None})
        old = self.__dict__.pop("llm", None)
        self.__dict__.pop("answerer", None)
        if old is not None and (before.llm_model, before.llm_path) != (name, None):
            from assistant.llm.embedded import release_model

            release_model(old)  # the server cache would otherwise keep the weights loaded

    @cached_property
    def answerer(self) -> Answerer:
        """Retrieval + LLM with checked citations."""
        from assistant.chain import Answerer
        from assistant.refusal import rule_for

        s = self.settings
        verify = s.max_verify_no if s.verify_answers else None
        trim = None
        if s.prompt_chars:
            from assistant.prompt_budget import trim_passages

            def trim(question: str, passages: list[str]) -> list[str]:
                return trim_passages(question, passages, s.prompt_chars, self.sentence_scores)

        try:
            llm = self.llm
        except Exception as exc:  # noqa: BLE001 - no LLM: answers become extractive, with the reason shown
            from assistant.llm import unavailable_chat_model

            llm = unavailable_chat_model(exc)
        from assistant.llm.embedded import EmbeddedChatModel

        return Answerer(
            self.retriever(),
            llm,
            s.min_relevance,
            self.similarity,
            s.max_decline_probability,
            verify,
            coverage=self.coverage if self.keyword is not None else None,
            check=s.refusal_check,
            trim=trim,
            prefix_first=isinstance(llm, EmbeddedChatModel),
            persist_prefix=s.llm_prefix_cache,
            evidence=self.score_evidence if s.rerank_candidates else None,
            candidates=s.rerank_candidates or None,
            rule=rule_for(s.embedding_model),
            all_signals=s.record_all_signals,
            answer_checks=s.answer_checks,
            common_words=self.common_words,
        )

    def warm_llm(self) -> None:
        """Load the embedded LLM and process the prompts' common prefix, so the first question answers
        sooner (``benchmarks/answer.py`` measures it). Remote backends are left alone:
        a warm-up call there costs the server's time (or money) for a question that may never come."""
        from assistant.llm.embedded import EmbeddedChatModel

        if not isinstance(self.llm, EmbeddedChatModel):
            return
        self.llm.load()
        if not self.answerer.warmed:
            self.answerer.warm()

    def score_evidence(
        self, question: str, passages: list[str], keyword_scores: list[float], dense_scores: list[float]
    ) -> list[Any]:
        """Evidence scores of each passage and its sentences for the question (``assistant.evidence``).
        The passages' own similarities are the dense leg's (``dense_scores``): not embedded again."""
        from assistant.evidence import score_passages

        embedder = self.embedder
        return score_passages(
            question, passages, dense_scores, embedder.embed_query, embedder.embed_sentence_groups, None, keyword_scores
        )

    def sentence_scores(self, question: str, sentences: list[str]) -> list[float]:
        """Cosine similarity of the question to each sentence (for the prompt budget)."""
        q = self.embedder.embed_query(question)
        # as one passage's sentences, the way the evidence step embeds them (kept; on the question's runtime)
        vectors = self.embedder.embed_sentence_groups([sentences])[0]
        return [float(sum(a * b for a, b in zip(q, v, strict=True))) for v in vectors]

    def common_words(self, words: list[str], share: float = 0.02) -> set[str]:
        """The words found in more than ``share`` of the collection's passages (function words of any
        language: "adalah", "the", "yang"), from the keyword index."""
        total, counts = self.keyword.document_frequencies(list(dict.fromkeys(words)))
        return {w for w, n in counts.items() if total and n / total > share}

    def coverage(self, question: str, passages: list[str]) -> float:
        """How much of the question the best passage covers (IDF-weighted over the whole collection)."""
        from assistant.refusal import question_coverage

        assert self.keyword is not None
        return question_coverage(question, passages, self.keyword.document_frequencies)

    def similarity(self, sentence: str, passage: str) -> float:
        """Cosine similarity of an answer sentence and a passage (for the citation support check)."""
        q = self.embedder.embed_query(sentence)
        p = self.embedder.embed_sentence_groups([[passage]])[0][0]  # on the question's runtime, not the ingest's
        return float(sum(a * b for a, b in zip(q, p, strict=True)))


def _read_only_copy(store_dir: Path) -> Path:
    """A private copy of a read-only ``store_dir`` in the temp folder (Chroma and SQLite in WAL mode need
    to write beside a database even to read it), removed when the process ends."""
    import atexit
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="assistant-readonly-")) / "store"
    shutil.copytree(store_dir, copy, ignore=shutil.ignore_patterns("write.lock", "*.tmp"))
    atexit.register(shutil.rmtree, copy.parent, True)
    return copy
