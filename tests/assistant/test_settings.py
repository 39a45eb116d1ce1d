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
