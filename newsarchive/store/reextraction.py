"""Re-extraction of stored pages (`archive.reextraction`): which pages, and replacing what was
derived from one page, its raw columns untouched."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from newsarchive.store.base import site_filter
from newsarchive.store.canonical import canonical_claim, trust_canonical

if TYPE_CHECKING:
    from newsarchive.extract.article import Extraction
    from newsarchive.store.archive import Archive


class Reextraction:
    """The store side of `newsarchive reextract`."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One write transaction around several apply() calls."""
        with self._archive.write():
            yield

    def pages(
        self, *, site: str | None = None, since: str | None = None, url: str | None = None
    ) -> list[int]:
        """Ids of the stored article pages to re-extract (2xx/3xx only), oldest fetch first.

        Feeds, sitemaps and listings are what they were fetched as (pages.kind): their outcome
        drives how often a source is read, and re-extraction must not rewrite it.
        """
        where = ["status < 400", "body IS NOT NULL", "kind = 'article'"]
        params: dict[str, Any] = {}
        if site:
            sql, patterns = site_filter("final_url", site)
            where.append(sql)
            params |= patterns
        if since:
            where.append("fetched_at >= :since")
            params["since"] = since
        if url:
            where.append(
                "(url = :u OR final_url = :u OR id IN (SELECT page_id FROM article_versions"
                " WHERE article_url = :u) OR id IN (SELECT page_id FROM articles WHERE url = :u))"
            )
            params["u"] = url
        sql = f"SELECT id FROM pages WHERE {' AND '.join(where)} ORDER BY fetched_at, id"
        return [int(r[0]) for r in self._archive.db.conn.execute(sql, params)]

    def apply(
        self,
        page_id: int,
        fetched_at: str,
        extraction: Extraction | None,
        *,
        outcome: str,
        error: str | None,
        extracted_at: str,
        rebuild_versions_from: str | None,
    ) -> list[str]:
        """Replace what was derived from one stored page (call inside batch()).

        The raw columns of the page are never touched; its outcome, encoding decision and
        error are. With rebuild_versions_from, the article's versions fetched at or after that
        time are dropped first, so that they are rebuilt in fetch order.
        """
        conn = self._archive.db.conn
        conn.execute(
            "UPDATE pages SET outcome = ?, encoding = ?, encoding_reason = ?, error = ?"
            " WHERE id = ? AND (outcome IS NOT ? OR encoding IS NOT ? OR"
            " encoding_reason IS NOT ? OR error IS NOT ?)",
            (
                outcome,
                extraction.encoding if extraction else None,
                extraction.encoding_reason if extraction else None,
                error,
                page_id,
                outcome,
                extraction.encoding if extraction else None,
                extraction.encoding_reason if extraction else None,
                error,
            ),
        )
        if extraction is None or extraction.article is None:
            return []
        row = conn.execute("SELECT final_url, canonical_claim FROM pages WHERE id = ?", (page_id,))
        final_url, old_claim = row.fetchone()
        claim = canonical_claim(final_url, extraction)
        if claim != old_claim:
            conn.execute("UPDATE pages SET canonical_claim = ? WHERE id = ?", (claim, page_id))
        extraction = trust_canonical(conn, page_id, final_url, fetched_at, extraction, claim)
        art = extraction.article
        if art is None:
            return []
        if rebuild_versions_from is not None:
            conn.execute(
                "DELETE FROM article_versions WHERE article_url = ? AND fetched_at >= ?",
                (art.url, rebuild_versions_from),
            )
        if self._state_is_newer(conn, art.url, page_id, fetched_at):
            # An earlier fetch of an article whose current state comes from a later page (which
            # this run re-extracts after it, or leaves as it is): only its version is rebuilt.
            # Writing its state would flip the article back and forth on every run.
            current = conn.execute("SELECT text FROM articles WHERE url = ?", (art.url,))
            self._archive.derived.save_version(
                conn, page_id, fetched_at, art, current.fetchone()[0], own_text=True
            )
            return []
        return self._archive.derived.save(conn, page_id, fetched_at, extraction, extracted_at)

    def _state_is_newer(
        self, conn: sqlite3.Connection, url: str, page_id: int, fetched_at: str
    ) -> bool:
        """True when the article's stored state comes from a later fetch than page_id."""
        row = conn.execute(
            """SELECT b.fetched_at, b.id FROM articles a JOIN pages p ON p.id = a.page_id
               JOIN pages b ON b.id = coalesce(p.body_page_id, p.id) WHERE a.url = ?""",
            (url,),
        ).fetchone()
        return row is not None and (str(row[0]), int(row[1])) > (fetched_at, page_id)
