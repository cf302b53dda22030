"""The shared frontier: scrapy-redis' scheduler with leases, JSON requests and a bounded seen-set.

Keys, all under NEWSARCHIVE_REDIS_PREFIX (``newsarchive`` by default; one prefix per crawl
that shares a frontier):

- ``P:queue`` (sorted set of ids: priority, then depth, then FIFO), ``P:requests``
  (id -> JSON request), ``P:score``, ``P:hostof``, ``P:attempts`` (per id);
- ``P:leased`` (sorted set id -> deadline in ms, Redis clock) and ``P:owner`` (id -> worker):
  a pop moves a request there; the shard's commit of the page acknowledges it; a lease not
  acknowledged by its deadline (the worker was killed) goes back to the queue at the next pop
  of any worker. Live workers extend their leases every third of a lease from a thread of
  their own (connection.Heartbeat), so neither a slow fetch nor a busy reactor lets a live
  worker's lease expire. After NEWSARCHIVE_REDIS_MAX_ATTEMPTS expiries a request is
  given up (``P:failed``): a page that kills its worker must not kill them all;
- ``P:seen:<day>``: the seen-set (seen.py);
- ``P:host:queued``, ``P:host:leased``, ``P:host:done``, ``P:host:failed``, ``P:done``:
  counters for ``newsarchive stats --redis`` (status.py).

Every script keeps its keys under one prefix on one server (Redis Cluster is not supported).
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import uuid
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from newsarchive.distributed.connection import (
    DEFAULT_RETRY_SECONDS,
    Heartbeat,
    LeaseHolder,
    retrying,
)
from newsarchive.distributed.lua import POP, PUSH
from newsarchive.store.archive import Archive, StorageError

logger = logging.getLogger(__name__)

LEASE_META = "na_lease"
HOST_SLOT_META = "na_host_slot"  # politeness.SLOT_META
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_MAX_ATTEMPTS = 3
POLL_SECONDS = 0.25
DEPTH_LEVELS = 100  # queue order: priority, then depth (0-99), then FIFO


def queue_key(prefix: str, job: str) -> str:
    """The key prefix of one job's queue: the jobs of `newsarchive run` (each its own depth,
    scope and selector) never pop each other's requests; the seen-set, host slots and
    robots.txt answers are shared by all jobs under the prefix."""
    return f"{prefix}:q:{job}"


def worker_name() -> str:
    """host:pid:random, the owner recorded on each lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


class LeasedQueue(LeaseHolder, Base):  # type: ignore[misc]
    """scrapy-redis queue whose pop is a lease, acknowledged once the page is committed."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        if serializer is None:
            raise ValueError("the shared queue needs SCHEDULER_SERIALIZER (JSON), never pickle")
        super().__init__(server, spider, key, serializer=serializer)
        settings = spider.settings
        self.prefix = key
        self.lease_ms = int(
            1000 * settings.getfloat("NEWSARCHIVE_REDIS_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        )
        self.max_attempts = settings.getint("NEWSARCHIVE_REDIS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
        self.run = retrying(
            settings.getfloat("NEWSARCHIVE_REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )
        self.worker = worker_name()
        self.reclaimed = 0
        self.given_up = 0
        self._push = server.register_script(PUSH)
        self.hold_leases(server, key)
        self._pop = server.register_script(POP)

    def __len__(self) -> int:
        """Requests waiting in the shared queue (all workers)."""
        return int(self.run(lambda: self.server.zcard(f"{self.prefix}:queue")))

    def pending(self) -> int:
        """Requests queued or leased by any worker: the crawl is over when this is 0."""

        def count() -> int:
            pipe = self.server.pipeline(transaction=False)
            pipe.zcard(f"{self.prefix}:queue")
            pipe.zcard(f"{self.prefix}:leased")
            return int(sum(pipe.execute()))

        return self.run(count)

    def push(self, request: Request) -> None:
        """Queue a request for any worker: higher priority first, then shallower related-link
        depth (breadth-first across all workers, as one process crawls), then FIFO."""
        data = self._encode_request(request)
        depth = int(request.meta.get("na_depth") or 0)
        priority = request.priority * DEPTH_LEVELS - min(depth, DEPTH_LEVELS - 1)
        self.run(lambda: self._push(keys=[self.prefix], args=[data, priority, _host(request.url)]))

    def pop(self, timeout: int = 0) -> Request | None:
        """Lease the next request (after returning expired leases to the queue)."""
        result = self.run(
            lambda: self._pop(
                keys=[self.prefix], args=[self.lease_ms, self.worker, self.max_attempts]
            )
        )
        self.reclaimed += int(result[0])
        self.given_up += int(result[1])
        if int(result[0]):
            logger.warning("%d expired lease(s) returned to the shared queue", result[0])
        if int(result[1]):
            logger.error("%d request(s) given up after repeated expired leases", result[1])
        if len(result) < 4:
            return None
        lease = result[2].decode() if isinstance(result[2], bytes) else str(result[2])
        request: Request = self._decode_request(result[3])
        request.meta[LEASE_META] = lease
        self.hold(lease)
        return request

    def clear(self) -> None:
        """Never called with SCHEDULER_PERSIST: other workers share this queue."""
        raise RuntimeError("the shared queue is not cleared by a worker")


class LeasedScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis' scheduler, with leases acknowledged when a page is committed."""

    queue: LeasedQueue
    df: Any
    loop: task.LoopingCall | None
    heartbeat: Heartbeat | None
    crawler: Crawler
    stopping: bool
    shard_path: str | None
    shard: Archive | None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        """Connect to Redis (REDIS_URL) and to the signals that acknowledge leases."""
        scheduler: LeasedScheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.shard_path = crawler.settings.get("NEWSARCHIVE_DB")
        scheduler.shard = None
        scheduler.loop = None
        scheduler.heartbeat = None
        scheduler.stopping = False
        crawler.signals.connect(scheduler.item_scraped, signal=signals.item_scraped)
        return scheduler

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(f"newsarchive/redis/{key}", count)

    def _count(self, key: str) -> None:
        """Scrapy's own scheduler counters (the progress line reads them)."""
        if self.stats is not None:
            self.stats.inc_value(key)
            self.stats.inc_value(f"{key}/redis")

    def open(self, spider: Any) -> None:
        """Open the shared queue and start extending this worker's leases (on a thread)."""
        # scrapy-redis' open() without its deprecated Spider.log() call
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=queue_key(self.queue_key, getattr(spider, "job", None) or spider.name),
            serializer=self.serializer,
        )
        if not isinstance(self.queue, LeasedQueue):
            raise ValueError("LeasedScheduler needs SCHEDULER_QUEUE_CLASS = LeasedQueue")
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        logger.info(
            "shared frontier %s: %d queued, worker %s",
            self.queue.prefix,
            len(self.queue),
            self.queue.worker,
        )
        self.heartbeat = Heartbeat(
            self.queue.extend, self.queue.lease_ms / 1000 / 3, "newsarchive-request-leases"
        )
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(POLL_SECONDS, now=False)

    def tick(self) -> None:
        """Wake the engine now and then (others may have queued work)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is not None and not self.stopping:
            slot.nextcall.schedule()

    def close(self, reason: str) -> None:
        """Hand back unfinished leases; keep the shared queue and seen-set."""
        self.stopping = True
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        try:
            released = self.queue.release()
        except Exception as exc:  # noqa: BLE001 - they come back when their leases expire
            logger.warning("cannot hand back leases (they return after the timeout): %s", exc)
            released = 0
        if released:
            logger.info("%d unfinished request(s) handed back to the shared queue", released)
        self._inc("released", released)
        self._inc("reclaimed", self.queue.reclaimed)
        self._inc("given_up", self.queue.given_up)
        if self.shard is not None:
            self.shard.close()
            self.shard = None
        super().close(reason)

    def _abort(self, exc: Exception) -> None:
        self._inc("unavailable")
        engine = self.crawler.engine
        if engine is not None and not self.stopping:
            logger.error("Redis unavailable, stopping this worker: %s", exc)
            self.stopping = True
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="redis_unavailable"))

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request unless any worker has seen it; a retry or redirect replaces the
        lease of the request it comes from."""
        import redis

        previous = request.meta.pop(LEASE_META, None)
        # a retry or redirect copies the meta of the download it comes from: its host slot
        # was that download's, released when its response came
        request.meta.pop(HOST_SLOT_META, None)
        try:
            queued = request.dont_filter or not self.df.request_seen(request)
            if queued:
                self.queue.push(request)
                self._count("scheduler/enqueued")
            if previous is not None:
                self.queue.ack(str(previous))
        except redis.RedisError as exc:
            self._abort(exc)
            return False
        if not queued:
            self._inc("seen")
        return queued

    def next_request(self) -> Request | None:
        """Lease the next request of the shared queue."""
        import redis

        if self.stopping:
            return None
        try:
            request = self.queue.pop()
            while request is not None and self._committed_here(request):
                # this shard committed it, but the worker was killed before the ack (its
                # lease expired): acknowledge it now instead of fetching it a second time
                self.done(request)
                self._inc("committed_before_ack")
                request = self.queue.pop()
        except redis.RedisError as exc:
            self._abort(exc)
            return None
        if request is not None:
            self._inc("leased")
            self._count("scheduler/dequeued")
        return request

    def _committed_here(self, request: Request) -> bool:
        """True when this worker's shard already holds the page of a request that is not a
        forced re-fetch (re-checks are dont_filter)."""
        if request.dont_filter or not self.shard_path:
            return False
        try:
            if self.shard is None:
                self.shard = Archive.shared(self.shard_path)
            return self.shard.frontier.is_archived(request.url)
        except (StorageError, sqlite3.Error) as exc:  # cannot tell: fetch it (never lost)
            logger.warning("cannot check %s in the shard: %s", request.url, exc)
            return False

    def has_pending_requests(self) -> bool:
        """Work queued or leased anywhere: a worker stays until the whole crawl is done."""
        import redis

        if self.stopping:
            return False
        try:
            return self.queue.pending() > 0
        except redis.RedisError as exc:
            self._abort(exc)
            return False

    def done(self, request: Request) -> None:
        """Acknowledge the lease of a request that is dealt with."""
        import redis

        lease = request.meta.get(LEASE_META)
        if lease is None:
            return
        try:
            if self.queue.ack(str(lease)) == 2:
                self._inc("late_ack")
        except redis.RedisError as exc:
            # not acknowledged: the lease expires and the page is fetched again (never lost)
            logger.warning("cannot acknowledge %s in Redis: %s", request.url, exc)
            return
        self._inc("acked")

    def item_scraped(self, item: Any, response: Any, spider: Any = None) -> None:
        """The pipeline committed the page of this response: its request is done."""
        request = getattr(response, "request", None)
        if request is not None:
            self.done(request)


class LeaseMiddleware:
    """Downloader middleware, outermost: a request that failed for good (no retry, no
    response: network error, robots.txt, scope) is done too; retries come back through
    the scheduler and replace the lease there."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        """Build it (only configured with --redis)."""
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        """Acknowledge the lease; the failure goes on to the spider's errback."""
        engine = self.crawler.engine
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
        if isinstance(scheduler, LeasedScheduler):
            scheduler.done(request)
