"""The HTTP API of ``assistant serve`` (FastAPI): questions, articles, ingest, health.

Every route goes through the ``Assistant`` facade. Questions and ingests take turns on the one model
(``Turns``): a waiting question is told its position. Errors are JSON ``{"error": "..."}`` with a
status code, never a traceback. (Over 400 lines: the routes, the guard they share, the turn queue and
the two answer shapes, streamed and whole, with their cancellation; each route is short, and the
request checks sit beside the route they guard.)
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.service.protocol import event_json, settings_key

if TYPE_CHECKING:
    from assistant.app import Assistant

API_VERSION = "v1"


class AskRequest(BaseModel):
    """A question, optionally a follow-up (``history``: earlier question/answer pairs) and a filter."""

    question: str = Field(description="The question, in any language.")
    history: list[tuple[str, str]] = Field(default_factory=list, description="Earlier (question, answer) turns.")
    since: str | None = Field(default=None, description="Articles published on or after (date or phrase).")
    until: str | None = Field(default=None, description="Articles published on or before.")
    source: str | None = Field(default=None, description="Outlet or source containing this text.")
    lang: str | None = Field(default=None, description="Articles in this language.")
    stream: bool = Field(default=True, description="NDJSON events (true) or one JSON answer (false).")


class SearchRequest(BaseModel):
    """Passages for a query, without the LLM."""

    query: str
    k: int = Field(default=5, ge=1, le=50)
    since: str | None = None
    until: str | None = None
    source: str | None = None
    lang: str | None = None


class IngestRequest(BaseModel):
    """Files or folders (under the allowed roots), article URLs and feeds to ingest."""

    paths: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)


class Turns:
    """One model: questions and ingests run one at a time, in arrival order."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0  # the next ticket given out
        self._serving = 0  # the ticket whose turn it is
        self._skipped: set[int] = set()  # tickets whose callers gave up waiting

    @contextmanager
    def turn(self, on_wait: Any = None, cancelled: threading.Event | None = None) -> Iterator[None]:
        """Wait for this caller's turn; ``on_wait(position)`` is told how many are ahead whenever that
        changes; raises ``TimeoutError`` when ``cancelled`` is set while waiting."""
        with self._cond:
            ticket = self._next
            self._next += 1
            told = -1
            try:
                while self._serving != ticket:
                    ahead = ticket - self._serving - sum(t < ticket for t in self._skipped)
                    if on_wait is not None and ahead != told:
                        on_wait(ahead)
                        told = ahead
                    if cancelled is not None and cancelled.is_set():
                        raise TimeoutError("cancelled while waiting")
                    self._cond.wait(0.2)
            except BaseException:
                self._skip(ticket)  # whatever stopped the wait, the queue moves on past this ticket
                raise
        try:
            yield
        finally:
            with self._cond:
                self._advance()

    def _skip(self, ticket: int) -> None:
        """A waiting caller gave up: its turn is passed on when it comes."""
        self._skipped.add(ticket)

    def _advance(self) -> None:
        self._serving += 1
        while self._serving in self._skipped:
            self._skipped.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    @property
    def waiting(self) -> int:
        """Callers that hold or wait for a turn."""
        with self._cond:
            return self._next - self._serving - len(self._skipped)


class ServiceState:
    """What the routes share: the facade, the turns, the request log and the idle clock."""

    def __init__(self, assistant: Assistant, log_path: Path | None = None, token: str | None = None) -> None:
        self.assistant = assistant
        self.turns = Turns()
        self.log_path = log_path
        self.token = token
        self.started = time.time()
        self.last_request = time.monotonic()
        self.active = 0
        self._log_lock = threading.Lock()
        self.key = settings_key(assistant.settings)

    def log(self, line: str) -> None:
        """One line per request in the service log."""
        if self.log_path is None:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        with self._log_lock, self.log_path.open("a", encoding="utf-8") as f:
            f.write(f"{stamp} {line}\n")

    def allowed_roots(self) -> list[Path]:
        """Where files may be ingested from."""
        roots = self.assistant.settings.service_ingest_roots
        return [Path(r).expanduser().resolve() for r in roots] or [Path.home().resolve()]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def _one_line(text: str) -> str:
    return (str(text).strip().splitlines() or [""])[0][:300]


def _filter(body: Any) -> Any:
    """The article filter of a request body (``since``, ``until``, ``source``, ``lang``); 400 when unreadable."""
    return _filter_of(body.since, body.until, body.source, body.lang)


def _filter_of(since: str | None, until: str | None, source: str | None, lang: str | None) -> Any:
    from vectorstore.filters import FilterError, build_filter

    try:
        return build_filter(since, until, source, lang)
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None


def _question(state: ServiceState, text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise HTTPException(400, "the question is empty")
    limit = state.assistant.settings.max_question_chars
    if len(text) > limit:
        raise HTTPException(400, f"the question is too long ({len(text):,} characters; at most {limit:,})")
    return text


def create_app(state: ServiceState) -> FastAPI:
    """The FastAPI application over ``state``; its OpenAPI document is served at ``/openapi.json``."""
    from assistant import __version__

    app = FastAPI(
        title="assistant",
        version=__version__,
        description="Questions about your articles, answered with checked citations.",
        docs_url=None,  # Swagger UI loads its scripts from a CDN; the assistant works offline
        redoc_url=None,
    )
    limit = state.assistant.settings.max_request_kb * 1024

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        state.last_request = time.monotonic()
        state.active += 1
        request.state.logged_later = False
        try:
            bearer = request.headers.get("authorization", "")
            server = request.scope.get("server")
            over_tcp = isinstance(server, tuple | list) and isinstance(server[1], int)  # not the Unix socket
            if state.token and over_tcp and not hmac.compare_digest(bearer, f"Bearer {state.token}"):
                response = _error(401, "a bearer token is required (Authorization: Bearer ...)")
                return response
            if request.method in ("POST", "PUT") and "chunked" in request.headers.get("transfer-encoding", ""):
                response = _error(411, "send the request body with a Content-Length")
                return response
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                response = _error(413, f"the request body is over {limit // 1024} KB")
                return response
            response = await call_next(request)
            return response
        except Exception as exc:  # noqa: BLE001 - any failure is a JSON error, never a traceback
            response = _error(500, f"{type(exc).__name__}: {_one_line(str(exc))}")
            return response
        finally:
            state.active -= 1
            state.last_request = time.monotonic()
            code = getattr(locals().get("response"), "status_code", 0)
            if not request.state.logged_later:  # a streamed answer logs itself when it ends
                state.log(f"{request.method} {request.url.path} {code} {time.perf_counter() - started:.3f}s")

    @app.exception_handler(StarletteHTTPException)  # fastapi's HTTPException and the router's 404/405
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            return _error(422, "invalid request: the body is not valid JSON")
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return _error(422, f"invalid request: {where}: {first.get('msg', 'malformed')}")

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        """Whether the service is up, what it serves and how busy it is."""
        a = state.assistant
        return {
            "status": "ok",
            "pid": os.getpid(),
            "data_dir": str(a.settings.data_dir),
            "collection": a.settings.collection,
            "llm": a.settings.llm_label,
            "settings_key": state.key,
            "passages": a.count(),
            "waiting": state.turns.waiting,
            "uptime_s": round(time.time() - state.started, 1),
        }

    @app.post("/v1/ask", response_model=None)
    async def ask(body: AskRequest, request: Request) -> Any:
        """Answer a question: NDJSON events (``queued``, ``rewritten``, ``sources``, ``evidence``,
        ``token``, ``retry``, ``llm_error``, ``done`` with the answer in its ``--json`` shape) or, with
        ``stream: false``, the answer as one JSON object (the same as ``assistant --ask --json``)."""
        question = _question(state, body.question)
        article_filter = _filter(body)
        if await asyncio.to_thread(state.assistant.count) == 0:  # Chroma may wait on an ingest's lock
            raise HTTPException(409, "the collection is empty; add articles first with: assistant ingest PATH")
        history = [tuple(t) for t in body.history]
        if not body.stream:
            return JSONResponse(await _whole_answer(state, request, question, history, article_filter))
        request.state.logged_later = True
        return StreamingResponse(_events(state, question, history, article_filter), media_type="application/x-ndjson")

    @app.post("/v1/search")
    def search(body: SearchRequest) -> list[dict[str, Any]]:
        """The passages the model would read for ``query`` (article metadata and offsets), no LLM."""
        from assistant.service.protocol import source_json

        query = _question(state, body.query)
        article_filter = _filter(body)
        with state.turns.turn():
            return [source_json(s) for s in state.assistant.search(query, article_filter, body.k)]

    @app.get("/v1/articles")
    def articles(
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        lang: str | None = None,
        order: Literal["newest", "title"] = "newest",
    ) -> list[dict[str, Any]]:
        """The stored articles, filtered like ``assistant sources``, newest first."""
        return [row.to_json() for row in state.assistant.articles(_filter_of(since, until, source, lang), order)]

    @app.get("/v1/articles/{article_id}")
    def article(article_id: str) -> dict[str, Any]:
        """One article: its row and its stored text."""
        from assistant.app import ArticleNotFound

        try:
            row = state.assistant.article(article_id)
            return {**row.to_json(), "text": state.assistant.article_text(row.article_id)}
        except ArticleNotFound as exc:
            raise HTTPException(404, str(exc)) from None

    @app.delete("/v1/articles/{article_id}")
    def remove(article_id: str) -> dict[str, Any]:
        """Delete one article (by id, source or file name)."""
        from assistant.app import ArticleNotFound

        with state.turns.turn():
            try:
                removed = state.assistant.remove(article_id)
            except ArticleNotFound as exc:
                raise HTTPException(404, str(exc)) from None
            except ValueError as exc:
                raise HTTPException(409, str(exc)) from None
        return {"removed": article_id, "passages": removed}

    @app.post("/v1/ingest")
    def ingest(body: IngestRequest) -> dict[str, Any]:
        """Ingest files or folders under the allowed roots, article URLs and feeds (the write lock is
        taken as by ``assistant ingest``); URLs and feeds on non-public addresses are refused (403) unless
        ``service_fetch_private`` is on."""
        from vectorstore.fetch import is_url

        if not body.paths and not body.feeds:
            raise HTTPException(400, "give paths (files, folders or URLs) or feeds")
        roots = state.allowed_roots()
        public_only = not state.assistant.settings.service_fetch_private
        checked: list[str] = []
        for item in body.paths:
            if is_url(item):
                if not item.lower().startswith(("http://", "https://")):
                    raise HTTPException(400, f"only http(s) URLs can be ingested: {item}")
                if public_only:
                    _refuse_private(item)
                checked.append(item)
                continue
            path = Path(item).expanduser()
            if not path.is_absolute():
                raise HTTPException(400, f"give an absolute path: {item}")
            resolved = path.resolve()
            if not any(resolved == r or r in resolved.parents for r in roots):
                raise HTTPException(403, f"{item} is outside the folders the service may read (service_ingest_roots)")
            if not resolved.exists():
                raise HTTPException(404, f"no such file or folder: {item}")
            if resolved.is_dir():
                escaping = _file_outside(resolved, roots)
                if escaping is not None:
                    raise HTTPException(403, f"{escaping} in {item} links outside the folders the service may read")
            checked.append(str(resolved))  # what was checked is what is read (a symlink swapped later is not)
        for feed in body.feeds:
            if not feed.lower().startswith(("http://", "https://")):
                raise HTTPException(400, f"a feed is an http(s) URL: {feed}")
            if public_only:
                _refuse_private(feed)
        with state.turns.turn():
            # public_only: redirects and feed items are checked again as they are fetched (skipped with a reason)
            report = state.assistant.ingest(checked, None, feeds=body.feeds, public_only=public_only)
        return {
            "added": report.added,
            "replaced": report.replaced,
            "unchanged": report.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
            "passages": report.passages,
            "duplicates": [list(d) for d in report.duplicates],
        }

    return app


def _refuse_private(url: str) -> None:
    """403 when ``url``'s host is or resolves to an address that is not public (``service_fetch_private``
    is off); nothing has been fetched then. The fetcher checks every address again as it connects."""
    from vectorstore.netguard import PrivateAddress, check_url

    try:
        check_url(url)
    except PrivateAddress as exc:
        raise HTTPException(
            403, f"not fetched: {exc}; the service fetches from public addresses only (service_fetch_private)"
        ) from None


def _file_outside(folder: Path, roots: list[Path]) -> Path | None:
    """The first file under ``folder`` (as the ingest walks it) whose real path is outside ``roots``."""
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            real = (Path(dirpath) / name).resolve()
            if not any(real == r or r in real.parents for r in roots):
                return Path(dirpath) / name
    return None


async def _whole_answer(
    state: ServiceState, request: Request, question: str, history: list[Any], article_filter: Any
) -> dict[str, Any]:
    """The answer as one JSON object. A client that goes away while it is computed stops the model at the
    answer's next event, as with a stream, instead of holding it for an answer nobody reads."""
    cancelled = threading.Event()

    def work() -> dict[str, Any] | None:
        with state.turns.turn(cancelled=cancelled):
            stream = state.assistant.stream(question, history, article_filter)
            try:
                for event in stream:
                    if cancelled.is_set():
                        state.log("POST /v1/ask answer stopped: the client went away")
                        return None
                    if event.kind == "done":
                        return state.assistant.answer_json(event.answer, article_filter)
            finally:
                stream.close()
        raise RuntimeError("the answer ended without a result")

    task = asyncio.ensure_future(asyncio.to_thread(work))
    # the body has been read, so the next message is the disconnect (``is_disconnected`` does not see
    # it through the guard middleware)
    gone = asyncio.ensure_future(request.receive())
    await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        cancelled.set()
        task.add_done_callback(lambda t: t.exception())  # its TimeoutError or None is nobody's result
        raise HTTPException(499, "the client went away")
    gone.cancel()
    answer = task.result()
    if answer is None:
        raise HTTPException(499, "the client went away")
    return answer


async def _events(state: ServiceState, question: str, history: list[Any], article_filter: Any) -> AsyncIterator[bytes]:
    """The answer's events as NDJSON lines. The answer runs on a worker thread; a client that goes away
    sets ``cancelled``, and the worker closes the answer's stream at its next event, which stops the model."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[bytes | None] = asyncio.Queue()
    cancelled = threading.Event()
    started = time.perf_counter()
    marks: dict[str, float] = {}

    def put(data: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(lines.put_nowait, (json.dumps(data, ensure_ascii=False) + "\n").encode())

    def work() -> None:
        try:
            queued = lambda ahead: put({"kind": "queued", "text": str(ahead)})  # noqa: E731
            with state.turns.turn(on_wait=queued, cancelled=cancelled):
                marks["turn"] = time.perf_counter() - started
                stream = state.assistant.stream(question, history, article_filter)
                try:
                    for event in stream:
                        if cancelled.is_set():
                            state.log("POST /v1/ask answer stopped: the client went away")
                            break
                        if event.kind in ("evidence", "token") and event.kind not in marks:
                            marks[event.kind] = time.perf_counter() - started
                        done = event.kind == "done"
                        answer = state.assistant.answer_json(event.answer, article_filter) if done else None
                        put(event_json(event, answer))
                finally:
                    stream.close()  # stops the model when the client went away mid-answer
        except TimeoutError:
            pass
        except Exception as exc:  # noqa: BLE001 - reported to the client as its last line
            put({"kind": "error", "text": f"{type(exc).__name__}: {_one_line(str(exc))}"})
        finally:
            marks["end"] = time.perf_counter() - started
            loop.call_soon_threadsafe(lines.put_nowait, None)

    worker = threading.Thread(target=work, name="answer", daemon=True)
    worker.start()
    try:
        while True:
            line = await lines.get()
            if line is None:
                break
            yield line
    finally:
        cancelled.set()
        state.last_request = time.monotonic()
        timings = "".join(f" {k}={v:.2f}s" for k, v in marks.items())
        state.log(f"POST /v1/ask 200 {time.perf_counter() - started:.3f}s stream{timings}" + (
            "" if "end" in marks else " cancelled by the client"
        ))
