"""The `article` spider: fetch seed articles and follow their related-article links to a depth.

It decides WHAT to fetch and yields raw pages; extraction and storage happen in the pipeline.

    scrapy crawl article -a url=https://www.example.it/a.html -a depth=1
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from newsarchive.extraction import is_html
from newsarchive.items import RawPage
from newsarchive.links import find_related_links
from newsarchive.store import Archive
from newsarchive.urls import canonicalize_url, same_site

logger = logging.getLogger(__name__)

DEFAULT_DEPTH = 1


def split_arg(value: str | list[str] | None) -> list[str]:
    """Seeds and hosts may be given as a list or as one comma/space separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else value.replace(",", " ").split()
    return [v.strip() for v in items if v.strip()]


class ArticleSpider(scrapy.Spider):
    """Archive articles and their related articles, depth-first by listing order."""

    name = "article"

    def __init__(
        self,
        url: str | list[str] | None = None,
        depth: int | str = DEFAULT_DEPTH,
        max_pages: int | str = 0,
        allow_domain: str | list[str] | None = None,
        related_selector: str | None = None,
        command: str | None = None,
        recheck: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seeds: list[str] = []
        for raw in split_arg(url):
            canonical = canonicalize_url(raw)
            if canonical is None:
                raise ValueError(f"not an http(s) URL: {raw!r}")
            self.seeds.append(canonical)
        if not self.seeds:
            raise ValueError("give at least one article URL: -a url=https://...")
        self.depth = int(depth)
        if self.depth < 0:
            raise ValueError(f"depth must be 0 or more, not {self.depth}")
        self.max_pages = int(max_pages or 0)
        self.related_selector = related_selector or None
        self.command = command
        self.recheck = str(recheck).lower() in ("1", "true", "yes")
        self.seed_hosts = {(urlsplit(s).hostname or "").lower() for s in self.seeds}
        self.allowed_hosts = self.seed_hosts | {h.lower() for h in split_arg(allow_domain)}
        self.seed_failures: dict[str, str] = {}
        self.scheduled: set[str] = set()
        self.requested = 0
        self.archive: Archive | None = None

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/{key}")

    def in_scope(self, url: str) -> bool:
        """Whether a URL's host is one the crawl may fetch."""
        host = (urlsplit(url).hostname or "").lower()
        return any(same_site(host, allowed) for allowed in self.allowed_hosts)

    async def start(self) -> AsyncIterator[Any]:
        """Seed requests; seeds archived before are not fetched again but expanded."""
        self.archive = Archive(self.settings.get("NEWSARCHIVE_DB", "archive.db"))
        for seed in self.seeds:
            for request in self.follow_url(seed, depth=0, via=None, force=self.recheck):
                yield request

    def follow_url(
        self, url: str, *, depth: int, via: str | None, force: bool = False
    ) -> Iterator[scrapy.Request]:
        """A request for url, or, when it is archived already, requests for its stored links.

        force (--recheck) fetches an archived URL again.
        """
        if url in self.scheduled:
            return
        self.scheduled.add(url)
        if not force and self.archive is not None and self.archive.is_archived(url):
            self._inc("already_archived")
            logger.info("already archived, not fetched again: %s", url)
            if depth < self.depth:
                for target in self.archive.related_targets(url):
                    if self.in_scope(target):
                        yield from self.follow_url(target, depth=depth + 1, via=url)
            return
        if self.max_pages and self.requested >= self.max_pages:
            self._inc("not_followed/max_pages")
            return
        self.requested += 1
        yield scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=force,
            meta={"na_depth": depth, "na_via": via, "na_seed": depth == 0},
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Yield the raw page, then requests for its related articles."""
        meta = response.meta
        depth = int(meta.get("na_depth", 0))
        original = (meta.get("redirect_urls") or [response.request.url])[0]
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()
        }
        yield RawPage(
            url=original,
            final_url=response.url,
            status=response.status,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            headers=headers,
            body=response.body,
            depth=depth,
            via_url=meta.get("na_via"),
            related_selector=self.related_selector,
            redirect_urls=list(meta.get("redirect_urls") or []),
        )
        if response.status >= 400:
            if meta.get("na_seed"):
                self.seed_failures[original] = f"HTTP {response.status}"
                logger.error("seed %s answered HTTP %d", original, response.status)
            return
        if depth >= self.depth:
            return
        if not is_html(response.body, response.headers.get("Content-Type", b"").decode("latin-1")):
            return
        tree = lxml.html.fromstring(response.text or "<html></html>")
        page_url = canonicalize_url(response.url) or response.url
        for link in find_related_links(tree, response.url, selector=self.related_selector):
            if not self.in_scope(link.url):
                self._inc("not_followed/offsite")
                continue
            yield from self.follow_url(link.url, depth=depth + 1, via=page_url)

    def failed(self, failure: Failure) -> None:
        """A request that got no response: count it, name the URL and the reason."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure.type.__name__ if failure.type else "Error"
        message = failure.getErrorMessage()
        if failure.check(IgnoreRequest):
            # a deliberate drop (robots.txt, scope, private address), not a fetch error
            logger.info("not fetched: %s (%s)", request.url, message)
            if request.meta.get("na_seed"):
                self.seed_failures[request.url] = message
            return
        self._inc(f"fetch_failed/{reason}")
        logger.warning("not fetched: %s (%s: %s)", request.url, reason, message)
        if request.meta.get("na_seed"):
            self.seed_failures[request.url] = f"{reason}: {message}"

    def closed(self, reason: str) -> None:
        """Close the read connection."""
        if self.archive is not None:
            self.archive.close()
