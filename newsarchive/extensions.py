"""Progress: a live one-line status on stderr when it is a terminal (silent under cron)."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


def error_count(stats: dict[str, Any]) -> int:
    """Fetch failures, HTTP error pages, failed extractions and storage errors of a run."""
    keys = ("newsarchive/fetch_failed/", "newsarchive/storage_error")
    total = sum(int(v) for k, v in stats.items() if k.startswith(keys))
    return (
        total
        + int(stats.get("newsarchive/outcome/error", 0))
        + int(stats.get("newsarchive/outcome/extraction_failed", 0))
    )


class Progress:
    """Print pages/s, queued, stored and errors every NEWSARCHIVE_PROGRESS_INTERVAL seconds."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.on_screen = False  # the status line is drawn and not yet ended by a newline

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        """Enabled by NEWSARCHIVE_PROGRESS_ENABLED and only when stderr is a terminal."""
        if not crawler.settings.getbool("NEWSARCHIVE_PROGRESS_ENABLED") or not sys.stderr.isatty():
            raise NotConfigured
        ext = cls(crawler, crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL", 1.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self) -> None:
        """Start the periodic line."""
        self.started = time.monotonic()
        for handler in logging.getLogger().handlers:
            handler.addFilter(self.clear_line)
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def line(self) -> str:
        """The current status line."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        pages = int(stats.get("newsarchive/pages_stored", 0))
        rate = pages / max(time.monotonic() - self.started, 1e-6)
        queued = int(stats.get("scheduler/enqueued", 0)) - int(stats.get("scheduler/dequeued", 0))
        articles = int(stats.get("newsarchive/articles_stored", 0))
        return (
            f"pages {pages} ({rate:.1f}/s) · queued {queued} · articles {articles} · "
            f"errors {error_count(stats)}"
        )

    def show(self) -> None:
        """Rewrite the status line in place."""
        sys.stderr.write("\r\x1b[2K" + self.line())
        sys.stderr.flush()
        self.on_screen = True

    def clear_line(self, record: logging.LogRecord) -> bool:
        """Log handler filter: erase the status line before a log line is written, so that
        a warning starts on a line of its own (the next tick draws the status again)."""
        if self.on_screen:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self.on_screen = False
        return True

    def closed(self) -> None:
        """Stop the line and end it with a newline."""
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self.clear_line)
        if self.loop is not None and self.loop.running:
            self.loop.stop()
            self.show()
            sys.stderr.write("\n")
            self.on_screen = False
