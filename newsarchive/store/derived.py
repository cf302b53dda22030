"""What is derived from a page (`archive.derived`): the article row, its related links, date
evidence (with the dates other pages list beside a link to it) and its versions.

Every method works inside the caller's write transaction (conn).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import TYPE_CHECKING

from newsarchive.dates.normalize import DAY_OR_FINER, local_day, precision_of
from newsarchive.store.base import SQL_CHUNK, to_json
from newsarchive.store.versions import (
    VERSIONED_FIELDS,
    changed_fields,
    content_fields,
    fields_hash,
    normalized_text,
)

if TYPE_CHECKING:  # extraction imports trafilatura: the crawler process does not need it
    from newsarchive.extract.article import Article, Extraction

SPREAD_MIN_YEAR = "1970"  # evidence.MIN_YEAR: earlier values are template placeholders
ARTICLE_FIELDS = (
    "page_id",
    "site",
    "title",
    "authors",
    "date_published",
    "date_published_raw",
    "date_modified",
    "date_modified_raw",
    "description",
    "text",
    "language",
    "sitename",
    "categories",
    "tags",
    "image",
    "extractor",
    "published_day",
    "published_spread_days",
)


def spread_days(values: list[str]) -> float | None:
    """Days between the earliest and latest of ISO dates/datetimes (coarser values ignored,
    and pre-1970 placeholders such as 0001-01-01, which are evidence but never dates)."""
    days = sorted(v[:10] for v in values if len(v) >= 10 and v[:4] >= SPREAD_MIN_YEAR)
    if not days:
        return None
    return float((date.fromisoformat(days[-1]) - date.fromisoformat(days[0])).days)


def published_spread(ex: Extraction, listed: list[str] | None = None) -> float | None:
    """Days between the earliest and latest publication-date candidates (None without any)."""
    own = [e.value for e in ex.evidence if e.field == "published" and e.precision in DAY_OR_FINER]
    return spread_days(own + list(listed or []))


class Derived:
    """Writes the rows derived from a page; skips what is unchanged."""

    def save(
        self,
        conn: sqlite3.Connection,
        page_id: int,
        fetched_at: str,
        ex: Extraction,
        extracted_at: str,
    ) -> list[str]:
        """Upsert the article, its links, date evidence and versions; skip what is unchanged.

        Returns the names of what changed ("title", "text", ..., "links", "date_evidence").
        """
        art = ex.article
        if art is None:
            return []
        listed = self._listed_dates(conn, art.url)
        changed, previous_text = self._save_article(conn, page_id, ex, art, extracted_at, listed)
        touched = self._save_links(conn, ex, art)
        if touched:
            changed.append("links")
            self.refresh_listed(conn, touched)  # targets of new and of dropped links
        if self._save_evidence(conn, ex, art, listed):
            changed.append("date_evidence")
        self.save_version(conn, page_id, fetched_at, art, previous_text)
        return changed

    def _listed_dates(self, conn: sqlite3.Connection, url: str) -> list[tuple[str, str, str]]:
        """(source, raw, value) of the dates other pages list beside a link to url.

        Related blocks and feeds/sitemaps show a date next to the article: stored as date
        evidence (never chosen; corroboration, and counted in published_spread_days).
        """
        return self._listed_dates_of(conn, [url]).get(url, [])

    def _listed_dates_of(
        self, conn: sqlite3.Connection, urls: list[str]
    ) -> dict[str, list[tuple[str, str, str]]]:
        """_listed_dates of several URLs, one query per chunk of them."""
        found: dict[str, list[tuple[str, str, str]]] = {}
        for start in range(0, len(urls), SQL_CHUNK):
            chunk = urls[start : start + SQL_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = conn.execute(
                f"""SELECT to_url, 'listed:related', coalesce(listed_date_raw, listed_date),
                       listed_date
                    FROM links WHERE to_url IN ({marks}) AND listed_date IS NOT NULL
                    UNION ALL
                    SELECT url, 'listed:' || via, coalesce(listed_date_raw, listed_date),
                       listed_date
                    FROM discoveries WHERE url IN ({marks}) AND listed_date IS NOT NULL
                    ORDER BY 1, 2, 3, 4""",
                [*chunk, *chunk],
            )
            for url, source, raw, value in rows:
                found.setdefault(str(url), []).append((str(source), str(raw), str(value)))
        return found

    def _archived_articles(self, conn: sqlite3.Connection, urls: list[str]) -> set[str]:
        """Those of urls that are articles in the archive (one query per chunk, not per URL)."""
        unique = sorted(set(urls))
        found: set[str] = set()
        for start in range(0, len(unique), SQL_CHUNK):
            chunk = unique[start : start + SQL_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(
                str(r[0])
                for r in conn.execute(f"SELECT url FROM articles WHERE url IN ({marks})", chunk)
            )
        return found

    def _published_evidence(
        self, conn: sqlite3.Connection, urls: list[str]
    ) -> dict[str, list[tuple[str, str, str, str]]]:
        """(source, raw, value, precision) of the publication-date evidence of urls, in the
        order it was stored; one query per chunk of URLs."""
        found: dict[str, list[tuple[str, str, str, str]]] = {url: [] for url in urls}
        for start in range(0, len(urls), SQL_CHUNK):
            chunk = urls[start : start + SQL_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = conn.execute(
                f"""SELECT article_url, source, raw, value, precision FROM date_evidence
                    WHERE article_url IN ({marks}) AND field = 'published' ORDER BY id""",
                chunk,
            )
            for url, source, raw, value, precision in rows:
                found[str(url)].append((source, raw, value, precision))
        return found

    def refresh_listed(self, conn: sqlite3.Connection, urls: list[str]) -> None:
        """Re-derive the listed-date evidence of archived articles another page points at
        (reading what they need in one query each for all of them, not per URL)."""
        archived = self._archived_articles(conn, urls)
        targets = list(dict.fromkeys(url for url in urls if url in archived))
        listed_of = self._listed_dates_of(conn, targets)
        evidence_of = self._published_evidence(conn, targets)
        replaced: list[str] = []  # articles whose listed evidence is replaced
        with_old: list[str] = []  # ... of which those that had some
        inserts: list[tuple[str, str, str, str, str]] = []
        spreads: list[tuple[float | None, str]] = []
        for url in targets:
            listed = listed_of.get(url, [])
            evidence = evidence_of[url]
            # listed evidence is always field 'published' (LIKE: as SQLite matches it)
            old = [(s, r, v) for s, r, v, _ in evidence if s[:7].lower() == "listed:"]
            if old == listed:
                continue
            replaced.append(url)
            if old:
                with_old.append(url)
            inserts += [(url, src, raw, value, precision_of(value)) for src, raw, value in listed]
            own = [(v, p) for s, _, v, p in evidence if s[:7].lower() != "listed:"]
            spread = spread_days(
                [
                    str(value)
                    for value, precision in own + [(v, precision_of(v)) for _, _, v in listed]
                    if precision in ("datetime", "day")
                ]
            )
            spreads.append((spread, url))
        # the writes of all of them at once: one statement each, not three per article
        for start in range(0, len(with_old), SQL_CHUNK):
            chunk = with_old[start : start + SQL_CHUNK]
            conn.execute(
                f"""DELETE FROM date_evidence WHERE article_url IN ({", ".join("?" * len(chunk))})
                    AND source LIKE 'listed:%'""",
                chunk,
            )
        if inserts:
            conn.executemany(
                """INSERT INTO date_evidence (article_url, field, source, raw, value, precision,
                       chosen) VALUES (?, 'published', ?, ?, ?, ?, 0)""",
                inserts,
            )
        if spreads:
            conn.executemany("UPDATE articles SET published_spread_days = ? WHERE url = ?", spreads)

    def _save_article(
        self,
        conn: sqlite3.Connection,
        page_id: int,
        ex: Extraction,
        art: Article,
        extracted_at: str,
        listed: list[tuple[str, str, str]],
    ) -> tuple[list[str], str | None]:
        """Upsert the article row when it changed: (what changed, its text before)."""
        row = {
            "page_id": page_id,
            "site": art.site,
            "title": art.title,
            "authors": to_json(list(art.authors)),
            "date_published": art.date_published,
            "date_published_raw": art.date_published_raw,
            "date_modified": art.date_modified,
            "date_modified_raw": art.date_modified_raw,
            "description": art.description,
            "text": art.text,
            "language": art.language,
            "sitename": art.sitename,
            "categories": to_json(list(art.categories)),
            "tags": to_json(list(art.tags)),
            "image": art.image,
            "extractor": ex.extractor,
            "published_day": local_day(art.date_published),
            "published_spread_days": published_spread(ex, [v for _, _, v in listed]),
        }
        columns = ", ".join(ARTICLE_FIELDS)
        old = conn.execute(f"SELECT {columns} FROM articles WHERE url = ?", (art.url,)).fetchone()
        if old is None:
            changed = ["new"]
        else:
            changed = [f for f, before in zip(ARTICLE_FIELDS, old, strict=True) if before != row[f]]
        if changed:
            names = ("url", *ARTICLE_FIELDS, "extracted_at")
            values = (art.url, *(row[f] for f in ARTICLE_FIELDS), extracted_at)
            # only what changed is written: the full-text index follows the article only when
            # an indexed column (title, text...) is written (a re-fetch changes page_id)
            written = names[1:] if old is None else (*changed, "extracted_at")
            updates = ", ".join(f"{n} = excluded.{n}" for n in written)
            conn.execute(
                f"INSERT INTO articles ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
                f" ON CONFLICT(url) DO UPDATE SET {updates}",
                values,
            )
        return changed, None if old is None else old[ARTICLE_FIELDS.index("text")]

    def _save_links(self, conn: sqlite3.Connection, ex: Extraction, art: Article) -> list[str]:
        """Replace the article's links when they changed; the targets of the old and new
        links (their listed-date evidence may change), or [] when nothing changed."""
        new_links = [
            (art.url, x.to_url, x.kind, x.anchor_text, x.position, x.listed_date, x.listed_date_raw)
            for x in ex.links
        ]
        old_links = conn.execute(
            """SELECT from_url, to_url, kind, anchor_text, position, listed_date, listed_date_raw
               FROM links WHERE from_url = ? ORDER BY position""",
            (art.url,),
        ).fetchall()
        if [tuple(x) for x in old_links] != sorted(new_links, key=lambda x: x[4]):
            if old_links:
                conn.execute("DELETE FROM links WHERE from_url = ?", (art.url,))
            conn.executemany(
                """INSERT OR IGNORE INTO links (from_url, to_url, kind, anchor_text, position,
                       listed_date, listed_date_raw) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                new_links,
            )
            return sorted({str(x[1]) for x in old_links} | {x[1] for x in new_links})
        return []

    def _save_evidence(
        self,
        conn: sqlite3.Connection,
        ex: Extraction,
        art: Article,
        listed: list[tuple[str, str, str]],
    ) -> bool:
        new = [
            (art.url, e.field, e.source, e.raw, e.value, e.precision, int(e.chosen))
            for e in ex.evidence
        ] + [
            (art.url, "published", source, raw, value, precision_of(value), 0)
            for source, raw, value in listed
        ]
        old = conn.execute(
            """SELECT article_url, field, source, raw, value, precision, chosen
               FROM date_evidence WHERE article_url = ? ORDER BY id""",
            (art.url,),
        ).fetchall()
        if [tuple(x) for x in old] == new:
            return False
        if old:
            conn.execute("DELETE FROM date_evidence WHERE article_url = ?", (art.url,))
        conn.executemany(
            """INSERT INTO date_evidence (article_url, field, source, raw, value, precision,
                   chosen) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            new,
        )
        return True

    def save_version(
        self,
        conn: sqlite3.Connection,
        page_id: int,
        fetched_at: str,
        art: Article,
        previous_text: str | None,
        *,
        own_text: bool = False,
    ) -> bool:
        """Add a version when the content differs from the latest stored version.

        A version's text is stored once: the latest version's `text` is NULL and stands for
        `articles.text` (with its paragraph breaks); when a newer version arrives, the one it
        replaces gets its text (previous_text, the article's text before this page). With
        own_text (a version rebuilt while the article's state comes from a later page), the
        version keeps its own text, since articles.text is not its text."""
        fields = content_fields(art)
        new_hash = fields_hash(fields)
        last = conn.execute(
            """SELECT version, content_hash, title, text, authors, description, date_published,
                      date_modified FROM article_versions WHERE article_url = ?
               ORDER BY version DESC LIMIT 1""",
            (art.url,),
        ).fetchone()
        if last is not None and last[1] == new_hash:
            return False
        if last is None:
            version, changed = 1, []
        else:
            before = dict(zip(VERSIONED_FIELDS, last[2:], strict=True))
            before["authors"] = json.loads(str(before["authors"] or "[]"))
            if last[3] is None:  # the latest version's text was the article's until now
                before["text"] = normalized_text(previous_text)
                conn.execute(
                    "UPDATE article_versions SET text = ? WHERE article_url = ? AND version = ?",
                    (previous_text, art.url, last[0]),
                )
            version, changed = int(last[0]) + 1, changed_fields(before, fields)
        conn.execute(
            """INSERT INTO article_versions (article_url, version, page_id, fetched_at, title,
                   text, authors, description, date_published, date_modified, content_hash,
                   changed_fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                art.url,
                version,
                page_id,
                fetched_at,
                fields["title"],
                # the text is articles.text until a newer version replaces this one
                art.text if own_text else None,
                to_json(fields["authors"]),
                fields["description"],
                fields["date_published"],
                fields["date_modified"],
                new_hash,
                to_json(changed),
            ),
        )
        return True
