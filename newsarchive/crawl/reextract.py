"""Re-run extraction over stored raw pages, without fetching, on all cores.

1. select the pages (by site, fetch time or URL), oldest fetch first;
2. the main process reads each page and hands it to the crawl's extraction pool
   (workers.ExtractionPool: the same timeout, size cap and memory limit, so a page gets the
   same outcome as in the crawl: ``too_large``, ``extraction_failed`` on a timeout...);
3. the results are applied in fetch order, in batches of one transaction each, taken only
   once the whole batch is extracted (the write lock is never held while waiting for a
   worker, so a concurrent crawl keeps writing): an interrupted run leaves whole batches,
   and running it again finishes the job;
4. with dry_run, each batch is rolled back instead of committed.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsarchive import settings as project
from newsarchive.crawl.workers import ExtractionPool
from newsarchive.crawl.workers import Result as PoolResult
from newsarchive.dates.normalize import DEFAULT_TZ
from newsarchive.extract.article import Extraction
from newsarchive.model import utc_now
from newsarchive.store.archive import Archive, BodyError

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# the outcome of a stored body that cannot be read back (the page row is untouched)
UNREADABLE = "unreadable"


class DryRunRollback(Exception):
    """Raised inside a batch to roll it back in a dry run."""


@dataclass
class Summary:
    """What a re-extraction did (or would do, in a dry run)."""

    pages_read: int = 0
    articles_changed: int = 0
    unchanged: int = 0
    failed: int = 0
    by_field: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False


Result = tuple[int, str, Extraction | None, str, str | None]
Pending = tuple[int, str, str, "Future[PoolResult] | PoolResult"]


def _submit(
    archive: Archive,
    pool: ExtractionPool,
    page_ids: list[int],
    related_selector: str | None,
    tz: str | None,
) -> list[Pending]:
    """Read a batch of pages and hand them to the pool: (id, fetched_at, url, future)."""
    pending: list[Pending] = []
    for page_id in page_ids:
        try:
            page = archive.pages.get(page_id)
        except BodyError as exc:
            # a corrupt body, or a compression this version cannot read: that page fails only
            pending.append((page_id, "", "", (None, UNREADABLE, str(exc))))
            continue
        if page is None:
            pending.append((page_id, "", "", (None, "missing", "page vanished")))
            continue
        big = pool.too_large(page.body) if page.status < 400 else None
        job: Future[PoolResult] | PoolResult = big or pool.submit(
            page.body,
            url=page.final_url,
            status=page.status,
            fetched_at=datetime.fromisoformat(page.fetched_at),
            headers=page.headers,
            # what the crawl gave extraction, unless the caller says otherwise
            related_selector=related_selector or page.related_selector,
            tz=tz or page.tz or DEFAULT_TZ,
        )
        pending.append((page_id, page.fetched_at, page.final_url, job))
    return pending


def _results(pool: ExtractionPool, pending: list[Pending]) -> list[Result]:
    """Wait for a batch (no transaction open): timeouts and dead workers become outcomes."""
    done: list[Result] = []
    for page_id, fetched_at, url, job in pending:
        extraction, outcome, error = pool.result(job, url) if isinstance(job, Future) else job
        done.append((page_id, fetched_at, extraction, outcome, error))
    return done


def _batches(
    archive: Archive,
    pool: ExtractionPool,
    page_ids: list[int],
    related_selector: str | None,
    tz: str | None,
) -> Iterator[list[Result]]:
    """Extracted batches in fetch order; the next batch is submitted before waiting for one,
    so that the workers keep busy while the main process writes."""
    chunks = [page_ids[i : i + BATCH_SIZE] for i in range(0, len(page_ids), BATCH_SIZE)]
    if not chunks:
        return
    ahead = _submit(archive, pool, chunks[0], related_selector, tz)
    for chunk in chunks[1:]:
        current, ahead = ahead, _submit(archive, pool, chunk, related_selector, tz)
        yield _results(pool, current)
    yield _results(pool, ahead)


def reextract(
    db_path: Path,
    *,
    site: str | None = None,
    since: str | None = None,
    url: str | None = None,
    jobs: int | None = None,
    dry_run: bool = False,
    related_selector: str | None = None,
    tz: str | None = None,
    on_page: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    timeout: float = project.NEWSARCHIVE_EXTRACT_TIMEOUT,
    max_html_bytes: int = project.NEWSARCHIVE_MAX_HTML_BYTES,
    memory_mb: int = project.NEWSARCHIVE_EXTRACT_MEMORY_MB,
    units: Callable[[Archive, list[int]], Iterable[list[int]]] | None = None,
) -> Summary:
    """Rebuild articles, links, date evidence and versions from stored pages, with the
    crawl's extraction limits (timeout, size cap, memory) and defaults.

    Each page is extracted with the related selector and time zone stored with it (those
    its crawl used); related_selector and tz, when given, replace them for every page.

    With units (distributed.units.reextract_units), the selected pages are done one shared
    unit at a time, each unit asked for once the previous one's batches are committed."""
    archive = Archive(db_path)
    summary = Summary()
    pool: ExtractionPool | None = None
    try:
        page_ids = archive.reextraction.pages(site=site, since=since, url=url)
        if on_total:
            on_total(len(page_ids))
        pool = ExtractionPool(
            max(1, jobs or os.cpu_count() or 1),
            timeout=timeout,
            max_html_bytes=max_html_bytes,
            memory_mb=memory_mb,
        )
        touched: set[str] = set()
        groups = units(archive, page_ids) if units is not None else [page_ids]
        batches = (b for ids in groups for b in _batches(archive, pool, ids, related_selector, tz))
        for results in batches:
            try:
                with archive.reextraction.batch():
                    for result in results:
                        _apply(archive, result, summary, touched)
                    if dry_run:
                        raise DryRunRollback
            except DryRunRollback:
                pass
            if on_page:
                on_page(len(results))
        if not dry_run:
            archive.checkpoint()  # the end of a run is on disk (see Runs.finish)
    except KeyboardInterrupt:
        summary.interrupted = True
        logger.warning("re-extraction interrupted; the archive keeps the batches already done")
    finally:
        if pool is not None:
            pool.close()
        archive.close()
    return summary


def _apply(archive: Archive, result: Result, summary: Summary, touched: set[str]) -> None:
    page_id, fetched_at, extraction, outcome, error = result
    summary.pages_read += 1
    if outcome == "missing":
        return
    if outcome == UNREADABLE:
        summary.failed += 1
        logger.warning("page #%d: stored body unreadable, skipped: %s", page_id, error)
        return
    if extraction is None and outcome != "error":
        summary.failed += 1
    article_url = extraction.article.url if extraction and extraction.article else None
    first_touch = article_url is not None and article_url not in touched
    if article_url:
        touched.add(article_url)
    changed = archive.reextraction.apply(
        page_id,
        fetched_at,
        extraction,
        outcome=outcome,
        error=error,
        extracted_at=utc_now(),
        rebuild_versions_from=fetched_at if first_touch else None,
    )
    if article_url is None:
        return
    if changed:
        summary.articles_changed += 1
        summary.by_field.update(changed)
    else:
        summary.unchanged += 1
