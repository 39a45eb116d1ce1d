"""One error family for every front end, and one way to name any other failure in a line.

``AssistantError(message, code)`` is what a front end reports as one line with an exit code
(``assistant.cli.CliError`` is this class). ``describe`` turns any other exception into such a line:
storage faults (``vectorstore.faults``, the single classification shared with the stores), LLM servers
that cannot be reached or did not answer in time, a damaged collection. Network errors are recognised
by type, never by their class names: the classes of httpx, httpcore, openai and requests are looked
up only in modules already imported (an exception of a library can only come from a loaded library),
so classifying an error never imports anything heavy.

``SettingsError`` (a bad configuration value) is defined here too, beside the family: the settings raise
it, and so do the LLM backends, which therefore need not import ``assistant.settings``.
"""

from __future__ import annotations

import sys

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # what a shell reports for a process ended by SIGPIPE (the reader of its output went away)


class AssistantError(Exception):
    """An error reported to the user as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(message)
        self.code = code

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self)


class UsageError(AssistantError):
    """The command was given wrongly (exit code 2)."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message, code)


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the key (``assistant.settings`` raises it, and
    so do the LLM backends, which read the settings without importing that module)."""


# (module, class name) of the exceptions that mean "did not answer in time" / "cannot be reached";
# a timeout is checked first (openai's APITimeoutError is an APIConnectionError).
_TIMEOUT_CLASSES = (
    ("httpx", "TimeoutException"),
    ("httpcore", "TimeoutException"),
    ("openai", "APITimeoutError"),
    ("requests", "Timeout"),
)
_CONNECT_CLASSES = (
    ("httpx", "ConnectError"),
    ("httpx", "NetworkError"),
    ("httpcore", "ConnectError"),
    ("httpcore", "NetworkError"),
    ("openai", "APIConnectionError"),
    ("requests", "ConnectionError"),
)
# failures whose own message is already the one line to show
_OWN_MESSAGE_CLASSES = (
    ("assistant.models.gguf", "ModelError"),
    ("vectorstore.store", "StoreError"),
    ("vectorstore.article_text", "LoadError"),
)


def _loaded(names: tuple[tuple[str, str], ...]) -> tuple[type[BaseException], ...]:
    """The classes named in ``names`` whose modules are already imported."""
    found: list[type[BaseException]] = []
    for module_name, class_name in names:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` says that a server or model did not answer in time."""
    return isinstance(exc, (TimeoutError, *_loaded(_TIMEOUT_CLASSES)))


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says that a server could not be reached (refused, reset, no route)."""
    return not is_timeout(exc) and isinstance(exc, (ConnectionError, *_loaded(_CONNECT_CLASSES)))


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (empty when it has none)."""
    return (str(exc).strip().splitlines() or [""])[0]


def storage_problem(exc: BaseException) -> str | None:
    """A full disk or a read-only data directory, whether reported by the OS or by SQLite inside Chroma,
    as one line; None when ``exc`` is not a storage fault."""
    from vectorstore.faults import storage_fault

    fault = storage_fault(exc)
    if fault in ("full", "too_large"):
        return "the disk is full: nothing was written past this point; free some space and run the command again"
    if fault == "readonly":
        where = getattr(exc, "filename", None)
        return f"cannot write to the data directory{f' ({where})' if where else ''}: it is read-only or not yours"
    return None


def describe_llm_error(exc: BaseException) -> str:
    """One line naming an LLM failure (server down, timeout, model that would not load)."""
    first = first_line(exc)[:200]
    name = type(exc).__name__
    if is_timeout(exc):
        return f"the LLM did not answer in time ({name})"
    if is_unreachable(exc):
        return f"cannot reach the LLM server ({name}: {first})" if first else f"cannot reach the LLM server ({name})"
    return f"the LLM failed ({name}: {first})" if first else f"the LLM failed ({name})"


def describe(exc: BaseException) -> str:
    """Any failure as the one line a front end shows (no traceback)."""
    first = first_line(exc)
    if isinstance(exc, (AssistantError, SettingsError, *_loaded(_OWN_MESSAGE_CLASSES))):
        return first
    storage = storage_problem(exc)
    if storage:
        return storage
    if type(exc).__module__.startswith("chromadb"):
        return f"the collection could not be read ({type(exc).__name__}: {first[:200]}); run: assistant doctor"
    if is_timeout(exc) or is_unreachable(exc):
        return f"cannot reach the LLM server ({type(exc).__name__}: {first})"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
