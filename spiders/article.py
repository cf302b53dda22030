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
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from newsarchive.crawl.fetch_errors import cause_of
from newsarchive.crawl.middlewares import CONTENT_ENCODING_META, ForbiddenAddress, OutOfScope
from newsarchive.crawl.robots import HostUnreachable, RobotsDisallowed
from newsarchive.dates.normalize import normalize_date, parse_iso
from newsarchive.defaults import DEFAULT_DB
from newsarchive.defaults import DEFAULT_RECHECK_HOURS as RECHECK_HOURS
from newsarchive.extract.discovery import (
    Discovered,
    UnsafeXMLError,
    find_feeds,
    find_listing_articles,
    looks_like_feed,
    parse_feed,
    parse_sitemap,
)
from newsarchive.model import RawPage, utc_now
from newsarchive.store.archive import Archive
from newsarchive.urls import canonicalize_url, same_site

logger = logging.getLogger(__name__)

DEFAULT_DEPTH = 1
SOURCE_KINDS = ("feed", "sitemap", "listing")
DEFAULT_RECHECK_HOURS = ",".join(map(str, RECHECK_HOURS))
RECHECK_BATCH = 500
# Child sitemaps/feeds followed from one given source (an index listing itself must end)
DEFAULT_MAX_SOURCE_DEPTH = 3
DEFAULT_MAX_SOURCES = 500
# What one page, and one host, may add to a run (NEWSARCHIVE_MAX_LINKS_PER_PAGE, ..._PER_HOST)
DEFAULT_MAX_LINKS_PER_PAGE = 200
DEFAULT_MAX_NEW_URLS_PER_HOST = 5000


def split_arg(value: str | list[str] | None) -> list[str]:
    """Seeds and hosts may be given as a list or as one comma/space separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else value.replace(",", " ").split()
    return [v.strip() for v in items if v.strip()]


def _canonical_list(value: str | list[str] | None, what: str) -> list[str]:
    found = []
    for raw in split_arg(value):
        canonical = canonicalize_url(raw)
        if canonical is None:
            raise ValueError(f"not an http(s) {what} URL: {raw!r}")
        found.append(canonical)
    return found


class ArticleSpider(scrapy.Spider):
    """Archive articles from seeds, feeds, sitemaps and listings, with their related articles."""

    name = "article"

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
        self.seeds = _canonical_list(url, "article")
        self.sources = {
            kind: _canonical_list(v, kind)
            for kind, v in (("feed", feed), ("sitemap", sitemap), ("listing", listing))
        }
        if not self.seeds and not any(self.sources.values()) and not _true(recheck_due):
            raise ValueError("give at least one article URL, feed, sitemap or listing")
        self.depth = int(depth)
        if self.depth < 0:
            raise ValueError(f"depth must be 0 or more, not {self.depth}")
        self.max_pages = int(max_pages or 0)
        self.related_selector = related_selector or None
        self.command = command
        self.recheck = _true(recheck)
        self.recheck_due = _true(recheck_due)
        self.adaptive_sources = _true(adaptive_sources)
        hours = recheck_hours if isinstance(recheck_hours, list) else split_arg(recheck_hours)
        self.recheck_hours = [float(h) for h in hours]
        starts = self.seeds + [u for urls in self.sources.values() for u in urls]
        self.seed_hosts = {(urlsplit(s).hostname or "").lower() for s in starts}
        self.allowed_hosts = self.seed_hosts | {h.lower() for h in split_arg(allow_domain)}
        self._scope_verdicts: dict[str, bool] = {}  # in_scope() by host
        self.seed_failures: dict[str, str] = {}
        self.seed_pending: set[str] = set()
        self.kept_for_later: set[str] = set()
        self.source_results: dict[str, bool] = {}
        self.scheduled: set[str] = set()
        self.depth_of: dict[str, int] = {}  # shortest depth met so far, by URL
        self.requested_by_host: dict[str, int] = {}
        self.requested_urls: set[str] = set()  # URLs this run asked to fetch
        self.not_claimed: set[str] = set()  # queued by another live run: not ours to forget
        self.sources_requested: set[str] = set()  # feeds/sitemaps/listings asked for this run
        self.requested = 0
        self.archive: Archive | None = None
        # --redis: the frontier and seen-set are shared in Redis (newsarchive.distributed)
        self.shared_frontier = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ArticleSpider:
        """Build the spider and listen for requests the scheduler drops."""
        spider = super().from_crawler(crawler, *args, **kwargs)
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

    def in_scope(self, url: str) -> bool:
        """Whether a URL's host is one the crawl may fetch."""
        host = (urlsplit(url).hostname or "").lower()
        verdict = self._scope_verdicts.get(host)
        if verdict is None:
            verdict = any(same_site(host, allowed) for allowed in self.allowed_hosts)
            self._scope_verdicts[host] = verdict
        return verdict

    def _store(self) -> Archive:
        if self.archive is None:
            # the pipeline's connection: one per crawl process (see Archive.shared)
            self.archive = Archive.shared(self.settings.get("NEWSARCHIVE_DB", DEFAULT_DB))
        return self.archive

    def _crawl_id(self) -> int | None:
        """This run's crawls.id (set by the pipeline when the run starts)."""
        return self.crawler.stats.get_value("newsarchive/crawl_id") if self.crawler.stats else None

    def _persist(self, requests: list[scrapy.Request]) -> list[scrapy.Request]:
        """Queue article requests in the archive's frontier and keep those this run may fetch.

        The frontier lets a killed run resume; the claim keeps two overlapping runs (cron
        starting a job while the previous one is still going) from fetching the same page.
        """
        if self.shared_frontier:
            return requests  # queued in Redis; the shared seen-set keeps workers apart
        articles = [r for r in requests if r.meta.get("na_kind", "article") == "article"]
        entries = [
            {
                "url": r.url,
                "kind": "article",
                "depth": r.meta.get("na_depth", 0),
                "via_url": r.meta.get("na_via"),
                "max_depth": self.depth,
                "related_selector": self.related_selector,
                "recheck": bool(r.dont_filter),
            }
            for r in articles
        ]
        archive = self._store()
        claimed = archive.frontier.claim(entries, crawl_id=self._crawl_id(), queued_at=utc_now())
        kept: list[scrapy.Request] = []
        for r in requests:
            if r.meta.get("na_kind", "article") != "article" or r.url in claimed:
                kept.append(r)
                continue
            self.seed_pending.discard(r.url)
            if archive.frontier.is_archived(r.url):
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
        archive = self._store()
        resumed = [
            row
            for row in ([] if self.shared_frontier else archive.frontier.queued())
            if self.in_scope(row["url"])
        ]
        if resumed:
            logger.info("resuming %d queued URL(s) left by an earlier run", len(resumed))
            self._inc("resumed", len(resumed))
        for row in resumed:
            for request in self._persist(
                list(self.follow_url(row["url"], depth=row["depth"], via=row["via_url"]))
            ):
                yield request
        for seed in self.seeds:
            for request in self._persist(
                list(self.follow_url(seed, depth=0, via=None, force=self.recheck, seed=True))
            ):
                yield request
        for kind, urls in self.sources.items():
            for url in urls:
                if self.adaptive_sources and not self.source_due(url):
                    self.source_results[url] = True
                    continue
                yield self.source_request(url, kind)
        if self.recheck_due:
            due = archive.frontier.due_rechecks(
                now=utc_now(), schedule_hours=self.recheck_hours, limit=RECHECK_BATCH
            )
            due = [u for u in due if self.in_scope(u) or not self.seed_hosts]
            self._inc("rechecks_due", len(due))
            for url in due:
                for request in self._persist(
                    list(self.follow_url(url, depth=0, via=None, force=True))
                ):
                    yield request

    def source_due(self, url: str) -> bool:
        """Whether a feed/sitemap/listing is due: its interval adapts to how often it changes."""
        settings = self.settings
        last, minutes = self._store().frontier.source_interval(
            url,
            min_minutes=settings.getfloat("NEWSARCHIVE_SOURCE_MIN_MINUTES", 5),
            max_minutes=settings.getfloat("NEWSARCHIVE_SOURCE_MAX_MINUTES", 360),
        )
        if last is None:
            return True
        waited = (datetime.now(timezone.utc) - datetime.fromisoformat(last)).total_seconds()
        if waited >= minutes * 60:
            return True
        self._inc("source_not_due")
        logger.info("%s unchanged lately: next read in %.0f min", url, minutes - waited / 60)
        return False

    def source_request(self, url: str, kind: str) -> scrapy.Request:
        """A request for a feed, sitemap or listing page (always fetched: that is the point)."""
        self.sources_requested.add(url)
        return scrapy.Request(
            url,
            callback=self.parse_source,
            errback=self.failed,
            dont_filter=True,
            meta={"na_kind": kind, "na_depth": 0, "na_source": url, "na_source_depth": 0},
        )

    def child_sources(
        self, more: list[tuple[str, str]], parent_depth: int
    ) -> Iterator[scrapy.Request]:
        """Requests for the child sitemaps/feeds a source lists: each once per run, to a
        bounded depth and count (an index that lists itself, or two that list each other,
        would otherwise be read forever)."""
        settings = self.settings
        max_depth = settings.getint("NEWSARCHIVE_MAX_SOURCE_DEPTH", DEFAULT_MAX_SOURCE_DEPTH)
        max_sources = settings.getint("NEWSARCHIVE_MAX_SOURCES", DEFAULT_MAX_SOURCES)
        for url, kind in more:
            if url in self.sources_requested:
                self._inc("not_followed/source_seen")
                continue
            if parent_depth + 1 > max_depth:
                self._inc("not_followed/source_depth")
                logger.warning("not read: %s (sources nested deeper than %d)", url, max_depth)
                continue
            if len(self.sources_requested) >= max_sources:
                self._inc("not_followed/source_cap")
                logger.warning("not read: %s (%d sources read this run)", url, max_sources)
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
        archive = self._store()
        if known is not None:
            self._inc("depth_improved")
            if archive.frontier.is_archived(url):
                yield from self.expand_archived(url, depth)
            elif url in self.requested_urls:
                # still queued: a run resumed after a kill must know the shorter depth too
                entry = {"url": url, "depth": depth, "via_url": via, "max_depth": self.depth}
                archive.frontier.claim(
                    [{**entry, "related_selector": self.related_selector}],
                    crawl_id=self._crawl_id(),
                    queued_at=utc_now(),
                )
            return
        headers: dict[str, str] = {}
        if not force and archive.frontier.is_archived(url):
            self._inc("already_archived")
            logger.info("already archived, not fetched again: %s", url)
            yield from self.expand_archived(url, depth)
            return
        if force:
            headers = archive.pages.conditional_headers(url)
        if self.max_pages and self.requested >= self.max_pages:
            self._inc("not_followed/max_pages")
            return
        if not seed and self.host_full(url):
            return
        self.requested += 1
        self.requested_urls.add(url)
        if seed and not self.shared_frontier:
            # with --redis any worker may fetch it (or has): that one reports its failure
            self.seed_pending.add(url)
        yield scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=force,
            headers=headers,
            # shallower pages first: a page is then mostly met first by its shortest path
            priority=-depth,
            meta={"na_depth": depth, "na_via": via, "na_seed": seed, "na_kind": "article"},
        )

    def expand_archived(self, url: str, depth: int) -> Iterator[scrapy.Request]:
        """Follow the stored related links of an archived page (no fetch of the page itself),
        breadth-first through the archived pages they lead to: each page is reached by its
        shortest path, so a later deeper run archives what a fresh run of that depth would."""
        archive = self._store()
        ring = [(url, depth)]
        while ring:
            next_ring: list[tuple[str, int]] = []
            for page, page_depth in ring:
                if page_depth >= self.depth:
                    continue
                for target in self.capped_links(page, archive.read.related_targets(page)):
                    known = self.depth_of.get(target)
                    if not self.in_scope(target) or (known is not None and known <= page_depth + 1):
                        continue
                    if not archive.frontier.is_archived(target):
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

    def host_full(self, url: str) -> bool:
        """Count a new URL against its host's cap; True (counted, logged) when it is full.

        A calendar or session-id trap would otherwise yield pages without end; what is
        over the cap stays unfetched this run (a queued URL stays queued for the next)."""
        cap = self.settings.getint(
            "NEWSARCHIVE_MAX_NEW_URLS_PER_HOST", DEFAULT_MAX_NEW_URLS_PER_HOST
        )
        host = (urlsplit(url).hostname or "").lower()
        count = self.requested_by_host.get(host, 0)
        if cap and count >= cap:
            self._inc("not_followed/host_cap")
            if count == cap:
                logger.warning("%d new URLs from %s this run: no more (%s)", cap, host, url)
                self.requested_by_host[host] = count + 1  # warn once
            self.kept_for_later.add(url)
            return True
        self.requested_by_host[host] = count + 1
        return False

    def capped_links(self, url: str, links: list[str]) -> list[str]:
        """The first NEWSARCHIVE_MAX_LINKS_PER_PAGE related links of a page (the rest are
        recorded in `links`, counted, and not followed)."""
        cap = self.settings.getint("NEWSARCHIVE_MAX_LINKS_PER_PAGE", DEFAULT_MAX_LINKS_PER_PAGE)
        if not cap or len(links) <= cap:
            return links
        self._inc("not_followed/links_per_page_cap", len(links) - cap)
        logger.warning("%s lists %d related links: following the first %d", url, len(links), cap)
        return links[:cap]

    def page_depth(self, url: str, depth: int) -> int:
        """The shortest depth known for a page (a shorter path may have been met since)."""
        return min(depth, self.depth_of.get(url, depth))

    # --- callbacks -----------------------------------------------------------------------

    def raw_page(self, response: Response, kind: str) -> RawPage:
        """The response as an immutable raw page item."""
        meta = response.meta
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()
        }
        if meta.get(CONTENT_ENCODING_META) and b"Content-Encoding" not in response.headers:
            # Scrapy decoded the body and deleted the header: keep what came over the wire
            headers["X-Crawler-Content-Encoding"] = meta[CONTENT_ENCODING_META]
        return RawPage(
            url=(meta.get("redirect_urls") or [response.request.url])[0],
            final_url=response.url,
            status=response.status,
            fetched_at=utc_now(),
            headers=headers,
            body=response.body,
            depth=self.page_depth(
                (meta.get("redirect_urls") or [response.request.url])[0],
                int(meta.get("na_depth", 0)),
            ),
            via_url=meta.get("na_via"),
            related_selector=self.related_selector,
            redirect_urls=list(meta.get("redirect_urls") or []),
            kind=kind,
            request_headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1")
                for k, v in response.request.headers.items()
            },
        )

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
        for url in self.capped_links(page_url, links):
            if not self.in_scope(url):
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
            found, more = self.discover(response, kind)
        except (UnsafeXMLError, ValueError) as exc:
            self._inc(f"source_failed/{type(exc).__name__}")
            logger.error("%s %s refused: %s", kind, source, exc)
            return
        if not found and not more:
            self.source_empty(source, response.url)
        yield from self.child_sources(more, int(response.meta.get("na_source_depth", 0)))
        found = [d for d in found if self.in_scope(d.url)]
        self._inc(f"discovered/{kind}", len(found))
        self._store().frontier.record_discoveries(
            [self.discovery_row(d) for d in found], seen_at=utc_now()
        )
        requests: list[scrapy.Request] = []
        for item in found:
            requests.extend(self.follow_url(item.url, depth=0, via=source))
        yield from self._persist(requests)

    def source_empty(self, source: str, final_url: str) -> None:
        """A source that lists nothing where it listed articles before: a warning, counted
        and named in the run's stats (`newsarchive stats` shows it)."""
        before = self._store().frontier.discoveries_from([source, final_url])
        if not before:
            return
        logger.warning("%s listed no articles (it listed %d before)", source, before)
        self._inc("source_empty")
        if self.crawler.stats is not None:
            empty = list(self.crawler.stats.get_value("newsarchive/empty_sources", []))
            self.crawler.stats.set_value("newsarchive/empty_sources", [*empty, source])

    def discover(
        self, response: Response, kind: str
    ) -> tuple[list[Discovered], list[tuple[str, str]]]:
        """(articles listed, further sources to fetch) of a source response."""
        # imported here: encoding.py imports trafilatura, which article crawls need only in
        # the extraction workers
        from newsarchive.extract.encoding import is_html

        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        html = is_html(response.body, content_type) and not looks_like_feed(response.body)
        if kind == "sitemap":
            result = parse_sitemap(response.body, source_url=response.url)
            return result.urls, [(u, "sitemap") for u in result.sitemaps if self.in_scope(u)]
        if kind == "feed" and html:
            feeds = [
                u for u in find_feeds(response.body, base_url=response.url) if self.in_scope(u)
            ]
            logger.info("feed autodiscovery on %s: %d feed(s)", response.url, len(feeds))
            return [], [(u, "feed") for u in feeds]
        if kind == "feed":
            return parse_feed(response.body, source_url=response.url), []
        return find_listing_articles(response.body, base_url=response.url), []

    @staticmethod
    def discovery_row(item: Discovered) -> dict[str, Any]:
        """The discoveries row of a listed article (its listed date read as ISO/RFC)."""
        raw, attr = item.listed_date_raw, item.listed_date_attr
        listed = (
            (parse_iso(raw) or normalize_date(raw, reference=datetime.now(timezone.utc)))
            if raw
            else None
        ) or (parse_iso(attr) if attr else None)
        return {
            "url": item.url,
            "via": item.via,
            "source_url": item.source_url,
            "listed_title": item.listed_title,
            "listed_date_raw": item.listed_date_raw,
            "listed_date": listed.isoformat() if listed else None,
            "keywords": list(item.keywords),
        }

    def failed(self, failure: Failure) -> None:
        """A request that got no response: count it, name the URL and the reason."""
        request = failure.request  # type: ignore[attr-defined]
        original = (request.meta.get("redirect_urls") or [request.url])[0]
        self.seed_pending.discard(original)
        reason = failure.type.__name__ if failure.type else "Error"
        message = failure.getErrorMessage()
        kind = request.meta.get("na_kind", "article")
        if kind in SOURCE_KINDS:
            self.source_results.setdefault(request.meta.get("na_source", original), False)
        if failure.check(HostUnreachable):
            # its robots.txt got no response: the host's failure (DNS, refused...) is this URL's
            reason, message = failure.value.error_name, message.partition(": ")[2] or message
        elif failure.check(RobotsDisallowed) and "unavailable" in message:
            # robots.txt could not be read: keep the URL queued for a later run
            logger.warning("not fetched now: %s (%s)", original, message)
            self._inc("not_fetched/robots_unavailable")
            self._store().frontier.failed(original, error=message, count=False)
            self.kept_for_later.add(original)
            if request.meta.get("na_seed"):
                self.seed_failures[original] = message
            return
        if failure.check(OutOfScope, ForbiddenAddress, RobotsDisallowed):
            # a deliberate drop (robots.txt, scope, private address), not a fetch error
            logger.info("not fetched: %s (%s)", original, message)
            self._store().frontier.drop(original)
            if request.meta.get("na_seed"):
                self.seed_failures[original] = message
            return
        # network errors, timeouts, and what Scrapy ignores on the way (redirect loops,
        # decompression bombs, oversize bodies): a failure of this URL, counted
        self._inc(f"fetch_failed/{reason}")
        why = f"{cause_of(reason, message)}: {message}"
        logger.warning("not fetched: %s (%s)", original, why)
        self._store().frontier.failed(original, error=why)
        self.kept_for_later.add(original)  # retried by the next runs, up to 3 attempts
        if request.meta.get("na_seed"):
            self.seed_failures[original] = why

    def handled(self) -> set[str]:
        """What a finished run dealt with, one way or another (to clear from the frontier).

        A URL can leave no trace (Scrapy's duplicate filter drops a redirect back to a URL
        already seen without any callback): once the run has finished, nothing it queued is
        still pending, except what robots.txt outages and network failures keep for later.
        """
        return self.scheduled - self.kept_for_later - self.not_claimed

    def closed(self, reason: str) -> None:
        """Close the archive connection."""
        if self.archive is not None:
            self.archive.close()


def _true(value: bool | str) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")
