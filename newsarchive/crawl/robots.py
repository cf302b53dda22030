"""robots.txt, obeyed per host the way RFC 9309 asks (Scrapy's middleware does not).

- 2xx: the rules apply (first 500 KiB only, as RFC 9309 allows);
- 4xx: no rules, everything is allowed;
- 5xx, or the server cannot be reached: nothing is fetched from that host in this run.

Scrapy's own RobotsTxtMiddleware also lets concurrent requests through while robots.txt is
being fetched (every awaiter but the first gets no parser); this one answers each waiter.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newsarchive.crawl.fetch_errors import cause_of

logger = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 500 * 1024
ALLOW_ALL = "allow-all"
DISALLOW_ALL = "disallow-all"


def robots_request(url: str) -> Request:
    """The request for a host's robots.txt: first in line, not itself subject to robots.txt."""
    return Request(
        url,
        priority=1000,
        # no size cancellation: bytes_received stops the body at MAX_ROBOTS_BYTES instead
        meta={"dont_obey_robotstxt": True, "download_maxsize": 0, "na_robots": True},
        callback=NO_CALLBACK,
    )


class RobotsDisallowed(IgnoreRequest):
    """robots.txt forbids this URL, or could not be read (5xx)."""


class HostUnreachable(IgnoreRequest):
    """The host's robots.txt got no response (DNS, refused, timeout, TLS): nor will its pages."""

    def __init__(self, message: str, error_name: str) -> None:
        super().__init__(message)
        self.error_name = error_name  # the class name of the fetch error, e.g. DNSLookupError


Rules = Protego | str


def rules_for(status: int | None, body: bytes) -> Rules:
    """The rules a robots.txt answer means (status None: the host could not be reached)."""
    if status is None or status >= 500:
        return DISALLOW_ALL
    if status >= 400:
        return ALLOW_ALL
    if 300 <= status < 400:
        return ALLOW_ALL  # an unfollowed redirect: treat as unavailable (RFC 9309 §2.3.1.4)
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
    return Protego.parse(text)


def allowed(rules: Rules, url: str, user_agent: str) -> bool:
    """Whether rules let user_agent fetch url."""
    if rules == ALLOW_ALL:
        return True
    if rules == DISALLOW_ALL:
        return False
    return bool(rules.can_fetch(url, user_agent))  # type: ignore[union-attr]


class RobotsMiddleware:
    """Downloader middleware: fetch, cache and obey each host's robots.txt."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT", "newsarchive")
        self._rules: dict[str, Rules] = {}
        self._waiters: dict[str, list[Deferred[Rules]]] = {}
        self._unreachable: dict[str, tuple[str, str]] = {}  # netloc -> (error name, message)
        self._unavailable: dict[str, int] = {}  # netloc -> robots.txt's 5xx status

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsMiddleware:
        """Enabled by ROBOTSTXT_OBEY (Scrapy's own middleware is turned off in settings)."""
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        """Stop reading a robots.txt past MAX_ROBOTS_BYTES and use what arrived (RFC 9309)."""
        if not request.meta.get("na_robots"):
            return
        seen = request.meta.get("na_robots_bytes", 0) + len(data)
        request.meta["na_robots_bytes"] = seen
        if seen >= MAX_ROBOTS_BYTES:
            raise StopDownload(fail=False)

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/robots/{key}")

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Raise RobotsDisallowed for a URL the host's robots.txt does not allow."""
        if request.meta.get("dont_obey_robotstxt"):
            return
        rules = await self._rules_for(request)
        if not allowed(rules, request.url, self.user_agent):
            netloc = urlsplit(request.url).netloc
            if netloc in self._unreachable:
                name, message = self._unreachable[netloc]
                raise HostUnreachable(f"{cause_of(name, message)}: {message}", name)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("newsarchive/dropped/robots")
            why = "robots.txt"
            if rules == DISALLOW_ALL:
                status = self._unavailable.get(netloc)
                why = "robots.txt unavailable" + (f" (HTTP {status})" if status else "")
            raise RobotsDisallowed(f"Forbidden by {why}")

    async def _rules_for(self, request: Request) -> Rules:
        parts = urlsplit(request.url)
        netloc = parts.netloc
        if netloc in self._rules:
            return self._rules[netloc]
        waiter: Deferred[Rules] = Deferred()
        first = netloc not in self._waiters
        self._waiters.setdefault(netloc, []).append(waiter)
        if first:
            self._fetch(f"{parts.scheme}://{netloc}/robots.txt", netloc)
        return await maybe_deferred_to_future(waiter)

    def _fetch(self, url: str, netloc: str) -> None:
        robots = robots_request(url)
        engine = self.crawler.engine
        if engine is None:
            self._resolve(netloc, DISALLOW_ALL)
            return
        d = deferred_from_coro(engine.download_async(robots))

        def done(response: Any) -> None:
            status = int(response.status)
            self._inc(f"status/{status}")
            rules = rules_for(status, response.body)
            if rules == DISALLOW_ALL:
                self._unavailable[netloc] = status
                logger.warning("%s answered HTTP %d: nothing fetched from %s", url, status, netloc)
            self._resolve(netloc, rules)

        def failed(failure: Any) -> None:
            self._inc("unreachable")
            name = failure.type.__name__ if failure.type else "Error"
            message = failure.getErrorMessage()
            self._unreachable[netloc] = (name, message)
            logger.warning(
                "%s could not be fetched (%s: %s): nothing fetched from %s",
                url,
                cause_of(name, message),
                message,
                netloc,
            )
            self._resolve(netloc, DISALLOW_ALL)

        d.addCallbacks(done, failed)

    def _resolve(self, netloc: str, rules: Rules) -> None:
        self._rules[netloc] = rules
        for waiter in self._waiters.pop(netloc, []):
            waiter.callback(rules)
