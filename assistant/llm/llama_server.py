"""The embedded llama.cpp servers (``xllamacpp.Server``): loading, the module-level cache, release.

A server is loaded on first use and cached per ``(model_path, n_threads, n_ctx, repack_weights)``,
so several chat model instances (or ``.bind()`` copies of one) share a single copy of the weights
and KV cache. ``release_server`` evicts one entry so its weights are freed once no generation uses
them any more; ``close_all_models`` evicts every entry (and runs at interpreter exit).

Notes on the xllamacpp API (version 2026.10.x), found by reading its source and by experiment:

* ``Server(CommonParams)`` loads the model and starts llama.cpp's task loop on a background thread.
  It *also* always starts the OpenAI-compatible HTTP listener (``127.0.0.1`` on a random port when
  ``params.port == 0``); we protect it with a random API key. In-process calls do not go through HTTP.
* There is no explicit ``close()``; the C++ server is shut down (task loop stopped, model freed) when
  the Python ``Server`` object is deallocated.
"""

from __future__ import annotations

import atexit
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

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

#: How long interpreter exit waits for cancelled generations to return. A
#: generation can only be cancelled once prompt processing is over, and a
#: worker thread still inside llama.cpp when Python finalises aborts the
#: process ("FATAL: exception not rethrown").
_EXIT_JOIN_TIMEOUT_S = 120.0

ServerKey = tuple[str, int, int, bool]


def default_n_threads() -> int:
    """Return the number of CPU cores this process may run on."""
    from vectorstore.cpu import usable_cores

    return usable_cores()


@dataclass(eq=False)
class ServerHandle:
    """A loaded ``xllamacpp.Server``, with the address and key of its HTTP listener (the slot
    save/restore endpoints, ``assistant.llm.prefix_cache``) and the folder its slots are saved in."""

    server: Any
    api_key: str = ""
    slot_dir: str = ""


@dataclass(eq=False)
class Generation:
    """An in-flight generation: its worker thread and cancel flag."""

    handle: ServerHandle
    worker: threading.Thread
    cancel: threading.Event = field(default_factory=threading.Event)


_servers: dict[ServerKey, ServerHandle] = {}
_servers_lock = threading.Lock()
_load_locks: dict[ServerKey, threading.Lock] = {}
_generations: set[Generation] = set()
_generations_lock = threading.Lock()


def register_generation(generation: Generation) -> None:
    """Record an in-flight generation (so releasing its server or exiting can cancel it)."""
    with _generations_lock:
        _generations.add(generation)


def unregister_generation(generation: Generation) -> None:
    """Forget a generation whose worker has returned."""
    with _generations_lock:
        _generations.discard(generation)


def _cancel_generations(handle: ServerHandle | None = None) -> list[Generation]:
    """Set the cancel flag of in-flight generations (of ``handle``, or all)."""
    with _generations_lock:
        selected = [g for g in _generations if handle is None or g.handle is handle]
    for generation in selected:
        generation.cancel.set()
    return selected


def slot_dir_for(model_path: str) -> str:
    """Where processed prompt prefixes of a model are kept: ``prefix-cache/`` beside its GGUF."""
    return os.path.join(os.path.dirname(model_path), "prefix-cache")


def _load_server(key: ServerKey, api_key: str) -> Any:
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
    params.api_keys = [api_key]
    params.n_threads_http = 1
    # the slot endpoints save and restore the processed prompt prefix (a trailing separator: llama.cpp
    # joins the folder and the file name as strings)
    params.endpoint_slots = True
    params.slot_save_path = slot_dir_for(model_path) + os.sep
    try:
        return xllamacpp.Server(params)
    except RuntimeError as exc:  # xllamacpp gives no detail; llama.cpp logs are silenced
        msg = (
            f"could not load GGUF model {model_path!r} ({exc}); set {__name__}.LOG_VERBOSITY = 3 to see llama.cpp's log"
        )
        raise RuntimeError(msg) from exc


def get_server(key: ServerKey) -> ServerHandle:
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
            api_key = secrets.token_urlsafe(32)
            handle = ServerHandle(_load_server(key, api_key), api_key, slot_dir_for(key[0]))
            with _servers_lock:
                _servers[key] = handle
        return handle


def release_server(key: ServerKey, cancel: bool = True) -> bool:
    """Drop the cached server for ``key``; return whether one was cached.

    In-flight generations of that server still hold a reference to it, so the native server (weights,
    KV cache, task loop, HTTP listener) is freed when the last of them returns, or at once when none
    runs; with ``cancel`` they are asked to stop at their next token, else they finish."""
    with _servers_lock:
        handle = _servers.pop(key, None)
    if handle is None:
        return False
    if cancel:
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
        release_server(key)


def _shutdown() -> None:
    """At interpreter exit: cancel generations, wait for workers, unload models."""
    for generation in _cancel_generations():
        generation.worker.join(_EXIT_JOIN_TIMEOUT_S)
    close_all_models()


atexit.register(_shutdown)
