"""The stored prompt prefix: its file is named by everything that changes it; a missing file or folder
is no error (the prefix is then processed as before)."""

from types import SimpleNamespace

from assistant.llm.prefix_cache import prefix_file_name, restore_prefix, save_prefix


def test_the_file_name_follows_model_threads_and_prefix(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"gguf")
    key = (str(model), 2, 4096, False)
    name = prefix_file_name(key, "system prompt")
    assert name.startswith("prefix-") and name.endswith(".bin")
    assert name == prefix_file_name(key, "system prompt")
    assert name != prefix_file_name((str(model), 1, 4096, False), "system prompt")  # threads change the numbers
    assert name != prefix_file_name(key, "another system prompt")
    model.write_bytes(b"another gguf")
    assert name != prefix_file_name(key, "system prompt")


def test_nothing_saved_or_writable_is_no_error(tmp_path):
    handle = SimpleNamespace(server=None, api_key="k", slot_dir=str(tmp_path / "none"))
    assert restore_prefix(handle, "prefix-x.bin") is False
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "prefix-cache").write_text("a file where the folder would be")
    blocked = SimpleNamespace(server=None, api_key="k", slot_dir=str(tmp_path / "ro" / "prefix-cache"))
    assert save_prefix(blocked, "prefix-x.bin") is False
