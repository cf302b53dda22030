"""The `article` spider: what to fetch, and nothing else (no extraction, no SQL).

Seeds come from article URLs, feeds, sitemaps and listing pages, plus whatever a killed run
left in the archive's frontier and, with ``recheck_due``, the articles whose re-check is due.
Each article is followed through its related-article links to ``depth``.

    scrapy crawl article -a url=https://www.example.it/a.html -a depth=1
    scrapy crawl article -a feed=https://www.example.it/rss.xml
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from newsarchive.crawl.budget import CrawlBudget
from newsarchive.crawl.failures import classify_failure, record_failure
from newsarchive.crawl.frontier import ArchiveFrontier
from newsarchive.crawl.requests import article_request, frontier_entries, kind_of, source_request
from newsarchive.crawl.responses import discover, discovery_row, raw_page, requested_url
from newsarchive.crawl.spider_args import (
    DEFAULT_DEPTH,
    DEFAULT_RECHECK_HOURS,
    RECHECK_BATCH,
    SOURCE_KINDS,
    canonical_list,
    split_arg,
    true_arg,
)
from newsarchive.extract.discovery import UnsafeXMLError
from newsarchive.model import RawPage
from newsarchive.urls import canonicalize_url

logger = logging.getLogger(__name__)


class ArticleSpider(scrapy.Spider):
    """Archive articles from seeds, feeds, sitemaps and listings, with their related articles."""

    name = "article"
    # what the archive knows (archived URLs, claims, failures, schedules): set by from_crawler
    frontier: ArchiveFrontier
    budget: CrawlBudget  # scope and caps (newsarchive.crawl.budget): set by from_crawler

    def __init__(
        self,
        url: str | list[str] | None = None,
        feed: str | list[str] | None = None,
        sitemap: str | list[str] | None = None,
        listing: str | list[str] | None = None,
        depth: int | str = DEFAULT_DEPTH,
        max_pages: int | str = 0,
        allow_domain: str | list[str] | None = None,
        related_selector: str | None = None,
        command: str | None = None,
        recheck: bool | str = False,
        recheck_due: bool | str = False,
        recheck_hours: str | list[float] = DEFAULT_RECHECK_HOURS,
        adaptive_sources: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seeds = canonical_list(url, "article")
        self.sources = {
            kind: canonical_list(v, kind)
            for kind, v in (("feed", feed), ("sitemap", sitemap), ("listing", listing))
        }
        if not self.seeds and not any(self.sources.values()) and not true_arg(recheck_due):
            raise ValueError("give at least one article URL, feed, sitemap or listing")
        self.depth = int(depth)
        if self.depth < 0:
            raise ValueError(f"depth must be 0 or more, not {self.depth}")
        self.max_pages = int(max_pages or 0)
        self.related_selector = related_selector or None
        self.command = command
        self.recheck = true_arg(recheck)
        self.recheck_due = true_arg(recheck_due)
        self.adaptive_sources = true_arg(adaptive_sources)
        hours = recheck_hours if isinstance(recheck_hours, list) else split_arg(recheck_hours)
        self.recheck_hours = [float(h) for h in hours]
        starts = self.seeds + [u for urls in self.sources.values() for u in urls]
        self.seed_hosts = {(urlsplit(s).hostname or "").lower() for s in starts}
        self.allowed_hosts = self.seed_hosts | {h.lower() for h in split_arg(allow_domain)}
        self.seed_failures: dict[str, str] = {}
        self.seed_pending: set[str] = set()
        self.kept_for_later: set[str] = set()
        self.source_results: dict[str, bool] = {}
        self.scheduled: set[str] = set()
        self.depth_of: dict[str, int] = {}  # shortest depth met so far, by URL
        self.requested_urls: set[str] = set()  # URLs this run asked to fetch
        self.not_claimed: set[str] = set()  # queued by another live run: not ours to forget
        self.sources_requested: set[str] = set()  # feeds/sitemaps/listings asked for this run
        # --redis: the frontier and seen-set are shared in Redis (newsarchive.distributed)
        self.shared_frontier = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ArticleSpider:
        """Build the spider with its archive frontier; listen for requests the scheduler drops."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.frontier = ArchiveFrontier.from_crawler(crawler)
        spider.budget = CrawlBudget(
            spider.allowed_hosts, crawler.settings, spider._inc, max_pages=spider.max_pages
        )
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        # the Redis scheduler of --redis (newsarchive.distributed) holds the frontier
        spider.shared_frontier = "LeasedScheduler" in str(crawler.settings.get("SCHEDULER"))
        return spider

    def request_dropped(self, request: scrapy.Request, spider: Any = None) -> None:
        """A redirect back to a URL already seen is dropped as a duplicate: a redirect loop."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        original = chain[0]
        self.seed_pending.discard(original)
        self._inc("fetch_failed/RedirectLoop")
        logger.warning("not fetched: %s (redirect loop back to %s)", original, request.url)
        if request.meta.get("na_seed"):
            self.seed_failures[original] = f"redirect loop back to {request.url}"

    # --- helpers -------------------------------------------------------------------------

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/{key}", count)

    def _persist(self, requests: list[scrapy.Request]) -> list[scrapy.Request]:
        """Queue article requests in the archive's frontier and keep those this run may fetch.

        The frontier lets a killed run resume; the claim keeps two overlapping runs (cron
        starting a job while the previous one is still going) from fetching the same page.
        """
        if self.shared_frontier:
            return requests  # queued in Redis; the shared seen-set keeps workers apart
        claimed = self.frontier.claim(
            frontier_entries(requests, max_depth=self.depth, related_selector=self.related_selector)
        )
        kept: list[scrapy.Request] = []
        for r in requests:
            if kind_of(r) != "article" or r.url in claimed:
                kept.append(r)
                continue
            self.seed_pending.discard(r.url)
            if self.frontier.is_archived(r.url):
                # stored by another run since we looked: follow its stored links instead
                self._inc("already_archived")
                kept.extend(self._persist(list(self.expand_archived(r.url, r.meta["na_depth"]))))
                continue
            # Another live run owns it: not this run's to fetch, expand, or forget at the end
            # (the owner stores it, or it stays queued for the next run if the owner dies).
            self.not_claimed.add(r.url)
            self._inc("not_followed/claimed_by_another_run")
            logger.info("not fetched: %s (queued by another running crawl)", r.url)
        return kept

    # --- where requests come from ---------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Resume the frontier, then seeds, sources and due re-checks."""
        resumed = [
            row
            for row in ([] if self.shared_frontier else self.frontier.queued())
            if self.budget.in_scope(row["url"])
        ]
        if resumed:
            logger.info("resuming %d queued URL(s) left by an earlier run", len(resumed))
            self._inc("resumed", len(resumed))
        for row in resumed:
            follow = self.follow_url(row["url"], depth=row["depth"], via=row["via_url"])
            for request in self._persist(list(follow)):
                yield request
        for seed in self.seeds:
            follow = self.follow_url(seed, depth=0, via=None, force=self.recheck, seed=True)
            for request in self._persist(list(follow)):
                yield request
        for kind, urls in self.sources.items():
            for url in urls:
                if self.adaptive_sources and not self.frontier.source_due(url):
                    self.source_results[url] = True
                    continue
                yield self.source_request(url, kind)
        if self.recheck_due:
            due = self.frontier.due_rechecks(self.recheck_hours, limit=RECHECK_BATCH)
            due = [u for u in due if self.budget.in_scope(u) or not self.seed_hosts]
            self._inc("rechecks_due", len(due))
            for url in due:
                follow = self.follow_url(url, depth=0, via=None, force=True)
                for request in self._persist(list(follow)):
                    yield request

    def source_request(self, url: str, kind: str) -> scrapy.Request:
        """A request for a feed, sitemap or listing page (always fetched: that is the point)."""
        self.sources_requested.add(url)
        return source_request(url, kind, callback=self.parse_source, errback=self.failed)

    def child_sources(
        self, more: list[tuple[str, str]], parent_depth: int
    ) -> Iterator[scrapy.Request]:
        """Requests for the child sitemaps/feeds a source lists: each once per run, to a
        bounded depth and count (an index that lists itself, or two that list each other,
        would otherwise be read forever)."""
        for url, kind in more:
            if url in self.sources_requested:
                self._inc("not_followed/source_seen")
                continue
            if not self.budget.source_allowed(url, parent_depth + 1, len(self.sources_requested)):
                continue
            request = self.source_request(url, kind)
            request.meta["na_source_depth"] = parent_depth + 1
            yield request

    def follow_url(
        self,
        url: str,
        *,
        depth: int,
        via: str | None,
        force: bool = False,
        seed: bool = False,
    ) -> Iterator[scrapy.Request]:
        """A request for url, or, when it is archived already, requests for its stored links.

        A URL met again by a shorter path takes the shorter depth: a queued request reads it
        when its response comes (see page_depth), an archived page is expanded again from it.
        force (--recheck, due re-checks) fetches an archived URL again, conditionally.
        """
        known = self.depth_of.get(url)
        if known is not None and depth >= known:
            return
        self.depth_of[url] = depth
        self.scheduled.add(url)
        if known is not None:
            self._inc("depth_improved")
            if self.frontier.is_archived(url):
                yield from self.expand_archived(url, depth)
            elif url in self.requested_urls:
                # still queued: a run resumed after a kill must know the shorter depth too
                entry = {"url": url, "depth": depth, "via_url": via, "max_depth": self.depth}
                self.frontier.claim([{**entry, "related_selector": self.related_selector}])
            return
        headers: dict[str, str] = {}
        if not force and self.frontier.is_archived(url):
            self._inc("already_archived")
            logger.info("already archived, not fetched again: %s", url)
            yield from self.expand_archived(url, depth)
            return
        if force:
            headers = self.frontier.conditional_headers(url)
        if self.budget.pages_spent():
            return
        if not seed and self.budget.host_full(url):
            self.kept_for_later.add(url)
            return
        self.budget.requested += 1
        self.requested_urls.add(url)
        if seed and not self.shared_frontier:
            # with --redis any worker may fetch it (or has): that one reports its failure
            self.seed_pending.add(url)
        yield article_request(
            url,
            depth=depth,
            via=via,
            seed=seed,
            force=force,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
        )

    def expand_archived(self, url: str, depth: int) -> Iterator[scrapy.Request]:
        """Follow the stored related links of an archived page (no fetch of the page itself),
        breadth-first through the archived pages they lead to: each page is reached by its
        shortest path, so a later deeper run archives what a fresh run of that depth would."""
        frontier, in_scope, capped = self.frontier, self.budget.in_scope, self.budget.capped_links
        ring = [(url, depth)]
        while ring:
            next_ring: list[tuple[str, int]] = []
            for page, page_depth in ring:
                if page_depth >= self.depth:
                    continue
                for target in capped(page, frontier.related_targets(page)):
                    known = self.depth_of.get(target)
                    if not in_scope(target) or (known is not None and known <= page_depth + 1):
                        continue
                    if not frontier.is_archived(target):
                        yield from self.follow_url(target, depth=page_depth + 1, via=page)
                        continue
                    if known is None:
                        self._inc("already_archived")
                        logger.info("already archived, not fetched again: %s", target)
                    else:
                        self._inc("depth_improved")
                    self.depth_of[target] = page_depth + 1
                    self.scheduled.add(target)
                    next_ring.append((target, page_depth + 1))
            ring = next_ring

    def page_depth(self, url: str, depth: int) -> int:
        """The shortest depth known for a page (a shorter path may have been met since)."""
        return min(depth, self.depth_of.get(url, depth))

    # --- callbacks -----------------------------------------------------------------------

    def raw_page(self, response: Response, kind: str) -> RawPage:
        """The response as an immutable raw page item, at the shortest depth known for it."""
        depth = self.page_depth(requested_url(response), int(response.meta.get("na_depth", 0)))
        return raw_page(response, kind, depth=depth, related_selector=self.related_selector)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Yield the raw page, then requests for its related articles."""
        page = self.raw_page(response, "article")
        self.seed_pending.discard(page.url)
        yield page
        depth = page.depth
        if response.status == 304:
            self._inc("not_modified")
            yield from self._persist(list(self.expand_archived(page.url, depth)))
            return
        if response.status >= 400:
            if response.meta.get("na_seed"):
                self.seed_failures[page.url] = f"HTTP {response.status}"
                logger.error("seed %s answered HTTP %d", page.url, response.status)
            return
        # The related links of a fetched page come back through follow_related(), called by
        # the pipeline with what extraction found: each page is parsed once, in a worker.

    def follow_related(self, page: RawPage, links: list[str]) -> list[scrapy.Request]:
        """Requests for the related links of a stored page (scope, depth and dedup decided here)."""
        depth = self.page_depth(page.url, page.depth)
        if page.kind != "article" or depth >= self.depth or page.status >= 300:
            return []
        page_url = canonicalize_url(page.final_url) or page.final_url
        requests: list[scrapy.Request] = []
        for url in self.budget.capped_links(page_url, links):
            if not self.budget.in_scope(url):
                self._inc("not_followed/offsite")
                continue
            requests.extend(self.follow_url(url, depth=depth + 1, via=page_url))
        return self._persist(requests)

    def parse_source(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A feed, sitemap or listing: keep it raw, then queue the articles it lists."""
        kind = str(response.meta["na_kind"])
        source = str(response.meta["na_source"])
        yield self.raw_page(response, kind)
        if response.status >= 400:
            self.source_results.setdefault(source, False)
            logger.error("%s %s answered HTTP %d", kind, source, response.status)
            return
        self.source_results[source] = True
        try:
            found, more = discover(response, kind, self.budget.in_scope)
        except (UnsafeXMLError, ValueError) as exc:
            self._inc(f"source_failed/{type(exc).__name__}")
            logger.error("%s %s refused: %s", kind, source, exc)
            return
        if not found and not more:
            self.source_empty(source, response.url)
        yield from self.child_sources(more, int(response.meta.get("na_source_depth", 0)))
        found = [d for d in found if self.budget.in_scope(d.url)]
        self._inc(f"discovered/{kind}", len(found))
        self.frontier.record_discoveries([discovery_row(d) for d in found])
        requests: list[scrapy.Request] = []
        for item in found:
            requests.extend(self.follow_url(item.url, depth=0, via=source))
        yield from self._persist(requests)

    def source_empty(self, source: str, final_url: str) -> None:
        """A source that lists nothing where it listed articles before: a warning, counted
        and named in the run's stats (`newsarchive stats` shows it)."""
        before = self.frontier.discoveries_from([source, final_url])
        if not before:
            return
        logger.warning("%s listed no articles (it listed %d before)", source, before)
        self._inc("source_empty")
        if self.crawler.stats is not None:
            empty = list(self.crawler.stats.get_value("newsarchive/empty_sources", []))
            self.crawler.stats.set_value("newsarchive/empty_sources", [*empty, source])

    def failed(self, failure: Failure) -> None:
        """A request that got no response: count it, name the URL and the reason."""
        request = failure.request  # type: ignore[attr-defined]
        lost = classify_failure(failure)
        self.seed_pending.discard(lost.url)
        if kind_of(request) in SOURCE_KINDS:
            self.source_results.setdefault(request.meta.get("na_source", lost.url), False)
        if record_failure(lost, self.frontier, self._inc):
            self.kept_for_later.add(lost.url)
        if request.meta.get("na_seed"):
            self.seed_failures[lost.url] = lost.message

    def handled(self) -> set[str]:
        """What a finished run dealt with, one way or another (to clear from the frontier).

        A URL can leave no trace (Scrapy's duplicate filter drops a redirect back to a URL
        already seen without any callback): once the run has finished, nothing it queued is
        still pending, except what robots.txt outages and network failures keep for later.
        """
        return self.scheduled - self.kept_for_later - self.not_claimed

    def closed(self, reason: str) -> None:
        """Close the frontier's archive connection."""
        self.frontier.close()
