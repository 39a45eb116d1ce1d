"""The resident service: ``assistant serve`` (HTTP over a Unix socket, and TCP if asked), its client for
the CLI, and ``assistant mcp`` (the collection as MCP tools)."""
