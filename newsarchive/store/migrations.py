"""The archive schema, as numbered sqlite-utils migrations (the only way the schema changes)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from newsarchive.dates.normalize import local_day
from newsarchive.urls import strip_credentials

MIGRATION_SET = "newsarchive"
MIGRATIONS_TABLE = Migrations.migrations_table
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
    # Raw is immutable: only the derived columns (outcome, encoding, error) may change.
    db.execute(
        """
        CREATE TRIGGER pages_raw_immutable
        BEFORE UPDATE OF url, final_url, status, fetched_at, headers, body, compression,
                         body_size, sha256 ON pages
        BEGIN SELECT RAISE(ABORT, 'pages are immutable: raw columns cannot change'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER pages_raw_undeletable BEFORE DELETE ON pages
        BEGIN SELECT RAISE(ABORT, 'pages are immutable: they cannot be deleted'); END
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


def applied(db: Database) -> set[str]:
    """Names of the newsarchive migrations recorded in db."""
    return {m.name for m in migrations.applied(db)}


def unknown(names: set[str]) -> list[str]:
    """Those of names (applied migrations) that this code does not define: a newer schema."""
    known = {m.name for m in migrations._migrations}
    return sorted(names - known)


@migrations()
def m002_date_evidence(db: Database) -> None:
    """Every date candidate found for an article, with its source and whether it was chosen."""
    db.execute(
        """
        CREATE TABLE date_evidence (
            id INTEGER PRIMARY KEY,
            article_url TEXT NOT NULL REFERENCES articles(url),
            field TEXT NOT NULL,
            source TEXT NOT NULL,
            raw TEXT NOT NULL,
            value TEXT NOT NULL,
            precision TEXT NOT NULL,
            chosen INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db["date_evidence"].create_index(["article_url"])  # type: ignore[union-attr]


@migrations()
def m003_article_versions(db: Database) -> None:
    """Earlier and current states of articles whose content changed between fetches."""
    db.execute(
        """
        CREATE TABLE article_versions (
            article_url TEXT NOT NULL REFERENCES articles(url),
            version INTEGER NOT NULL,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            fetched_at TEXT NOT NULL,
            title TEXT,
            text TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            description TEXT,
            date_published TEXT,
            date_modified TEXT,
            content_hash TEXT NOT NULL,
            changed_fields TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (article_url, version)
        )
        """
    )
    db["article_versions"].create_index(["page_id"])  # type: ignore[union-attr]


VIEWS = {
    "latest_articles": """
        SELECT a.url, a.site, a.title, a.authors, a.date_published,
               substr(a.date_published, 1, 10) AS published_day, a.date_modified,
               a.language, a.sitename, a.description, p.fetched_at
        FROM articles a JOIN pages p ON p.id = a.page_id
        ORDER BY coalesce(a.date_published, p.fetched_at) DESC
    """,
    "articles_per_day": """
        SELECT site, substr(date_published, 1, 10) AS day, count(*) AS articles
        FROM articles WHERE date_published IS NOT NULL
        GROUP BY site, day ORDER BY day DESC, site
    """,
    "related_graph": """
        SELECT l.from_url, f.title AS from_title, l.to_url, t.title AS to_title,
               l.anchor_text, l.position, l.listed_date, l.listed_date_raw,
               t.url IS NOT NULL AS to_archived
        FROM links l
        LEFT JOIN articles f ON f.url = l.from_url
        LEFT JOIN articles t ON t.url = l.to_url
        WHERE l.kind = 'related'
    """,
    "date_disagreements": """
        SELECT article_url, min(substr(value, 1, 10)) AS earliest_day,
               max(substr(value, 1, 10)) AS latest_day, count(*) AS candidates,
               group_concat(source || '=' || value, ' | ') AS evidence
        FROM date_evidence WHERE field = 'published'
        GROUP BY article_url
        HAVING julianday(max(substr(value, 1, 10))) - julianday(min(substr(value, 1, 10))) > 1
    """,
    "articles_without_date": """
        SELECT a.url, a.site, a.title, p.fetched_at
        FROM articles a JOIN pages p ON p.id = a.page_id
        WHERE a.date_published IS NULL
    """,
    "article_edits": """
        SELECT v.article_url, a.title, v.version, v.fetched_at AS edited_seen_at,
               v.changed_fields, a.date_published
        FROM article_versions v JOIN articles a ON a.url = v.article_url
        WHERE v.version > 1
        ORDER BY v.fetched_at DESC
    """,
    "crawl_runs": """
        SELECT id, started_at, finished_at,
               round((julianday(finished_at) - julianday(started_at)) * 86400, 1) AS seconds,
               status, command,
               json_extract(stats, '$."newsarchive/pages_stored"') AS pages,
               json_extract(stats, '$."newsarchive/articles_stored"') AS articles,
               json_extract(stats, '$."newsarchive/links_recorded"') AS links,
               json_extract(stats, '$."newsarchive/outcome/error"') AS http_errors,
               (SELECT group_concat(substr(key, 21) || '=' || value, ', ')
                FROM json_each(stats) WHERE key LIKE 'newsarchive/outcome/%') AS outcomes
        FROM crawls ORDER BY id DESC
    """,
    "pages_list": """
        SELECT id, url, final_url, status, fetched_at, content_type, encoding, encoding_reason,
               body_size, sha256, outcome, error, crawl_id, depth, via_url
        FROM pages
    """,
}


@migrations()
def m004_views(db: Database) -> None:
    """Ready-made queries as SQL views (work in every Datasette version)."""
    for name, sql in VIEWS.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {sql.strip()}")


@migrations()
def m005_published_day(db: Database) -> None:
    """articles.published_day: the Rome day of publication, for facets and per-day counts."""
    db.execute("ALTER TABLE articles ADD COLUMN published_day TEXT")
    rows = db.execute("SELECT url, date_published FROM articles").fetchall()
    db.conn.executemany(
        "UPDATE articles SET published_day = ? WHERE url = ?",
        [(local_day(value), url) for url, value in rows],
    )
    db["articles"].create_index(["published_day"])  # type: ignore[union-attr]
    db.execute("DROP VIEW IF EXISTS articles_per_day")
    db.execute(
        """CREATE VIEW articles_per_day AS
           SELECT site, published_day AS day, count(*) AS articles
           FROM articles WHERE published_day IS NOT NULL
           GROUP BY site, published_day ORDER BY day DESC, site"""
    )
    db.execute("DROP VIEW IF EXISTS latest_articles")
    db.execute(
        """CREATE VIEW latest_articles AS
           SELECT a.url, a.site, a.title, a.authors, a.date_published, a.published_day,
                  a.date_modified, a.language, a.sitename, a.description, p.fetched_at
           FROM articles a JOIN pages p ON p.id = a.page_id
           ORDER BY coalesce(a.date_published, p.fetched_at) DESC"""
    )


QUERY_VIEWS = {
    # The 1,000 newest articles: bounded, so that Datasette can count and page it instantly.
    "latest_articles": """
        SELECT a.url, a.site, a.title, a.authors, a.date_published, a.published_day,
               a.date_modified, a.language, a.sitename, a.description,
               (SELECT fetched_at FROM pages WHERE id = a.page_id) AS fetched_at
        FROM articles a
        ORDER BY a.date_published DESC
        LIMIT 1000
    """,
    # Scalar subqueries instead of joins: counting the view only touches the kind index.
    "related_graph": """
        SELECT l.from_url, (SELECT title FROM articles WHERE url = l.from_url) AS from_title,
               l.to_url, (SELECT title FROM articles WHERE url = l.to_url) AS to_title,
               l.anchor_text, l.position, l.listed_date, l.listed_date_raw,
               EXISTS (SELECT 1 FROM articles WHERE url = l.to_url) AS to_archived
        FROM links l
        WHERE l.kind = 'related'
    """,
    "article_edits": """
        SELECT v.article_url, (SELECT title FROM articles WHERE url = v.article_url) AS title,
               v.version, v.fetched_at AS edited_seen_at, v.changed_fields,
               (SELECT date_published FROM articles WHERE url = v.article_url) AS date_published
        FROM article_versions v
        WHERE v.version > 1
        ORDER BY v.fetched_at DESC
    """,
}


@migrations()
def m006_query_indexes(db: Database) -> None:
    """Indexes behind the Datasette facets and views; views that count in milliseconds."""
    db["articles"].create_index(["language"])  # type: ignore[union-attr]
    db["articles"].create_index(["published_day", "site"])  # type: ignore[union-attr]
    db["links"].create_index(["kind"])  # type: ignore[union-attr]
    db["article_versions"].create_index(["fetched_at"])  # type: ignore[union-attr]
    for name, sql in QUERY_VIEWS.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {sql.strip()}")


@migrations()
def m007_published_spread(db: Database) -> None:
    """articles.published_spread_days: how far apart the publication-date candidates are."""
    db.execute("ALTER TABLE articles ADD COLUMN published_spread_days REAL")
    db.execute(
        """UPDATE articles SET published_spread_days = (
               SELECT round(julianday(substr(max(value), 1, 10))
                            - julianday(substr(min(value), 1, 10)), 1)
               FROM date_evidence e
               WHERE e.article_url = articles.url AND e.field = 'published')"""
    )
    db["articles"].create_index(["published_spread_days"])  # type: ignore[union-attr]
    db.execute("DROP VIEW IF EXISTS date_disagreements")
    db.execute(
        """CREATE VIEW date_disagreements AS
           SELECT a.url AS article_url, a.title, a.date_published, a.published_spread_days,
                  (SELECT group_concat(source || '=' || value, ' | ') FROM date_evidence e
                   WHERE e.article_url = a.url AND e.field = 'published') AS evidence
           FROM articles a
           WHERE a.published_spread_days > 1"""
    )


@migrations()
def m008_scheduled_jobs(db: Database) -> None:
    """discoveries, the persistent crawl frontier, and bodies shared by identical re-fetches."""
    db.execute(
        """
        CREATE TABLE discoveries (
            url TEXT NOT NULL,
            via TEXT NOT NULL,
            source_url TEXT NOT NULL DEFAULT '',
            first_seen_at TEXT NOT NULL,
            listed_title TEXT,
            listed_date_raw TEXT,
            listed_date TEXT,
            keywords TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (url, via, source_url)
        )
        """
    )
    db["discoveries"].create_index(["first_seen_at"])  # type: ignore[union-attr]
    db.execute(
        """
        CREATE TABLE frontier (
            url TEXT PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'article',
            depth INTEGER NOT NULL DEFAULT 0,
            via_url TEXT,
            max_depth INTEGER NOT NULL DEFAULT 0,
            related_selector TEXT,
            queued_at TEXT NOT NULL,
            crawl_id INTEGER REFERENCES crawls(id),
            attempts INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db["frontier"].create_index(["crawl_id"])  # type: ignore[union-attr]
    # A re-fetch whose body is byte-identical to an earlier page stores no second copy:
    # body is NULL and body_page_id names the page that holds the bytes (also for HTTP 304).
    db.execute("ALTER TABLE pages ADD COLUMN body_page_id INTEGER REFERENCES pages(id)")
    db["pages"].create_index(["body_page_id"])  # type: ignore[union-attr]


@migrations()
def m009_triggers_and_credentials(db: Database) -> None:
    """The raw-page immutability triggers on every archive; no credentials in stored runs.

    The triggers were added to m001 after archives had been created with it: those archives
    never got them. They are (re)created here with IF NOT EXISTS (m001 stays as it is: archives
    created since have them already). Seed URLs with user:password@ were kept in crawls.command
    and crawls.seeds (served by Datasette): stripped.
    """
    db.execute(
        """
        CREATE TRIGGER IF NOT EXISTS pages_raw_immutable
        BEFORE UPDATE OF url, final_url, status, fetched_at, headers, body, compression,
                         body_size, sha256 ON pages
        BEGIN SELECT RAISE(ABORT, 'pages are immutable: raw columns cannot change'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER IF NOT EXISTS pages_raw_undeletable BEFORE DELETE ON pages
        BEGIN SELECT RAISE(ABORT, 'pages are immutable: they cannot be deleted'); END
        """
    )
    rows = db.execute("SELECT id, command, seeds FROM crawls").fetchall()
    db.conn.executemany(
        "UPDATE crawls SET command = ?, seeds = ? WHERE id = ?",
        [
            (strip_credentials(command), strip_credentials(seeds), crawl_id)
            for crawl_id, command, seeds in rows
            if strip_credentials(command) != command or strip_credentials(seeds) != seeds
        ],
    )


@migrations()
def m010_canonical_claims(db: Database) -> None:
    """pages.canonical_claim: the rel=canonical URL a page named, other than its own (derived:
    the article is stored under it only when the claim is consistent)."""
    db.execute("ALTER TABLE pages ADD COLUMN canonical_claim TEXT")
    db["pages"].create_index(["canonical_claim"])  # type: ignore[union-attr]
    db.execute("DROP VIEW IF EXISTS pages_list")
    db.execute(
        """CREATE VIEW pages_list AS
           SELECT id, url, final_url, status, fetched_at, content_type, encoding,
                  encoding_reason, body_size, sha256, outcome, error, crawl_id, depth, via_url,
                  canonical_claim
           FROM pages"""
    )


@migrations()
def m011_versions_text_once(db: Database) -> None:
    """A version's text is stored once: the latest version's `text` becomes NULL and stands
    for `articles.text` (which keeps the paragraph breaks the versions used to flatten);
    `article_version_texts` gives every version with its text."""
    latest = db.execute(
        """SELECT v.article_url, v.version, v.text, a.text FROM article_versions v
           JOIN articles a ON a.url = v.article_url
           WHERE v.text IS NOT NULL AND v.version = (SELECT max(version) FROM article_versions
                                                     WHERE article_url = v.article_url)"""
    ).fetchall()
    for url, version, text, article_text in latest:
        # earlier rows hold the whitespace-normalized text: the same content as the article's
        if article_text is not None and " ".join(text.split()) == " ".join(article_text.split()):
            db.execute(
                "UPDATE article_versions SET text = NULL WHERE article_url = ? AND version = ?",
                [url, version],
            )
    db.execute("DROP VIEW IF EXISTS article_version_texts")
    db.execute(
        """CREATE VIEW article_version_texts AS
           SELECT v.article_url, v.version, v.fetched_at, v.page_id, v.title,
                  coalesce(v.text, a.text) AS text, v.changed_fields
           FROM article_versions v JOIN articles a ON a.url = v.article_url"""
    )


@migrations()
def m012_warc_provenance(db: Database) -> None:
    """Request headers of each fetch; WARC provenance of imported pages; the import log."""
    # the headers the crawler sent (JSON object; NULL for pages fetched before this migration)
    db.execute("ALTER TABLE pages ADD COLUMN request_headers TEXT")
    # pages imported from a WARC: the file (path or URL), the record's offset and length in
    # it, its WARC-Record-ID (unique: importing a file twice adds nothing)
    db.execute("ALTER TABLE pages ADD COLUMN warc_file TEXT")
    db.execute("ALTER TABLE pages ADD COLUMN warc_offset INTEGER")
    db.execute("ALTER TABLE pages ADD COLUMN warc_length INTEGER")
    db.execute("ALTER TABLE pages ADD COLUMN warc_record_id TEXT")
    db.execute(
        "CREATE UNIQUE INDEX idx_pages_warc_record_id ON pages (warc_record_id)"
        " WHERE warc_record_id IS NOT NULL"
    )
    db.execute(
        """
        CREATE TRIGGER pages_provenance_immutable
        BEFORE UPDATE OF request_headers, warc_file, warc_offset, warc_length, warc_record_id
        ON pages
        BEGIN SELECT RAISE(ABORT, 'pages are immutable: raw columns cannot change'); END
        """
    )
    db.execute(
        """
        CREATE TABLE warc_imports (
            source TEXT PRIMARY KEY,
            crawl_id INTEGER REFERENCES crawls(id),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            next_offset INTEGER NOT NULL DEFAULT 0,
            records INTEGER NOT NULL DEFAULT 0,
            pages_stored INTEGER NOT NULL DEFAULT 0,
            bad_records INTEGER NOT NULL DEFAULT 0
        )
        """
    )


@migrations()
def m013_page_kind_and_errors(db: Database) -> None:
    """pages.kind (what was fetched: article, feed, sitemap, listing), set once and never
    changed; frontier.last_error and last_error_at (why a queued URL could not be fetched)."""
    db.execute("ALTER TABLE pages ADD COLUMN kind TEXT NOT NULL DEFAULT 'article'")
    # Existing pages: a source page's outcome said what it was, unless `reextract` rewrote
    # it (issue 12.2); a URL that discoveries name as their source was a source page too.
    db.execute("UPDATE pages SET kind = outcome WHERE outcome IN ('feed', 'sitemap', 'listing')")
    db.execute(
        """UPDATE pages SET kind = (SELECT d.via FROM discoveries d
                                    WHERE d.source_url = pages.url ORDER BY d.via LIMIT 1)
           WHERE kind = 'article' AND url IN (SELECT source_url FROM discoveries)"""
    )
    db.execute(
        "UPDATE pages SET outcome = kind, error = NULL"
        " WHERE kind != 'article' AND status < 400 AND outcome IS NOT kind"
    )
    db.execute(
        """CREATE TRIGGER pages_kind_immutable BEFORE UPDATE OF kind ON pages
           WHEN NEW.kind IS NOT OLD.kind
           BEGIN SELECT RAISE(ABORT, 'pages are immutable: kind cannot change'); END"""
    )
    db.execute("ALTER TABLE frontier ADD COLUMN last_error TEXT")
    db.execute("ALTER TABLE frontier ADD COLUMN last_error_at TEXT")
    db.execute("DROP VIEW IF EXISTS pages_list")  # the Datasette face of pages: with kind
    db.execute(f"CREATE VIEW pages_list AS {PAGES_LIST_WITH_KIND}")


PAGES_LIST_WITH_KIND = """
    SELECT id, url, final_url, status, fetched_at, content_type, encoding, encoding_reason,
           body_size, sha256, kind, outcome, error, crawl_id, depth, via_url, canonical_claim
    FROM pages
"""


@migrations()
def m014_shard_origin(db: Database) -> None:
    """crawls.shard and crawls.shard_crawl_id: where a run merged from a shard came from."""
    db.execute("ALTER TABLE crawls ADD COLUMN shard TEXT")
    db.execute("ALTER TABLE crawls ADD COLUMN shard_crawl_id INTEGER")
    db.execute(
        "CREATE UNIQUE INDEX idx_crawls_shard_origin ON crawls (shard, shard_crawl_id)"
        " WHERE shard IS NOT NULL"
    )


@migrations()
def m015_zstd_dictionaries(db: Database) -> None:
    """zstd_dictionaries (per-site zstd dictionaries, never changed); a body may be replaced
    only by a recompression of the very same bytes (`newsarchive compact`).

    pages_raw_immutable no longer covers body and compression: pages_body_same_bytes lets
    them change together only when the new blob decompresses to bytes whose sha256 is the
    page's. The check is newsarchive_body_sha256(), which newsarchive registers on its
    connections: any other connection (sqlite3 shell, Datasette) cannot change a body at all.
    """
    db.execute(
        """
        CREATE TABLE zstd_dictionaries (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            created_at TEXT NOT NULL,
            pages INTEGER NOT NULL,
            data BLOB NOT NULL,  -- the dictionary, itself compressed with plain zstd
            sha256 TEXT NOT NULL  -- of the dictionary (uncompressed)
        )
        """
    )
    db.execute("CREATE INDEX idx_zstd_dictionaries_site ON zstd_dictionaries (site)")
    db.execute(
        """CREATE TRIGGER zstd_dictionaries_immutable BEFORE UPDATE ON zstd_dictionaries
           BEGIN SELECT RAISE(ABORT, 'zstd dictionaries are immutable'); END"""
    )
    db.execute(
        """CREATE TRIGGER zstd_dictionaries_undeletable BEFORE DELETE ON zstd_dictionaries
           BEGIN SELECT RAISE(ABORT, 'zstd dictionaries are immutable'); END"""
    )
    db.execute("DROP TRIGGER IF EXISTS pages_raw_immutable")
    db.execute(
        """
        CREATE TRIGGER pages_raw_immutable
        BEFORE UPDATE OF url, final_url, status, fetched_at, headers, body_size, sha256 ON pages
        BEGIN SELECT RAISE(ABORT, 'pages are immutable: raw columns cannot change'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER pages_body_same_bytes BEFORE UPDATE OF body, compression ON pages
        WHEN OLD.body IS NULL OR NEW.body IS NULL
             OR newsarchive_body_sha256(NEW.body, NEW.compression,
                    (SELECT data FROM zstd_dictionaries
                     WHERE NEW.compression = 'zstd:dict:' || id)) IS NOT OLD.sha256
        BEGIN
            SELECT RAISE(ABORT, 'pages are immutable: a body can only be recompressed');
        END
        """
    )


@migrations()
def m016_extraction_inputs(db: Database) -> None:
    """pages.related_selector and pages.tz: what extraction was given besides the response
    (the run's --related-selector and NEWSARCHIVE_TZ), so that `reextract` gives the page the
    very same extraction. NULL for earlier fetches: `reextract` then uses its options or the
    defaults, as before. Set at the fetch, never changed."""
    db.execute("ALTER TABLE pages ADD COLUMN related_selector TEXT")
    db.execute("ALTER TABLE pages ADD COLUMN tz TEXT")
    db.execute(
        """CREATE TRIGGER pages_extraction_inputs_immutable
           BEFORE UPDATE OF related_selector, tz ON pages
           WHEN NEW.related_selector IS NOT OLD.related_selector OR NEW.tz IS NOT OLD.tz
           BEGIN SELECT RAISE(ABORT, 'pages are immutable: extraction inputs cannot change'); END"""
    )


@migrations()
def m017_fts_sync_on_indexed_columns(db: Database) -> None:
    """The full-text index follows an article only when one of its indexed columns is written:
    articles_au fired on every UPDATE of articles and re-tokenized the whole text, e.g. each
    time a new page listing an archived article changed its published_spread_days."""
    columns = ", ".join(FTS_COLUMNS)
    old_values = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new_values = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(
        f"""
        CREATE TRIGGER "articles_au" AFTER UPDATE OF {columns} ON "articles" BEGIN
          INSERT INTO "articles_fts" ("articles_fts", rowid, {columns})
          VALUES ('delete', old.rowid, {old_values});
          INSERT INTO "articles_fts" (rowid, {columns}) VALUES (new.rowid, {new_values});
        END
        """
    )
