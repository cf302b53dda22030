"""ScopeMiddleware: the last check before any connection, for every request and redirect.

Only http(s) URLs on the crawl's allowed hosts are fetched, and never a loopback, private,
link-local or metadata address unless a seed itself is on that host (SSRF guard).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from newsarchive.urls import ALLOWED_SCHEMES, is_forbidden_address, parse_ip_host, same_site

logger = logging.getLogger(__name__)


class OutOfScope(IgnoreRequest):
    """The request's scheme or host is outside the crawl's scope."""


class ForbiddenAddress(IgnoreRequest):
    """The request's host is or resolves to a loopback/private/link-local address."""


def resolve(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Addresses a host name resolves to (empty when it does not resolve)."""
    literal = parse_ip_host(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(str(info[4][0]).split("%")[0]))
        except ValueError:
            continue
    return found


class ScopeMiddleware:
    """Drop out-of-scope and private-address requests before they connect."""

    def __init__(self, crawler: Crawler, ssrf_guard: bool) -> None:
        self.crawler = crawler
        self.ssrf_guard = ssrf_guard
        self._verdicts: dict[str, bool] = {}
        self._scope: dict[tuple[str, frozenset[str]], bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        """Build from settings (NEWSARCHIVE_SSRF_GUARD_ENABLED)."""
        if crawler.settings.getbool("NEWSARCHIVE_SCOPE_DISABLED"):
            raise NotConfigured
        return cls(crawler, crawler.settings.getbool("NEWSARCHIVE_SSRF_GUARD_ENABLED", True))

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/dropped/{key}")

    def _allowed(self, host: str, allowed: set[str]) -> bool:
        key = (host, frozenset(allowed))
        verdict = self._scope.get(key)
        if verdict is None:
            verdict = self._scope[key] = any(same_site(host, a) for a in allowed)
        return verdict

    def _private_ok(self, host: str, seed_hosts: set[str]) -> bool:
        if host in seed_hosts or not self.ssrf_guard:
            return True
        if host not in self._verdicts:
            addresses = resolve(host)
            self._verdicts[host] = not any(is_forbidden_address(a) for a in addresses)
        return self._verdicts[host]

    def process_request(self, request: Request, spider: Any = None) -> None:
        """Raise IgnoreRequest for a request that must not be sent."""
        spider = self.crawler.spider
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ALLOWED_SCHEMES or not host:
            self._count("scheme")
            logger.info("not fetched: %s (scheme not allowed)", request.url)
            raise OutOfScope(f"scheme not allowed: {request.url}")
        allowed: set[str] = getattr(spider, "allowed_hosts", set())
        seed_hosts: set[str] = getattr(spider, "seed_hosts", set())
        if allowed and not self._allowed(host, allowed):
            self._count("offsite")
            logger.info("not fetched: %s (host %s not allowed)", request.url, host)
            raise OutOfScope(f"host not allowed: {host}")
        if not self._private_ok(host, seed_hosts):
            self._count("private_address")
            logger.warning("not fetched: %s (host %s is a private address)", request.url, host)
            raise ForbiddenAddress(f"private address: {host}")


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    from email.utils import parsedate_to_datetime

    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class RetryAfterMiddleware:
    """Honour Retry-After on 429/503: the host's download slot waits at least that long.

    Scrapy's RetryMiddleware retries such responses but ignores the header; this one raises
    the delay of the host's slot before the retry is scheduled (capped by
    NEWSARCHIVE_RETRY_AFTER_MAX seconds).
    """

    STATUSES = (429, 503)

    def __init__(self, crawler: Crawler, cap: float) -> None:
        self.crawler = crawler
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        """Build from settings (NEWSARCHIVE_RETRY_AFTER_MAX)."""
        return cls(crawler, crawler.settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX", 600.0))

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        """Slow the host down when the server asks to."""
        import time

        if response.status not in self.STATUSES:
            return response
        header = response.headers.get("Retry-After")
        wait = retry_after_seconds(header.decode("latin-1") if header else None, now=time.time())
        if wait is None or self.crawler.engine is None:
            return response
        wait = min(wait, self.cap)
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            # Scrapy counts the delay from the last request sent and randomizes it: count it
            # from now, without jitter, so that the next request really waits `wait` seconds.
            slot.delay = max(slot.delay, wait)
            slot.jitter = 0.0
            slot.lastseen = monotonic()
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsarchive/retry_after")
        logger.warning(
            "%s answered %d with Retry-After %s: waiting %.0f s before the next request to %s",
            request.url,
            response.status,
            header,
            wait,
            key,
        )
        return response


# request.meta key: the Content-Encoding a response arrived with, before Scrapy decoded it
CONTENT_ENCODING_META = "na_content_encoding"


class ContentEncodingMiddleware:
    """Remember a response's Content-Encoding before HttpCompressionMiddleware decodes the body
    and deletes the header: the raw page keeps it as X-Crawler-Content-Encoding (the web-archive
    convention for a decoded body), so that a WARC export states what came over the wire."""

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        """Note the encoding in request.meta (the response goes on unchanged)."""
        encoding = response.headers.getlist("Content-Encoding")
        if encoding:
            request.meta[CONTENT_ENCODING_META] = b", ".join(encoding).decode("latin-1")
        return response
