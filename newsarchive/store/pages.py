"""Raw pages (`archive.pages`): stored once and never rewritten, with what was extracted from
them in the same transaction; their bodies read back."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Literal, NamedTuple

from newsarchive.model import RawPage
from newsarchive.store.base import retry_locked, to_json
from newsarchive.store.bodies import Packed, body_sha256, compress
from newsarchive.store.canonical import canonical_claim, trust_canonical
from newsarchive.urls import strip_credentials

if TYPE_CHECKING:  # extraction imports trafilatura: the crawler process does not need it
    from newsarchive.extract.article import Extraction
    from newsarchive.store.archive import Archive


class StoredBody(NamedTuple):
    """The newest stored body of a URL: the page holding its bytes, their sha256, its outcome."""

    page_id: int
    sha256: str
    outcome: str | None


# record_fetch(previous=LOOKUP): the store finds the newest stored body itself
LOOKUP: Literal["lookup"] = "lookup"


def _warc_columns(page: RawPage) -> tuple[str | None, int | None, int | None, str | None]:
    """The pages.warc_* values of a page (all None unless it was imported from a WARC)."""
    if page.warc is None:
        return None, None, None, None
    return page.warc.file, page.warc.offset, page.warc.length, page.warc.record_id


def _same_body(page: RawPage, sha: str, previous: StoredBody) -> bool:
    """Whether a fetch has the bytes of the stored body previous (or is "not modified")."""
    return page.status == 304 or previous.sha256 == sha


class Pages:
    """The pages table: record a fetch, find the newest stored body of a URL, read a page."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    @retry_locked
    def record_fetch(
        self,
        page: RawPage,
        extraction: Extraction | None,
        *,
        outcome: str,
        error: str | None,
        crawl_id: int | None,
        extracted_at: str,
        previous: StoredBody | None | Literal["lookup"] = LOOKUP,
        packed: Packed | None = None,
    ) -> int:
        """Store a raw page and, in the same transaction, what was extracted from it.

        previous: latest_body() of the page's URLs when the caller has looked it up already
        (the bytes it names stay valid: stored pages are never deleted).
        packed: the body as an extraction worker compressed it (bodies.pack), written once it
        reads back as the body; otherwise the body is compressed here.
        """
        sha = body_sha256(page.body)
        compression, dictionary = self._archive.bodies.codec(page.final_url)
        # compressed before the write lock is taken, unless the caller knows the bytes are
        # stored already (an unchanged re-check, a 304): then they are never compressed
        body: bytes | None = None
        if not (isinstance(previous, StoredBody) and _same_body(page, sha, previous)):
            unpacked = None if packed is None else self._archive.bodies.unpack(page.body, packed)
            if unpacked is not None:
                compression, body = unpacked
            else:
                body = compress(page.body, dictionary)
        claim = canonical_claim(page.final_url, extraction)
        with self._archive.write() as conn:
            if isinstance(previous, str):
                previous = self._latest_body(conn, page.url, page.final_url)
            body_page_id = None
            if previous is not None and _same_body(page, sha, previous):
                # same bytes as an earlier fetch (or "not modified"): no second copy
                body, body_page_id, sha = None, previous[0], previous[1]
            cur = conn.execute(
                """INSERT INTO pages (url, final_url, status, fetched_at, headers, body,
                       compression, body_size, content_type, encoding, encoding_reason, sha256,
                       crawl_id, depth, via_url, outcome, error, body_page_id,
                       request_headers, warc_file, warc_offset, warc_length, warc_record_id,
                       canonical_claim, kind, related_selector, tz)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                           ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    strip_credentials(page.url),
                    strip_credentials(page.final_url),
                    page.status,
                    page.fetched_at,
                    to_json(page.headers),
                    body,
                    compression,
                    len(page.body),
                    page.content_type,
                    extraction.encoding if extraction else None,
                    extraction.encoding_reason if extraction else None,
                    sha,
                    crawl_id,
                    page.depth,
                    strip_credentials(page.via_url) if page.via_url else None,
                    outcome,
                    error,
                    body_page_id,
                    None if page.request_headers is None else to_json(page.request_headers),
                    *(_warc_columns(page)),
                    claim,
                    page.kind,
                    page.related_selector,
                    page.tz,
                ),
            )
            conn.execute("DELETE FROM frontier WHERE url IN (?, ?)", (page.url, page.final_url))
            page_id = int(cur.lastrowid or 0)
            if body is not None:
                self._archive.bodies.stored(page.final_url, compression)
            if extraction is not None:
                extraction = trust_canonical(
                    conn, page_id, page.final_url, page.fetched_at, extraction, claim
                )
                self._archive.derived.save(conn, page_id, page.fetched_at, extraction, extracted_at)
            return page_id

    def _latest_body(self, conn: sqlite3.Connection, url: str, final_url: str) -> StoredBody | None:
        """The newest stored body of a URL (2xx)."""
        row = conn.execute(
            """SELECT coalesce(body_page_id, id), sha256, outcome FROM pages
               WHERE (url = ? OR final_url = ?) AND status < 300
               ORDER BY fetched_at DESC, id DESC LIMIT 1""",
            (url, final_url),
        ).fetchone()
        return StoredBody(int(row[0]), str(row[1]), row[2]) if row else None

    def latest_body(self, url: str, final_url: str) -> StoredBody | None:
        """The newest stored body of a URL (2xx), to hand to record_fetch(previous=...)."""
        return self._latest_body(self._archive.db.conn, url, final_url)

    def unchanged_outcome(
        self,
        url: str,
        final_url: str,
        body: bytes,
        previous: StoredBody | None | Literal["lookup"] = LOOKUP,
    ) -> str | None:
        """The outcome of the newest page of url if its body is byte-identical, else None."""
        if isinstance(previous, str):
            previous = self.latest_body(url, final_url)
        if previous is None or previous.sha256 != body_sha256(body):
            return None
        return previous.outcome

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a re-check, from the newest stored response."""
        row = self._archive.db.conn.execute(
            """SELECT headers FROM pages WHERE (url = ? OR final_url = ?) AND status < 300
               ORDER BY fetched_at DESC, id DESC LIMIT 1""",
            (url, url),
        ).fetchone()
        if row is None:
            return {}
        stored = {k.lower(): v for k, v in json.loads(row[0] or "{}").items()}
        headers = {}
        if stored.get("etag"):
            headers["If-None-Match"] = stored["etag"]
        if stored.get("last-modified"):
            headers["If-Modified-Since"] = stored["last-modified"]
        return headers

    def get(self, page_id: int) -> RawPage | None:
        """One raw page with its body decompressed (and its id)."""
        row = self._archive.db.conn.execute(
            """SELECT p.id, p.url, p.final_url, p.status, p.fetched_at, p.headers,
                      coalesce(p.body, b.body), p.via_url,
                      CASE WHEN p.body IS NULL THEN b.compression ELSE p.compression END,
                      p.related_selector, p.tz
               FROM pages p LEFT JOIN pages b ON b.id = p.body_page_id WHERE p.id = ?""",
            (page_id,),
        ).fetchone()
        if row is None:
            return None
        return RawPage(
            id=row[0],
            url=row[1],
            final_url=row[2],
            status=row[3],
            fetched_at=row[4],
            headers=json.loads(row[5] or "{}"),
            body=self._archive.bodies.read(row[6], row[8]),
            via_url=row[7],
            related_selector=row[9],
            tz=row[10],
        )

    def archived(self, page_id: int) -> tuple[RawPage, str, str | None] | None:
        """A stored page as fetched: the page, its Content-Type and the encoding decided."""
        page = self.get(page_id)
        if page is None:
            return None
        row = self._archive.db.conn.execute(
            "SELECT content_type, encoding FROM pages WHERE id = ?", (page_id,)
        ).fetchone()
        return page, str(row[0] or ""), row[1]
