"""The archive's SQL for WARC export and import (store code: the only other place with SQL).

Export reads pages one at a time (constant memory); import keeps a log of each WARC source
(`warc_imports`) with the offset after the last record it dealt with, so that a killed
import resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from newsarchive.store.archive import Archive
from newsarchive.store.base import BodyError, retry_locked

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportPage:
    """One stored fetch as the exporter needs it (body None when another page holds it)."""

    id: int
    url: str
    final_url: str
    status: int
    fetched_at: str
    headers: dict[str, str]
    body: bytes | None
    body_page_id: int | None
    request_headers: dict[str, str] | None
    warc_record_id: str | None
    outcome: str | None
    error: str | None
    encoding: str | None


@dataclass(frozen=True)
class Capture:
    """The page that holds the bytes a revisit refers to."""

    id: int
    final_url: str
    fetched_at: str
    warc_record_id: str | None
    body: bytes


_EXPORT_COLUMNS = """id, url, final_url, status, fetched_at, headers, body, body_page_id,
    request_headers, warc_record_id, outcome, error, encoding, compression"""


def _export_page(archive: Archive, row: tuple[Any, ...]) -> ExportPage:
    return ExportPage(
        id=int(row[0]),
        url=row[1],
        final_url=row[2],
        status=int(row[3]),
        fetched_at=row[4],
        headers=json.loads(row[5] or "{}"),
        body=archive.bodies.read(row[6], row[13]) if row[6] is not None else None,
        body_page_id=row[7],
        request_headers=json.loads(row[8]) if row[8] is not None else None,
        warc_record_id=row[9],
        outcome=row[10],
        error=row[11],
        encoding=row[12],
    )


def iter_export_pages(
    archive: Archive,
    *,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
    unreadable: list[int] | None = None,
) -> Iterator[ExportPage]:
    """Stored fetches in the order they were stored, one at a time (bodies decompressed);
    pages whose body cannot be read are skipped, logged and their ids put in unreadable."""
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if since:
        where.append("fetched_at >= :since")
        params["since"] = since
    if until:
        where.append("fetched_at < :until")
        params["until"] = until
    if site:
        bare = site.removeprefix("www.")
        where.append(
            "(final_url LIKE :s1 OR final_url LIKE :s2 OR final_url LIKE :s3 OR final_url LIKE :s4)"
        )
        params |= {
            "s1": f"%://{bare}/%",
            "s2": f"%://www.{bare}/%",
            "s3": f"%://{bare}:%",
            "s4": f"%://www.{bare}:%",
        }
    # a cursor of its own: the exporter runs other queries while it reads this one. In id
    # order (the order pages were stored: a revisit's original always comes first): a rowid
    # scan streams, where ORDER BY fetched_at would sort every row, bodies and all
    cursor = archive.db.conn.cursor()
    cursor.execute(
        f"SELECT {_EXPORT_COLUMNS} FROM pages WHERE {' AND '.join(where)} ORDER BY id",
        params,
    )
    for row in cursor:
        try:
            page = _export_page(archive, row)
        except BodyError as exc:
            # a corrupt or unknown-compression body fails that page only (named, counted)
            logger.warning("WARC export skips page %s (%s): %s", row[0], row[2], exc)
            if unreadable is not None:
                unreadable.append(int(row[0]))
            continue
        yield page


def export_page(archive: Archive, page_id: int) -> ExportPage | None:
    """One stored fetch as the exporter needs it (None when there is no such page)."""
    row = archive.db.conn.execute(
        f"SELECT {_EXPORT_COLUMNS} FROM pages WHERE id = ?", (page_id,)
    ).fetchone()
    return None if row is None else _export_page(archive, row)


def capture(archive: Archive, page_id: int) -> Capture | None:
    """The stored page holding the bytes a revisit refers to."""
    row = archive.db.conn.execute(
        "SELECT id, final_url, fetched_at, warc_record_id, body, compression FROM pages"
        " WHERE id = ?",
        (page_id,),
    ).fetchone()
    if row is None:
        return None
    return Capture(int(row[0]), row[1], row[2], row[3], archive.bodies.read(row[4], row[5]))


def page_metadata(archive: Archive, page_id: int) -> dict[str, Any] | None:
    """What was extracted from a page: the article (when this page is its current or a past
    state), its date evidence and related links; None when nothing was extracted."""
    conn = archive.db.conn
    art = conn.execute(
        """SELECT url, title, authors, description, date_published, date_published_raw,
                  date_modified, date_modified_raw, language, sitename, extractor
           FROM articles WHERE page_id = ?""",
        (page_id,),
    ).fetchone()
    if art is not None:
        links = conn.execute(
            """SELECT to_url, anchor_text, position, listed_date, listed_date_raw FROM links
               WHERE from_url = ? ORDER BY position""",
            (art[0],),
        ).fetchall()
        evidence = conn.execute(
            """SELECT field, source, raw, value, precision, chosen FROM date_evidence
               WHERE article_url = ? ORDER BY id""",
            (art[0],),
        ).fetchall()
        return {
            "article_url": art[0],
            "title": art[1],
            "authors": json.loads(art[2] or "[]"),
            "description": art[3],
            "date_published": art[4],
            "date_published_raw": art[5],
            "date_modified": art[6],
            "date_modified_raw": art[7],
            "language": art[8],
            "sitename": art[9],
            "extractor": art[10],
            "related_links": [
                {
                    "url": r[0],
                    "anchor_text": r[1],
                    "position": r[2],
                    "listed_date": r[3],
                    "listed_date_raw": r[4],
                }
                for r in links
            ],
            "date_evidence": [
                {
                    "field": r[0],
                    "source": r[1],
                    "raw": r[2],
                    "value": r[3],
                    "precision": r[4],
                    "chosen": bool(r[5]),
                }
                for r in evidence
            ],
        }
    version = conn.execute(
        """SELECT article_url, version, title, authors, description, date_published,
                  date_modified FROM article_versions WHERE page_id = ?""",
        (page_id,),
    ).fetchone()
    if version is not None:
        return {
            "article_url": version[0],
            "version": version[1],
            "title": version[2],
            "authors": json.loads(version[3] or "[]"),
            "description": version[4],
            "date_published": version[5],
            "date_modified": version[6],
        }
    return None


# --- import log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportState:
    """The log row of one WARC source."""

    source: str
    finished: bool
    next_offset: int
    records: int
    pages_stored: int
    bad_records: int


def import_state(archive: Archive, source: str) -> ImportState | None:
    """How far an earlier import of source went (None when never started)."""
    row = archive.db.conn.execute(
        """SELECT source, finished_at IS NOT NULL, next_offset, records, pages_stored,
                  bad_records FROM warc_imports WHERE source = ?""",
        (source,),
    ).fetchone()
    if row is None:
        return None
    return ImportState(row[0], bool(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]))


@retry_locked
def start_import(archive: Archive, source: str, *, crawl_id: int, started_at: str) -> None:
    """Open the log row of a source (kept as it is when an earlier run left one)."""
    with archive.write() as conn:
        conn.execute(
            """INSERT INTO warc_imports (source, crawl_id, started_at) VALUES (?, ?, ?)
               ON CONFLICT(source) DO UPDATE SET crawl_id = excluded.crawl_id""",
            (source, crawl_id, started_at),
        )


@retry_locked
def advance_import(
    archive: Archive,
    source: str,
    *,
    next_offset: int,
    records: int,
    pages_stored: int,
    bad_records: int,
    finished_at: str | None = None,
) -> None:
    """Record that every record before next_offset was dealt with (counts are added)."""
    with archive.write() as conn:
        conn.execute(
            """UPDATE warc_imports SET next_offset = max(next_offset, ?),
                   records = records + ?, pages_stored = pages_stored + ?,
                   bad_records = bad_records + ?, finished_at = coalesce(?, finished_at)
               WHERE source = ?""",
            (next_offset, records, pages_stored, bad_records, finished_at, source),
        )


def warc_record_stored(archive: Archive, record_id: str) -> bool:
    """True when a page was already imported from this WARC-Record-ID."""
    row = archive.db.conn.execute(
        "SELECT 1 FROM pages WHERE warc_record_id = ? LIMIT 1", (record_id,)
    ).fetchone()
    return row is not None
