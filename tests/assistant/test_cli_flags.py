"""The settings flags are generated from the settings fields (fast: no model is loaded)."""

import argparse

import pytest

from assistant.cli import _setting_names, build_parser, main

TODAYS_FLAGS = {
    "config_file": "--config",
    "data_dir": "--data-dir",
    "collection": "--collection",
    "llm_model": "--llm-model",
    "llm_path": "--llm-path",
    "threads": "--threads",
    "top_k": "--top-k",
    "llm_backend": "--llm-backend",
    "openai_base_url": "--openai-base-url",
    "openai_model": "--openai-model",
    "ollama_base_url": "--ollama-base-url",
    "ollama_model": "--ollama-model",
    "embedding_model": "--embedding-model",
    "embedding_path": "--embedding-path",
    "embedding_prompts": "--embedding-prompts",
    "models_dir": "--models-dir",
    "chroma_url": "--chroma-url",
    "digest_sentences": "--digest-sentences",
}


def _actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions}


def test_the_same_flags_as_before_with_help_choices_and_types():
    assert set(_setting_names()) == set(TODAYS_FLAGS)
    actions = _actions(build_parser())
    for dest, flag in TODAYS_FLAGS.items():
        assert actions[dest].option_strings == [flag] and actions[dest].help, dest
    assert actions["llm_backend"].choices == ["embedded", "openai", "ollama"]
    assert actions["embedding_prompts"].choices == ["auto", "e5", "bge", "bge-zh", "embeddinggemma", "nomic", "none"]
    assert actions["digest_sentences"].choices == ["extractive", "llm"]  # a Literal's values
    assert actions["threads"].type is int and actions["top_k"].type is int
    assert actions["llm_model"].choices is None  # a bad name is the settings' one-line error, naming the key
    assert actions["data_dir"].metavar == "DIR" and actions["config_file"].metavar == "FILE"


def test_a_flag_before_the_subcommand_is_kept():
    parser = build_parser()
    args = parser.parse_args(["--top-k", "3", "sources", "--threads", "2"])
    assert (args.top_k, args.threads) == (3, 2)
    assert not hasattr(args, "llm_backend") or args.llm_backend is None
    with pytest.raises(SystemExit):
        parser.parse_args(["config", "--llm-backend", "nope"])


def test_config_show_names_the_flags(capsys):
    assert main(["--top-k", "3", "config", "show", "--llm-backend", "ollama", "--data-dir", "/tmp/x"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    assert "flag" in rows["top_k"] and "flag" in rows["llm_backend"] and "flag" in rows["data_dir"]
    assert "default" in rows["chunk_size"]


def test_a_bad_registry_name_is_one_line(capsys):
    assert main(["--llm-model", "gpt-9", "config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "llm_model" in err
