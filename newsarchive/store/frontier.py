"""The frontier (`archive.frontier`): queued URLs and their claims by runs, failed attempts,
discoveries from feeds, sitemaps and listings, source intervals and due re-checks."""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING, Any

from newsarchive.model import utc_now
from newsarchive.store.base import retry_locked, site_filter, to_json

if TYPE_CHECKING:
    from newsarchive.store.archive import Archive


def archived(conn: sqlite3.Connection, url: str) -> bool:
    """True when url was fetched before with a final answer (2xx-4xx) or is an article."""
    row = conn.execute(
        """SELECT 1 FROM articles WHERE url = :u
           UNION ALL SELECT 1 FROM pages WHERE url = :u AND status < 500
           UNION ALL SELECT 1 FROM pages WHERE final_url = :u AND status < 500
           LIMIT 1""",
        {"u": url},
    ).fetchone()
    return row is not None


class Frontier:
    """What is still to fetch, and what a run may fetch without fetching a page twice."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def is_archived(self, url: str) -> bool:
        """True when url was fetched before with a final answer (2xx-4xx) or is an article."""
        return archived(self._archive.db.conn, url)

    def enqueue(
        self, entries: list[dict[str, Any]], *, crawl_id: int | None, queued_at: str
    ) -> None:
        """Persist queued URLs (url, kind, depth, via_url, max_depth, related_selector)."""
        self.claim(entries, crawl_id=crawl_id, queued_at=queued_at)

    def _live_crawls(self, conn: sqlite3.Connection, me: int | None) -> set[int]:
        """Ids of other crawl runs whose process is still alive (on this machine)."""
        live = set()
        for crawl_id, pid in conn.execute(
            "SELECT id, json_extract(stats, '$.pid') FROM crawls WHERE finished_at IS NULL"
        ):
            if crawl_id == me or pid is None:
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                continue  # killed or crashed: its queued URLs are free to resume
            except PermissionError:
                pass
            live.add(int(crawl_id))
        return live

    @retry_locked
    def claim(
        self, entries: list[dict[str, Any]], *, crawl_id: int | None, queued_at: str
    ) -> set[str]:
        """Queue URLs for this run and return those it may fetch: not queued by another
        run that is still alive, and not archived (unless the entry has ``recheck``) by a
        run that stored it since the caller looked. Overlapping runs (cron) thus never
        fetch a page twice: both checks are made under the write lock."""
        if not entries:
            return set()
        claimed: set[str] = set()
        with self._archive.write() as conn:
            live = self._live_crawls(conn, crawl_id)
            for entry in entries:
                if not entry.get("recheck") and archived(conn, str(entry["url"])):
                    continue
                row = {
                    "kind": "article",
                    "via_url": None,
                    "related_selector": None,
                    **entry,
                    "queued_at": queued_at,
                    "crawl_id": crawl_id,
                }
                owner = conn.execute(
                    "SELECT crawl_id FROM frontier WHERE url = :url", row
                ).fetchone()
                if owner is not None and owner[0] is not None and owner[0] in live:
                    continue
                conn.execute(
                    """INSERT INTO frontier (url, kind, depth, via_url, max_depth,
                           related_selector, queued_at, crawl_id)
                       VALUES (:url, :kind, :depth, :via_url, :max_depth, :related_selector,
                               :queued_at, :crawl_id)
                       ON CONFLICT(url) DO UPDATE SET crawl_id = excluded.crawl_id,
                           depth = min(depth, excluded.depth),
                           via_url = CASE WHEN excluded.depth < depth
                               THEN excluded.via_url ELSE via_url END""",
                    row,
                )
                claimed.add(str(entry["url"]))
        return claimed

    def queued(self) -> list[dict[str, Any]]:
        """URLs queued by earlier runs and never stored (a killed run's unfinished work)."""
        return list(self._archive.db.query("SELECT * FROM frontier ORDER BY queued_at, url"))

    @retry_locked
    def failed(
        self, url: str, *, max_attempts: int = 3, error: str | None = None, count: bool = True
    ) -> None:
        """Count a failed attempt and why it failed; give the URL up after max_attempts runs
        (count=False: only note why, the URL waits, e.g. for robots.txt to answer)."""
        with self._archive.write() as conn:
            conn.execute(
                "UPDATE frontier SET attempts = attempts + ?, last_error = ?, last_error_at = ?"
                " WHERE url = ?",
                (
                    int(count),
                    error,
                    utc_now(),
                    url,
                ),
            )
            conn.execute(
                "DELETE FROM frontier WHERE url = ? AND attempts >= ?", (url, max_attempts)
            )

    @retry_locked
    def drop(self, url: str) -> None:
        """Remove a URL that will not be fetched (robots, scope)."""
        with self._archive.write() as conn:
            conn.execute("DELETE FROM frontier WHERE url = ?", (url,))

    @retry_locked
    def forget(self, urls: set[str], *, crawl_id: int | None) -> None:
        """Remove URLs a finished run has dealt with, one way or another: only those it
        queued itself (a URL another run claimed is that run's to store or resume)."""
        if not urls:
            return
        with self._archive.write() as conn:
            conn.executemany(
                "DELETE FROM frontier WHERE url = ? AND crawl_id IS ?",
                [(u, crawl_id) for u in urls],
            )

    def entries(self, *, site: str | None = None, failed_only: bool = True) -> list[dict[str, Any]]:
        """Queued URLs (by default those whose last attempt failed), with why, oldest first."""
        where: list[str] = ["1 = 1"]
        params: dict[str, str] = {}
        if failed_only:
            where.append("last_error IS NOT NULL")
        if site:
            sql, params = site_filter("url", site)
            where.append(sql)
        return list(
            self._archive.db.query(
                "SELECT url, attempts, last_error, last_error_at, queued_at FROM frontier"
                f" WHERE {' AND '.join(where)} ORDER BY queued_at, url",
                params,
            )
        )

    @retry_locked
    def clear(self, urls: list[str]) -> int:
        """Remove queued URLs (`newsarchive frontier --clear`); returns how many went."""
        with self._archive.write() as conn:
            before = conn.total_changes
            conn.executemany("DELETE FROM frontier WHERE url = ?", [(u,) for u in urls])
            return conn.total_changes - before

    def discoveries_from(self, source_urls: list[str]) -> int:
        """How many article URLs these feed/sitemap/listing URLs have listed so far."""
        marks = ", ".join("?" * len(source_urls))
        sql = f"SELECT count(DISTINCT url) FROM discoveries WHERE source_url IN ({marks})"
        return int(self._archive.db.conn.execute(sql, source_urls).fetchone()[0])

    @retry_locked
    def record_discoveries(self, rows: list[dict[str, Any]], *, seen_at: str) -> int:
        """Insert discoveries not seen before (url, via, source_url, listed_*); returns how many."""
        if not rows:
            return 0
        with self._archive.write() as conn:
            before = conn.total_changes
            conn.executemany(
                """INSERT OR IGNORE INTO discoveries (url, via, source_url, first_seen_at,
                       listed_title, listed_date_raw, listed_date, keywords)
                   VALUES (:url, :via, :source_url, :seen_at, :listed_title, :listed_date_raw,
                           :listed_date, :keywords)""",
                [
                    {
                        "listed_title": None,
                        "listed_date_raw": None,
                        "listed_date": None,
                        **r,
                        "keywords": to_json(list(r.get("keywords") or [])),
                        "seen_at": seen_at,
                    }
                    for r in rows
                ],
            )
            added = conn.total_changes - before
            self._archive.derived.refresh_listed(conn, [str(r["url"]) for r in rows])
            return added

    def source_interval(
        self, url: str, *, min_minutes: float, max_minutes: float
    ) -> tuple[str | None, float]:
        """(last fetch time, minutes to wait) of a feed/sitemap/listing URL.

        The wait starts at min_minutes and doubles with every consecutive unchanged fetch
        (same body hash), up to max_minutes: a feed that changes every run is read every run,
        a dormant one rarely.
        """
        rows = self._archive.db.conn.execute(
            """SELECT fetched_at, sha256 FROM pages
               WHERE url = ? AND outcome IN ('feed', 'sitemap', 'listing')
               ORDER BY fetched_at DESC, id DESC LIMIT 8""",
            (url,),
        ).fetchall()
        if not rows:
            return None, 0.0
        unchanged = 0
        for newer, older in zip(rows, rows[1:], strict=False):
            if newer[1] != older[1]:
                break
            unchanged += 1
        return str(rows[0][0]), min(max_minutes, min_minutes * 2**unchanged)

    def due_rechecks(self, *, now: str, schedule_hours: list[float], limit: int) -> list[str]:
        """Archived article URLs whose next re-check is due: the k-th re-check of an article
        falls schedule_hours[k-1] hours after its first fetch; after the last, never."""
        if not schedule_hours:
            return []
        steps = ", ".join(f"({i + 1}, {float(h)})" for i, h in enumerate(schedule_hours))
        rows = self._archive.db.conn.execute(
            f"""WITH schedule(k, hours) AS (VALUES {steps}),
                fetches AS (
                    SELECT a.url, min(p.fetched_at) AS first, count(p.id) AS n
                    FROM articles a JOIN pages p ON p.url = a.url OR p.final_url = a.url
                    GROUP BY a.url)
                SELECT f.url FROM fetches f JOIN schedule s ON s.k = f.n
                WHERE julianday(:now) >= julianday(f.first) + s.hours / 24.0
                ORDER BY f.first DESC LIMIT :limit""",
            {"now": now, "limit": limit},
        ).fetchall()
        return [r[0] for r in rows]
