"""The archive schema, as numbered sqlite-utils migrations (the only way the schema changes)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "newsarchive"
FTS_COLUMNS = ["title", "description", "text", "authors"]
# unicode61 with remove_diacritics 2: "citta" finds "città", "perche" finds "perché".
FTS_TOKENIZER = "unicode61 remove_diacritics 2"

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    """crawls, pages (raw, immutable bodies), articles, related links, full-text search."""
    db.execute(
        """
        CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            command TEXT NOT NULL,
            seeds TEXT NOT NULL DEFAULT '[]',
            stats TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'running'
        )
        """
    )
    db.execute(
        """
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            final_url TEXT NOT NULL,
            status INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            headers TEXT NOT NULL DEFAULT '{}',
            body BLOB,
            compression TEXT NOT NULL DEFAULT 'zlib',
            body_size INTEGER NOT NULL DEFAULT 0,
            content_type TEXT,
            encoding TEXT,
            encoding_reason TEXT,
            sha256 TEXT NOT NULL,
            crawl_id INTEGER REFERENCES crawls(id),
            depth INTEGER NOT NULL DEFAULT 0,
            via_url TEXT,
            outcome TEXT,
            error TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE articles (
            url TEXT PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            site TEXT NOT NULL,
            title TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            date_published TEXT,
            date_published_raw TEXT,
            date_modified TEXT,
            date_modified_raw TEXT,
            description TEXT,
            text TEXT,
            language TEXT,
            sitename TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            tags TEXT NOT NULL DEFAULT '[]',
            image TEXT,
            extractor TEXT NOT NULL,
            extracted_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE links (
            from_url TEXT NOT NULL REFERENCES articles(url),
            to_url TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'related',
            anchor_text TEXT,
            position INTEGER,
            listed_date TEXT,
            listed_date_raw TEXT,
            PRIMARY KEY (from_url, to_url, kind)
        )
        """
    )
    for table, columns in [
        ("pages", ["url"]),
        ("pages", ["final_url"]),
        ("pages", ["crawl_id"]),
        ("pages", ["sha256"]),
        ("articles", ["page_id"]),
        ("articles", ["site", "date_published"]),
        ("articles", ["date_published"]),
        ("links", ["to_url"]),
    ]:
        db[table].create_index(columns)  # type: ignore[union-attr]
    db["articles"].enable_fts(  # type: ignore[union-attr]
        FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZER
    )


def apply(db: Database) -> None:
    """Bring the database to the newest schema."""
    migrations.apply(db)


def pending(db: Database) -> list[str]:
    """Names of the migrations not yet applied to db."""
    return [m.name for m in migrations.pending(db)]
