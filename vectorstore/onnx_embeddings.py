"""An embedding model exported to ONNX, run by onnxruntime with the ``tokenizers`` library: no torch,
transformers or sentence-transformers import, so a one-off question starts seconds sooner.

The folder (built by ``assistant.models.e5_onnx``) holds:

* ``model.onnx``: the encoder from the token vectors to the pooled, normalised sentence vector,
  already optimised by onnxruntime (so loading it skips that work);
* ``word_embeddings.npy``: the token table (250k x 384 for e5-small, 384 MB), read through a memory
  map: looking up a question's few tokens reads a few rows, not the table;
* ``tokenizer.json`` and ``onnx_config.json`` (prompts, maximum length, padding token).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from vectorstore.cpu import usable_cores
from vectorstore.embedding_prompts import PromptFamily, resolve_prompts
from vectorstore.embeddings import TextEmbedder

ONNX_CONFIG = "onnx_config.json"


class OnnxEmbedder(TextEmbedder):
    """The embedding model run by onnxruntime (float32: the same vectors as sentence-transformers' to 1e-6).

    ``passages``: returns where ``embed_documents`` goes instead (a collection built with int8 embeddings
    keeps embedding its passages that way, so all of them carry the same quantization), or None to
    embed them here.
    """

    def __init__(
        self,
        folder: Path | str,
        name: str,
        threads: int | None = None,
        batch_size: int = 16,
        prompt_family: PromptFamily = "auto",
        passages: Callable[[], Embeddings | None] | None = None,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / ONNX_CONFIG).read_text())
        self.name = name
        self.batch_size = batch_size
        self.max_length = int(config["max_seq_length"])
        self.dimension = int(config["dimension"])
        self._pad_id = int(config["pad_token_id"])
        prompts = resolve_prompts(prompt_family, name, config.get("prompts"))
        self.query_prompt = prompts.query
        self.passage_prompt = prompts.passage
        self._passages = passages
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_length)  # as sentence-transformers: the closing token kept
        self._words = np.load(folder / "word_embeddings.npy", mmap_mode="r")
        options = ort.SessionOptions()
        # a fixed count (not the momentarily free cores): the same question must embed the same way
        options.intra_op_num_threads = threads or usable_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # saved optimised
        self._session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self._start()

    def _token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts))]

    def _encode_batch(self, texts: list[str], prompt: str | None) -> Any:
        rows = [e.ids for e in self._tokenizer.encode_batch([(prompt or "") + t for t in texts])]
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        vectors = np.ascontiguousarray(self._words[ids], dtype=np.float32)
        return self._session.run(None, {"inputs_embeds": vectors, "attention_mask": mask})[0]

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None) -> list[list[float]]:
        """Embed passages (with the passage prompt), here or by the collection's own passage embedder."""
        embedder = self._passages() if self._passages is not None else None
        if isinstance(embedder, TextEmbedder):
            return embedder.embed_documents(texts, progress)
        if embedder is not None:
            return embedder.embed_documents(texts)
        return super().embed_documents(texts, progress)
