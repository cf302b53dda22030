"""Re-run extraction over stored raw pages, without fetching, on all cores.

1. select the pages (by site, fetch time or URL), oldest fetch first;
2. worker processes read each page from the archive (read-only) and run extract_page, the
   very function the crawl uses;
3. the main process applies the results in fetch order, in batches of one transaction each:
   an interrupted run leaves whole batches, and running it again finishes the job;
4. with dry_run, each batch is rolled back instead of committed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from newsarchive.dates import DEFAULT_TZ
from newsarchive.extraction import Extraction, extract_page
from newsarchive.store import Archive, BodyError

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# _extract_one's outcome for a stored body that cannot be read back (the page row is untouched)
UNREADABLE = "unreadable"
CHUNK_SIZE = 4

_worker_archive: Archive | None = None
_worker_options: dict[str, str | None] = {}


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


def _init_worker(
    db_path: str, related_selector: str | None, tz: str, parent: int | None = None
) -> None:
    global _worker_archive
    if parent is not None:
        # a kill -9 of `reextract` must not leave workers behind holding the archive open
        from newsarchive.workers import die_with_parent

        die_with_parent(parent)
    _worker_archive = Archive(db_path, readonly=True)
    _worker_options.update(related_selector=related_selector, tz=tz)


def _extract_one(page_id: int) -> Result:
    if _worker_archive is None:
        raise RuntimeError("worker not initialised")
    try:
        page = _worker_archive.page(page_id)
    except BodyError as exc:
        # a corrupt body, or a compression this version cannot read: that page fails, not the run
        return page_id, "", None, UNREADABLE, str(exc)
    if page is None:
        return page_id, "", None, "missing", "page vanished"
    extraction, outcome, error = extract_page(
        page.body,
        url=page.final_url,
        status=page.status,
        fetched_at=datetime.fromisoformat(page.fetched_at),
        headers=page.headers,
        related_selector=_worker_options.get("related_selector"),
        tz=_worker_options.get("tz") or DEFAULT_TZ,
    )
    return page_id, page.fetched_at, extraction, outcome, error


def _results(
    db_path: Path, page_ids: list[int], jobs: int, related_selector: str | None, tz: str
) -> Iterator[Result]:
    if jobs <= 1:
        _init_worker(str(db_path), related_selector, tz)
        yield from map(_extract_one, page_ids)
        return
    # spawn, not fork: the parent holds an open SQLite connection that must not be inherited
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(str(db_path), related_selector, tz, os.getpid()),
    ) as pool:
        yield from pool.map(_extract_one, page_ids, chunksize=CHUNK_SIZE)


def reextract(
    db_path: Path,
    *,
    site: str | None = None,
    since: str | None = None,
    url: str | None = None,
    jobs: int | None = None,
    dry_run: bool = False,
    related_selector: str | None = None,
    tz: str = DEFAULT_TZ,
    on_page: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Summary:
    """Rebuild articles, links, date evidence and versions from stored pages."""
    archive = Archive(db_path)
    summary = Summary()
    try:
        page_ids = archive.pages_for_reextract(site=site, since=since, url=url)
        if on_total:
            on_total(len(page_ids))
        workers = jobs or os.cpu_count() or 1
        touched: set[str] = set()
        results = _results(db_path, page_ids, workers, related_selector, tz)
        done = False
        while not done:
            try:
                with archive.batch():
                    for count, result in enumerate(results, start=1):
                        _apply(archive, result, summary, touched)
                        if on_page:
                            on_page(1)
                        if count >= BATCH_SIZE:
                            break
                    else:
                        done = True
                    if dry_run:
                        raise DryRunRollback
            except DryRunRollback:
                pass
        if not dry_run:
            archive.checkpoint()  # the end of a run is on disk (see Archive.finish_crawl)
    except KeyboardInterrupt:
        summary.interrupted = True
        logger.warning("re-extraction interrupted; the archive keeps the batches already done")
    finally:
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
    changed = archive.apply_reextraction(
        page_id,
        fetched_at,
        extraction,
        outcome=outcome,
        error=error,
        extracted_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        rebuild_versions_from=fetched_at if first_touch else None,
    )
    if article_url is None:
        return
    if changed:
        summary.articles_changed += 1
        summary.by_field.update(changed)
    else:
        summary.unchanged += 1
