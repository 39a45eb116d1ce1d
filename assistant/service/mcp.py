"""``assistant mcp``: the collection as MCP tools (official ``mcp`` SDK), over stdio or streamable HTTP.

Tools: ``search`` (passages with article metadata and offsets), ``ask`` (an answer with checked
citations, the decline flag and the sources: the ``--json`` shape), ``list_articles`` and
``get_article``. Every tool goes through the ``Assistant`` facade; questions take turns on the model.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from assistant.app import Assistant

INSTRUCTIONS = (
    "Answers questions about the user's article collection (news in any language) with citations to "
    "the exact passages. `ask` answers and says when the articles do not hold the answer (declined); "
    "`search` returns passages only; `list_articles` and `get_article` browse the collection."
)


def _filter(since: str | None, until: str | None, source: str | None, lang: str | None) -> Any:
    from mcp.server.mcpserver.exceptions import ToolError

    from vectorstore.filters import FilterError, build_filter

    try:
        return build_filter(since, until, source, lang)
    except FilterError as exc:
        raise ToolError(str(exc)) from None


def build_server(assistant: Assistant) -> Any:
    """The MCP server over ``assistant``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from assistant import __version__
    from assistant.app import ArticleNotFound
    from assistant.service.protocol import source_json

    server = MCPServer("assistant", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    turn = threading.Lock()  # one model: tool calls that use it run one at a time

    @server.tool()
    def search(
        query: str,
        k: int = 5,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        lang: str | None = None,
    ) -> list[dict[str, Any]]:
        """Passages of the articles that best match ``query`` (any language), best evidence first, each
        with its article's id, title, date, outlet, language and the passage's character offsets.
        Filters: ``since``/``until`` (dates or phrases), ``source`` (outlet), ``lang``."""
        article_filter = _filter(since, until, source, lang)
        with turn:
            return [source_json(s) for s in assistant.search(query, article_filter, max(1, min(k, 50)))]

    @server.tool()
    def ask(
        question: str,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        lang: str | None = None,
    ) -> dict[str, Any]:
        """Answer ``question`` from the articles only, in the question's language: ``answer`` with [n]
        citations checked against ``sources``; ``declined`` is true when the articles do not hold the
        answer. The same object as ``assistant --ask --json``."""
        text = question.strip()
        if not text:
            raise ToolError("the question is empty")
        article_filter = _filter(since, until, source, lang)
        with turn:
            answer = assistant.ask(text, None, article_filter)
            return assistant.answer_json(answer, article_filter)

    @server.tool()
    def list_articles(
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        lang: str | None = None,
        order: Literal["newest", "title"] = "newest",
    ) -> list[dict[str, Any]]:
        """The articles in the collection (id, source, title, date, language, outlet, passages), newest first."""
        return [row.to_json() for row in assistant.articles(_filter(since, until, source, lang), order)]

    @server.tool()
    def get_article(article_id: str) -> dict[str, Any]:
        """One article by id (or source, or file name): its metadata and its stored text."""
        try:
            row = assistant.article(article_id)
            return {**row.to_json(), "text": assistant.article_text(row.article_id)}
        except ArticleNotFound as exc:
            raise ToolError(str(exc)) from None

    return server


def run_mcp(assistant: Assistant, http: str | None = None) -> int:
    """Serve MCP over stdio (default) or streamable HTTP on ``HOST:PORT``."""
    server = build_server(assistant)
    if http:
        from assistant.service.server import ServiceError, is_loopback, parse_address

        host, port = parse_address(http)
        if not is_loopback(host):  # the MCP endpoint has no authentication of its own
            raise ServiceError(f"assistant mcp --http listens on loopback only (got {host})")
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
    return 0
