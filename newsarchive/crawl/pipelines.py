"""ArchivePipeline: a thin adapter from a fetched RawPage to the archive.

1. the page's outcome is decided (HTTP error pages are not extracted);
2. extract_article runs (the same function `reextract` uses); a crash becomes the outcome
   ``extraction_failed`` with its reason, and the raw page is kept all the same;
3. the raw page, article and links are written in one transaction;
4. countable stats (``newsarchive/...``) and log lines naming the URL.
The pipeline also records the run in `crawls` (start, end, stats, status).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newsarchive.crawl.forks import worker_count
from newsarchive.crawl.packing import Packing
from newsarchive.crawl.workers import (
    DEFAULT_MAX_HTML_BYTES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    ExtractionPool,
)
from newsarchive.defaults import DEFAULT_DB, DEFAULT_TZ
from newsarchive.extract.outcomes import ERROR, EXTRACTION_FAILED
from newsarchive.model import RawPage, utc_now
from newsarchive.store.archive import Archive, StorageError
from newsarchive.store.bodies import Packed
from newsarchive.store.pages import LOOKUP, StoredBody

if TYPE_CHECKING:
    from newsarchive.extract.article import Extraction

logger = logging.getLogger(__name__)

NOT_MODIFIED = "not_modified"


class ArchivePipeline:
    """Store every fetched page and what is extracted from it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = crawler.settings.get("NEWSARCHIVE_DB", DEFAULT_DB)
        self.tz = crawler.settings.get("NEWSARCHIVE_TZ", DEFAULT_TZ)
        self.archive: Archive | None = None
        self.crawl_id: int | None = None
        settings = crawler.settings
        self.pool_options = {
            "workers": worker_count(settings.getint("NEWSARCHIVE_EXTRACT_WORKERS", -1)),
            "timeout": settings.getfloat("NEWSARCHIVE_EXTRACT_TIMEOUT", DEFAULT_TIMEOUT),
            "max_html_bytes": settings.getint("NEWSARCHIVE_MAX_HTML_BYTES", DEFAULT_MAX_HTML_BYTES),
            "memory_mb": settings.getint("NEWSARCHIVE_EXTRACT_MEMORY_MB", DEFAULT_MEMORY_MB),
        }
        self.pool: ExtractionPool | None = None
        self.packing: Packing | None = None  # with workers: they compress the bodies too

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        """Build from settings (NEWSARCHIVE_DB, NEWSARCHIVE_TZ)."""
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/{key}", count)

    def open_spider(self) -> None:
        """Open the archive and record the start of the run."""
        self.archive = Archive.shared(self.db_path)
        opts = self.pool_options
        self.pool = ExtractionPool(
            int(opts["workers"]),
            timeout=float(opts["timeout"]),
            max_html_bytes=int(opts["max_html_bytes"]),
            memory_mb=int(opts["memory_mb"]),
        )
        if self.pool.workers > 0:
            self.packing = Packing(self.archive.bodies, self.pool.workers)
        spider = self.crawler.spider
        seeds = list(getattr(spider, "seeds", []))
        command = getattr(spider, "command", None) or " ".join(["scrapy", "crawl", *sys.argv[1:]])
        self.crawl_id = self.archive.runs.start(command=command, seeds=seeds, started_at=utc_now())
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("newsarchive/crawl_id", self.crawl_id)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Record the end of the run with its stats and status (the workers stop meanwhile)."""
        if self.pool is not None:
            self.pool.stop()
        try:
            self._record_end(spider, reason)
        finally:
            if self.pool is not None:
                self.pool.close()

    def _record_end(self, spider: Any, reason: str) -> None:
        if self.archive is None or self.crawl_id is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        seed_failures = dict(getattr(spider, "seed_failures", {}))
        for url in getattr(spider, "seed_pending", set()):
            # no response and no error: a redirect loop back to a URL already seen, dropped
            seed_failures.setdefault(url, "no response (redirect loop or duplicate)")
        if reason == "finished" and hasattr(spider, "handled"):
            self.archive.frontier.forget(spider.handled(), crawl_id=self.crawl_id)
        status = run_status(stats, reason, seed_failures, getattr(spider, "source_results", {}))
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("newsarchive/status", status)
            if seed_failures:  # named in the summary and kept in crawls.stats
                self.crawler.stats.set_value("newsarchive/seed_failures", seed_failures)
                stats = self.crawler.stats.get_stats()
        clean = json.loads(json.dumps(stats, default=str))
        try:
            self.archive.runs.finish(
                self.crawl_id, finished_at=utc_now(), stats=clean, status=status
            )
        finally:
            self.archive.close()

    async def process_item(self, item: Any) -> Any:
        """Extract and store one raw page."""
        if not isinstance(item, RawPage):
            return item
        if self.archive is None:
            raise RuntimeError("ArchivePipeline.process_item called before open_spider")
        if item.tz is None:
            # stored with the page, so that `reextract` reads its dates in the same zone
            item = dataclasses.replace(item, tz=self.tz)
        previous = self.previous_body(item)
        extraction, outcome, error, packed = await self.extract(item, previous)
        page_depth = getattr(self.crawler.spider, "page_depth", None)
        if page_depth is not None:
            # a shorter path to the page may have been met while it was extracted
            item = dataclasses.replace(item, depth=page_depth(item.url, item.depth))
        try:
            page_id = self.archive.pages.record_fetch(
                item,
                extraction,
                outcome=outcome,
                error=error,
                crawl_id=self.crawl_id,
                extracted_at=utc_now(),
                # an older body cannot go away; with none, the store looks again, in the
                # transaction (a page redirected to the same URL may have been stored since)
                previous=previous if previous is not None else LOOKUP,
                packed=packed,
            )
        except (StorageError, OSError, Exception) as exc:  # noqa: BLE001 - the crawl must stop cleanly
            self._inc("storage_error")
            logger.error("cannot store %s: %s", item.final_url, exc)
            # Not awaited: closing waits for the in-flight requests, this item's among them.
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="storage_error"))
            raise DropItem(f"storage error for {item.final_url}: {exc}") from exc
        self._inc("pages_stored")
        self._inc(f"outcome/{outcome}")
        self.follow(item, extraction)
        if extraction is not None and extraction.article is not None:
            self._inc("articles_stored")
            self._inc("links_recorded", len(extraction.links))
            if not extraction.links:
                logger.info("no related-articles block on %s", item.final_url)
        logger.debug("stored page %s as #%d (%s)", item.final_url, page_id, outcome)
        return {"page_id": page_id, "url": item.final_url, "outcome": outcome}

    def follow(self, item: RawPage, extraction: Extraction | None) -> None:
        """Hand the related links extraction found to the spider, which decides what to fetch."""
        engine = self.crawler.engine
        follow_related = getattr(self.crawler.spider, "follow_related", None)
        if engine is None or follow_related is None:
            return
        if extraction is not None:
            links = [link.to_url for link in extraction.links]
        elif item.status < 300 and self.archive is not None:
            # an unchanged re-fetch was not extracted again: its stored links still count
            links = self.archive.read.related_targets(item.url)
        else:
            return
        for request in follow_related(item, links):
            engine.crawl(request)

    def previous_body(self, item: RawPage) -> StoredBody | None:
        """The newest stored body of a fetched article's URL (None for anything else)."""
        if self.archive is None or item.kind != "article" or item.status >= 300:
            return None
        return self.archive.pages.latest_body(item.url, item.final_url)

    async def extract(
        self, item: RawPage, previous: StoredBody | None | Literal["lookup"] = LOOKUP
    ) -> tuple[Extraction | None, str, str | None, Packed | None]:
        """Run extraction for a page in the worker pool; never raises: (extraction, outcome,
        error, the body as the worker compressed it for storage or None).

        Feeds, sitemaps and listings are kept raw, not extracted; a 304 or a body identical
        to the last fetch of the URL has nothing new to extract.
        """
        if self.pool is None or self.archive is None:
            raise RuntimeError("ArchivePipeline.extract called before open_spider")
        if item.kind != "article":
            return None, (item.kind if item.status < 400 else ERROR), None, None
        if item.status == 304:
            return None, NOT_MODIFIED, None, None
        if item.status < 300:
            unchanged = self.archive.pages.unchanged_outcome(
                item.url, item.final_url, item.body, previous
            )
            if unchanged is not None:
                self._inc("unchanged")
                return None, unchanged, "unchanged since the last fetch", None
        codec = self.packing.codec(item.final_url) if self.packing is not None else None
        (extraction, outcome, error), packed = await self.pool.extract(
            item.body,
            url=item.final_url,
            status=item.status,
            fetched_at=datetime.fromisoformat(item.fetched_at),
            headers=item.headers,
            related_selector=item.related_selector,
            tz=item.tz or self.tz,
            codec=codec,
        )
        if self.packing is not None:
            self.packing.noted(codec, packed)
        if outcome == EXTRACTION_FAILED and error:
            self._inc(f"extraction_failed/{error.split(':')[0]}")
        return extraction, outcome, error, packed


def run_status(
    stats: dict[str, Any],
    reason: str,
    seed_failures: dict[str, str],
    source_results: dict[str, bool] | None = None,
) -> str:
    """The crawls.status of a run: finished, seed_failed or aborted:<reason>.

    seed_failed: a given article URL could not be fetched, or no feed/sitemap/listing given
    could be (one unreachable source among several is counted, not fatal).
    """
    if reason != "finished" or stats.get("newsarchive/storage_error"):
        return f"aborted:{reason}"
    if seed_failures or (source_results and not any(source_results.values())):
        return "seed_failed"
    return "finished"
