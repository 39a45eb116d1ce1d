"""Embedding models with query/passage prompts, as LangChain and Chroma embeddings: the base that batches
and keeps vectors, and the sentence-transformers (torch) runtime."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.cpu import usable_cores
from vectorstore.embedding_prompts import PromptFamily, resolve_prompts
from vectorstore.memory import release_freed_memory

_QUERIES_KEPT = 32
# passages whose sentence vectors are kept, as float32 arrays: about 20 MB for e5-small's 384 dimensions
# (six sentences a passage; 40 MB at EmbeddingGemma's 768); as lists of floats, eight times that
_GROUPS_KEPT = 2048
_TOKENS_PER_TEXT = 128  # a batch holds at most batch_size x this many (padded) tokens


class _LastKept:
    """The last ``size`` values by key, safe across threads (the service embeds on several)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        """The value kept for ``key`` (now the most recent), or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        """Keep ``value`` for ``key``, dropping the least recent beyond ``size``."""
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()


class TextEmbedder(Embeddings):
    """Encodes passages and queries with the prompts of the model's family (``passage: `` / ``query: `` for E5),
    keeping the last questions' and passages' sentence vectors; subclasses run the model.

    Texts are encoded in batches sorted by length, so padding stays small (batches of 16 measured
    faster than 32 or 64 on 2 cores), and long ones in smaller batches (a token budget per batch).
    """

    name: str
    batch_size: int
    query_prompt: str | None
    passage_prompt: str | None
    dimension: int
    max_length: int = 512

    def _start(self) -> None:
        # the last questions' vectors: a question is embedded for retrieval, then for its evidence; one
        # text alone in its batch has no padding, so a stored vector is exactly what encoding it gives
        self._queries = _LastKept(_QUERIES_KEPT)
        self._groups = _LastKept(_GROUPS_KEPT)  # a passage's sentences -> their float32 vectors

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        """How many tokens each (prompted) text takes before truncation."""
        raise NotImplementedError

    def _encode_batch(self, texts: list[str], prompt: str | None) -> Any:
        """Normalised vectors (rows of an array) of one batch of texts, ``prompt`` put before each."""
        raise NotImplementedError

    def _encode(
        self, texts: Sequence[str], prompt: str | None, progress: Callable[[int], None] | None = None
    ) -> list[list[float]]:
        out: list[Any] = [None] * len(texts)
        for batch in self._batches(texts, prompt):
            vectors = self._encode_batch([texts[i] for i in batch], prompt)
            for i, vector in zip(batch, vectors, strict=True):
                out[i] = vector.tolist()
            if progress:
                progress(len(batch))
        if len(texts) > self.batch_size:  # a group of batches (an ingest flush), not one question
            release_freed_memory()
        return out

    def _batches(self, texts: Sequence[str], prompt: str | None) -> list[list[int]]:
        """Indexes of ``texts`` in batches, longest first, each padded to at most ``batch_size`` x 128 tokens:
        passages of scripts that take many tokens per character (Thai, Hindi) go in smaller batches, so
        the memory a batch needs does not depend on which languages a corpus holds."""
        if len(texts) <= 1:
            return [list(range(len(texts)))]
        counts = self._token_counts([(prompt or "") + t for t in texts])
        lengths = [min(n, self.max_length) for n in counts]
        budget = self.batch_size * _TOKENS_PER_TEXT
        batches: list[list[int]] = []
        for i in sorted(range(len(texts)), key=lambda i: lengths[i], reverse=True):
            batch = batches[-1] if batches else None
            # sorted longest first: the batch's first text sets its padded length
            if batch is None or len(batch) >= self.batch_size or (len(batch) + 1) * lengths[batch[0]] > budget:
                batches.append([i])
            else:
                batch.append(i)
        return batches

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None) -> list[list[float]]:
        """Embed passages (with the passage prompt)."""
        return self._encode(texts, self.passage_prompt, progress)

    def embed_sentence_groups(self, groups: list[list[str]]) -> list[list[list[float]]]:
        """Embed each group of texts (a passage's sentences, with the passage prompt) on its own: int8
        quantizes activations per batch, so batching groups together would make a sentence's vector
        depend on the other passages retrieved with it. The last groups embedded are kept."""
        out: list[list[list[float]]] = []
        for group in groups:
            key = tuple(group)
            vectors = self._groups.get(key)
            if vectors is None:
                # the model's vectors are float32: kept as such, they come back exactly as encoded
                vectors = np.asarray(self._encode(group, self.passage_prompt) if group else [], dtype=np.float32)
                self._groups.put(key, vectors)
            out.append(vectors.tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed one question (with the query prompt); the last few are kept."""
        vector = self._queries.get(text)
        if vector is None:
            vector = self._encode([text], self.query_prompt)[0]
            self._queries.put(text, vector)
        return list(vector)


class PassageEmbedder(TextEmbedder):
    """A sentence-transformers model (torch); ``int8`` quantizes its linear layers (dynamic int8)."""

    def __init__(
        self,
        model_path: Path | str,
        name: str,
        threads: int | None = None,
        batch_size: int = 16,
        prompt_family: PromptFamily = "auto",
        int8: bool = False,
    ):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        # a fixed count (not the momentarily free cores): the same question must embed the same way
        torch.set_num_threads(threads or usable_cores())
        self.name = name
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self.int8 = int8
        if int8:
            self.model = quantize_int8(self.model)
        prompts = resolve_prompts(prompt_family, name, self.model.prompts)
        self.query_prompt = prompts.query
        self.passage_prompt = prompts.passage
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(get_dim() or 0)
        self.max_length = int(getattr(self.model, "max_seq_length", 512) or 512)
        self._start()

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.model.tokenizer(list(texts), truncation=False)["input_ids"]]

    def _encode_batch(self, texts: list[str], prompt: str | None) -> Any:
        return self.model.encode(texts, prompt=prompt, normalize_embeddings=True, batch_size=self.batch_size)


def quantize_int8(model: Any) -> Any:
    """The model with its linear layers quantized to int8 (dynamic; about 3x faster on AVX2/VNNI CPUs)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao deprecation notices
        # in place: a copy would hold the fp32 weights (and the 250k-token embedding table) twice
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def _not_here() -> TextEmbedder:
    raise RuntimeError("open the collection through the assistant, which supplies its embedding model")


def chroma_embedding_function(get_embedder: Callable[[], TextEmbedder], name: str) -> Any:
    """Wrap the embedder for Chroma, so Chroma never falls back to its own (networked) default.

    The model is loaded only if Chroma actually needs to embed (it never does for listing or deleting).
    """
    from chromadb.api.types import Documents, EmbeddingFunction
    from chromadb.api.types import Embeddings as ChromaEmbeddings

    class _ChromaAdapter(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002 - Chroma's signature
            return get_embedder().embed_documents(list(input))  # type: ignore[return-value]

        def embed_query(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002
            return [get_embedder().embed_query(t) for t in input]  # type: ignore[return-value]

        @staticmethod
        def name() -> str:
            return "article-assistant"

        def get_config(self) -> dict[str, Any]:
            return {"model": name}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            # Chroma rebuilds the function when it reads a collection's configuration; this copy only
            # says that embedding goes through the assistant (which passes the real one in).
            return chroma_embedding_function(_not_here, str(config.get("model", "")))

        def is_legacy(self) -> bool:
            return False

    return _ChromaAdapter()
