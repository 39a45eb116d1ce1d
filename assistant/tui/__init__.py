"""The Textual chat interface (``assistant`` with no arguments, or ``assistant chat``)."""
