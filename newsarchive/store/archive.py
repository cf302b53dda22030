"""The archive: the only module that reads or writes SQL.

Raw pages are inserted once and never rewritten; articles, links and date evidence are derived
and can be rebuilt from them. Every write takes the write lock up front (BEGIN IMMEDIATE) and is
retried a bounded number of times if another process holds the database.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sqlite_utils import Database

from newsarchive.store import migrations
from newsarchive.store.base import (
    BodyError,
    NotAnArchiveError,
    SchemaTooNewError,
    SearchQueryError,
    StorageError,
    retry_locked,
)
from newsarchive.store.bodies import BODY_SHA256_SQL, Bodies, sql_body_sha256
from newsarchive.store.derived import ARTICLE_FIELDS, Derived
from newsarchive.store.frontier import Frontier
from newsarchive.store.fts import SearchSyntaxError, fts_query
from newsarchive.store.pages import Pages
from newsarchive.store.reextraction import Reextraction
from newsarchive.store.runs import Runs

if TYPE_CHECKING:  # extraction imports trafilatura: the crawler process does not need it
    pass

__all__ = [  # the errors live in store.base; the archive's callers catch them from here
    "Archive",
    "BodyError",
    "NotAnArchiveError",
    "SchemaTooNewError",
    "SearchQueryError",
    "StorageError",
]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
DAMAGE_LINES, DAMAGE_CHARS = 3, 300  # how much of quick_check's report to show
# the article a link's target became (itself, or where its fetch was redirected): SQL over `l`
LINK_TARGET_ARTICLE = """coalesce(
    (SELECT url FROM articles WHERE url = l.to_url),
    (SELECT final_url FROM pages WHERE url = l.to_url AND status < 300
     ORDER BY id DESC LIMIT 1))"""
# bm25 weights of the articles_fts columns: title, description, text, authors
SEARCH_WEIGHTS = "10.0, 4.0, 1.0, 2.0"


class Archive:
    """An archive.db: open it, apply pending migrations, read and write through methods."""

    # Archive.shared(): the open archives of this process, by resolved path
    _shared: ClassVar[dict[Path, Archive]] = {}

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self._users = 1
        self._shared_key: Path | None = None
        try:
            if readonly:
                uri = f"file:{self.path.resolve()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
            else:
                conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
            self.db = Database(conn)
            conn.create_function(BODY_SHA256_SQL, 3, sql_body_sha256, deterministic=True)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        try:
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self._check_schema(readonly=readonly)
                if not readonly:
                    self._init()
            except BaseException:
                conn.close()  # a refused or unreadable file is not kept open
                raise
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchiveError(
                f"cannot open archive {self.path}: not a newsarchive archive"
                f" (not an SQLite database: {exc})"
            ) from exc
        self.runs = Runs(self)
        self.bodies = Bodies(self)
        self.frontier = Frontier(self)
        self.derived = Derived()
        self.pages = Pages(self)
        self.reextraction = Reextraction(self)

    def _check_schema(self, *, readonly: bool) -> None:
        """Refuse another application's SQLite file and an archive from a newer newsarchive.

        Runs before anything is written (no WAL switch, no migration): only an empty file
        becomes a new archive.
        """
        conn = self.db.conn
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
        if not tables and not readonly:
            return  # a new (or empty) file: the migrations create the archive
        applied: set[str] = set()
        if migrations.MIGRATIONS_TABLE in tables:
            applied = migrations.applied(self.db)
        if not applied:
            raise NotAnArchiveError(
                f"cannot open archive {self.path}: not a newsarchive archive (an SQLite file"
                " of another application), left unchanged"
            )
        unknown = migrations.unknown(applied)
        if unknown:
            raise SchemaTooNewError(
                f"cannot open archive {self.path}: written by a newer newsarchive (unknown"
                f" migration {', '.join(unknown)}); upgrade newsarchive to open it"
            )

    @retry_locked
    def _init(self) -> None:
        conn = self.db.conn
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrations.pending(self.db):
            # Under the write lock, so that two jobs starting together migrate once.
            with self.write():
                migrations.apply(self.db)

    @classmethod
    def for_reading(cls, path: str | Path) -> Archive:
        """The archive for a command that only reads it: opened read-only when the file
        cannot be written (a snapshot, another user's file) and its schema is current."""
        try:
            return cls(path)
        except StorageError as exc:
            if "readonly" not in str(exc):
                raise
        archive = cls(path, readonly=True)
        if migrations.pending(archive.db):
            archive.close()
            raise StorageError(f"archive {path} is read-only and needs a schema upgrade")
        return archive

    def damage(self) -> str | None:
        """What SQLite's quick_check finds wrong with the file (None when it is sound)."""
        try:
            rows = self.db.conn.execute(f"PRAGMA quick_check({DAMAGE_LINES})").fetchall()
        except sqlite3.DatabaseError as exc:
            return str(exc)
        problems = [str(r[0]) for r in rows if r[0] != "ok"]
        return "; ".join(problems)[:DAMAGE_CHARS] or None

    @classmethod
    def shared(cls, path: str | Path) -> Archive:
        """The process's open archive of path, opened if need be; close() it when done.

        A crawl's spider and pipeline (and the jobs of `newsarchive run`) all run on the
        reactor thread: one connection for all of them keeps its page cache warm, where each
        write through a second connection would make the first one drop its cache.
        """
        key = Path(path).resolve()
        archive = cls._shared.get(key)
        if archive is not None and archive._users > 0:
            archive._users += 1
            return archive
        archive = cls(path)
        archive._shared_key = key
        cls._shared[key] = archive
        return archive

    def close(self) -> None:
        """Close the connection (a shared archive: once its last user has closed it)."""
        self._users -= 1
        if self._users > 0:
            return
        if self._shared_key is not None and self._shared.get(self._shared_key) is self:
            del self._shared[self._shared_key]
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that takes the write lock before it reads anything."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def checkpoint(self) -> None:
        """Sync the WAL and copy it into the database file (never waits for readers)."""
        self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def snapshot(self, dest: Path) -> None:
        """Write a consistent, self-contained copy of the archive to dest (SQLite backup API).

        Safe while crawls write (a copy with `cp` of a live WAL archive can be malformed).
        The copy is written beside dest and renamed at the end: dest is never half-written.
        """
        if dest.exists():
            raise StorageError(f"{dest} exists: refusing to overwrite it")
        partial = dest.with_name(dest.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            target = sqlite3.connect(str(partial))
            try:
                self.db.conn.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
                if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise StorageError(f"snapshot of {self.path} failed its integrity check")
            finally:
                target.close()
            os.replace(partial, dest)
        except (sqlite3.Error, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise StorageError(f"cannot write snapshot {dest}: {exc}") from exc
        except StorageError:
            partial.unlink(missing_ok=True)
            raise

    # --- pages and what is derived from them ----------------------------------------------

    # --- body compression (issue 17) ------------------------------------------------------

    # --- frontier and discoveries ---------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        """The archive at a glance, for `newsarchive stats`."""
        conn = self.db.conn
        return {
            "counts": self.counts(),
            "sites": conn.execute(
                "SELECT site, count(*), max(published_day) FROM articles GROUP BY site"
                " ORDER BY count(*) DESC LIMIT 20"
            ).fetchall(),
            "days": conn.execute(
                "SELECT published_day, count(*) FROM articles WHERE published_day IS NOT NULL"
                " GROUP BY published_day ORDER BY published_day DESC LIMIT 14"
            ).fetchall(),
            "outcomes": conn.execute(
                "SELECT coalesce(outcome, '?'), count(*) FROM pages GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall(),
            "runs": conn.execute(
                "SELECT id, started_at, finished_at, status, command FROM crawls"
                " ORDER BY id DESC LIMIT 10"
            ).fetchall(),
            "errors": conn.execute(
                "SELECT final_url, status, outcome, error FROM pages"
                " WHERE outcome NOT IN ('article', 'feed', 'sitemap', 'listing')"
                " ORDER BY id DESC LIMIT 10"
            ).fetchall(),
            "frontier": conn.execute("SELECT count(*) FROM frontier").fetchone()[0],
            "empty_sources": conn.execute(
                """SELECT c.id, e.value FROM crawls c,
                          json_each(c.stats, '$."newsarchive/empty_sources"') e
                   WHERE c.id IN (SELECT id FROM crawls ORDER BY id DESC LIMIT 10)
                   ORDER BY c.id DESC"""
            ).fetchall(),
            "stuck": conn.execute(
                "SELECT url, attempts, last_error FROM frontier WHERE last_error IS NOT NULL"
                " ORDER BY last_error_at DESC LIMIT 10"
            ).fetchall(),
        }

    # --- re-extraction ---------------------------------------------------------------------

    def versions(self, url: str) -> list[dict[str, Any]]:
        """The stored versions of an article, oldest first, each with its text."""
        return list(
            self.db.query(
                "SELECT v.article_url, v.version, v.page_id, v.fetched_at, v.title,"
                " coalesce(v.text, a.text) AS text, v.authors, v.description, v.date_published,"
                " v.date_modified, v.content_hash, v.changed_fields FROM article_versions v"
                " JOIN articles a ON a.url = v.article_url"
                " WHERE v.article_url = ? ORDER BY v.version",
                [url],
            )
        )

    # --- reading ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        site: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 20,
        offset: int = 0,
        marks: tuple[str, str] = ("[", "]"),
    ) -> list[dict[str, Any]]:
        """Full-text search over articles (accent-insensitive), most relevant first (bm25).

        query is in the syntax of newsarchive.store.fts (OR, prefix*, "phrases", title:word);
        SearchSyntaxError when it is not valid, SearchQueryError when it has no word to search
        for. The snippet marks matches with marks.
        """
        if not any(ch.isalnum() for ch in query):
            raise SearchQueryError(f"nothing to search for in {query!r}: give a word")
        where, params = self._search_where(query, site=site, since=since, until=until)
        params |= {"limit": limit, "offset": offset, "m0": marks[0], "m1": marks[1]}
        sql = f"""SELECT a.url, a.site, a.title, a.date_published, a.published_day,
                         snippet(articles_fts, -1, :m0, :m1, '…', 24) AS snippet,
                         bm25(articles_fts, {SEARCH_WEIGHTS}) AS score
                  FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
                  WHERE {" AND ".join(where)}
                  ORDER BY score, a.published_day DESC LIMIT :limit OFFSET :offset"""
        rows = self._fts_rows(sql, params)
        for row in rows:  # one line: the text's paragraphs are newline-separated
            row["snippet"] = " ".join((row["snippet"] or "").split())
        return rows

    def _search_where(
        self, query: str, *, site: str | None, since: str | None, until: str | None
    ) -> tuple[list[str], dict[str, Any]]:
        where, params = ["articles_fts MATCH :q"], {"q": fts_query(query)}
        if site:
            where.append("a.site = :site")
            params["site"] = site.removeprefix("www.")
        if since:
            where.append("a.published_day >= :since")
            params["since"] = since[:10]
        if until:
            where.append("a.published_day <= :until")
            params["until"] = until[:10]
        return where, params

    def _fts_rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return list(self.db.query(sql, params))
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc) or "syntax error" in str(exc):
                raise SearchSyntaxError(f"not a valid search: {exc}") from exc
            raise

    def search_facets(
        self,
        query: str,
        *,
        site: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Matches of a search in all: their count, per site and per Rome day (newest first)."""
        where, params = self._search_where(query, site=site, since=since, until=until)
        base = (
            "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
            f" WHERE {' AND '.join(where)}"
        )
        total = self._fts_rows(f"SELECT count(*) AS n {base}", params)[0]["n"]
        sites = self._fts_rows(
            f"SELECT a.site AS value, count(*) AS n {base} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
            params,
        )
        days = self._fts_rows(
            f"SELECT a.published_day AS value, count(*) AS n {base} GROUP BY 1"
            " ORDER BY 1 DESC LIMIT 20",
            params,
        )
        return {"total": total, "sites": sites, "days": days}

    def iter_articles(
        self,
        *,
        fields: list[str] | None = None,
        site: str | None = None,
        since: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Articles one at a time, oldest publication first (constant memory)."""
        columns = ["url", *ARTICLE_FIELDS, "extracted_at"]
        chosen = fields or [c for c in columns if c != "page_id"]
        unknown = [f for f in chosen if f not in columns]
        if unknown:
            raise ValueError(f"unknown article field(s): {', '.join(unknown)}")
        where = ["1 = 1"]
        params: dict[str, Any] = {}
        if site:
            where.append("site = :site")
            params["site"] = site.removeprefix("www.")
        if since:
            where.append("published_day >= :since")
            params["since"] = since[:10]
        cursor = self.db.conn.execute(
            f"SELECT {', '.join(chosen)} FROM articles WHERE {' AND '.join(where)}"
            " ORDER BY published_day, url",
            params,
        )
        for row in cursor:
            yield dict(zip(chosen, row, strict=True))

    def related_targets(self, url: str) -> list[str]:
        """The related-link targets stored for an archived URL (or the article it became)."""
        rows = self.db.conn.execute(
            """SELECT to_url FROM links WHERE from_url IN (
                   SELECT :u UNION SELECT a.url FROM articles a JOIN pages p ON p.id = a.page_id
                   WHERE p.url = :u OR p.final_url = :u)
               ORDER BY position""",
            {"u": url},
        ).fetchall()
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        return {
            t: int(self.db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("pages", "articles", "links", "crawls", "discoveries", "frontier")
        }

    # --- reading room: the article page, `show`, exports, charts ---------------------------
    # (read-only queries for newsarchive/serve/plugin.py and the show/export/stats commands)

    def article_url_for(self, url: str) -> str | None:
        """The archived article a URL names: itself, or the article its fetched page became."""
        row = self.db.conn.execute(
            """SELECT url FROM articles WHERE url = :u
               UNION ALL SELECT a.url FROM articles a JOIN pages p ON p.id = a.page_id
               WHERE p.url = :u OR p.final_url = :u
               LIMIT 1""",
            {"u": url},
        ).fetchone()
        return str(row[0]) if row else None

    def article_view(self, url: str) -> dict[str, Any] | None:
        """Everything the article page shows: the article (lists decoded), its date evidence,
        related links both ways with listed dates, its fetches and its versions."""
        rows = list(self.db.query("SELECT * FROM articles WHERE url = ?", [url]))
        if not rows:
            return None
        article = rows[0]
        for name in ("authors", "categories", "tags"):
            article[name] = json.loads(article[name] or "[]")
        q = self.db.query
        article["page"] = next(
            q(
                """SELECT id, url, final_url, status, fetched_at, content_type, body_size,
                          outcome, error, encoding, depth, via_url
                   FROM pages WHERE id = ?""",
                [article["page_id"]],
            ),
            None,
        )
        article["evidence"] = list(
            q(
                """SELECT field, source, raw, value, precision, chosen FROM date_evidence
                   WHERE article_url = ? ORDER BY field DESC, chosen DESC, id""",
                [url],
            )
        )
        article["links_out"] = list(
            q(
                """SELECT l.to_url, l.anchor_text, l.position, l.listed_date, l.listed_date_raw,
                          a.url AS article_url, a.title AS to_title,
                          a.date_published AS to_date_published, a.url IS NOT NULL AS archived
                   FROM links l LEFT JOIN articles a ON a.url = """
                + LINK_TARGET_ARTICLE
                + """
                   WHERE l.from_url = ? ORDER BY l.position""",
                [url],
            )
        )
        article["links_in"] = list(
            q(
                """SELECT l.from_url, l.anchor_text, l.position, l.listed_date, l.listed_date_raw,
                          a.title AS from_title, a.date_published AS from_date_published
                   FROM links l LEFT JOIN articles a ON a.url = l.from_url
                   WHERE l.to_url = :u
                      OR l.to_url IN (SELECT url FROM pages WHERE final_url = :u AND url != :u)
                   ORDER BY a.date_published DESC, l.from_url""",
                {"u": url},
            )
        )
        article["fetches"] = list(
            q(
                """SELECT id, fetched_at, status, outcome, body_size FROM pages
                   WHERE url = :u OR final_url = :u
                      OR id IN (SELECT page_id FROM article_versions WHERE article_url = :u)
                   ORDER BY fetched_at, id""",
                {"u": url},
            )
        )
        versions = self.versions(url)
        for v in versions:
            v["authors"] = json.loads(v["authors"] or "[]")
            v["changed_fields"] = json.loads(v["changed_fields"] or "[]")
        article["versions"] = versions
        return article

    def articles_per_day(self, *, days: int = 60) -> list[tuple[str, int]]:
        """(Rome day, articles published) for the last `days` days with articles, oldest first."""
        rows = self.db.conn.execute(
            """SELECT published_day, count(*) FROM articles WHERE published_day IS NOT NULL
               GROUP BY published_day ORDER BY published_day DESC LIMIT ?""",
            (days,),
        ).fetchall()
        return [(str(d), int(n)) for d, n in reversed(rows)]

    def top_sites(self, *, limit: int = 10) -> list[tuple[str, int, str | None]]:
        """(site, articles, latest Rome day of publication), largest first."""
        rows = self.db.conn.execute(
            """SELECT site, count(*), max(published_day) FROM articles GROUP BY site
               ORDER BY count(*) DESC, site LIMIT ?""",
            (limit,),
        ).fetchall()
        return [(str(s), int(n), d) for s, n, d in rows]

    def iter_links(self) -> Iterator[dict[str, Any]]:
        """Every related link with the titles and dates of both ends (streamed)."""
        cursor = self.db.conn.execute(
            f"""SELECT l.from_url, l.to_url, l.kind, l.position, l.anchor_text,
                       l.listed_date, l.listed_date_raw, f.title AS from_title,
                       t.url AS to_article_url, t.title AS to_title, t.site AS to_site,
                       t.date_published AS to_date_published, t.url IS NOT NULL AS to_archived
                FROM links l LEFT JOIN articles f ON f.url = l.from_url
                LEFT JOIN articles t ON t.url = {LINK_TARGET_ARTICLE}
                ORDER BY l.from_url, l.position"""
        )
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def iter_graph_nodes(self) -> Iterator[dict[str, Any]]:
        """Nodes of the related-links graph: every article, and every link target not archived
        (archived = 0, title/site/date empty), streamed."""
        cursor = self.db.conn.execute(
            f"""SELECT url, title, site, date_published, 1 AS archived FROM articles
                UNION ALL
                SELECT DISTINCT l.to_url, NULL, NULL, NULL, 0 FROM links l
                WHERE {LINK_TARGET_ARTICLE} IS NULL
                   OR {LINK_TARGET_ARTICLE} NOT IN (SELECT url FROM articles)
                ORDER BY 1"""
        )
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def iter_versions(self, *, site: str | None = None) -> Iterator[dict[str, Any]]:
        """Every article version (lists decoded), by article then version (streamed)."""
        where, params = "1 = 1", {}
        if site:
            where = "article_url IN (SELECT url FROM articles WHERE site = :site)"
            params = {"site": site.removeprefix("www.")}
        cursor = self.db.conn.execute(
            f"""SELECT article_url, version, page_id, fetched_at, title, description, authors,
                       date_published, date_modified, changed_fields, content_hash, text
                FROM article_versions WHERE {where} ORDER BY article_url, version""",
            params,
        )
        names = [d[0] for d in cursor.description]
        for row in cursor:
            item = dict(zip(names, row, strict=True))
            item["authors"] = json.loads(item["authors"] or "[]")
            item["changed_fields"] = json.loads(item["changed_fields"] or "[]")
            yield item

    # --- end of the reading room -----------------------------------------------------------
