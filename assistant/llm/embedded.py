"""In-process GGUF chat model for LangChain, backed by ``xllamacpp``.

``EmbeddedChatModel`` runs a GGUF model inside the current process through
xllamacpp's embedded llama.cpp server (``xllamacpp.Server``). The model is
loaded lazily on first use and the loaded server is cached at module level per
``(model_path, n_threads, n_ctx, repack_weights)``, so several model instances (or ``.bind()``
copies of one) share a single copy of the weights and KV cache.

Notes on the xllamacpp API (version 2026.10.x), found by reading its source and
by experiment:

* ``Server(CommonParams)`` loads the model and starts llama.cpp's task loop on
  a background thread. It *also* always starts the OpenAI-compatible HTTP
  listener (``127.0.0.1`` on a random port when ``params.port == 0``); we
  protect it with a random API key. In-process calls do not go through HTTP.
* ``Server.handle_chat_completions(request: dict, callback=None)`` takes an
  OpenAI-shaped request. Without ``"stream": True`` it returns the full
  response dict. With ``"stream": True`` it calls ``callback(chunk: dict)``
  once per OpenAI ``chat.completion.chunk`` *synchronously on the calling
  thread* (the GIL is released while llama.cpp works and re-acquired for each
  callback) and returns ``None`` when done. Errors arrive as
  ``{"error": {"code", "message", "type"}}`` (returned, or passed to the
  callback).
* If the callback returns ``True`` (or raises) the stream stops: the pending
  llama.cpp task is cancelled and the slot is freed at once. The first
  callback only fires after prompt processing has finished, so a generation
  cannot be cancelled during prefill.
* There is no explicit ``close()``; the C++ server is shut down (task loop
  stopped, model freed) when the Python ``Server`` object is deallocated.

Request keys used: ``messages``, ``stream``, ``stream_options``
(``{"include_usage": True}``), ``max_tokens``, ``temperature``, ``seed``,
``stop``, ``cache_prompt``; optional pass-through keys include
``response_format``, ``json_schema``, ``grammar``, ``logprobs``,
``top_logprobs`` and any other llama.cpp server option (``top_k``, ``top_p``,
``min_p``, ``repeat_penalty``, ``n_probs``, ...).
"""

from __future__ import annotations

import atexit
import os
import queue
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from langchain_core.language_models.chat_models import (
    BaseChatModel,
    generate_from_stream,
)
from langchain_core.messages import (
    AIMessageChunk,
    BaseMessage,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableMap, RunnablePassthrough
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.language_models.base import LangSmithParams
    from langchain_core.runnables import Runnable

__all__ = [
    "EmbeddedChatModel",
    "EmbeddedModelError",
    "close_all_models",
    "default_n_threads",
]

#: llama.cpp log verbosity for the embedded server (-1 silences its logging;
#: 3 is llama.cpp's default and prints load/timing information to stderr).
LOG_VERBOSITY = -1

#: Upper bound (MiB) of llama.cpp's host-RAM prompt cache, which keeps KV
#: states of earlier prompts so that alternating prompts (e.g. two different
#: system prompts) can still reuse their prefixes. llama.cpp's default is 8 GiB.
PROMPT_CACHE_RAM_MIB = 512

#: llama.cpp's busy-wait level for idle worker threads (0-100; its default is 50). With 0 they sleep
#: instead of spinning, so two threads beside a busy process do not starve each other: measured here
#: beside a CPU-bound process, 2 threads took 28.2 s at 0 and 29.3 s at 50 (1 thread: 29.7 s), with the
#: same answer in every case.
THREAD_POLL = int(os.environ.get("ASSISTANT_LLAMA_POLL", "0"))

#: Keyword arguments never copied into the request: keys the model sets itself
#: and LangChain-internal options.
_RESERVED_KEYS = frozenset(
    {
        "messages",
        "stream",
        "stream_options",
        "ls_structured_output_format",
        "structured_output_format",
    }
)


class EmbeddedModelTimeout(TimeoutError):
    """The embedded model produced nothing within the allowed time (``EmbeddedChatModel.timeout``)."""


class EmbeddedModelError(RuntimeError):
    """An error reported by the embedded llama.cpp server for a request.

    Attributes:
        code: HTTP-like status code reported by llama.cpp (e.g. ``400``).
        error_type: llama.cpp error type, e.g. ``"invalid_request_error"`` or
            ``"exceed_context_size_error"``.
        payload: The raw ``error`` object returned by the server.
    """

    def __init__(self, payload: Mapping[str, Any]) -> None:
        """Build the exception from the server's ``error`` object."""
        self.payload = dict(payload)
        self.code: int | None = payload.get("code")
        self.error_type: str | None = payload.get("type")
        super().__init__(str(payload.get("message", "unknown llama.cpp server error")))


def default_n_threads() -> int:
    """Return the number of CPU cores this process may run on."""
    from vectorstore.cpu import usable_cores

    return usable_cores()


# ---------------------------------------------------------------------------
# Module-level server cache
# ---------------------------------------------------------------------------

_ServerKey = tuple[str, int, int, bool]


@dataclass(eq=False)
class _ServerHandle:
    """A loaded ``xllamacpp.Server``."""

    server: Any


@dataclass(eq=False)
class _Generation:
    """An in-flight generation: its worker thread and cancel flag."""

    handle: _ServerHandle
    worker: threading.Thread
    cancel: threading.Event = field(default_factory=threading.Event)


_servers: dict[_ServerKey, _ServerHandle] = {}
_servers_lock = threading.Lock()
_load_locks: dict[_ServerKey, threading.Lock] = {}
_generations: set[_Generation] = set()
_generations_lock = threading.Lock()

#: How long interpreter exit waits for cancelled generations to return. A
#: generation can only be cancelled once prompt processing is over, and a
#: worker thread still inside llama.cpp when Python finalises aborts the
#: process ("FATAL: exception not rethrown").
_EXIT_JOIN_TIMEOUT_S = 120.0


def _cancel_generations(handle: _ServerHandle | None = None) -> list[_Generation]:
    """Set the cancel flag of in-flight generations (of ``handle``, or all)."""
    with _generations_lock:
        selected = [g for g in _generations if handle is None or g.handle is handle]
    for generation in selected:
        generation.cancel.set()
    return selected


def _load_server(key: _ServerKey) -> Any:
    """Create an ``xllamacpp.Server`` for ``key`` (expensive: loads the GGUF)."""
    import xllamacpp  # deferred: importing it is cheap, but keep CLI start-up lean

    model_path, n_threads, n_ctx, repack_weights = key
    if not os.path.isfile(model_path):
        msg = f"GGUF model not found: {model_path}"
        raise FileNotFoundError(msg)

    params = xllamacpp.CommonParams()
    params.model.path = model_path
    params.n_ctx = n_ctx
    params.n_parallel = 1  # one slot: the whole n_ctx is available to a request
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = n_threads
    params.cpuparams.poll = THREAD_POLL
    params.cpuparams_batch.poll = THREAD_POLL
    params.cache_prompt = True
    # llama.cpp copies the weights into a repacked layout by default. Measured here (1.5B Q4_K_M, 2 cores,
    # AVX-512): without it prompt processing runs at 110 tokens/s instead of 88 and the weights stay
    # memory-mapped (peak RSS 1.39 GB instead of 1.99), decoding at 25 tokens/s instead of 31. Prompts
    # are long and answers short, so the first token and the whole answer both come sooner without it.
    params.no_extra_bufts = not repack_weights
    params.cache_ram_mib = PROMPT_CACHE_RAM_MIB
    params.verbosity = LOG_VERBOSITY
    # The embedded server always opens an HTTP listener on 127.0.0.1 (random
    # port). Nothing here uses it, so lock it with a throw-away API key and
    # keep its thread pool minimal; in-process calls bypass the key check.
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.api_keys = [secrets.token_urlsafe(32)]
    params.n_threads_http = 1
    params.endpoint_slots = False
    try:
        return xllamacpp.Server(params)
    except RuntimeError as exc:  # xllamacpp gives no detail; llama.cpp logs are silenced
        msg = (
            f"could not load GGUF model {model_path!r} ({exc}); set {__name__}.LOG_VERBOSITY = 3 to see llama.cpp's log"
        )
        raise RuntimeError(msg) from exc


def _get_server(key: _ServerKey) -> _ServerHandle:
    """Return the cached server handle for ``key``, loading it on first use."""
    with _servers_lock:
        handle = _servers.get(key)
        if handle is not None:
            return handle
        load_lock = _load_locks.setdefault(key, threading.Lock())
    with load_lock:  # only one thread loads a given model; others wait for it
        with _servers_lock:
            handle = _servers.get(key)
        if handle is None:
            handle = _ServerHandle(server=_load_server(key))
            with _servers_lock:
                _servers[key] = handle
        return handle


def _close_server(key: _ServerKey) -> bool:
    """Drop the cached server for ``key``; return whether one was cached."""
    with _servers_lock:
        handle = _servers.pop(key, None)
    if handle is None:
        return False
    # Stop in-flight generations; their worker threads still hold a reference
    # to the server, so it is actually freed when the last of them returns.
    _cancel_generations(handle)
    del handle
    return True


def close_all_models() -> None:
    """Unload every cached embedded model.

    In-flight generations are asked to stop; the native server (weights, KV
    cache, task loop thread and HTTP listener) is freed once no call is using
    it any more.
    """
    with _servers_lock:
        keys = list(_servers)
    for key in keys:
        _close_server(key)


def _shutdown() -> None:
    """At interpreter exit: cancel generations, wait for workers, unload models."""
    for generation in _cancel_generations():
        generation.worker.join(_EXIT_JOIN_TIMEOUT_S)
    close_all_models()


atexit.register(_shutdown)


# ---------------------------------------------------------------------------
# Streaming bridge (callback on a worker thread -> generator)
# ---------------------------------------------------------------------------

_DONE = object()


class _WorkerFailed:
    """Wraps an exception raised on the worker thread."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _stream_chunks(
    handle: _ServerHandle, request: dict[str, Any], timeout: float | None = None
) -> Iterator[dict[str, Any]]:
    """Run a streaming chat completion and yield raw chunk dicts as they arrive.

    ``handle_chat_completions`` blocks until generation ends and invokes its
    callback on the calling thread, so it runs on a daemon worker thread and
    chunks are handed over through a queue. Closing this generator sets a
    cancel flag; the callback then returns ``True``, which makes llama.cpp
    cancel the task at the next token.
    """
    chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def on_chunk(chunk: dict[str, Any]) -> bool:
        chunks.put(chunk)
        return cancel.is_set()

    def work() -> None:
        try:
            handle.server.handle_chat_completions(request, on_chunk)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            chunks.put(_WorkerFailed(exc))
        finally:
            chunks.put(_DONE)
            with _generations_lock:
                _generations.discard(generation)

    generation = _Generation(handle, threading.Thread(target=work, name="xllamacpp-generate", daemon=True))
    cancel = generation.cancel
    with _generations_lock:
        _generations.add(generation)
    generation.worker.start()
    try:
        while True:
            try:
                item = chunks.get(timeout=timeout)
            except queue.Empty:
                raise EmbeddedModelTimeout(f"no output from the model within {timeout:g} s") from None
            if item is _DONE:
                return
            if isinstance(item, _WorkerFailed):
                raise item.exc
            if "error" in item:
                cancel.set()
                raise EmbeddedModelError(item["error"])
            yield item
            if cancel.is_set():  # closed by close_all_models()
                return
    finally:
        # Consumer finished, failed or abandoned the generator: stop llama.cpp
        # at its next token. Do not join; prefill may still be running.
        cancel.set()


def _usage_from(usage: Mapping[str, Any]) -> UsageMetadata:
    """Convert an OpenAI ``usage`` object to LangChain ``UsageMetadata``."""
    input_tokens = int(usage.get("prompt_tokens", 0))
    output_tokens = int(usage.get("completion_tokens", 0))
    metadata = UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=int(usage.get("total_tokens", input_tokens + output_tokens)),
    )
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is not None:
        metadata["input_token_details"] = {"cache_read": int(cached)}
    return metadata


def _schema_to_json_schema(schema: Any) -> dict[str, Any]:
    """Return a JSON schema dict for a Pydantic class, TypedDict or dict."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    if isinstance(schema, Mapping) and ("type" in schema or "properties" in schema):
        return dict(schema)
    from langchain_core.utils.function_calling import convert_to_json_schema

    return convert_to_json_schema(schema)


def _normalise_constraint_kwargs(params: dict[str, Any]) -> None:
    """Accept Pydantic classes for ``response_format`` / ``json_schema``."""
    response_format = params.get("response_format")
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": response_format.__name__,
                "schema": response_format.model_json_schema(),
            },
        }
    json_schema = params.get("json_schema")
    if json_schema is not None and not isinstance(json_schema, (str, Mapping)):
        params["json_schema"] = _schema_to_json_schema(json_schema)


# ---------------------------------------------------------------------------
# Chat model
# ---------------------------------------------------------------------------


class EmbeddedChatModel(BaseChatModel):
    """LangChain chat model that runs a GGUF in-process with xllamacpp.

    The model is loaded on first use and shared (module-level cache keyed by
    ``(model_path, n_threads, n_ctx, repack_weights)``) between instances. Prompt caching is
    always on, so a repeated prefix such as a long system prompt is not
    re-evaluated between calls.

    Extra keyword arguments given to ``invoke``/``stream``/``bind`` are copied
    into the OpenAI-style request, which lets callers use any llama.cpp server
    option. The useful ones:

    * ``response_format={"type": "json_schema", "json_schema": {"schema": S}}``
      (or a Pydantic class), ``json_schema=S`` or ``grammar="<GBNF>"`` to
      constrain the output (``json_schema`` and ``grammar`` are exclusive);
    * ``logprobs=True, top_logprobs=N``: per-token log-probabilities, returned
      in ``response_metadata["logprobs"]["content"]`` in OpenAI format;
    * ``max_tokens``, ``temperature``, ``seed``, ``top_k``, ``top_p``, ...
      override the defaults for one call.

    Example:
        .. code-block:: python

            llm = EmbeddedChatModel(model_path="qwen2.5-1.5b-instruct-q4_k_m.gguf")
            for chunk in llm.stream("Halo!"):
                print(chunk.content, end="", flush=True)

            schema = {
                "type": "object",
                "properties": {
                    "found": {"type": "boolean"},
                    "answer": {"type": "string"},
                },
                "required": ["found", "answer"],
            }
            result = llm.with_structured_output(schema).invoke(messages)

            check = llm.bind(max_tokens=1, logprobs=True, top_logprobs=10)
            top = check.invoke(messages).response_metadata["logprobs"]["content"][0]
    """

    model_path: str
    """Path of the GGUF file."""
    n_threads: int | None = Field(default=None, ge=1)
    """CPU threads for prompt processing and generation (None: usable cores)."""
    n_ctx: int = Field(default=4096, ge=16)
    """Context window (prompt + generated tokens) in tokens."""
    temperature: float = Field(default=0.1, ge=0.0)
    """Sampling temperature (0 = greedy)."""
    max_tokens: int = Field(default=512, ge=-1)
    """Maximum number of generated tokens per call (-1: until context is full)."""
    seed: int = 42
    """Sampling seed, for reproducible output."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds to wait for the next piece of output (prompt processing included) before giving up."""
    repack_weights: bool = False
    """Let llama.cpp repack the weights for its CPU kernels (faster decoding, slower prompts, more memory)."""

    @property
    def _llm_type(self) -> str:
        """Return the type identifier used by LangChain."""
        return "xllamacpp-embedded"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """Return the parameters that identify this model configuration."""
        return {
            "model_path": self.model_path,
            "n_threads": self.resolved_n_threads,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Return LangSmith tracing parameters."""
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "xllamacpp"
        params["ls_model_name"] = os.path.basename(self.model_path)
        params["ls_temperature"] = kwargs.get("temperature", self.temperature)
        params["ls_max_tokens"] = kwargs.get("max_tokens", self.max_tokens)
        return params

    # -- model lifecycle ---------------------------------------------------

    @property
    def resolved_n_threads(self) -> int:
        """Thread count actually used (``n_threads`` or the usable core count)."""
        return self.n_threads if self.n_threads is not None else default_n_threads()

    @property
    def _server_key(self) -> _ServerKey:
        return (os.path.realpath(self.model_path), self.resolved_n_threads, self.n_ctx, self.repack_weights)

    @property
    def is_loaded(self) -> bool:
        """Whether the model for this configuration is already in memory."""
        with _servers_lock:
            return self._server_key in _servers

    def load(self) -> None:
        """Load the model now instead of on first use (e.g. to pre-warm)."""
        _get_server(self._server_key)

    def close(self) -> None:
        """Unload this configuration's model.

        The model is shared by every instance with the same
        ``(model_path, n_threads, n_ctx, repack_weights)``; it is reloaded on next use.
        In-flight generations are cancelled.
        """
        _close_server(self._server_key)

    # -- request building ----------------------------------------------------

    def _build_request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        """Build the OpenAI-style request dict for ``handle_chat_completions``."""
        params: dict[str, Any] = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "cache_prompt": True,
        }
        params.update({k: v for k, v in kwargs.items() if k not in _RESERVED_KEYS})
        if stop:
            params["stop"] = list(stop)
        _normalise_constraint_kwargs(params)
        openai_messages = convert_to_openai_messages(messages)
        return {
            **params,
            "messages": openai_messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    # -- generation -----------------------------------------------------------

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream the reply token by token.

        Each content delta is yielded as soon as llama.cpp produces it. The
        last chunk has empty content and carries ``finish_reason``,
        ``model_name`` and usage metadata. Stopping iteration (closing the
        generator) cancels the generation at the next token.
        """
        request = self._build_request(messages, stop, **kwargs)
        handle = _get_server(self._server_key)
        finish_reason: str | None = None
        usage: UsageMetadata | None = None
        response_id: str | None = None
        for raw in _stream_chunks(handle, request, self.timeout):
            response_id = raw.get("id", response_id)
            if raw.get("usage"):
                usage = _usage_from(raw["usage"])
            for choice in raw.get("choices") or ():
                finish_reason = choice.get("finish_reason") or finish_reason
                delta = choice.get("delta") or {}
                content = delta.get("content") or ""
                reasoning = delta.get("reasoning_content")
                logprobs = choice.get("logprobs")
                if not content and not reasoning and not logprobs:
                    continue
                additional = {"reasoning_content": reasoning} if reasoning else {}
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=content, additional_kwargs=additional, id=response_id),
                    generation_info={"logprobs": logprobs} if logprobs else None,
                )
                if run_manager and content:
                    run_manager.on_llm_new_token(content, chunk=chunk, logprobs=logprobs)
                yield chunk
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                id=response_id,
                usage_metadata=usage,
                response_metadata={"model_provider": "xllamacpp"},
                chunk_position="last",
            ),
            generation_info={
                "finish_reason": finish_reason,
                "model_name": os.path.basename(self.model_path),
            },
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Generate a full reply.

        Implemented on top of :meth:`_stream` so that a blocking call can still
        be interrupted (e.g. ``KeyboardInterrupt`` in the calling thread stops
        llama.cpp at the next token).
        """
        return generate_from_stream(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))

    # -- structured output ------------------------------------------------------

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable whose output is forced to match ``schema``.

        Decoding is constrained by llama.cpp (LLGuidance) with the JSON schema,
        so the output is always valid JSON of that shape (unless it is cut off
        by ``max_tokens``).

        Args:
            schema: A JSON schema dict, a Pydantic class, a TypedDict or an
                OpenAI function/tool schema.
            include_raw: If true, return ``{"raw", "parsed", "parsing_error"}``
                instead of raising on parse errors.
            **kwargs: Extra request options bound to the model (e.g.
                ``max_tokens``).

        Returns:
            A runnable producing a dict (or a Pydantic instance for a Pydantic
            ``schema``).
        """
        json_schema = _schema_to_json_schema(schema)
        name = json_schema.get("title") or getattr(schema, "__name__", None) or "output"
        llm = self.bind(
            response_format={
                "type": "json_schema",
                "json_schema": {"name": name, "schema": json_schema},
            },
            ls_structured_output_format={
                "kwargs": {"method": "json_schema"},
                "schema": json_schema,
            },
            **kwargs,
        )
        parser: Runnable[Any, Any]
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            parser = PydanticOutputParser(pydantic_object=schema)
        else:
            parser = JsonOutputParser()
        if include_raw:
            parser_assign = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
            parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
            parser_with_fallback = parser_assign.with_fallbacks([parser_none], exception_key="parsing_error")
            return RunnableMap(raw=llm) | parser_with_fallback
        return llm | parser
