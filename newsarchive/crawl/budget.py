"""How much one crawl may take, decided for the article spider: the hosts in scope, the pages
of the run (--max-pages), new URLs per host, related links per page, and nested sources (a
calendar trap, a link farm or a sitemap index listing itself must end)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from newsarchive.urls import same_site

logger = logging.getLogger(__name__)

# Child sitemaps/feeds followed from one given source (an index listing itself must end)
DEFAULT_MAX_SOURCE_DEPTH = 3
DEFAULT_MAX_SOURCES = 500
# What one page, and one host, may add to a run (NEWSARCHIVE_MAX_LINKS_PER_PAGE, ..._PER_HOST)
DEFAULT_MAX_LINKS_PER_PAGE = 200
DEFAULT_MAX_NEW_URLS_PER_HOST = 5000


class CrawlBudget:
    """The spider's scope and caps; counts what it refuses through inc (a stats key)."""

    def __init__(
        self,
        allowed_hosts: set[str],
        settings: Any,
        inc: Callable[[str, int], None],
        max_pages: int = 0,
    ) -> None:
        self.allowed_hosts = allowed_hosts
        self.inc = inc
        self.max_pages = max_pages
        self.max_links = settings.getint(
            "NEWSARCHIVE_MAX_LINKS_PER_PAGE", DEFAULT_MAX_LINKS_PER_PAGE
        )
        self.max_per_host = settings.getint(
            "NEWSARCHIVE_MAX_NEW_URLS_PER_HOST", DEFAULT_MAX_NEW_URLS_PER_HOST
        )
        self.max_source_depth = settings.getint(
            "NEWSARCHIVE_MAX_SOURCE_DEPTH", DEFAULT_MAX_SOURCE_DEPTH
        )
        self.max_sources = settings.getint("NEWSARCHIVE_MAX_SOURCES", DEFAULT_MAX_SOURCES)
        self._scope_verdicts: dict[str, bool] = {}  # in_scope() by host
        self.requested_by_host: dict[str, int] = {}
        self.requested = 0  # pages asked for this run

    def in_scope(self, url: str) -> bool:
        """Whether a URL's host is one the crawl may fetch."""
        host = (urlsplit(url).hostname or "").lower()
        verdict = self._scope_verdicts.get(host)
        if verdict is None:
            verdict = any(same_site(host, allowed) for allowed in self.allowed_hosts)
            self._scope_verdicts[host] = verdict
        return verdict

    def pages_spent(self) -> bool:
        """True (counted) when the run has asked for --max-pages pages already."""
        if self.max_pages and self.requested >= self.max_pages:
            self.inc("not_followed/max_pages", 1)
            return True
        return False

    def host_full(self, url: str) -> bool:
        """Count a new URL against its host's cap; True (counted, logged) when it is full.

        A calendar or session-id trap would otherwise yield pages without end; what is
        over the cap stays unfetched this run (a queued URL stays queued for the next)."""
        cap = self.max_per_host
        host = (urlsplit(url).hostname or "").lower()
        count = self.requested_by_host.get(host, 0)
        if cap and count >= cap:
            self.inc("not_followed/host_cap", 1)
            if count == cap:
                logger.warning("%d new URLs from %s this run: no more (%s)", cap, host, url)
                self.requested_by_host[host] = count + 1  # warn once
            return True
        self.requested_by_host[host] = count + 1
        return False

    def capped_links(self, url: str, links: list[str]) -> list[str]:
        """The first NEWSARCHIVE_MAX_LINKS_PER_PAGE related links of a page (the rest are
        recorded in `links`, counted, and not followed)."""
        cap = self.max_links
        if not cap or len(links) <= cap:
            return links
        self.inc("not_followed/links_per_page_cap", len(links) - cap)
        logger.warning("%s lists %d related links: following the first %d", url, len(links), cap)
        return links[:cap]

    def source_allowed(self, url: str, depth: int, sources_read: int) -> bool:
        """Whether a child source at depth (its parent's + 1) may be read, after sources_read
        sources this run; False is counted and logged."""
        if depth > self.max_source_depth:
            self.inc("not_followed/source_depth", 1)
            logger.warning(
                "not read: %s (sources nested deeper than %d)", url, self.max_source_depth
            )
            return False
        if sources_read >= self.max_sources:
            self.inc("not_followed/source_cap", 1)
            logger.warning("not read: %s (%d sources read this run)", url, self.max_sources)
            return False
        return True
