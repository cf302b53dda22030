"""Defaults shared by the CLI, the Scrapy settings, the crawl and the jobs file (one place each):
pure, imports nothing of newsarchive."""

from __future__ import annotations

# The archive file when neither --db nor NEWSARCHIVE_DB says otherwise.
DEFAULT_DB = "archive.db"
# The publishers' time zone, for dates shown without an offset (NEWSARCHIVE_TZ, --tz).
DEFAULT_TZ = "Europe/Rome"
# Hours after publication at which an article is fetched again (recheck_hours).
DEFAULT_RECHECK_HOURS = (1, 6, 24, 168)
