"""The news commands' arguments: ``digest``, ``timeline``, ``follow``, ``feeds`` (and ``ingest --watch``).
Only argparse here, so ``assistant --help`` stays fast; ``assistant.news.run`` does the work."""

from __future__ import annotations

import argparse
from collections.abc import Callable

NEWS_COMMANDS = {"digest", "timeline", "follow", "feeds"}

AddGroup = Callable[..., None]


def add_news_parsers(sub: argparse._SubParsersAction, add_common: AddGroup, add_filters: AddGroup) -> None:
    """Add the news subcommands to the CLI's subparsers."""
    digest = sub.add_parser("digest", help="every story of a date window, cited, with outlets and dates")
    digest.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    digest.add_argument("--by", choices=["time", "size"], default="time", help="story order (default: time)")
    digest.add_argument(
        "--written",
        action="store_true",
        default=argparse.SUPPRESS,
        help="each story's sentences written by the LLM and checked (as --digest-sentences llm)",
    )
    add_common(digest, suppress=True)
    add_filters(digest, suppress=True)

    timeline = sub.add_parser("timeline", help="the dated events of a story or an entity, in order, cited")
    timeline.add_argument("query", nargs="+", help="the story or entity ('Lewotobi', 'banjir Sukabumi')")
    timeline.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_common(timeline, suppress=True)
    add_filters(timeline, suppress=True)

    follow = sub.add_parser("follow", help="follow questions; with no action: what is new for each")
    follow.add_argument("action", nargs="?", choices=["add", "list", "rm", "show"], default="show")
    follow.add_argument("value", nargs="*", help="the question (add) or its number (rm)")
    follow.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_common(follow, suppress=True)

    feeds = sub.add_parser("feeds", help="feed subscriptions: add URL, list, rm URL|N, refresh (new items only)")
    feeds.add_argument("action", choices=["add", "list", "rm", "refresh"])
    feeds.add_argument("value", nargs="?", help="the feed URL (add), its URL or number (rm)")
    add_common(feeds, suppress=True)
