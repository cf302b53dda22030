"""The archive: schema by migrations, raw pages immutable, derived rows written only on change."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3

import pytest

from newsarchive.store import migrations
from newsarchive.store.archive import Archive
from newsarchive.store.bodies import decompress
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_pages import BASE, raw_page, store
from newsarchive_testing.fixture_site import SITE_DIR


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "archive.db") as a:
        yield a


def test_all_migrations_applied(archive):
    assert migrations.pending(archive.db) == []


def test_schema_tables(archive):
    expected = {"pages", "articles", "links", "crawls", "date_evidence", "article_versions"}
    assert expected <= set(archive.db.table_names())


def test_wal_mode(archive):
    assert archive.db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_foreign_keys_declared_and_indexed(archive):
    fks = {
        (fk.table, fk.column)
        for t in ("pages", "articles", "links")
        for fk in archive.db[t].foreign_keys
    }
    indexed = {
        (t, i.columns[0]) for t in ("pages", "articles", "links") for i in archive.db[t].indexes
    }
    assert fks == {
        ("pages", "crawl_id"),
        ("pages", "body_page_id"),
        ("articles", "page_id"),
        ("links", "from_url"),
    }
    assert {("pages", "crawl_id"), ("articles", "page_id")} <= indexed


def test_reopening_applies_nothing_new(tmp_path):
    Archive(tmp_path / "a.db").close()
    with Archive(tmp_path / "a.db") as again:
        count = again.db.conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert count == len(migrations.migrations._migrations)


def test_body_is_compressed_and_round_trips(archive):
    page = raw_page()
    page_id = store(archive, page)
    blob, size, compression = archive.db.conn.execute(
        "SELECT body, body_size, compression FROM pages WHERE id = ?", (page_id,)
    ).fetchone()
    assert (decompress(blob, compression), size, len(blob) < size, compression) == (
        page.body,
        len(page.body),
        True,
        "zstd",
    )


def test_stored_page_reads_back(archive):
    page = raw_page()
    stored = archive.pages.get(store(archive, page))
    assert (stored.body, stored.url, stored.headers) == (page.body, page.url, page.headers)


def test_extraction_inputs_are_stored_with_the_page(archive):
    """The related selector and time zone the crawl gave extraction read back with the page."""
    page = dataclasses.replace(raw_page(), related_selector="aside li", tz="America/New_York")
    stored = archive.pages.get(store(archive, page))
    assert (stored.related_selector, stored.tz) == ("aside li", "America/New_York")


def test_extraction_inputs_cannot_be_rewritten(archive):
    page_id = store(archive, dataclasses.replace(raw_page(), tz="Europe/Rome"))
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute("UPDATE pages SET tz = 'UTC' WHERE id = ?", (page_id,))


def test_raw_columns_cannot_be_rewritten(archive):
    page_id = store(archive, raw_page())
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute("UPDATE pages SET body = x'00' WHERE id = ?", (page_id,))


def test_pages_cannot_be_deleted(archive):
    page_id = store(archive, raw_page())
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute("DELETE FROM pages WHERE id = ?", (page_id,))


def test_fts_finds_accentless_query(archive):
    store(
        archive,
        raw_page(truth.CP1252_PATH, (SITE_DIR / truth.CP1252_PATH.lstrip("/")).read_bytes()),
    )
    hits = archive.db.conn.execute(
        "SELECT a.url FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        " WHERE articles_fts MATCH 'citta'"
    ).fetchall()
    assert [h[0] for h in hits] == [BASE + truth.CP1252_PATH]


def test_fts_reindexes_an_article_only_when_an_indexed_column_is_written(archive):
    """An update of other columns (published_spread_days, on every page that lists the
    article) leaves the index alone; a new title is indexed."""
    store(archive, raw_page())
    conn = archive.db.conn

    def rows_written(sql):
        before = conn.total_changes  # counts the rows the triggers write too
        with archive.write():
            conn.execute(sql)
        return conn.total_changes - before

    other = rows_written("UPDATE articles SET published_spread_days = 3")
    indexed = rows_written("UPDATE articles SET title = 'Zanzibar'")
    hits = conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zanzibar'")
    assert (other, indexed > 1, len(hits.fetchall())) == (1, True, 1)


def test_a_refetch_with_the_same_content_is_not_reindexed(archive):
    """A new fetch of an unchanged article updates its row (page_id), not its full-text index
    (whose structure record changes with every write to it)."""
    page = raw_page()
    store(archive, page)
    structure = "SELECT block FROM articles_fts_data WHERE id = 10"
    before = archive.db.conn.execute(structure).fetchone()
    refetch = raw_page(body=page.body + b"<!-- -->", fetched_at="2024-12-07T09:00:00.000+00:00")
    second = store(archive, refetch)
    page_id = archive.db.conn.execute("SELECT page_id FROM articles").fetchone()[0]
    after = archive.db.conn.execute(structure).fetchone()
    assert (page_id, after == before) == (second, True)


def test_same_content_twice_adds_no_version(archive):
    store(archive, raw_page())
    store(archive, raw_page(fetched_at="2024-12-07T09:00:00.000+00:00"))
    assert [v["version"] for v in archive.read.versions(BASE + truth.SEED_PATH)] == [1]


def test_changed_title_adds_a_version_with_changed_fields(archive):
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    store(archive, raw_page(body=body))
    edited = body.replace(b"soldati in Ucraina contro l'Occidente", b"truppe in Ucraina")
    store(archive, raw_page(body=edited, fetched_at="2024-12-07T09:00:00.000+00:00"))
    versions = archive.read.versions(BASE + truth.SEED_PATH)
    assert [(v["version"], json.loads(v["changed_fields"])) for v in versions] == [
        (1, []),
        (2, ["title"]),
    ]


def test_is_archived_by_url_final_url_and_article(archive):
    store(archive, raw_page())
    assert (
        archive.frontier.is_archived(BASE + truth.SEED_PATH),
        archive.frontier.is_archived(BASE + "/nope"),
    ) == (
        True,
        False,
    )


def test_related_targets_in_page_order(archive):
    store(archive, raw_page())
    targets = archive.read.related_targets(BASE + truth.SEED_PATH)
    assert targets[0] == BASE + truth.TRACKING_TO and len(targets) == 8


def test_crawl_rows(archive):
    crawl_id = archive.runs.start(command="newsarchive crawl x", seeds=["x"], started_at="t0")
    archive.runs.finish(crawl_id, finished_at="t1", stats={"a": 1}, status="finished")
    row = archive.runs.get(crawl_id)
    assert (row["status"], json.loads(row["stats"])) == ("finished", {"a": 1})


def test_unopenable_file_is_a_storage_error(tmp_path):
    from newsarchive.store.archive import StorageError

    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open archive"):
        Archive(bad)


def test_identical_refetch_stores_no_second_body(archive):
    first = store(archive, raw_page())
    second = store(archive, raw_page(fetched_at="2024-12-07T09:00:00.000+00:00"))
    row = archive.db.conn.execute(
        "SELECT body IS NULL, body_page_id FROM pages WHERE id = ?", (second,)
    ).fetchone()
    assert (tuple(row), archive.pages.get(second).body == archive.pages.get(first).body) == (
        (1, first),
        True,
    )


def test_not_modified_points_at_the_stored_body(archive):
    first = store(archive, raw_page())
    page = raw_page(body=b"", fetched_at="2024-12-07T09:00:00.000+00:00")
    page.status = 304
    second = archive.pages.record_fetch(
        page, None, outcome="not_modified", error=None, crawl_id=None, extracted_at="x"
    )
    assert archive.pages.get(second).body == archive.pages.get(first).body


def test_conditional_headers_from_the_last_response(archive):
    page = raw_page()
    page.headers = {"ETag": '"abc"', "Last-Modified": "Wed, 20 Nov 2024 03:15:00 GMT"}
    store(archive, page)
    assert archive.pages.conditional_headers(page.url) == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Wed, 20 Nov 2024 03:15:00 GMT",
    }


def test_frontier_survives_and_clears_when_stored(archive):
    url = BASE + truth.SEED_PATH
    archive.frontier.enqueue(
        [{"url": url, "depth": 0, "max_depth": 1}], crawl_id=None, queued_at="t"
    )
    queued = [r["url"] for r in archive.frontier.queued()]
    store(archive, raw_page())
    assert (queued, archive.frontier.queued()) == ([url], [])


def test_discoveries_recorded_once(archive):
    row = {"url": BASE + "/a", "via": "feed", "source_url": BASE + "/rss", "listed_title": "A"}
    first = archive.frontier.record_discoveries([row], seen_at="t1")
    again = archive.frontier.record_discoveries([row], seen_at="t2")
    assert (first, again) == (1, 0)


def test_due_rechecks_follow_the_schedule(archive):
    store(archive, raw_page(fetched_at="2024-12-06T09:00:00.000+00:00"))
    url = BASE + truth.SEED_PATH
    early = archive.frontier.due_rechecks(
        now="2024-12-06T09:30:00+00:00", schedule_hours=[1, 6], limit=10
    )
    due = archive.frontier.due_rechecks(
        now="2024-12-06T10:01:00+00:00", schedule_hours=[1, 6], limit=10
    )
    assert (early, due) == ([], [url])


def _listed(archive, url):
    return archive.db.conn.execute(
        "SELECT source, raw, value, chosen FROM date_evidence"
        " WHERE article_url = ? AND source LIKE 'listed:%'",
        (url,),
    ).fetchall()


@pytest.mark.parametrize("order", ["linking page first", "linked page first"])
def test_listed_date_of_a_linking_page_is_evidence(tmp_path, order):
    pages = [truth.SEED_PATH, truth.TRACKING_TO]
    if order == "linked page first":
        pages.reverse()
    with Archive(tmp_path / "a.db") as archive:
        for path in pages:
            store(archive, raw_page(path))
        got = _listed(archive, BASE + truth.TRACKING_TO)
    assert got == [("listed:related", "20 novembre 2024 · 03:15", "2024-11-20T03:15:00+01:00", 0)]


def test_a_dropped_link_takes_its_listed_date_evidence_with_it(tmp_path):
    seed = raw_page(truth.SEED_PATH)
    item = re.compile(rb"<li><time[^<]*</time><a href=\"" + re.escape(truth.TRACKING_TO.encode()))
    assert item.search(seed.body)
    edited = raw_page(
        truth.SEED_PATH,
        body=item.sub(b'<li><a href="/altro.html"', seed.body),
        fetched_at="2024-12-07T09:00:00.000+00:00",
    )
    with Archive(tmp_path / "a.db") as archive:
        store(archive, seed)
        store(archive, raw_page(truth.TRACKING_TO))
        assert len(_listed(archive, BASE + truth.TRACKING_TO)) == 1
        store(archive, edited)  # the seed no longer links to it
        assert _listed(archive, BASE + truth.TRACKING_TO) == []


def _selects_storing(archive, page):
    """The SELECT statements storing page runs."""
    selects: list[str] = []
    archive.db.conn.set_trace_callback(
        lambda sql: selects.append(sql) if sql.lstrip().upper().startswith("SELECT") else None
    )
    try:
        store(archive, page)
    finally:
        archive.db.conn.set_trace_callback(None)
    return selects


def test_listed_dates_of_linked_articles_are_read_in_one_go(tmp_path):
    """Storing a page re-derives the listed-date evidence of the archived articles it links to
    with as many queries whether one or four of them are archived (not a few per article)."""
    linked = [
        truth.TRACKING_TO,
        truth.NO_RELATED_PATH,
        "/esteri/2024/11/17/guerra-giorno-mille.html",
        "/economia/2024/11/12/prezzi-energia-citta.html",
    ]
    # as many pages in both archives (the site's dictionary is made at the same point)
    unlinked = [
        "/esteri/2024/11/03/kiev-blackout.html",
        "/esteri/2024/11/05/elezioni-usa-risultati.html",
        "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html",
    ]
    counts = []
    for archived in (linked[:1] + unlinked, linked):
        with Archive(tmp_path / f"{len(counts)}.db") as archive:
            for path in archived:
                store(archive, raw_page(path))
            counts.append(len(_selects_storing(archive, raw_page())))
            assert _listed(archive, BASE + truth.TRACKING_TO)  # re-derived
    assert counts[0] == counts[1]


def test_source_interval_doubles_while_unchanged(archive):
    feed = b"<rss><channel><item><link>https://www.example.it/a</link></item></channel></rss>"
    waits = []
    for i, body in enumerate([feed, feed + b" ", feed + b" ", feed + b" "]):
        page = raw_page(body=body, fetched_at=f"2024-12-06T0{i}:00:00.000+00:00")
        page.url = page.final_url = "https://www.example.it/rss.xml"
        archive.pages.record_fetch(
            page, None, outcome="feed", error=None, crawl_id=None, extracted_at="x"
        )
        waits.append(archive.frontier.source_interval(page.url, min_minutes=5, max_minutes=15)[1])
    assert waits == [5, 5, 10, 15]


def test_previous_body_looked_up_once_gives_the_same_rows(archive):
    first = store(archive, raw_page())
    page = raw_page(fetched_at="2024-12-07T09:00:00.000+00:00")
    previous = archive.pages.latest_body(page.url, page.final_url)
    assert (
        archive.pages.unchanged_outcome(page.url, page.final_url, page.body, previous) == "article"
    )
    second = archive.pages.record_fetch(
        page,
        None,
        outcome="article",
        error=None,
        crawl_id=None,
        extracted_at="x",
        previous=previous,
    )
    row = archive.db.conn.execute(
        "SELECT body IS NULL, body_page_id FROM pages WHERE id = ?", (second,)
    ).fetchone()
    assert tuple(row) == (1, first)


def test_an_unchanged_refetch_is_not_compressed(archive, monkeypatch):
    """Bytes the caller knows are stored already (an unchanged re-check) are never compressed:
    no second copy is kept, so compressing them was CPU spent for nothing."""
    from newsarchive.store import bodies

    store(archive, raw_page())
    page = raw_page(fetched_at="2024-12-07T09:00:00.000+00:00")
    previous = archive.pages.latest_body(page.url, page.final_url)
    compressed: list[bytes | None] = []
    real = bodies._compressor
    monkeypatch.setattr(
        bodies, "_compressor", lambda dictionary: compressed.append(dictionary) or real(dictionary)
    )
    second = archive.pages.record_fetch(
        page, None, outcome="article", error=None, crawl_id=None, extracted_at="x",
        previous=previous,
    )  # fmt: skip
    row = archive.db.conn.execute(
        "SELECT body IS NULL, compression FROM pages WHERE id = ?", (second,)
    ).fetchone()
    assert (tuple(row), compressed) == ((1, "zstd"), [])


def test_shared_archive_is_one_connection_until_its_last_user_closes(tmp_path):
    first = Archive.shared(tmp_path / "archive.db")
    second = Archive.shared(tmp_path / "archive.db")
    assert second is first
    first.close()
    assert second.read.counts()["pages"] == 0  # still open for its other user
    second.close()
    third = Archive.shared(tmp_path / "archive.db")
    assert third is not first
    third.close()


def test_a_write_inside_a_write_is_undone_alone_and_committed_with_the_outer(archive):
    """A batch (import-warc) holds one transaction; each write inside it is a savepoint."""
    insert = "INSERT INTO crawls (started_at, command, seeds, stats) VALUES ('t', ?, '[]', '{}')"
    with archive.write() as conn:
        conn.execute(insert, ("outer",))
        with pytest.raises(RuntimeError), archive.write() as inner:
            inner.execute(insert, ("inner",))
            raise RuntimeError("a page failed")
        conn.execute(insert, ("after",))
    commands = [r[0] for r in archive.db.conn.execute("SELECT command FROM crawls ORDER BY id")]
    assert commands == ["outer", "after"]
