"""One error family and one classification of storage and network failures."""

import errno

import httpx
import openai
import pytest

from assistant import cli
from assistant.errors import (
    EXIT_ERROR,
    EXIT_USAGE,
    AssistantError,
    UsageError,
    describe,
    describe_llm_error,
    is_timeout,
    is_unreachable,
    storage_problem,
)


def test_cli_error_is_the_family_and_the_exit_codes_stay_importable():
    assert cli.CliError is AssistantError
    assert (cli.EXIT_OK, cli.EXIT_ERROR, cli.EXIT_USAGE, cli.EXIT_PARTIAL, cli.EXIT_PIPE) == (0, 1, 2, 3, 141)
    assert AssistantError("x").code == EXIT_ERROR
    assert UsageError("bad flag").code == EXIT_USAGE and isinstance(UsageError("x"), AssistantError)
    assert describe(AssistantError("first\nsecond")) == "first"


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EFBIG, "File too large"),
        RuntimeError("database or disk is full"),
    ],
)
def test_full_disk(exc):
    assert storage_problem(exc).startswith("the disk is full")
    assert describe(exc).startswith("the disk is full")


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.EROFS, "Read-only file system", "/data/x"),
        PermissionError(errno.EACCES, "Permission denied"),
        RuntimeError("attempt to write a readonly database"),
    ],
)
def test_read_only(exc):
    assert "read-only or not yours" in describe(exc)


def test_read_only_names_the_file():
    assert "(/data/x)" in describe(OSError(errno.EROFS, "Read-only file system", "/data/x"))


def test_other_errors_are_not_storage():
    assert storage_problem(ValueError("bad")) is None
    assert describe(ValueError("bad\nmore")) == "ValueError: bad"
    assert describe(ValueError()) == "ValueError"


def test_network_errors_are_recognised_by_type_not_name():
    request = httpx.Request("GET", "http://127.0.0.1:1")
    timeouts = [TimeoutError("t"), httpx.ReadTimeout("t", request=request), openai.APITimeoutError(request)]
    unreachable = [ConnectionRefusedError("refused"), httpx.ConnectError("refused", request=request),
                   openai.APIConnectionError(request=request)]
    for exc in timeouts:
        assert is_timeout(exc) and not is_unreachable(exc), exc
        assert describe_llm_error(exc).startswith("the LLM did not answer in time")
    for exc in unreachable:
        assert is_unreachable(exc) and not is_timeout(exc), exc
        assert describe_llm_error(exc).startswith("cannot reach the LLM server")
        assert describe(exc).startswith("cannot reach the LLM server")

    class ConnectTimeoutLookalike(Exception):  # a name is not a type
        pass

    assert not is_timeout(ConnectTimeoutLookalike()) and not is_unreachable(ConnectTimeoutLookalike())
    assert describe_llm_error(ConnectTimeoutLookalike("x")) == "the LLM failed (ConnectTimeoutLookalike: x)"


def test_own_message_errors_keep_their_line():
    from assistant.settings import SettingsError
    from vectorstore.loaders import LoadError
    from vectorstore.store import StoreError

    for cls in (SettingsError, LoadError, StoreError):
        assert describe(cls("the message\ndetail")) == "the message"


def test_the_cli_prints_one_line_with_the_error_code(monkeypatch, capsys):
    def fail(parser, args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli, "_dispatch", fail)
    assert cli.main(["sources"]) == EXIT_ERROR
    assert capsys.readouterr().err == (
        "assistant: error: the disk is full: nothing was written past this point; "
        "free some space and run the command again\n"
    )

    def usage(parser, args):
        raise UsageError("give files")

    monkeypatch.setattr(cli, "_dispatch", usage)
    assert cli.main(["sources"]) == EXIT_USAGE
    assert capsys.readouterr().err == "assistant: error: give files\n"
