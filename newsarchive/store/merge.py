"""Merging shard archives into one (``newsarchive merge``): SQL next to store.py's.

Each shard is read in one transaction of the target with the shard ATTACHed: the target's
write lock is taken up front (the shard's is never taken) and every read of the shard sees
one snapshot (WAL), so a shard still being written by its worker is merged as it was at
that instant, and its worker is not held up.

1. crawls: copied with their shard of origin (``crawls.shard``, ``crawls.shard_crawl_id``);
   a run merged again is updated (it may have finished since);
2. pages: unioned, oldest fetch first; a fetch already in the target (same URL, final URL,
   fetch time, status and body hash) is not copied twice; crawl and body references are
   renumbered;
3. derived rows are carried over: the article row, its links and own date evidence come from
   the shard with the newest fetch of the URL (what a single archive shows); versions are
   rebuilt over every fetch of the article in every shard, in fetch order (a fetch that added
   no version in its shard had that shard's latest content; consecutive identical contents
   collapse; changed_fields recomputed); listed-date evidence is then rebuilt from all links
   and discoveries, as a single archive would have it;
4. discoveries: unioned.

Merging the same shard twice changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsarchive.store.archive import Archive
from newsarchive.store.base import BodyError, StorageError, retry_locked
from newsarchive.store.bodies import compress, decompress, dictionary_id, stored_dictionary
from newsarchive.store.versions import VERSIONED_FIELDS, changed_fields

logger = logging.getLogger(__name__)

SHARD_SCHEMA = "shard"
# the migration (on main, from another branch) after which the newest version's text is NULL
TEXT_ONCE_MIGRATION = "m011_versions_text_once"
PAGE_KEY = ("url", "final_url", "fetched_at", "status", "sha256")


class MergeError(StorageError):
    """A shard cannot be merged (missing, not an archive, or another schema version)."""


@dataclass
class MergeSummary:
    """What merging one shard did."""

    shard: str
    pages_added: int = 0
    pages_known: int = 0
    crawls: int = 0
    articles_updated: int = 0
    versions_rebuilt: int = 0
    touched: set[str] = field(default_factory=set)
    added_pages: list[int] = field(default_factory=list)


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def _migrations(conn: sqlite3.Connection, schema: str) -> set[str]:
    try:
        rows = conn.execute(f"SELECT name FROM {schema}._sqlite_migrations").fetchall()
    except sqlite3.OperationalError:
        return set()
    return {str(r[0]) for r in rows}


class ShardMerger:
    """Merge shard archives into a target archive (opened, and migrated, by Archive)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.db.conn

    def merge(self, shard: Path, *, label: str | None = None) -> MergeSummary:
        """Merge one shard (label: its name in crawls.shard, default its resolved path)."""
        if not shard.is_file():
            raise MergeError(f"no archive at {shard}")
        if shard.resolve() == self.archive.path.resolve():
            raise MergeError(f"{shard} is the target archive itself")
        origin = label or str(shard.resolve())
        self.conn.execute(f"ATTACH DATABASE ? AS {SHARD_SCHEMA}", (str(shard),))
        try:
            return self._merge_attached(origin)
        finally:
            self.conn.execute(f"DETACH DATABASE {SHARD_SCHEMA}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: the target's write lock, and one read snapshot of the shard.

        Not BEGIN IMMEDIATE: that would take the write lock of the attached shard too, and
        stop its worker. A deferred BEGIN and a first (empty) write to the target take the
        target's lock only; the shard is only read (a WAL snapshot: its worker goes on).
        """
        conn = self.conn
        conn.execute("BEGIN")
        try:
            conn.execute("UPDATE main.crawls SET id = id WHERE id IS NULL")
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @retry_locked
    def _merge_attached(self, origin: str) -> MergeSummary:
        summary = MergeSummary(origin)
        with self._transaction() as conn:
            try:
                shard_migrations = _migrations(conn, SHARD_SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise MergeError(f"{origin} is not an archive: {exc}") from exc
            missing = _migrations(conn, "main") - shard_migrations
            if not shard_migrations or (missing and missing != {"m014_shard_origin"}):
                raise MergeError(
                    f"{origin} is not an archive of this version (open it once with"
                    f" `newsarchive stats --db` to upgrade it)"
                )
            crawl_map = self._merge_crawls(conn, origin, summary)
            page_map = self._merge_pages(conn, crawl_map, summary)
            self._merge_derived(conn, page_map, summary)
            conn.execute(
                f"INSERT OR IGNORE INTO main.discoveries SELECT * FROM {SHARD_SCHEMA}.discoveries"
            )
            # listed-date evidence over the union of links and discoveries (store.py's rule)
            self.archive.derived.refresh_listed(conn, sorted(summary.touched))
        return summary

    # 1. crawls

    def _merge_crawls(
        self, conn: sqlite3.Connection, origin: str, summary: MergeSummary
    ) -> dict[int, int]:
        has_origin = "shard" in _columns(conn, SHARD_SCHEMA, "crawls")
        extra = "shard, shard_crawl_id" if has_origin else "NULL, NULL"
        rows = conn.execute(
            f"SELECT id, started_at, finished_at, command, seeds, stats, status, {extra}"
            f" FROM {SHARD_SCHEMA}.crawls ORDER BY id"
        ).fetchall()
        crawl_map: dict[int, int] = {}
        for cid, started, finished, command, seeds, stats, status, shard, shard_id in rows:
            key = (shard or origin, shard_id if shard else cid)
            found = conn.execute(
                "SELECT id FROM main.crawls WHERE shard = ? AND shard_crawl_id = ?", key
            ).fetchone()
            if found:
                conn.execute(
                    "UPDATE main.crawls SET finished_at = ?, stats = ?, status = ? WHERE id = ?",
                    (finished, stats, status, found[0]),
                )
                crawl_map[cid] = int(found[0])
                continue
            cur = conn.execute(
                """INSERT INTO main.crawls (started_at, finished_at, command, seeds, stats,
                       status, shard, shard_crawl_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (started, finished, command, seeds, stats, status, *key),
            )
            crawl_map[cid] = int(cur.lastrowid or 0)
            summary.crawls += 1
        return crawl_map

    # 2. pages

    def _merge_pages(
        self, conn: sqlite3.Connection, crawl_map: dict[int, int], summary: MergeSummary
    ) -> dict[int, int]:
        target = set(_columns(conn, "main", "pages"))
        columns = [c for c in _columns(conn, SHARD_SCHEMA, "pages") if c in target]
        index = {c: i for i, c in enumerate(columns)}
        copied = [c for c in columns if c != "id"]
        insert = (
            f"INSERT INTO main.pages ({', '.join(copied)}) VALUES ({', '.join('?' * len(copied))})"
        )
        key_sql = " AND ".join(f"{c} = ?" for c in PAGE_KEY)
        page_map: dict[int, int] = {}
        cursor = conn.execute(
            f"SELECT {', '.join(columns)} FROM {SHARD_SCHEMA}.pages ORDER BY fetched_at, id"
        )
        for row in cursor.fetchall():
            shard_id = int(row[index["id"]])
            found = conn.execute(
                f"SELECT id FROM main.pages WHERE {key_sql} ORDER BY id LIMIT 1",
                [row[index[c]] for c in PAGE_KEY],
            ).fetchone()
            if found:
                page_map[shard_id] = int(found[0])
                summary.pages_known += 1
                continue
            values: dict[str, Any] = {c: row[index[c]] for c in copied}
            if values.get("crawl_id") is not None:
                values["crawl_id"] = crawl_map.get(int(values["crawl_id"]))
            ref = values.get("body_page_id")
            if ref is not None:
                if int(ref) in page_map:
                    values["body_page_id"] = page_map[int(ref)]
                else:  # the page holding the bytes is not merged (yet): copy them
                    values["body_page_id"] = None
                    values["body"], values["compression"] = conn.execute(
                        f"SELECT body, compression FROM {SHARD_SCHEMA}.pages WHERE id = ?",
                        (ref,),
                    ).fetchone()
            if dictionary_id(values.get("compression")) is not None and values.get("body"):
                # a shard's dictionary ids mean nothing in the target: plain zstd there
                # (`compact` gives the merged archive's sites their own dictionaries)
                values["body"] = compress(self._shard_body(conn, values))
                values["compression"] = "zstd"
            cur = conn.execute(insert, [values[c] for c in copied])
            page_map[shard_id] = int(cur.lastrowid or 0)
            summary.added_pages.append(page_map[shard_id])
            summary.pages_added += 1
        return page_map

    def _shard_body(self, conn: sqlite3.Connection, values: dict[str, Any]) -> bytes:
        """The raw bytes of a shard page's body compressed with one of the shard's
        dictionaries; StorageError when it cannot be read."""
        dict_id = dictionary_id(values["compression"])
        row = conn.execute(
            f"SELECT data FROM {SHARD_SCHEMA}.zstd_dictionaries WHERE id = ?", (dict_id,)
        ).fetchone()
        dictionary = stored_dictionary(bytes(row[0])) if row else None
        try:
            return decompress(values["body"], values["compression"], dictionary)
        except BodyError as exc:
            raise StorageError(f"shard page {values.get('url')}: {exc}") from exc

    # 3. derived rows

    def _events(
        self, conn: sqlite3.Connection, schema: str, url: str, remap: dict[int, int] | None
    ) -> dict[int, tuple[Any, ...]]:
        """(fetched_at, page id, content hash, *versioned fields) of every fetch of an article
        in one archive, by page id (of the target). A fetch that added no version had the
        content of the article's latest version at that time (that is why it added none)."""
        fields = ", ".join(f"v.{f}" for f in VERSIONED_FIELDS)
        rows = conn.execute(
            f"""SELECT v.fetched_at, v.page_id, v.content_hash, {fields}, a.text
                FROM {schema}.article_versions v
                LEFT JOIN {schema}.articles a ON a.url = v.article_url
                WHERE v.article_url = ? ORDER BY v.fetched_at, v.version""",
            (url,),
        ).fetchall()
        if not rows:
            return {}
        text_at = 3 + VERSIONED_FIELDS.index("text")
        versions = []
        for row in rows:
            row, article_text = list(row[:-1]), row[-1]
            if row[text_at] is None and article_text is not None:
                # a version whose text is stored once, in articles.text (the newest one,
                # where the schema keeps it so): versions hold it whitespace-normalized
                row[text_at] = " ".join(str(article_text).split())
            versions.append(tuple(row))
        by_page = {int(v[1]): v for v in versions}
        pages = conn.execute(
            f"""SELECT id, fetched_at FROM {schema}.pages
                WHERE (url = :u OR final_url = :u) AND status < 400
                  AND outcome IN ('article', 'not_modified')
                UNION SELECT p.id, p.fetched_at FROM {schema}.pages p
                JOIN {schema}.article_versions v ON v.page_id = p.id WHERE v.article_url = :u""",
            {"u": url},
        ).fetchall()
        events: dict[int, tuple[Any, ...]] = {}
        for page_id, fetched_at in pages:
            target = int(page_id) if remap is None else remap.get(int(page_id))
            if target is None:
                continue
            version = by_page.get(int(page_id))
            if version is None:
                earlier = [v for v in versions if v[0] <= fetched_at]
                if not earlier:
                    continue
                version = earlier[-1]
            events[target] = (fetched_at, target, version[2], *version[3:])
        return events

    def _merge_derived(
        self, conn: sqlite3.Connection, page_map: dict[int, int], summary: MergeSummary
    ) -> None:
        """Articles, links, own date evidence and versions of every article of the shard."""
        article_columns = _columns(conn, "main", "articles")
        shared = [c for c in _columns(conn, SHARD_SCHEMA, "articles") if c in article_columns]
        urls = [
            (str(r[0]), int(r[1]))
            for r in conn.execute(f"SELECT url, page_id FROM {SHARD_SCHEMA}.articles ORDER BY url")
        ]
        added = set(summary.added_pages)
        for url, shard_page in urls:
            summary.touched.add(url)
            theirs = self._events(conn, SHARD_SCHEMA, url, page_map)
            mine = {
                k: v for k, v in self._events(conn, "main", url, None).items() if k not in added
            }
            latest_theirs = max((e[0] for e in theirs.values()), default="")
            latest_mine = max((e[0] for e in mine.values()), default="")
            new_page = page_map.get(shard_page)
            has_article = conn.execute(
                "SELECT 1 FROM main.articles WHERE url = ?", (url,)
            ).fetchone()
            if new_page is not None and (not has_article or latest_theirs > latest_mine):
                self._copy_article(conn, url, shared, new_page, summary)
                summary.articles_updated += 1
            if self._rebuild_versions(conn, url, {**theirs, **mine}):
                summary.versions_rebuilt += 1

    def _rebuild_versions(
        self, conn: sqlite3.Connection, url: str, events: dict[int, tuple[Any, ...]]
    ) -> bool:
        """Versions in fetch order over every fetch; consecutive equal contents collapse."""
        fields = ", ".join(VERSIONED_FIELDS)
        kept: list[tuple[Any, ...]] = []
        for event in sorted(events.values(), key=lambda e: (e[0], e[1])):
            if kept and kept[-1][2] == event[2]:
                continue  # same content as the fetch before: no new version
            kept.append(event)
        current = conn.execute(
            "SELECT fetched_at, page_id, content_hash FROM main.article_versions"
            " WHERE article_url = ? ORDER BY version",
            (url,),
        ).fetchall()
        if [tuple(r) for r in current] == [e[:3] for e in kept]:
            return False
        conn.execute("DELETE FROM main.article_versions WHERE article_url = ?", (url,))
        previous: dict[str, object] | None = None
        for number, event in enumerate(kept, start=1):
            content = dict(zip(VERSIONED_FIELDS, event[3:], strict=True))
            content["authors"] = json.loads(str(content["authors"] or "[]"))
            changed = [] if previous is None else changed_fields(previous, content)
            conn.execute(
                f"""INSERT INTO main.article_versions (article_url, version, fetched_at, page_id,
                        content_hash, changed_fields, {fields})
                    VALUES (?, ?, ?, ?, ?, ?, {", ".join("?" * len(VERSIONED_FIELDS))})""",
                (url, number, *event[:3], json.dumps(changed), *event[3:]),
            )
            previous = content
        if TEXT_ONCE_MIGRATION in _migrations(conn, "main"):
            self._text_once(conn, url, len(kept))
        return True

    def _text_once(self, conn: sqlite3.Connection, url: str, newest: int) -> None:
        """Where the schema stores a text once (m011), the newest version's text is NULL when
        it is articles.text (whitespace-normalized), as the crawl itself writes it."""
        row = conn.execute("SELECT text FROM main.articles WHERE url = ?", (url,)).fetchone()
        if row is None or row[0] is None:
            return
        conn.execute(
            "UPDATE main.article_versions SET text = NULL"
            " WHERE article_url = ? AND version = ? AND text = ?",
            (url, newest, " ".join(str(row[0]).split())),
        )

    def _copy_article(
        self,
        conn: sqlite3.Connection,
        url: str,
        columns: list[str],
        page_id: int,
        summary: MergeSummary,
    ) -> None:
        row = conn.execute(
            f"SELECT {', '.join(columns)} FROM {SHARD_SCHEMA}.articles WHERE url = ?", (url,)
        ).fetchone()
        values = dict(zip(columns, row, strict=True))
        values["page_id"] = page_id
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "url")
        conn.execute(
            f"INSERT INTO main.articles ({', '.join(columns)})"
            f" VALUES ({', '.join('?' * len(columns))}) ON CONFLICT(url) DO UPDATE SET {updates}",
            [values[c] for c in columns],
        )
        old_targets = [
            str(r[0])
            for r in conn.execute("SELECT to_url FROM main.links WHERE from_url = ?", (url,))
        ]
        conn.execute("DELETE FROM main.links WHERE from_url = ?", (url,))
        conn.execute(
            f"""INSERT INTO main.links (from_url, to_url, kind, anchor_text, position,
                    listed_date, listed_date_raw)
                SELECT from_url, to_url, kind, anchor_text, position, listed_date, listed_date_raw
                FROM {SHARD_SCHEMA}.links WHERE from_url = ?""",
            (url,),
        )
        new_targets = [
            str(r[0])
            for r in conn.execute("SELECT to_url FROM main.links WHERE from_url = ?", (url,))
        ]
        summary.touched.update(old_targets, new_targets)
        conn.execute("DELETE FROM main.date_evidence WHERE article_url = ?", (url,))
        conn.execute(
            f"""INSERT INTO main.date_evidence (article_url, field, source, raw, value, precision,
                    chosen)
                SELECT article_url, field, source, raw, value, precision, chosen
                FROM {SHARD_SCHEMA}.date_evidence
                WHERE article_url = ? AND source NOT LIKE 'listed:%' ORDER BY id""",
            (url,),
        )


def merge_shards(target: Path, shards: list[Path]) -> list[MergeSummary]:
    """Merge shards into target (created when missing), one transaction per shard."""
    with Archive(target) as archive:
        merger = ShardMerger(archive)
        return [merger.merge(shard) for shard in shards]
