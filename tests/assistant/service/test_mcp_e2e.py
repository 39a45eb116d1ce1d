"""`assistant mcp` started as a subprocess and driven by the MCP SDK's own client over stdio, with the
real models: its tools, and an `ask` identical to `assistant --ask --json`."""

from __future__ import annotations

import json
import sys

import pytest
from served import QUESTION, env_for, without_timings

from assistant.cli import main


async def _call(client, name: str, arguments: dict) -> object:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if set(content) == {"result"} else content
    return json.loads(result.content[0].text)


@pytest.mark.e2e
async def test_mcp_tools_over_stdio(corpus, monkeypatch, capsys, tmp_path):
    from mcp import Client, StdioServerParameters, stdio_client

    data, models = corpus
    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"], env=env_for(data, models))
    errors = (tmp_path / "mcp.stderr").open("w")  # the server's stderr (pytest's own has no descriptor)
    async with Client(stdio_client(params, errlog=errors)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"search", "ask", "list_articles", "get_article"} <= tools
        articles = await _call(client, "list_articles", {})
        assert len(articles) == 1 and articles[0]["lang"] == "id"
        article = await _call(client, "get_article", {"article_id": articles[0]["article_id"]})
        assert "Kim Jong Un" in article["text"]
        passages = await _call(client, "search", {"query": "Who ordered the troops?", "k": 3})
        assert len(passages) == 3 and all({"start", "end", "article_id", "title"} <= set(p) for p in passages)
        answer = await _call(client, "ask", {"question": QUESTION})
        missing = await client.call_tool("get_article", {"article_id": "nope"})
        assert missing.is_error and "no article" in missing.content[0].text
    errors.close()
    assert "Traceback" not in (tmp_path / "mcp.stderr").read_text()
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(models))
    assert main(["--ask", QUESTION, "--json"]) == 0
    assert without_timings(answer) == without_timings(json.loads(capsys.readouterr().out))
