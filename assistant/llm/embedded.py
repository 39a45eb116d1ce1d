"""In-process GGUF chat model for LangChain, backed by ``xllamacpp``.

``EmbeddedChatModel`` runs a GGUF model inside the current process through xllamacpp's embedded
llama.cpp server (``xllamacpp.Server``). The pieces live in three modules:

* ``assistant.llm.llama_server``: loading the server, the module-level cache shared per
  ``(model_path, n_threads, n_ctx, repack_weights)``, and releasing it (``release_server``,
  ``close_all_models``);
* ``assistant.llm.stream_bridge``: the worker thread that runs a generation and hands its chunks
  to a generator (cancellation, timeouts, server errors);
* this module: the LangChain chat model (request building, chunks to ``AIMessageChunk``).

Request keys used: ``messages``, ``stream``, ``stream_options`` (``{"include_usage": True}``),
``max_tokens``, ``temperature``, ``seed``, ``stop``, ``cache_prompt``; optional pass-through keys
include ``response_format``, ``json_schema``, ``grammar``, ``logprobs``, ``top_logprobs`` and any
other llama.cpp server option (``top_k``, ``top_p``, ``min_p``, ``repeat_penalty``, ``n_probs``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
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
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field

from assistant.llm.llama_server import ServerKey, close_all_models, default_n_threads, get_server, release_server
from assistant.llm.stream_bridge import EmbeddedModelError, EmbeddedModelTimeout, stream_chunks

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.language_models.base import LangSmithParams

__all__ = [
    "EmbeddedChatModel",
    "EmbeddedModelError",
    "EmbeddedModelTimeout",
    "close_all_models",
    "default_n_threads",
    "release_model",
]

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


class EmbeddedChatModel(BaseChatModel):
    """LangChain chat model that runs a GGUF in-process with xllamacpp.

    The model is loaded on first use and shared (module-level cache keyed by
    ``(model_path, n_threads, n_ctx, repack_weights)``) between instances. Prompt caching is
    always on, so a repeated prefix such as a long system prompt is not
    re-evaluated between calls.

    Extra keyword arguments given to ``invoke``/``stream``/``bind`` are copied
    into the OpenAI-style request, which lets callers use any llama.cpp server
    option. The useful ones:

    * ``response_format={"type": "json_schema", "json_schema": {"schema": S}}``,
      ``json_schema=S`` (a JSON schema dict) or ``grammar="<GBNF>"`` to
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

            schema = {"type": "object", "properties": {"found": {"type": "boolean"}}, "required": ["found"]}
            reply = llm.invoke(messages, json_schema=schema)  # reply.content is JSON of that shape

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
    def _server_key(self) -> ServerKey:
        return (os.path.realpath(self.model_path), self.resolved_n_threads, self.n_ctx, self.repack_weights)

    def load(self) -> None:
        """Load the model now instead of on first use (e.g. to pre-warm)."""
        get_server(self._server_key)

    def restore_prefix(self, prefix_text: str) -> bool:
        """Load the saved processed ``prefix_text`` into the model's slot (``assistant.llm.prefix_cache``);
        False when none is saved yet."""
        from assistant.llm.prefix_cache import prefix_file_name, restore_prefix

        return restore_prefix(get_server(self._server_key), prefix_file_name(self._server_key, prefix_text))

    def save_prefix(self, prefix_text: str) -> bool:
        """Save the slot, which holds the just-processed ``prefix_text``, for the next process."""
        from assistant.llm.prefix_cache import prefix_file_name, save_prefix

        return save_prefix(get_server(self._server_key), prefix_file_name(self._server_key, prefix_text))

    def release(self) -> bool:
        """Evict this configuration's server from the cache, so its weights are freed: at once, or when
        an answer still being generated with it has finished; return whether one was loaded.

        The server is shared by every instance with the same ``(model_path, n_threads, n_ctx,
        repack_weights)``; it is loaded again on next use."""
        return release_server(self._server_key, cancel=False)

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
        handle = get_server(self._server_key)
        finish_reason: str | None = None
        usage: UsageMetadata | None = None
        response_id: str | None = None
        for raw in stream_chunks(handle, request, self.timeout):
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


def release_model(model: object) -> bool:
    """Free the weights of ``model`` if it is an ``EmbeddedChatModel`` (other backends hold none);
    return whether a loaded server was evicted. See ``EmbeddedChatModel.release``."""
    return model.release() if isinstance(model, EmbeddedChatModel) else False
