"""The shared seen-set of --redis: the crawl's own request fingerprint in daily Redis sets,
kept NEWSARCHIVE_REDIS_SEEN_DAYS days (bounded memory: a URL last seen longer ago than that
counts as new again). The dupefilter scrapy-redis' scheduler is given (settings)."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter

from newsarchive.distributed.connection import DEFAULT_RETRY_SECONDS, retrying
from newsarchive.distributed.lua import SEEN

DEFAULT_SEEN_DAYS = 30
FINGERPRINT_HEX = 32


class SeenFilter(RFPDupeFilter):  # type: ignore[misc]
    """The shared seen-set: REQUEST_FINGERPRINTER's fingerprint, daily sets, bounded in time."""

    def __init__(
        self, server: Any, key: str, debug: bool = False, *, crawler: Crawler, days: int
    ) -> None:
        super().__init__(server, key, debug)
        self.crawler = crawler
        self.days = max(1, days)
        self.run = retrying(
            crawler.settings.getfloat("NEWSARCHIVE_REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )
        self._seen = server.register_script(SEEN)

    @classmethod
    def from_spider(cls, spider: Any) -> SeenFilter:
        """Built by the scheduler when the spider opens."""
        from scrapy_redis.connection import get_redis_from_settings

        settings = spider.settings
        return cls(
            get_redis_from_settings(settings),
            settings.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive"),
            settings.getbool("DUPEFILTER_DEBUG"),
            crawler=spider.crawler,
            days=settings.getint("NEWSARCHIVE_REDIS_SEEN_DAYS", DEFAULT_SEEN_DAYS),
        )

    def request_fingerprint(self, request: Request) -> str:
        """The crawl's REQUEST_FINGERPRINTER fingerprint (scrapy-redis ignores it), as hex."""
        fingerprinter = self.crawler.request_fingerprinter
        return str(fingerprinter.fingerprint(request).hex()[:FINGERPRINT_HEX])

    def request_seen(self, request: Request) -> bool:
        """True when any worker queued this request within the seen-set's window."""
        fp = self.request_fingerprint(request)
        ttl = (self.days + 1) * 86400
        return bool(self.run(lambda: self._seen(keys=[self.key], args=[fp, self.days, ttl])))

    def close(self, reason: str = "") -> None:
        """Keep the shared seen-set (scrapy-redis would delete it)."""

    def clear(self) -> None:
        """Keep the shared seen-set: it is bounded by its daily sets' expiry."""
