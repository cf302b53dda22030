"""Politeness summed over every worker: per-host slots and delay, shared robots.txt, Retry-After.

- HostLeaseMiddleware: before a request goes out, its host must have a free slot in Redis
  (at most CONCURRENT_REQUESTS_PER_DOMAIN held by all workers together) and its shared
  "not before" time must have passed (DOWNLOAD_DELAY after the previous request of any worker,
  or longer after a Retry-After). The slot is released when the response (or failure)
  arrives; a killed worker's slots expire after NEWSARCHIVE_REDIS_LEASE_SECONDS (its
  connections closed with it). A live worker extends its slots from a thread of its own
  (connection.Heartbeat): on a timer of the reactor, a busy reactor (a long extraction, a
  starved CPU) let a slot expire while its request was still out, and another worker took it:
  one request more at once than the limit. Each worker's own Scrapy slot (delay,
  AutoThrottle) still applies on top.
- SharedRobotsMiddleware: robots.txt is fetched by one worker per host (a lock in Redis) and
  its answer shared for NEWSARCHIVE_REDIS_ROBOTS_SECONDS; the others wait for it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import reactor, task

from newsarchive.crawl.middlewares import RetryAfterMiddleware, retry_after_seconds
from newsarchive.crawl.robots import DISALLOW_ALL, RobotsMiddleware, robots_request, rules_for
from newsarchive.distributed.connection import (
    DEFAULT_RETRY_SECONDS,
    Heartbeat,
    client,
    retrying,
)
from newsarchive.distributed.frontier import DEFAULT_LEASE_SECONDS
from newsarchive.distributed.frontier import HOST_SLOT_META as SLOT_META

logger = logging.getLogger(__name__)

FULL_WAIT_S = 0.05
MAX_SLOT_WAIT_S = 600.0
DEFAULT_ROBOTS_SECONDS = 3600.0
ROBOTS_WAIT_S = 0.1
ROBOTS_LOCK_S = 60.0

# ARGV: host, token, limit, delay ms, hold ms. 0: slot taken; > 0: wait that many ms;
# -1: all slots busy.
ACQUIRE = """
local p = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = p..':slots:'..ARGV[1]
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
local nb = tonumber(redis.call('GET', p..':next:'..ARGV[1]) or '0')
if now < nb then return nb - now end
if redis.call('ZCARD', slots) >= tonumber(ARGV[3]) then return -1 end
redis.call('ZADD', slots, now + tonumber(ARGV[5]), ARGV[2])
redis.call('PEXPIRE', slots, tonumber(ARGV[5]))
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', p..':next:'..ARGV[1], now + tonumber(ARGV[4]), 'PX', tonumber(ARGV[4]) + 1000)
end
return 0
"""

# ARGV: host, ms: no request to host before now + ms (the later of this and what is set).
NOT_BEFORE = """
local p = KEYS[1]
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
local nb = tonumber(redis.call('GET', p..':next:'..ARGV[1]) or '0')
if until_ms > nb then
  redis.call('SET', p..':next:'..ARGV[1], until_ms, 'PX', tonumber(ARGV[2]) + 1000)
end
return 0
"""

# ARGV: hold ms, then host/token pairs.
EXTEND_SLOTS = """
local p = KEYS[1]
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('ZADD', p..':slots:'..ARGV[i], 'XX', deadline, ARGV[i + 1])
  redis.call('PEXPIRE', p..':slots:'..ARGV[i], tonumber(ARGV[1]))
end
return 0
"""


async def _sleep(seconds: float) -> None:
    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


class HostLeaseMiddleware:
    """Downloader middleware: hold one of the host's shared slots while a request is out."""

    def __init__(self, crawler: Crawler, server: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = server
        self.prefix = settings.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive")
        self.limit = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 4))
        self.delay_ms = int(1000 * settings.getfloat("DOWNLOAD_DELAY", 0.0))
        self.hold_ms = int(
            1000 * settings.getfloat("NEWSARCHIVE_REDIS_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        )
        self.retry_after_cap = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX", 600.0)
        self.run = retrying(
            settings.getfloat("NEWSARCHIVE_REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )
        self.held: dict[str, str] = {}  # token -> host
        self._lock = threading.Lock()  # held is read by the heartbeat's thread
        self._acquire = server.register_script(ACQUIRE)
        self._not_before = server.register_script(NOT_BEFORE)
        self._extend = server.register_script(EXTEND_SLOTS)
        self.heartbeat = Heartbeat(self.extend, self.hold_ms / 3000, "newsarchive-host-slots")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostLeaseMiddleware:
        """Enabled with --redis (NEWSARCHIVE_REDIS_URL)."""
        url = crawler.settings.get("NEWSARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured
        middleware = cls(crawler, client(url))
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def close(self) -> None:
        """Stop extending slots: the crawl is over."""
        self.heartbeat.stop()

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/redis/{key}", count)

    def extend(self) -> None:
        """Keep the slots of requests still out (a killed worker's expire on their own)."""
        with self._lock:
            held = list(self.held.items())
        if not held:
            return
        args: list[Any] = [self.hold_ms]
        for token, host in held:
            args += [host, token]
        try:
            self.run(lambda: self._extend(keys=[self.prefix], args=args))
        except Exception as exc:  # noqa: BLE001 - tried again at the next tick
            logger.warning("cannot extend host slots in Redis: %s", exc)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Wait for a free slot of the request's host, shared by every worker."""
        if request.meta.get(SLOT_META) in self.held:
            return  # holds a slot already (a middleware retried it in place)
        host = _host(request.url)
        token = uuid.uuid4().hex
        started = time.monotonic()
        warned = False
        while True:
            wait_ms = int(
                self.run(
                    lambda: self._acquire(
                        keys=[self.prefix],
                        args=[host, token, self.limit, self.delay_ms, self.hold_ms],
                    )
                )
            )
            if wait_ms == 0:
                break
            self._inc("slot_waits")
            if not warned and time.monotonic() - started > MAX_SLOT_WAIT_S:
                warned = True
                logger.warning(
                    "%s: no free slot for %s after %.0f s", request.url, host, MAX_SLOT_WAIT_S
                )
            await _sleep(FULL_WAIT_S if wait_ms < 0 else wait_ms / 1000)
        with self._lock:
            self.held[token] = host
        request.meta[SLOT_META] = token

    def _release(self, request: Request) -> None:
        token = request.meta.pop(SLOT_META, None)
        if token is None:
            return
        with self._lock:
            host = self.held.pop(token, _host(request.url))
        try:
            self.run(lambda: self.server.zrem(f"{self.prefix}:slots:{host}", token))
        except Exception as exc:  # noqa: BLE001 - the slot expires after its hold time
            logger.warning("cannot release a host slot in Redis: %s", exc)

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        """Free the slot; a Retry-After slows every worker down for that host."""
        self._release(request)
        if response.status in RetryAfterMiddleware.STATUSES:
            header = response.headers.get("Retry-After")
            wait = retry_after_seconds(
                header.decode("latin-1") if header else None, now=time.time()
            )
            if wait is not None:
                wait_ms = int(1000 * min(wait, self.retry_after_cap))
                host = _host(request.url)
                self.run(lambda: self._not_before(keys=[self.prefix], args=[host, wait_ms]))
                self._inc("retry_after_shared")
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        """Free the slot of a request that failed."""
        self._release(request)


class SharedRobotsMiddleware(RobotsMiddleware):
    """RobotsMiddleware whose robots.txt answers are fetched once per host for all workers."""

    def __init__(self, crawler: Crawler, server: Any) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.server = server
        self.prefix = settings.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive")
        self.ttl_s = settings.getfloat("NEWSARCHIVE_REDIS_ROBOTS_SECONDS", DEFAULT_ROBOTS_SECONDS)
        self.run = retrying(
            settings.getfloat("NEWSARCHIVE_REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRobotsMiddleware:
        """Enabled by ROBOTSTXT_OBEY with --redis."""
        url = crawler.settings.get("NEWSARCHIVE_REDIS_URL")
        if not crawler.settings.getbool("ROBOTSTXT_OBEY") or not url:
            raise NotConfigured
        middleware = cls(crawler, client(url))
        from scrapy import signals

        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def _key(self, netloc: str) -> str:
        return f"{self.prefix}:robots:{netloc}"

    def _fetch(self, url: str, netloc: str) -> None:
        d = deferred_from_coro(self._shared_rules(url, netloc))

        def failed(failure: Any) -> None:
            logger.warning("robots.txt of %s: %s", netloc, failure.getErrorMessage())
            self._resolve(netloc, DISALLOW_ALL)

        d.addErrback(failed)

    def _cached(self, netloc: str) -> tuple[int | None, bytes] | None:
        found = self.run(lambda: self.server.hgetall(self._key(netloc)))
        if not found:
            return None
        status = int(found[b"status"])
        return (status if status > 0 else None), found.get(b"body", b"")

    async def _shared_rules(self, url: str, netloc: str) -> None:
        lock = f"{self._key(netloc)}:lock"
        token = uuid.uuid4().hex
        while True:
            cached = self._cached(netloc)
            if cached is not None:
                self._inc("shared")
                self._resolve(netloc, rules_for(*cached))
                return
            if self.run(
                lambda: self.server.set(lock, token, nx=True, px=int(ROBOTS_LOCK_S * 1000))
            ):
                break
            await _sleep(ROBOTS_WAIT_S)
        status, body = await self._download(url, netloc)
        pipe = self.server.pipeline()
        pipe.hset(self._key(netloc), mapping={"status": status or 0, "body": body})
        pipe.pexpire(self._key(netloc), int(self.ttl_s * 1000))
        pipe.delete(lock)
        self.run(pipe.execute)
        self._resolve(netloc, rules_for(status, body))

    async def _download(self, url: str, netloc: str) -> tuple[int | None, bytes]:
        """(status, body) of robots.txt, (None, b"") when the host cannot be reached."""
        robots = robots_request(url)
        engine = self.crawler.engine
        if engine is None:
            return None, b""
        try:
            response = await engine.download_async(robots)
        except Exception as exc:  # noqa: BLE001 - unreachable: nothing fetched from the host
            self._inc("unreachable")
            logger.warning(
                "%s could not be fetched (%s): nothing fetched from %s", url, exc, netloc
            )
            return None, b""
        status = int(response.status)
        self._inc(f"status/{status}")
        if rules_for(status, response.body) == DISALLOW_ALL:
            logger.warning("%s answered HTTP %d: nothing fetched from %s", url, status, netloc)
        return status, bytes(response.body)
