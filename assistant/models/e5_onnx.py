"""Export the prepared multilingual-e5-small folder to ONNX for onnxruntime (``vectorstore.onnx_embeddings``).

A question then needs neither torch nor sentence-transformers: importing and loading those took 5.8 s
of a cold ``assistant --ask``. The export runs once, at ``assistant models prepare`` or at the first
question after the e5 folder was built, and is checked against sentence-transformers before use.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.models.gguf import ModelError
from assistant.models.model_folder import build_in_place, folder_problem

E5_ONNX_FOLDER = "multilingual-e5-small-onnx"
_OPSET = 17
# probe texts: the ONNX vectors must equal sentence-transformers' (float32) on each
_PROBES = (
    "query: Siapa yang memerintahkan pengiriman pasukan ke Rusia?",
    "passage: Kim Jong Un ordered the deployment of troops to Russia.",
    "passage: ประเทศไทยมีประชากรประมาณเจ็ดสิบล้านคน",
    "passage: " + "Harga beras naik di Jakarta pada Senin pagi. " * 80,  # longer than 512 tokens
)
_MAX_DIFFERENCE = 1e-4


def prepared_e5_onnx_path(models_dir: Path) -> Path:
    """Where the ONNX export of the prepared e5 folder lives."""
    return models_dir / E5_ONNX_FOLDER


def e5_onnx_problem(models_dir: Path, checksums: bool = False) -> str | None:
    """What is wrong with the ONNX export (one line), or None when it is ready."""
    return folder_problem(prepared_e5_onnx_path(models_dir), checksums, weights="model.onnx")


def build_e5_onnx(source: Path, models_dir: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Export the sentence-transformers folder ``source`` (BERT, mean pooling, normalised) to ONNX in a
    temp folder, optimise it, check it against sentence-transformers, rename it into place."""

    def build(folder: Path) -> dict[str, float]:
        if progress:
            progress("exporting the embedding model to ONNX")
        try:
            _export(source, folder)
        except ImportError as exc:
            raise ModelError(f"cannot export the embedding model to ONNX: {exc}") from None
        if progress:
            progress("checking the ONNX embedding model")
        return _check(source, folder)

    return build_in_place(
        prepared_e5_onnx_path(models_dir), build, lambda folder: folder_problem(folder, weights="model.onnx")
    )


def _sentence_config(source: Path) -> dict[str, object]:
    """The settings the ONNX runtime needs, read from the sentence-transformers folder."""
    modules = json.loads((source / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = json.loads((source / "1_Pooling" / "config.json").read_text()) if (source / "1_Pooling").is_dir() else {}
    if kinds != ["Transformer", "Pooling", "Normalize"] or not pooling.get("pooling_mode_mean_tokens"):
        raise ModelError(f"{source} is not a mean-pooled, normalised encoder; it runs on sentence-transformers")
    bert = json.loads((source / "sentence_bert_config.json").read_text())
    config = json.loads((source / "config.json").read_text())
    saved = source / "config_sentence_transformers.json"
    prompts = json.loads(saved.read_text()).get("prompts", {}) if saved.is_file() else {}
    return {
        "max_seq_length": int(bert.get("max_seq_length", 512)),
        "dimension": int(pooling["word_embedding_dimension"]),
        "pad_token_id": int(config.get("pad_token_id", 1)),
        "prompts": prompts,
    }


def _export(source: Path, folder: Path) -> None:
    """Write model.onnx (token vectors -> pooled normalised vector), the token table and the tokenizer."""
    import warnings

    import onnxruntime as ort
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    config = _sentence_config(source)
    model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class _Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    table = model.get_input_embeddings().weight.detach().numpy()
    np.save(folder / "word_embeddings.npy", np.ascontiguousarray(table, dtype=np.float32))
    example = (torch.zeros(2, 4, table.shape[1]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    raw = folder / "raw.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's notices
        torch.onnx.export(
            _Pooled(model).eval(),
            example,
            str(raw),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"inputs_embeds": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
            opset_version=_OPSET,
            dynamo=False,
        )
    options = ort.SessionOptions()
    # fused attention, GELU and layer norms; saved, so that loading skips the optimisation
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(folder / "model.onnx")
    ort.InferenceSession(str(raw), options, providers=["CPUExecutionProvider"])
    raw.unlink()
    shutil.copyfile(source / "tokenizer.json", folder / "tokenizer.json")
    from vectorstore.onnx_embeddings import ONNX_CONFIG

    (folder / ONNX_CONFIG).write_text(json.dumps(config, indent=2))


def _check(source: Path, folder: Path) -> dict[str, float]:
    """The largest difference between the ONNX and sentence-transformers vectors on the probes; raises
    ModelError if it exceeds 1e-4."""
    from sentence_transformers import SentenceTransformer

    from vectorstore.onnx_embeddings import OnnxEmbedder

    expected = SentenceTransformer(str(source), device="cpu", local_files_only=True).encode(
        list(_PROBES), normalize_embeddings=True
    )
    onnx = OnnxEmbedder(folder, "check", prompt_family="none")
    got = np.asarray([onnx._encode_batch([text], None)[0] for text in _PROBES])
    difference = float(np.abs(got - expected).max())
    if not difference <= _MAX_DIFFERENCE:
        raise ModelError(f"the ONNX embedding model differs from sentence-transformers by {difference:.2g}")
    return {"max_difference": difference}
