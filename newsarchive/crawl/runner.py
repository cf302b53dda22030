"""Run the `article` spider in-process and report what the run did (used by the CLI).

Scrapy is imported only once the extraction workers are starting: both take about as long,
and the workers then are ready for the first page instead of starting when it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.crawl import forks, workers

if TYPE_CHECKING:
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_SEED_FAILED = 1
EXIT_ABORTED = 3
MAX_FAILED_SEED_LINES = 10  # given URLs that failed, named one per line in the summary


@dataclass(frozen=True)
class CrawlResult:
    """What a finished crawl run did, and the exit code it deserves."""

    stats: dict[str, Any]
    exit_code: int
    status: str


def build_settings(db: Path, overrides: dict[str, str], *, quiet: bool, verbose: bool) -> Settings:
    """Project settings with the run's database and -s overrides (cmdline priority)."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newsarchive.settings", priority="project")
    settings.set("NEWSARCHIVE_DB", str(db), priority="cmdline")
    # the terminal shows the progress line, the summary and warnings; -v adds Scrapy's INFO
    # lines (start-up, stats dump); -s LOG_LEVEL=DEBUG still wins
    settings.set("LOG_LEVEL", "INFO" if verbose and not quiet else "WARNING", "cmdline")
    if quiet:
        settings.set("NEWSARCHIVE_PROGRESS_ENABLED", False, priority="cmdline")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    redis_url = settings.get("NEWSARCHIVE_REDIS_URL")
    if redis_url:
        from newsarchive.distributed import redis_settings

        prefix = settings.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive")
        for key, value in redis_settings(redis_url, prefix).items():
            settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    seeds: list[str],
    *,
    db: Path,
    depth: int,
    max_pages: int,
    allow_domains: list[str],
    related_selector: str | None,
    overrides: dict[str, str],
    command: str,
    recheck: bool = False,
    feeds: list[str] | None = None,
    sitemaps: list[str] | None = None,
    listings: list[str] | None = None,
    recheck_due: bool = False,
    quiet: bool = False,
    verbose: bool = False,
) -> CrawlResult:
    """Crawl seeds (and sources) and their related articles into db; blocks until the end."""
    spider_args = {
        "url": seeds,
        "feed": feeds or [],
        "sitemap": sitemaps or [],
        "listing": listings or [],
        "depth": depth,
        "max_pages": max_pages,
        "allow_domain": allow_domains,
        "related_selector": related_selector,
        "recheck": recheck,
        "recheck_due": recheck_due,
    }
    results = run_jobs(
        [("crawl", spider_args)],
        db=db,
        overrides=overrides,
        command=command,
        quiet=quiet,
        verbose=verbose,
    )
    return results[0]


def run_jobs(
    jobs: list[tuple[str, dict[str, Any]]],
    *,
    db: Path,
    overrides: dict[str, str],
    command: str,
    quiet: bool = False,
    verbose: bool = False,
) -> list[CrawlResult]:
    """Run several `article` spiders side by side in one process, one crawls row each."""
    prestart_workers(overrides)
    try:
        return _run_jobs(
            jobs, db=db, overrides=overrides, command=command, quiet=quiet, verbose=verbose
        )
    finally:
        workers.discard_prestarted()


def prestart_workers(overrides: dict[str, str]) -> None:
    """Start the extraction workers now, as the project settings and -s overrides shape them
    (the pipeline adopts them; with other settings it starts its own and these are stopped)."""
    shape = forks.pool_shape(overrides)
    if shape is not None:
        workers.prestart(shape[0], memory_mb=shape[1])


def _run_jobs(
    jobs: list[tuple[str, dict[str, Any]]],
    *,
    db: Path,
    overrides: dict[str, str],
    command: str,
    quiet: bool,
    verbose: bool,
) -> list[CrawlResult]:
    from scrapy.crawler import CrawlerProcess

    settings = build_settings(db, overrides, quiet=quiet, verbose=verbose)
    process = CrawlerProcess(settings)
    crawlers = []
    for name, spider_args in jobs:
        crawler = process.create_crawler("article")
        label = command if len(jobs) == 1 else f"{command} [{name}]"
        # job: names this job's queue in a shared frontier (--redis); one queue per job
        process.crawl(crawler, command=label, job=name, **spider_args)
        crawlers.append(crawler)
    with loggers_at(settings.get("LOG_LEVEL"), PER_PAGE_LOGGERS):
        process.start()
    return [result_of(c.stats.get_stats() if c.stats else {}) for c in crawlers]


# Loggers that write a DEBUG or INFO line for every page (Scrapy's "Crawled", "Scraped from";
# the pipeline's "stored page"). Scrapy leaves the root logger at NOTSET and filters in its
# handler, so each such line would be built as a record, then dropped: ~0.3 ms a page.
PER_PAGE_LOGGERS = ("scrapy", "newsarchive")


@contextmanager
def loggers_at(level: int | str, names: tuple[str, ...]) -> Iterator[None]:
    """These loggers at Scrapy's LOG_LEVEL while the crawl runs (what Scrapy's handler would
    drop is then not built), as they were afterwards."""
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, was in saved.items():
            logging.getLogger(name).setLevel(was)


def result_of(stats: dict[str, Any]) -> CrawlResult:
    """The exit code a run's stats deserve."""
    status = str(stats.get("newsarchive/status", "aborted:unknown"))
    if status == "finished":
        code = EXIT_OK
    elif status == "seed_failed":
        code = EXIT_SEED_FAILED
    else:
        code = EXIT_ABORTED
    return CrawlResult(stats=stats, exit_code=code, status=status)


def summary(result: CrawlResult, db: Path) -> str:
    """A few human lines about a finished run."""
    from newsarchive.crawl.extensions import error_count
    from newsarchive.crawl.fetch_errors import cause_of

    s = result.stats
    outcomes = {
        k.removeprefix("newsarchive/outcome/"): v
        for k, v in sorted(s.items())
        if k.startswith("newsarchive/outcome/")
    }
    failures: dict[str, int] = {}
    for k, v in sorted(s.items()):
        if k.startswith("newsarchive/fetch_failed/"):
            cause = cause_of(k.removeprefix("newsarchive/fetch_failed/"))
            failures[cause] = failures.get(cause, 0) + int(v)
    dropped = {
        k.removeprefix("newsarchive/dropped/"): v
        for k, v in sorted(s.items())
        if k.startswith("newsarchive/dropped/")
    }
    not_followed = {
        k.removeprefix("newsarchive/not_followed/"): v
        for k, v in sorted(s.items())
        if k.startswith("newsarchive/not_followed/")
    }
    lines = [
        f"crawl #{s.get('newsarchive/crawl_id', '?')} {result.status}",
        f"  pages fetched:    {s.get('newsarchive/pages_stored', 0)}",
        f"  articles stored:  {s.get('newsarchive/articles_stored', 0)}",
        f"  related links:    {s.get('newsarchive/links_recorded', 0)}",
        f"  already archived: {s.get('newsarchive/already_archived', 0)}",
        f"  errors:           {error_count(s)}",
    ]
    if outcomes:
        lines.append("  outcomes:         " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    if failures:
        lines.append("  fetch failures:   " + ", ".join(f"{k} {v}" for k, v in failures.items()))
    if dropped:
        lines.append("  not fetched:      " + ", ".join(f"{k} {v}" for k, v in dropped.items()))
    if not_followed:
        # claimed_by_another_run: that run fetches those pages and follows their links
        lines.append(
            "  not followed:     " + ", ".join(f"{k} {v}" for k, v in not_followed.items())
        )
    if cut := s.get("newsarchive/not_followed/max_pages", 0):
        lines.append(f"  stopped early:    --max-pages reached, {cut} URL(s) not fetched")
    seed_failures = sorted(dict(s.get("newsarchive/seed_failures") or {}).items())
    for url, why in seed_failures[:MAX_FAILED_SEED_LINES]:
        lines.append(f"  failed:           {url} ({why})")
    if len(seed_failures) > MAX_FAILED_SEED_LINES:
        more = len(seed_failures) - MAX_FAILED_SEED_LINES
        lines.append(f"  failed:           ... and {more} more (newsarchive frontier lists them)")
    lines.append(f"  archive:          {db.resolve()}")
    return "\n".join(lines)
