"""Answering's embedding work (retrieval, evidence, the prompt budget, the support check) runs on the
ONNX export: a one-off question imports neither torch nor transformers nor sentence-transformers."""

import json
import os
import subprocess
import sys

from assistant.cli import main

QUESTION = "Siapa yang memerintahkan pengiriman pasukan Korea Utara ke Rusia?"
PROBE = """
import json, sys
from assistant.app import Assistant
from assistant.settings import load_settings
a = Assistant(load_settings(), reader=True)
sources = a.search(QUESTION)
s = a.services
scores = s.sentence_scores(QUESTION, ["Kim Jong Un memerintahkan pengiriman.", "Harga beras naik."])
support = s.similarity("Kim Jong Un memerintahkan pengiriman pasukan.", sources[0].passage)
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
print(json.dumps({"heavy": heavy, "scores": scores, "support": support, "n": len(sources)}))
"""


def test_a_question_embeds_without_torch(monkeypatch, onnx_embedding_path, sample_path, capsys):
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(onnx_embedding_path.parent))
    assert main(["ingest", str(sample_path)]) == 0  # passages: sentence-transformers, int8
    capsys.readouterr()
    code = f"QUESTION = {QUESTION!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert result["n"] > 0
    assert result["scores"][0] > result["scores"][1]
    assert result["support"] > 0.8
