"""newsarchive: archive news articles and their related-article graph into SQLite."""

from __future__ import annotations

__version__ = "0.1.0"
