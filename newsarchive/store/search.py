"""Full-text search over the articles (`archive.search`): ranked matches and their facets, in
the syntax of newsarchive.store.fts."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from newsarchive.store.base import SearchQueryError
from newsarchive.store.fts import SearchSyntaxError, fts_query

if TYPE_CHECKING:
    from newsarchive.store.archive import Archive

# bm25 weights of the articles_fts columns: title, description, text, authors
SEARCH_WEIGHTS = "10.0, 4.0, 1.0, 2.0"


class Search:
    """Searches the articles_fts index (accent-insensitive, bm25-ranked)."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def articles(
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
            return list(self._archive.db.query(sql, params))
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc) or "syntax error" in str(exc):
                raise SearchSyntaxError(f"not a valid search: {exc}") from exc
            raise

    def facets(
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
