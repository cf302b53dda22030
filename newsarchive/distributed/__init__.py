"""Several crawl workers sharing one frontier in Redis, built on scrapy-redis.

scrapy-redis (pinned 0.9.1) gives the shared request queue and seen-set; the small Scrapy
components here add what it lacks for newsarchive:

- ``serializer``: requests stored as JSON, never pickle (a shared Redis must not run code);
- ``frontier``: a queue with leases (what a killed worker popped returns after a timeout,
  a request is done only once its shard committed the page), a bounded seen-set that honours
  REQUEST_FINGERPRINTER, bounded retries on a lost connection;
- ``politeness``: per-host concurrency and delay summed over every worker, robots.txt fetched
  once per host and shared, Retry-After seen by one worker slowing them all;
- ``connection``: the client, the start-up check (one-line error) and the retry policy.
- ``units``: work units for ``import-warc --redis`` (one WARC file each) and ``reextract
  --redis`` (one page-id range each), leased with the frontier's Lua scripts.

Nothing here is imported without ``--redis``: the SQLite frontier of one process is unchanged.
"""

from __future__ import annotations

from typing import Any

SCHEDULER = "newsarchive.distributed.frontier.LeasedScheduler"


def redis_settings(url: str, prefix: str) -> dict[str, Any]:
    """The Scrapy settings that put the frontier, seen-set and politeness state in Redis."""
    from newsarchive import settings as project

    middlewares = dict(project.DOWNLOADER_MIDDLEWARES)
    middlewares["newsarchive.crawl.robots.RobotsMiddleware"] = None
    middlewares["newsarchive.distributed.politeness.SharedRobotsMiddleware"] = 100
    # innermost, after robots (100) and the cache (900): a slot is held only for a real fetch,
    # and its response or failure reaches this middleware first, before a redirect or retry
    # (RedirectMiddleware 600, RetryMiddleware 550) answers a new request and stops the chain
    middlewares["newsarchive.distributed.politeness.HostLeaseMiddleware"] = 950
    # outermost: sees the failures no other middleware turned into a retry
    middlewares["newsarchive.distributed.frontier.LeaseMiddleware"] = 1
    return {
        "NEWSARCHIVE_REDIS_URL": url,
        "NEWSARCHIVE_REDIS_PREFIX": prefix,
        "REDIS_URL": url,
        "SCHEDULER": SCHEDULER,
        "SCHEDULER_QUEUE_CLASS": "newsarchive.distributed.frontier.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": prefix,
        "SCHEDULER_DUPEFILTER_CLASS": "newsarchive.distributed.seen.SeenFilter",
        "DUPEFILTER_CLASS": "newsarchive.distributed.seen.SeenFilter",
        "SCHEDULER_SERIALIZER": "newsarchive.distributed.serializer",
        # the queue is shared: never flush it when one worker closes
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "DOWNLOADER_MIDDLEWARES": middlewares,
    }
