"""The chat's secondary screens: the cited article, the sources browser and the conversation picker."""

from assistant.tui.screens.article import ArticleScreen
from assistant.tui.screens.conversations import HistoryScreen
from assistant.tui.screens.sources import SourcesScreen

__all__ = ["ArticleScreen", "HistoryScreen", "SourcesScreen"]
