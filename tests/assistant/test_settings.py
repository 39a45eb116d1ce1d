import pytest

from assistant.settings import SettingsError, load_settings


def test_precedence_defaults_file_env_flags(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('top_k = 7\ncollection = "from-file"\nthreads = 1\n')
    monkeypatch.setenv("ASSISTANT_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("ASSISTANT_COLLECTION", "from-env")
    s = load_settings(threads=2)
    assert s.top_k == 7  # file beats default
    assert s.collection == "from-env"  # env beats file
    assert s.threads == 2  # flag beats everything
    assert s.chunk_size == 400  # default


def test_bad_values_name_the_key(tmp_path):
    with pytest.raises(SettingsError, match="top_k"):
        load_settings(top_k=0)
    with pytest.raises(SettingsError, match="llm_model"):
        load_settings(llm_model="gpt-9")
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(config_file=str(tmp_path / "nope.toml"))


def test_data_dir_is_the_test_temp_dir(tmp_path_factory):
    s = load_settings()
    assert "assistant-data" in str(s.data_dir)
    assert s.model_store == s.data_dir / "models"


def test_nested_environment_and_config_tables_map_onto_the_flat_fields(tmp_path, monkeypatch):
    from assistant.settings import settings_origins

    cfg = tmp_path / "c.toml"
    cfg.write_text('top_k = 7\n[llm]\nmodel = "qwen2.5-coder-0.5b-instruct"\nbackend = "ollama"\n')
    cfg.write_text(cfg.read_text() + "[ingest]\nbatch = 12\n")
    monkeypatch.setenv("ASSISTANT_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "9")
    monkeypatch.setenv("ASSISTANT_LLM__TEMPERATURE", "0.5")
    s = load_settings()
    assert (s.llm_model, s.llm_backend, s.ingest_batch) == ("qwen2.5-coder-0.5b-instruct", "ollama", 12)
    assert s.top_k == 9 and s.temperature == 0.5  # the environment beats the file
    assert s.section("llm")["model"] == "qwen2.5-coder-0.5b-instruct" and s.section("retrieval")["top_k"] == 9
    origins = {name: origin for name, _, origin in settings_origins(s, set())}
    assert origins["top_k"] == "env ASSISTANT_RETRIEVAL__TOP_K"
    assert origins["llm_backend"] == f"config {cfg}" and origins["chunk_size"] == "default"


def test_flat_names_win_and_unknown_nested_keys_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "3")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "9")
    assert load_settings().top_k == 3
    monkeypatch.setenv("ASSISTANT_LLM__NO_SUCH", "1")
    with pytest.raises(SettingsError, match=r"llm\.no_such"):
        load_settings()
    monkeypatch.delenv("ASSISTANT_LLM__NO_SUCH")
    cfg = tmp_path / "c.toml"
    cfg.write_text("[ingest]\nsize = 1\n")
    with pytest.raises(SettingsError, match=r"ingest\.size"):
        load_settings(config_file=str(cfg))


def test_every_field_has_a_group_and_a_description():
    from assistant.settings import GROUPS, Settings, group_of

    for name, info in Settings.model_fields.items():
        assert group_of(name) in GROUPS, name
        assert info.description, name


def test_registry_backed_settings_accept_late_registrations():
    from assistant.llm import _BACKENDS, register_backend

    with pytest.raises(SettingsError, match="'embedded', 'openai' or 'ollama'"):
        load_settings(llm_backend="mine")
    register_backend("mine", lambda settings, gguf_path: None)
    try:
        assert load_settings(llm_backend="mine").llm_backend == "mine"
    finally:
        del _BACKENDS["mine"]
    with pytest.raises(SettingsError, match="embedding_prompts"):
        load_settings(embedding_prompts="nope")


def test_the_readme_configuration_table_lists_every_setting():
    import re
    from pathlib import Path

    from assistant.settings import Settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    listed = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            listed |= set(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
    assert set(Settings.model_fields) - listed == set()
