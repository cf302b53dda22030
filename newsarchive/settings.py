"""Scrapy settings and NEWSARCHIVE_* keys: the only place environment variables are read.

Every NEWSARCHIVE_* key below can be overridden per run with ``newsarchive crawl -s KEY=VALUE``
(as ``scrapy crawl -s``) or through an environment variable of the same name.
"""

from __future__ import annotations

import os
from typing import Any

from newsarchive import __version__
from newsarchive.defaults import DEFAULT_DB, DEFAULT_TZ

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- newsarchive keys -----------------------------------------------------------------------
# Path of the SQLite archive.
NEWSARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB", DEFAULT_DB)
# Who to contact about the crawler; shown in the User-Agent.
NEWSARCHIVE_CONTACT = os.environ.get(
    "NEWSARCHIVE_CONTACT", "https://github.com/newsarchive/newsarchive"
)
# Time zone of the publishers, used for dates shown without an offset.
NEWSARCHIVE_TZ = os.environ.get("NEWSARCHIVE_TZ", DEFAULT_TZ)
# Live progress line on stderr when it is a terminal.
NEWSARCHIVE_PROGRESS_ENABLED = True
# Seconds between two progress lines.
NEWSARCHIVE_PROGRESS_INTERVAL = 1.0
# Extraction worker processes (-1: one per core; 0: in the crawler process, for debugging).
NEWSARCHIVE_EXTRACT_WORKERS = -1
# Hard limit per page: a slower extraction is stopped and the page marked extraction_failed.
NEWSARCHIVE_EXTRACT_TIMEOUT = 30.0
# Pages larger than this are stored raw but not extracted (outcome too_large).
NEWSARCHIVE_MAX_HTML_BYTES = 5 * 1024 * 1024
# Address-space limit of each extraction worker, in MiB.
NEWSARCHIVE_EXTRACT_MEMORY_MB = 1024
# `newsarchive run`: a feed/sitemap/listing is read again after this many minutes, doubled
# for every consecutive unchanged read, up to the maximum (`crawl --feed` always reads).
NEWSARCHIVE_SOURCE_MIN_MINUTES = 5.0
NEWSARCHIVE_SOURCE_MAX_MINUTES = 360.0
# Longest wait a Retry-After header can impose on a host, in seconds.
NEWSARCHIVE_RETRY_AFTER_MAX = 600.0
# Drop requests to loopback/private/link-local addresses unless a seed is on that host.
NEWSARCHIVE_SSRF_GUARD_ENABLED = True
# Child sitemaps/feeds: how deep an index may nest, and how many sources one run reads.
NEWSARCHIVE_MAX_SOURCE_DEPTH = 3
NEWSARCHIVE_MAX_SOURCES = 500
# Related links one page may queue (the rest are stored in `links`, not followed).
NEWSARCHIVE_MAX_LINKS_PER_PAGE = 200
# New URLs one run may fetch per host (a calendar or session-id trap ends here); 0: no cap.
NEWSARCHIVE_MAX_NEW_URLS_PER_HOST = 5000

# --- several workers (--redis) ----------------------------------------------------------
# Redis URL of a frontier shared by several workers (redis://[:password@]host:6379/0); empty:
# the archive's own SQLite frontier, one process. See newsarchive/distributed/.
NEWSARCHIVE_REDIS_URL = os.environ.get("NEWSARCHIVE_REDIS_URL", "")
# Key prefix: workers with the same prefix share one frontier and seen-set.
NEWSARCHIVE_REDIS_PREFIX = os.environ.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive")
# A request popped by a worker that stops answering returns to the queue after this long
# (live workers extend their leases); also the hold time of a killed worker's host slots.
NEWSARCHIVE_REDIS_LEASE_SECONDS = 60.0
# Expired leases after which a request is given up (a page that kills its worker).
NEWSARCHIVE_REDIS_MAX_ATTEMPTS = 3
# The shared seen-set remembers a URL this many days (one Redis set per day), then forgets.
NEWSARCHIVE_REDIS_SEEN_DAYS = 30
# How long a worker waits and retries when the connection to Redis is lost, then stops.
NEWSARCHIVE_REDIS_RETRY_SECONDS = 120.0
# How long a robots.txt answer fetched by one worker serves all of them.
NEWSARCHIVE_REDIS_ROBOTS_SECONDS = 3600.0

# --- politeness -----------------------------------------------------------------------------
# Rebuilt by UserAgentAddon from the run's NEWSARCHIVE_CONTACT (so that -s sets it too).
USER_AGENT = f"newsarchive/{__version__} (+{NEWSARCHIVE_CONTACT})"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
DOWNLOAD_TIMEOUT = 30
# Items processed in parallel per response. A callback yields one page (or one feed and its
# requests): Scrapy's default of 100 only costs 100 asyncio tasks per response.
CONCURRENT_ITEMS = 8
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
# Only HTTP(S): no file://, data:, ftp:// or s3:// fetches, whatever a page links to.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

# Final 4xx/5xx responses reach the spider so that they are archived like any other page.
HTTPERROR_ALLOW_ALL = True
# Depth is managed by the spider (--depth), not by Scrapy's DepthMiddleware.
DEPTH_LIMIT = 0
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's RemoteControl runs Python sent over HTTP on 127.0.0.1 and leaves token files
# behind after a kill: never in an archiver.
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "newsarchive.crawl.middlewares.ScopeMiddleware": 50,
    # RFC 9309 robots.txt (5xx/unreachable = disallow); replaces Scrapy's own middleware.
    "newsarchive.crawl.robots.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    # After RetryMiddleware (550) in the request order, so it sees 429/503 responses first.
    "newsarchive.crawl.middlewares.RetryAfterMiddleware": 560,
    # After HttpCompressionMiddleware (590) in the request order: sees the encoded response.
    "newsarchive.crawl.middlewares.ContentEncodingMiddleware": 595,
    # Scrapy's, without decoding the pages that cannot hold a <meta> refresh.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newsarchive.crawl.metarefresh.MetaRefreshMiddleware": 580,
}
ITEM_PIPELINES = {
    "newsarchive.crawl.pipelines.ArchivePipeline": 300,
}
ADDONS = {
    "newsarchive.settings.UserAgentAddon": 0,
    "newsarchive.settings.UnusedComponentsAddon": 0,
}
EXTENSIONS = {
    "newsarchive.crawl.extensions.Progress": 500,
}

LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"


class UserAgentAddon:
    """Scrapy add-on: the User-Agent names the run's NEWSARCHIVE_CONTACT (-s or environment)."""

    def update_settings(self, settings: Any) -> None:
        """Set USER_AGENT from NEWSARCHIVE_CONTACT unless USER_AGENT itself was overridden."""
        from scrapy.settings import SETTINGS_PRIORITIES

        if (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["project"]:
            return  # -s USER_AGENT=... wins
        contact = settings.get("NEWSARCHIVE_CONTACT")
        settings.set("USER_AGENT", f"newsarchive/{__version__} (+{contact})", priority="project")


# Scrapy components that a setting switches off, yet Scrapy imports to ask them (and then
# drops): (setting, component list, component). Three are costly to import in the crawler
# process (aiohttp 120 ms, tldextract 50 ms, twisted.conch 10 ms), all before the first page.
UNUSED_WHEN_OFF = (
    ("REMOTE_CONTROL_ENABLED", "EXTENSIONS", "scrapy.extensions.remote_control.RemoteControl"),
    ("TELNETCONSOLE_ENABLED", "EXTENSIONS", "scrapy.extensions.telnet.TelnetConsole"),
    (
        "COOKIES_ENABLED",
        "DOWNLOADER_MIDDLEWARES",
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    ),
)


class UnusedComponentsAddon:
    """Scrapy add-on: a component whose setting is off (after -s) is taken out of Scrapy's
    default list (<list>_BASE), so that Scrapy does not import it only to find it disabled.
    (Setting it to None in <list> would not do: Scrapy imports every key of <list> to match
    it with the defaults.)"""

    def update_settings(self, settings: Any) -> None:
        """Drop each switched-off component of UNUSED_WHEN_OFF from its default list."""
        for setting, name, component in UNUSED_WHEN_OFF:
            if settings.getbool(setting):
                continue
            base = f"{name}_BASE"
            defaults = settings.getdict(base)
            if defaults.pop(component, None) is not None:
                settings.set(base, defaults, settings.getpriority(base) or 0)
