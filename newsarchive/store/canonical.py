"""Which URL an extraction is stored under: the page's own, or the rel=canonical URL it claims
when nothing contradicts that claim (used by `archive.pages` and `archive.reextraction`)."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING

from newsarchive.store.derived import ARTICLE_FIELDS
from newsarchive.store.versions import content_fields, fields_hash
from newsarchive.urls import canonicalize_url

if TYPE_CHECKING:  # extraction imports trafilatura: the crawler process does not need it
    from newsarchive.extract.article import Extraction

logger = logging.getLogger(__name__)


def canonical_claim(final_url: str, extraction: Extraction | None) -> str | None:
    """The page's rel=canonical URL when it names another URL than the page's own, else None."""
    if extraction is None or extraction.article is None:
        return None
    fetched = canonicalize_url(final_url) or final_url
    return extraction.article.url if extraction.article.url != fetched else None


def trust_canonical(
    conn: sqlite3.Connection,
    page_id: int,
    final_url: str,
    fetched_at: str,
    ex: Extraction,
    claim: str | None,
) -> Extraction:
    """The extraction stored under its rel=canonical URL only when the claim is consistent,
    else under the fetched URL (the claim stays in pages.canonical_claim).

    A same-host canonical could otherwise replace another article's title and text (as
    a "version 2"), and two pages pointing at each other would swap contents. A claim on
    URL c is trusted when the content matches a state of c known at that fetch time, or
    when c was never archived from its own page with other content and c's own page does
    not point elsewhere. claim: canonical_claim(final_url, ex), None when the page claims no
    other URL than its own.
    """
    art = ex.article
    if art is None or claim is None:
        return ex
    claimed = art.url
    fetched = canonicalize_url(final_url) or final_url
    states = conn.execute(
        """SELECT p.final_url, v.content_hash FROM article_versions v
           JOIN pages p ON p.id = v.page_id
           WHERE v.article_url = ? AND v.fetched_at <= ? AND v.page_id != ?""",
        (claimed, fetched_at, page_id),
    ).fetchall()
    mine = fields_hash(content_fields(art))
    if any(h == mine for _, h in states):
        return ex  # the same content: a duplicate URL of that article (AMP, parameters)
    own_state = any(canonicalize_url(str(u)) == claimed for u, _ in states)
    disagrees = conn.execute(
        """SELECT 1 FROM pages WHERE (final_url = :c OR url = :c) AND id != :id
           AND status < 300 AND canonical_claim IS NOT NULL AND canonical_claim != :c
           LIMIT 1""",
        {"c": claimed, "id": page_id},
    ).fetchone()
    if not own_state and disagrees is None:
        return ex  # nothing contradicts the claim (yet)
    logger.warning(
        "%s claims rel=canonical %s, which %s: stored under its own URL",
        fetched,
        claimed,
        "has other content" if own_state else "points elsewhere",
    )
    _evict_claimer(conn, fetched)
    return replace(ex, article=replace(art, url=fetched))


def _evict_claimer(conn: sqlite3.Connection, url: str) -> None:
    """Give back the state another page put at url by a claim url's own page contradicts.

    The article at url came from a page fetched elsewhere that claimed url as its
    canonical (trusted then, as nothing contradicted it); url's own page says otherwise:
    that state moves to the URL its page was fetched from (or is dropped when an article
    already lives there).
    """
    row = conn.execute(
        "SELECT p.final_url FROM articles a JOIN pages p ON p.id = a.page_id WHERE a.url = ?",
        (url,),
    ).fetchone()
    if row is None:
        return
    home = canonicalize_url(str(row[0])) or str(row[0])
    if home == url:
        return
    if conn.execute("SELECT 1 FROM articles WHERE url = ?", (home,)).fetchone() is None:
        columns = ", ".join(("url", *ARTICLE_FIELDS, "extracted_at"))
        rest = ", ".join((*ARTICLE_FIELDS, "extracted_at"))
        conn.execute(
            f"INSERT INTO articles ({columns}) SELECT ?, {rest} FROM articles WHERE url = ?",
            (home, url),
        )
        for table, column in (
            ("links", "from_url"),
            ("date_evidence", "article_url"),
            ("article_versions", "article_url"),
        ):
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (home, url))
    else:
        conn.execute("DELETE FROM links WHERE from_url = ?", (url,))
        conn.execute("DELETE FROM date_evidence WHERE article_url = ?", (url,))
        conn.execute("DELETE FROM article_versions WHERE article_url = ?", (url,))
    conn.execute("DELETE FROM articles WHERE url = ?", (url,))
    logger.warning("the article at %s came from %s: given back to it", url, home)
