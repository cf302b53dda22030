"""Read-only queries (`archive.read`): the overview of `stats`, the article page of the reading
room and `show`, charts, and the streamed exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from newsarchive.store.derived import ARTICLE_FIELDS

if TYPE_CHECKING:
    from newsarchive.store.archive import Archive

# the article a link's target became (itself, or where its fetch was redirected): SQL over `l`
LINK_TARGET_ARTICLE = """coalesce(
    (SELECT url FROM articles WHERE url = l.to_url),
    (SELECT final_url FROM pages WHERE url = l.to_url AND status < 300
     ORDER BY id DESC LIMIT 1))"""


class Read:
    """Queries that never write: each returns rows or streams them."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def overview(self) -> dict[str, Any]:
        """The archive at a glance, for `newsarchive stats`."""
        conn = self._archive.db.conn
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

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        return {
            t: int(self._archive.db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("pages", "articles", "links", "crawls", "discoveries", "frontier")
        }

    def article_url_for(self, url: str) -> str | None:
        """The archived article a URL names: itself, or the article its fetched page became."""
        row = self._archive.db.conn.execute(
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
        rows = list(self._archive.db.query("SELECT * FROM articles WHERE url = ?", [url]))
        if not rows:
            return None
        article = rows[0]
        for name in ("authors", "categories", "tags"):
            article[name] = json.loads(article[name] or "[]")
        q = self._archive.db.query
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

    def versions(self, url: str) -> list[dict[str, Any]]:
        """The stored versions of an article, oldest first, each with its text."""
        return list(
            self._archive.db.query(
                "SELECT v.article_url, v.version, v.page_id, v.fetched_at, v.title,"
                " coalesce(v.text, a.text) AS text, v.authors, v.description, v.date_published,"
                " v.date_modified, v.content_hash, v.changed_fields FROM article_versions v"
                " JOIN articles a ON a.url = v.article_url"
                " WHERE v.article_url = ? ORDER BY v.version",
                [url],
            )
        )

    def related_targets(self, url: str) -> list[str]:
        """The related-link targets stored for an archived URL (or the article it became)."""
        rows = self._archive.db.conn.execute(
            """SELECT to_url FROM links WHERE from_url IN (
                   SELECT :u UNION SELECT a.url FROM articles a JOIN pages p ON p.id = a.page_id
                   WHERE p.url = :u OR p.final_url = :u)
               ORDER BY position""",
            {"u": url},
        ).fetchall()
        return [r[0] for r in rows]

    def articles_per_day(self, *, days: int = 60) -> list[tuple[str, int]]:
        """(Rome day, articles published) for the last `days` days with articles, oldest first."""
        rows = self._archive.db.conn.execute(
            """SELECT published_day, count(*) FROM articles WHERE published_day IS NOT NULL
               GROUP BY published_day ORDER BY published_day DESC LIMIT ?""",
            (days,),
        ).fetchall()
        return [(str(d), int(n)) for d, n in reversed(rows)]

    def top_sites(self, *, limit: int = 10) -> list[tuple[str, int, str | None]]:
        """(site, articles, latest Rome day of publication), largest first."""
        rows = self._archive.db.conn.execute(
            """SELECT site, count(*), max(published_day) FROM articles GROUP BY site
               ORDER BY count(*) DESC, site LIMIT ?""",
            (limit,),
        ).fetchall()
        return [(str(s), int(n), d) for s, n, d in rows]

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
        cursor = self._archive.db.conn.execute(
            f"SELECT {', '.join(chosen)} FROM articles WHERE {' AND '.join(where)}"
            " ORDER BY published_day, url",
            params,
        )
        for row in cursor:
            yield dict(zip(chosen, row, strict=True))

    def iter_links(self) -> Iterator[dict[str, Any]]:
        """Every related link with the titles and dates of both ends (streamed)."""
        cursor = self._archive.db.conn.execute(
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
        cursor = self._archive.db.conn.execute(
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
        cursor = self._archive.db.conn.execute(
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
