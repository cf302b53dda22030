"""Import pages from WARC files (local or http(s)) through the crawl's raw-page path.

1. open each source as a stream (a file, or an HTTP response: never held in memory); a local
   file that an earlier run left half done is reopened at the offset after the last record
   it dealt with, any other source skips the records before it unread;
2. filter on the record header first (response records, host), then on the HTTP headers
   (HTML, 2xx), then a cheap language check on the first bytes;
3. each kept record becomes a RawPage (WARC-Date as fetched_at, provenance: file, offset,
   length, WARC-Record-ID) and runs through the extraction worker pool, all cores;
4. pages are stored in file order with Archive.pages.record_fetch (the crawl's own store path:
   raw page, article, related links, date evidence, versions), many to a transaction, and
   the import log advances in the same transaction as the pages it covers;
5. a bad record (truncated gzip member, lying Content-Length, not HTTP, invalid headers) is
   counted and named with its file and offset, and the import goes on after it.
"""

from __future__ import annotations

import gzip
import logging
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from newsarchive.crawl.forks import worker_count
from newsarchive.crawl.packing import Packing
from newsarchive.crawl.workers import (
    DEFAULT_MAX_HTML_BYTES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    ExtractionPool,
    PackedResult,
    Result,
)
from newsarchive.dates.normalize import DEFAULT_TZ
from newsarchive.extract.outcomes import ERROR
from newsarchive.model import RawPage, WarcSource, utc_now
from newsarchive.store import warc as store_warc
from newsarchive.store.archive import Archive
from newsarchive.store.bodies import Codec, Packed
from newsarchive.store.pages import LOOKUP
from newsarchive.warc.records import fetched_at_of
from newsarchive.warc.sources import (
    LANG_PEEK,
    Filters,
    WarcSourceError,
    headers_dict,
    is_html_record,
    open_source,
    resync,
)

logger = logging.getLogger(__name__)

# A record body larger than this is not read at all (the crawl's DOWNLOAD_MAXSIZE).
MAX_BODY_BYTES = 10 * 1024 * 1024
# Pages are stored in transactions of up to so many records or seconds (not one per page),
# each ending with the import log: a kill loses the open transaction and nothing else, and
# what it committed is never imported twice (the log says where to resume).
LOG_EVERY = 50
LOG_SECONDS = 2.0
# An extraction still running after this long: the open transaction is committed first, so
# that the write lock is not held while a slow page is waited for.
COMMIT_WAIT = 0.5
# Records read ahead of the one being stored, per worker, and the most body bytes they may
# hold: enough that a worker finds its next page waiting while the main process stores (with
# 4 per worker, workers sat idle a third of the time on 2 cores), little enough for memory.
WINDOW_PER_WORKER = 16
WINDOW_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be imported: where, and why."""

    source: str
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source} @ {self.offset}: {self.reason}"


@dataclass
class ImportSummary:
    """What an import did."""

    sources: int = 0
    sources_done_before: int = 0
    records: int = 0
    kept: int = 0
    stored: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    bad: list[BadRecord] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    """A record in file order: its end offset, and the page with its extraction (if kept)."""

    end: int
    page: RawPage | None = None
    future: Future[PackedResult] | None = None
    result: Result | None = None
    codec: Codec | None = None
    packed: Packed | None = None

    @property
    def future_url(self) -> str:
        """The URL of the page (for the log line of a failed extraction)."""
        return self.page.final_url if self.page is not None else ""


class Importer:
    """Import WARC sources into an archive, with one extraction pool for all of them."""

    def __init__(
        self,
        archive: Archive,
        *,
        filters: Filters,
        jobs: int | None = None,
        tz: str = DEFAULT_TZ,
        command: str = "newsarchive import-warc",
        on_record: Callable[[ImportSummary], None] | None = None,
    ) -> None:
        self.archive = archive
        self.filters = filters
        self.tz = tz
        workers = jobs if jobs is not None else worker_count(-1)
        self.pool = ExtractionPool(
            workers,
            timeout=DEFAULT_TIMEOUT,
            max_html_bytes=DEFAULT_MAX_HTML_BYTES,
            memory_mb=DEFAULT_MEMORY_MB,
        )
        self.window = max(2, workers * WINDOW_PER_WORKER)
        # tasks that are still to carry each dictionary's bytes, by zstd_dictionaries.id
        self.packing = Packing(archive.bodies, workers)
        # the body bytes of the records read and not yet stored
        self._pending_bytes = 0
        self.summary = ImportSummary()
        self.on_record = on_record
        self.command = command
        self.crawl_id: int | None = None
        self._unlogged = 0
        self._records_unlogged = 0
        self._stored_unlogged = 0
        self._logged_at = time.monotonic()
        self._end = 0
        self._whole_gzip = False
        # where the last record counted as bad ended (a stream error there is its tail)
        self._bad_end = -1
        # the open transaction of the pages stored since the last flush, if any
        self._batch: AbstractContextManager[object] | None = None

    def close(self, status: str = "finished") -> None:
        """Stop the workers and record the run."""
        self.pool.close()
        self._rollback()  # only after an error: every import flushes what it stored
        if self.crawl_id is not None:
            s = self.summary
            stats = {
                "newsarchive/warc/records": s.records,
                "newsarchive/warc/kept": s.kept,
                "newsarchive/pages_stored": s.stored,
                "newsarchive/warc/already_imported": s.already,
                "newsarchive/warc/bad_records": len(s.bad),
                **{f"newsarchive/warc/skipped/{k}": v for k, v in s.skipped.items()},
                **{f"newsarchive/outcome/{k}": v for k, v in s.outcomes.items()},
            }
            self.archive.runs.finish(
                self.crawl_id, finished_at=utc_now(), stats=stats, status=status
            )

    def import_source(self, source: str) -> None:
        """Import one WARC file or URL (resuming an earlier, unfinished import of it)."""
        if self.crawl_id is None:
            self.crawl_id = self.archive.runs.start(
                command=self.command, seeds=[], started_at=utc_now()
            )
        self.summary.sources += 1
        state = store_warc.import_state(self.archive, source)
        if state is not None and state.finished:
            self.summary.sources_done_before += 1
            logger.info("%s: imported before, nothing to do", source)
            return
        store_warc.start_import(self.archive, source, crawl_id=self.crawl_id, started_at=utc_now())
        resume = state.next_offset if state is not None else 0
        self._end = resume
        self._whole_gzip = False
        try:
            handle, _ = open_source(source, resume)
        except WarcSourceError as exc:
            self.summary.failed_sources.append(f"{source}: {exc}")
            logger.error("%s", exc)
            return
        whole_gzip = False
        while True:
            try:
                error = self._read(source, handle, resume, whole_gzip)
            finally:
                handle.close()
            if error is None:
                break
            offset, reason = error
            if "non-chunked gzip" in reason and not whole_gzip:
                # one gzip stream around every record: read it decompressed, from the start
                whole_gzip = self._whole_gzip = True
                raw, _ = open_source(source)
                handle = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
                continue
            if offset != self._bad_end:
                self._bad(source, offset, reason)
            # else: the tail of a record just counted as bad (its Content-Length lied)
            again = None if whole_gzip else resync(source, offset)
            if again is None:
                break
            handle, _ = again
        records, self._records_unlogged = self._records_unlogged, 0
        store_warc.advance_import(
            self.archive,
            source,
            next_offset=0,
            records=records,
            pages_stored=0,
            bad_records=0,
            finished_at=utc_now(),
        )

    def _bad(self, source: str, offset: int, reason: str) -> None:
        line = (reason.strip().splitlines() or [""])[0]
        printable = "".join(ch if ch.isprintable() and ord(ch) < 0x7F else "?" for ch in line)
        bad = BadRecord(source, offset, printable[:160])
        self.summary.bad.append(bad)
        logger.warning("bad WARC record: %s", bad)
        store_warc.advance_import(
            self.archive, source, next_offset=0, records=0, pages_stored=0, bad_records=1
        )

    def _read(
        self, source: str, handle: IO[bytes], resume: int, whole_gzip: bool
    ) -> tuple[int, str] | None:
        """Read records until the end (None) or a bad stream: (offset, reason)."""
        pending: deque[_Pending] = deque()
        self._pending_bytes = 0
        # offsets are positions in the stream (warcio asks a seekable file where it is)
        iterator = ArchiveIterator(handle, check_digests=True)
        try:
            for record in iterator:
                # where the record starts (get_record_offset() would read it to the end)
                offset = int(iterator.offset)
                self.summary.records += 1
                self._records_unlogged += 1
                item = _Pending(end=offset)
                bad_before = len(self.summary.bad)
                if offset >= resume or whole_gzip:
                    item.page = self._page(source, record, iterator, offset)
                iterator.read_to_end(record)
                item.end = iterator.get_record_offset() + iterator.get_record_length()
                if len(self.summary.bad) > bad_before:
                    self._bad_end = item.end
                if item.page is not None:
                    if item.page.warc is not None:
                        length = item.end - offset
                        item.page.warc = WarcSource(
                            source, offset, length, item.page.warc.record_id
                        )
                    self._submit(item)
                    self._pending_bytes += len(item.page.body)
                pending.append(item)
                self._drain(source, pending, self.window)
            return None
        except (
            ArchiveLoadFailed,
            StatusAndHeadersParserException,
            EOFError,
            OSError,
            zlib.error,
            ValueError,
        ) as exc:
            return int(iterator.offset), f"{type(exc).__name__}: {exc}"
        finally:
            try:
                self._drain(source, pending, 0)
                self._flush(source)
            except BaseException:
                self._rollback()
                raise

    def _page(
        self, source: str, record: Any, iterator: ArchiveIterator, offset: int
    ) -> RawPage | None:
        """The RawPage of a record that passes the filters, else None (counted)."""
        skipped = self.summary.skipped
        if record.rec_type is None or not record.rec_headers.get_header("WARC-Record-ID"):
            self._bad(source, offset, "invalid WARC headers: no WARC-Type or WARC-Record-ID")
            return None
        if record.rec_type != "response":
            skipped[f"record_type/{record.rec_type}"] += 1
            return None
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        if not url.startswith(("http://", "https://")) or not self.filters.host_ok(url):
            skipped["host"] += 1
            return None
        if record.http_headers is None or not record.http_headers.get_statuscode().isdigit():
            self._bad(source, offset, "not an HTTP response payload")
            return None
        headers = headers_dict(record.http_headers)
        status = int(record.http_headers.get_statuscode())
        if not 200 <= status < 300:
            skipped["status"] += 1
            return None
        stream = record.content_stream()
        start = stream.read(LANG_PEEK)
        if not is_html_record(headers, start):
            skipped["not_html"] += 1
            return None
        if not self.filters.lang_ok(start, headers):
            skipped["language"] += 1
            return None
        record_id = record.rec_headers.get_header("WARC-Record-ID") or f"{source}#{offset}"
        if store_warc.warc_record_stored(self.archive, record_id):
            self.summary.already += 1
            return None
        rest = stream.read(MAX_BODY_BYTES + 1 - len(start))
        body = start + rest
        if len(body) > MAX_BODY_BYTES:
            self._bad(source, offset, f"body larger than {MAX_BODY_BYTES} bytes")
            return None
        iterator.read_to_end(record)
        if record.digest_checker.passed is False:
            problems = "; ".join(str(p) for p in record.digest_checker.problems)
            self._bad(source, offset, f"digest mismatch (Content-Length or body wrong): {problems}")
            return None
        date = record.rec_headers.get_header("WARC-Date") or ""
        try:
            fetched_at = fetched_at_of(date)
        except ValueError:
            self._bad(source, offset, f"invalid WARC-Date {date!r}")
            return None
        self.summary.kept += 1
        return RawPage(
            url=url,
            final_url=url,
            status=status,
            fetched_at=fetched_at,
            headers=headers,
            body=body,
            tz=self.tz,  # stored with the page: `reextract` reads its dates in the same zone
            warc=WarcSource(source, offset, 0, record_id),
        )

    def _submit(self, item: _Pending) -> None:
        page = item.page
        assert page is not None  # noqa: S101 - set by the caller
        unchanged = self.archive.pages.unchanged_outcome(page.url, page.final_url, page.body)
        if unchanged is not None:
            item.result = (None, unchanged, "unchanged since the last fetch")
        elif (big := self.pool.too_large(page.body)) is not None:
            item.result = big
        else:
            item.codec = self.packing.codec(page.final_url)
            item.future = self.pool.submit_packed(
                page.body,
                item.codec,
                url=page.final_url,
                status=page.status,
                fetched_at=datetime.fromisoformat(page.fetched_at),
                headers=page.headers,
                related_selector=None,
                tz=self.tz,
            )

    def _drain(self, source: str, pending: deque[_Pending], keep: int) -> None:
        """Store the oldest records in file order; wait for an extraction only while more
        than keep records are pending."""
        while pending:
            item = pending[0]
            if item.future is not None and item.result is None:
                if (
                    len(pending) <= keep
                    and self._pending_bytes <= WINDOW_BYTES
                    and not item.future.done()
                ):
                    return
                if self._batch is not None and not wait([item.future], COMMIT_WAIT).done:
                    self._flush(source)  # a slow page: commit what is stored, then wait
                item.result, item.packed = self.pool.packed_result(item.future, item.future_url)
                self.packing.noted(item.codec, item.packed)
            pending.popleft()
            if item.page is None:
                self._advance(source, item.end, stored=0)
                continue
            self._pending_bytes -= len(item.page.body)
            extraction, outcome, error = item.result or (None, ERROR, "no result")
            if self._batch is None:
                self._batch = self.archive.write()
                self._batch.__enter__()
            self.archive.pages.record_fetch(
                item.page,
                extraction,
                outcome=outcome,
                error=error,
                crawl_id=self.crawl_id,
                extracted_at=utc_now(),
                previous=LOOKUP,
                packed=item.packed,
            )
            self.summary.stored += 1
            self.summary.outcomes[outcome] += 1
            self._advance(source, item.end, stored=1)
            if self.on_record is not None:
                self.on_record(self.summary)

    def _advance(self, source: str, end: int, *, stored: int) -> None:
        """Note that the records before end were dealt with; log it now and then."""
        self._unlogged += 1
        self._stored_unlogged += stored
        self._end = max(self._end, end)
        if self._unlogged >= LOG_EVERY or time.monotonic() - self._logged_at >= LOG_SECONDS:
            self._flush(source)

    def _flush(self, source: str) -> None:
        """Write the import log (offset reached, records read and pages stored since) and
        commit it with the pages it covers."""
        records, self._records_unlogged = self._records_unlogged, 0
        stored, self._stored_unlogged = self._stored_unlogged, 0
        self._unlogged, self._logged_at = 0, time.monotonic()
        store_warc.advance_import(
            self.archive,
            source,
            # offsets in a whole-file gzip are not places to seek to: such a file is read
            # again from its start, its imported records skipped by WARC-Record-ID
            next_offset=0 if self._whole_gzip else self._end,
            records=records,
            pages_stored=stored,
            bad_records=0,
        )
        batch, self._batch = self._batch, None
        if batch is not None:
            batch.__exit__(None, None, None)

    def _rollback(self) -> None:
        """Give up the open transaction (an error stopped the import before its flush)."""
        batch, self._batch = self._batch, None
        if batch is not None:
            stop = RuntimeError("import stopped")
            batch.__exit__(RuntimeError, stop, None)


def import_warcs(
    archive: Archive,
    sources: Iterable[str],
    *,
    filters: Filters,
    jobs: int | None = None,
    command: str = "newsarchive import-warc",
    on_source: Callable[[str], None] | None = None,
    on_record: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import every source in order; return what was done. Each next source is asked for
    once the previous one is committed and logged as finished (distributed.units.warc_units
    acknowledges it then)."""
    importer = Importer(archive, filters=filters, jobs=jobs, command=command, on_record=on_record)
    status = "aborted:interrupted"
    try:
        for source in sources:
            if on_source is not None:
                on_source(source)
            importer.import_source(source)
        status = "finished"
    finally:
        importer.close(status)
    return importer.summary
