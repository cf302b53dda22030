"""ArchiveFrontier: what the archive knows about URLs, asked and told by the spider.

The spider decides what to fetch (scope, depth, which related links to follow); this
component answers from the archive and records there, so that spiders import no store:

* which URLs are archived already, and the related links stored for them;
* the frontier: what a killed run left queued (resumed), claims on what this run queues
  (two overlapping runs never fetch one page twice), fetch failures and deliberate drops;
* re-checks that are due, and the conditional headers (ETag, Last-Modified) to send;
* the adaptive interval of feeds, sitemaps and listings, and the articles they listed.

It is built from the crawler (``ArchiveFrontier.from_crawler``) and handed to the spider as
``spider.frontier``, the way Scrapy hands every component its stats collector. The archive
connection is the crawl's shared one (``Archive.shared``), opened on first use.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from scrapy.crawler import Crawler

from newsarchive.defaults import DEFAULT_DB
from newsarchive.model import utc_now
from newsarchive.store.archive import Archive

logger = logging.getLogger(__name__)

DEFAULT_SOURCE_MIN_MINUTES = 5.0
DEFAULT_SOURCE_MAX_MINUTES = 360.0


class ArchiveFrontier:
    """The archive's side of the crawl frontier: archived URLs, claims, failures, schedules."""

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveFrontier:
        """Build from settings (NEWSARCHIVE_DB)."""
        return cls(crawler, crawler.settings.get("NEWSARCHIVE_DB", DEFAULT_DB))

    def _store(self) -> Archive:
        if self.archive is None:
            # the pipeline's connection: one per crawl process (see Archive.shared)
            self.archive = Archive.shared(self.db_path)
        return self.archive

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/{key}", count)

    def _crawl_id(self) -> int | None:
        """This run's crawls.id (set by the pipeline when the run starts)."""
        return self.crawler.stats.get_value("newsarchive/crawl_id") if self.crawler.stats else None

    def close(self) -> None:
        """Close the archive connection, if it was opened."""
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    # --- archived pages -------------------------------------------------------------------

    def is_archived(self, url: str) -> bool:
        """Whether url was fetched before with a final answer, or is an article."""
        return self._store().frontier.is_archived(url)

    def related_targets(self, url: str) -> list[str]:
        """The related-link targets stored for an archived URL."""
        return self._store().read.related_targets(url)

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a re-check of url."""
        return self._store().pages.conditional_headers(url)

    def due_rechecks(self, schedule_hours: list[float], *, limit: int) -> list[str]:
        """Archived article URLs whose re-check is due now."""
        return self._store().frontier.due_rechecks(
            now=utc_now(), schedule_hours=schedule_hours, limit=limit
        )

    # --- the queue ------------------------------------------------------------------------

    def queued(self) -> list[dict[str, Any]]:
        """URLs queued by earlier runs and never stored (a killed run's unfinished work)."""
        return self._store().frontier.queued()

    def claim(self, entries: list[dict[str, Any]]) -> set[str]:
        """Queue entries for this run; the URLs it may fetch (see Archive.claim)."""
        return self._store().frontier.claim(entries, crawl_id=self._crawl_id(), queued_at=utc_now())

    def failed(self, url: str, *, error: str, count: bool = True) -> None:
        """A fetch of a queued URL failed (count=False: it waits, the attempt is not counted)."""
        self._store().frontier.failed(url, error=error, count=count)

    def drop(self, url: str) -> None:
        """A queued URL that will not be fetched (robots.txt, scope)."""
        self._store().frontier.drop(url)

    # --- feeds, sitemaps, listings --------------------------------------------------------

    def source_due(self, url: str) -> bool:
        """Whether a feed/sitemap/listing is due: its interval adapts to how often it changes."""
        settings = self.crawler.settings
        last, minutes = self._store().frontier.source_interval(
            url,
            min_minutes=settings.getfloat(
                "NEWSARCHIVE_SOURCE_MIN_MINUTES", DEFAULT_SOURCE_MIN_MINUTES
            ),
            max_minutes=settings.getfloat(
                "NEWSARCHIVE_SOURCE_MAX_MINUTES", DEFAULT_SOURCE_MAX_MINUTES
            ),
        )
        if last is None:
            return True
        waited = (datetime.now(timezone.utc) - datetime.fromisoformat(last)).total_seconds()
        if waited >= minutes * 60:
            return True
        self._inc("source_not_due")
        logger.info("%s unchanged lately: next read in %.0f min", url, minutes - waited / 60)
        return False

    def record_discoveries(self, rows: list[dict[str, Any]]) -> int:
        """Record the articles a source listed (new ones only); how many were new."""
        return self._store().frontier.record_discoveries(rows, seen_at=utc_now())

    def discoveries_from(self, source_urls: list[str]) -> int:
        """How many article URLs these sources have listed so far."""
        return self._store().frontier.discoveries_from(source_urls)
