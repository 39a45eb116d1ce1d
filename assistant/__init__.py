"""A terminal assistant that answers questions about your articles, with checked citations."""

__version__ = "0.1.0"
