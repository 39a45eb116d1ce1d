"""How one-off questions (``assistant --ask``, ``assistant ask``) use the service: a running one with
the same settings, or one started on demand (``service = "auto"``); the output is the same as when
answering in-process, and a service that dies mid-answer is replaced by an in-process answer."""

from __future__ import annotations

from typing import Any

from assistant.errors import EXIT_USAGE, AssistantError
from assistant.service.client import ServiceGone, ServiceRefused, ServiceUnavailable, running_client, start_service


def ask_via_service(
    settings: Any, question: str, as_json: bool, filters: dict[str, str | None], article_filter: Any
) -> int | None:
    """Answer through the service and return the exit code, or None when the question should be
    answered in-process (no service wanted or available, or it stopped mid-answer: said in one line)."""
    from assistant.commands import err, out, print_sources, render_stream, warn, warn_extractive
    from assistant.terminal import print_json, safe

    if settings.service == "off":
        return None
    client = running_client(settings)
    if client is None:
        if not (settings.store_dir / "chroma").exists() and not settings.chroma_url:
            return None  # nothing to serve: the in-process path names the problem (and creates nothing)
        try:
            client = start_service(settings, notify=lambda m: err.print(f"[dim]({safe(m)})[/dim]"))
        except ServiceUnavailable as exc:
            if settings.service == "required":
                raise AssistantError(f"no service could be started: {exc}") from None
            warn(f"the service could not start ({exc}); answering here")
            return None
    try:
        if as_json:
            data = client.ask_json(question, filters)
            if data.get("llm_error"):
                warn_extractive(data["llm_error"])
            print_json(data)
            return 0
        if article_filter is not None and article_filter.active:
            from rich.text import Text

            err.print(Text(f"(articles: {safe(article_filter.describe())})", style="dim"))
        answer = render_stream(client.stream(question, filters))
        print_sources(answer.sources, answer.citations, client.pages())
        return 0
    except ServiceRefused as exc:
        raise AssistantError(str(exc), EXIT_USAGE if exc.status in (400, 413, 422) else 1) from None
    except ServiceGone as exc:
        if settings.service == "required":
            raise AssistantError(f"the service stopped mid-answer: {exc}") from None
        if out.is_terminal:
            out.file.write("\n")
        warn(f"the service stopped mid-answer ({exc}); answering here")
        return None
