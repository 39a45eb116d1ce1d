"""Query/passage prompts per embedding-model family."""

import pytest

from vectorstore.embedding_prompts import FAMILIES, EmbeddingPrompts, family_for, resolve_prompts


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("intfloat/multilingual-e5-small", "e5"),
        ("intfloat/e5-base-v2", "e5"),
        ("BAAI/bge-small-en-v1.5", "bge"),
        ("BAAI/bge-large-zh-v1.5", "bge-zh"),
        ("BAAI/bge-m3", "none"),
        ("google/embeddinggemma-300m", "embeddinggemma"),
        ("nomic-ai/nomic-embed-text-v1.5", "nomic"),
        ("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", "none"),
        ("/models/my-local-folder", "none"),
    ],
)
def test_family_from_the_model_name(name, family):
    assert family_for(name) == family


def test_saved_prompts_win_in_auto_and_an_explicit_family_wins_over_both():
    saved = {"query": "Q: ", "document": "D: "}
    assert resolve_prompts("auto", "BAAI/bge-small-en-v1.5", saved) == EmbeddingPrompts("Q: ", "D: ")
    assert resolve_prompts("auto", "BAAI/bge-small-en-v1.5", {}) == FAMILIES["bge"]
    assert resolve_prompts("e5", "anything", saved) == FAMILIES["e5"]
    assert resolve_prompts("none", "intfloat/multilingual-e5-small", saved).query is None


def test_the_setting_reaches_the_real_model(embedding_path, embedder):
    from vectorstore.embeddings import PassageEmbedder

    assert (embedder.query_prompt, embedder.passage_prompt) == ("query: ", "passage: ")
    bare = PassageEmbedder(embedding_path, "intfloat/multilingual-e5-small", prompt_family="none")
    assert bare.query_prompt is None and bare.passage_prompt is None
    question = "Siapa pemimpin Korea Utara?"
    with_prompt, without = embedder.embed_query(question), bare.embed_query(question)
    assert sum(a * b for a, b in zip(with_prompt, without, strict=True)) < 0.999


def test_a_registered_family_is_chosen_by_auto_and_listed():
    from vectorstore import embedding_prompts as ep

    assert ep.prompt_family_names() == ["auto", "e5", "bge", "bge-zh", "embeddinggemma", "nomic", "none"]
    ep.register_prompt_family("gte", ep.EmbeddingPrompts("q: ", None), lambda name: name.startswith("gte"))
    try:
        assert ep.family_for("thenlper/gte-small") == "gte"
        assert ep.resolve_prompts("auto", "thenlper/gte-small").query == "q: "
        assert "gte" in ep.prompt_family_names()
    finally:
        del ep.FAMILIES["gte"], ep._MATCHERS["gte"]
    assert ep.family_for("thenlper/gte-small") == "none"
