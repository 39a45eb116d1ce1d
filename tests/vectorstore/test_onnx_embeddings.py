"""The ONNX runtime of e5-small gives sentence-transformers' float32 vectors, without importing torch."""

import json
import subprocess
import sys

import numpy as np
import pytest

TEXTS = [
    "Siapa yang memerintahkan pengiriman pasukan ke Rusia?",
    "Kim Jong Un ordered the deployment of troops to Russia.",
    "ประเทศไทยมีประชากรประมาณเจ็ดสิบล้านคน " * 60,  # beyond 512 tokens: truncated the same way
    "Harga beras naik.",
]


def test_onnx_vectors_are_sentence_transformers_float32_vectors(embedder, onnx_embedder):
    assert (onnx_embedder.query_prompt, onnx_embedder.passage_prompt) == ("query: ", "passage: ")
    assert onnx_embedder.dimension == embedder.dimension == 384
    expected = np.asarray(embedder.embed_documents(TEXTS))
    got = np.asarray(onnx_embedder.embed_documents(TEXTS))
    assert np.abs(got - expected).max() < 1e-5
    question = TEXTS[0]
    assert np.abs(np.asarray(onnx_embedder.embed_query(question)) - embedder.embed_query(question)).max() < 1e-5


@pytest.mark.parametrize("which", ["embedder", "onnx_embedder"])
def test_batches_and_kept_vectors_are_the_same_on_both_runtimes(which, request):
    model = request.getfixturevalue(which)
    texts = [*TEXTS, *(f"Berita singkat nomor {i}." for i in range(20))]
    batches = model._batches(texts, model.passage_prompt)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    assert batches[0][0] == 2  # the longest first
    model._groups.clear()
    alone = model.embed_sentence_groups([TEXTS[:2]])[0]
    beside = model.embed_sentence_groups([TEXTS[2:], TEXTS[:2]])
    assert beside[1] == alone


def test_an_int8_collection_embeds_its_passages_with_its_own_model(onnx_embedding_path):
    from vectorstore.onnx_embeddings import OnnxEmbedder

    class Int8Passages:
        def embed_documents(self, texts):
            return [[0.5] * 384 for _ in texts]

    model = OnnxEmbedder(onnx_embedding_path, "intfloat/multilingual-e5-small", passages=Int8Passages)
    assert model.embed_documents(["Harga beras naik."]) == [[0.5] * 384]
    assert model.embed_sentence_groups([["Harga beras naik."]])[0][0] != [0.5] * 384  # questions' side: here


def test_embedding_a_question_imports_neither_torch_nor_sentence_transformers(onnx_embedding_path):
    code = (
        "import sys, json\n"
        "from vectorstore.onnx_embeddings import OnnxEmbedder\n"
        f"m = OnnxEmbedder({str(onnx_embedding_path)!r}, 'intfloat/multilingual-e5-small')\n"
        "m.embed_query('Siapa yang memerintahkan pengiriman pasukan?')\n"
        "print(json.dumps(sorted(k for k in ('torch', 'transformers', 'sentence_transformers') if k in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_a_truncated_export_is_not_ready(models_dir, onnx_embedding_path):
    from assistant.models.e5_onnx import e5_onnx_problem

    model = onnx_embedding_path / "model.onnx"
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2])
    try:
        assert "bytes" in (e5_onnx_problem(models_dir) or "")  # so the next use exports it again
    finally:
        model.write_bytes(data)
    assert e5_onnx_problem(models_dir) is None
