"""Issue 12, "right the first hour": what a new user meets first (errors, exit codes, feeds
served as XML, re-extraction of sources, unreachable seeds, serve, export, extract)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import socket

import pytest
from click.testing import CliRunner
from conftest import FAST, run_cli

from newsarchive.cli import cli
from newsarchive.crawl.fetch_errors import cause_of
from newsarchive.crawl.reextract import reextract
from newsarchive.extract.discovery import looks_like_feed
from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_pages import BASE, FETCHED_AT, raw_page, store
from newsarchive_testing.fixture_site import SITE_DIR


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# --- item 17: extract .html.gz, JSON lines with real arrays ---------------------------------


def test_extract_accepts_html_gz(tmp_path):
    page = SITE_DIR / truth.SEED_PATH.lstrip("/")
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(page.read_bytes()))
    url = "https://www.example.it" + truth.SEED_PATH
    result = invoke("extract", str(packed), "--url", url, "--fetched-at", "2024-11-26T10:00:00Z")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["article"]["title"] == truth.ARTICLES[truth.SEED_PATH]["title"]


def test_export_jsonl_authors_are_a_list(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        store(archive, raw_page(truth.SEED_PATH))
    result = invoke("export", "--db", str(db), "--fields", "url,authors,tags")
    row = json.loads(result.output.splitlines()[0])
    assert row["url"] == BASE + truth.SEED_PATH
    assert isinstance(row["authors"], list) and isinstance(row["tags"], list)


# --- item 3: --site matches a host on any port --------------------------------------------


def _store_at(archive: Archive, base: str, path: str = truth.SEED_PATH) -> int:
    page = raw_page(path)
    page = dataclasses.replace(page, url=base + path, final_url=base + path)
    return store(archive, page)


def test_reextract_site_matches_host_with_a_port(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        _store_at(archive, "http://127.0.0.1:8765")
        _store_at(archive, "http://127.0.0.1:9999", truth.CP1252_PATH)
        assert len(archive.reextraction.pages(site="127.0.0.1")) == 2
        assert len(archive.reextraction.pages(site="127.0.0.1:8765")) == 1
        assert archive.reextraction.pages(site="127.0.0.2") == []
    result = invoke("reextract", "--db", str(db), "--site", "127.0.0.1", "--jobs", "1", "--silent")
    assert result.output.startswith("pages read: 2;")


# --- item 14: serve ------------------------------------------------------------------------


def _no_exec(monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, args: calls.append(args))
    return calls


def test_serve_on_a_busy_port_is_one_line_and_non_zero(tmp_path, monkeypatch):
    calls = _no_exec(monkeypatch)
    Archive(tmp_path / "a.db").close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["serve", "--db", str(tmp_path / "a.db"), "--port", str(port)]
        )
    assert calls == []
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is taken" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_serve_metadata_out_only_writes_the_file(tmp_path, monkeypatch):
    calls = _no_exec(monkeypatch)
    Archive(tmp_path / "a.db").close()
    out = tmp_path / "metadata.json"
    result = invoke("serve", "--db", str(tmp_path / "a.db"), "--metadata-out", str(out))
    assert result.exit_code == 0 and calls == []
    assert "databases" in json.loads(out.read_text())


def test_read_only_commands_do_not_promise_to_create_the_archive():
    for command in ("reextract", "history", "serve", "search", "export", "stats"):
        assert "created when missing" not in invoke(command, "-h").output, command
    assert "created when missing" in invoke("crawl", "-h").output


# --- item 10: one-line errors --------------------------------------------------------------

READ_COMMANDS = [
    ["stats"],
    ["search", "citta"],
    ["export"],
    ["history", "https://www.example.it/a.html"],
    ["reextract", "--jobs", "1", "--silent"],
]


def one_line_error(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def _damaged(tmp_path):
    db = tmp_path / "damaged.db"
    with Archive(db) as archive:
        for article in truth.ARTICLE_LIST:
            store(archive, raw_page(article["path"]))
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = b"\xff" * 8192
    db.write_bytes(bytes(data))
    return db


def test_a_file_that_is_not_a_database_is_one_line(tmp_path, monkeypatch):
    calls = _no_exec(monkeypatch)
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not an archive\n" * 10)
    for command in [*READ_COMMANDS, ["serve"], ["crawl", "http://127.0.0.1:9/a.html"]]:
        line = one_line_error(CliRunner().invoke(cli, [*command, "--db", str(db)]))
        assert str(db) in line, command
    assert calls == []
    assert db.read_text().startswith("these are my notes")


def test_a_half_corrupt_archive_is_not_written_nor_served(tmp_path, monkeypatch):
    calls = _no_exec(monkeypatch)
    db = _damaged(tmp_path)
    before = db.read_bytes()
    crawl = CliRunner().invoke(cli, ["crawl", "http://127.0.0.1:9/a.html", "--db", str(db)])
    assert "damaged" in one_line_error(crawl)
    assert "damaged" in one_line_error(CliRunner().invoke(cli, ["serve", "--db", str(db)]))
    assert calls == [] and db.read_bytes() == before
    for command in READ_COMMANDS:  # they may read what is sound, or fail in one line
        result = CliRunner().invoke(cli, [*command, "--db", str(db)])
        assert result.exit_code in (0, 1) and "Traceback" not in result.output, command
        if result.exit_code:
            one_line_error(result)


def test_a_read_only_archive_is_one_line(tmp_path, monkeypatch):
    import sqlite3

    db = tmp_path / "a.db"
    Archive(db).close()

    def read_only(self):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Archive, "_init", read_only)
    for command in [["reextract", "--jobs", "1"], ["crawl", "http://127.0.0.1:9/a.html"]]:
        line = one_line_error(CliRunner().invoke(cli, [*command, "--db", str(db)]))
        assert "readonly" in line, command
    # the commands that only read work on a read-only archive
    for command in [["stats"], ["search", "citta"], ["export"], ["frontier", "--all"]]:
        result = CliRunner().invoke(cli, [*command, "--db", str(db)])
        assert result.exit_code == 0, (command, result.output)


def test_unknown_time_zone_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["parse-date", "ieri", "--tz", "Europa/Roma"])
    assert "unknown time zone 'Europa/Roma'" in one_line_error(result, code=2)
    page = tmp_path / "p.html"
    page.write_text("<html><body><p>ciao</p></body></html>")
    result = CliRunner().invoke(cli, ["extract", str(page), "--url", "https://a.it/", "--tz", "X"])
    assert "unknown time zone" in one_line_error(result, code=2)


# --- item 2: re-extraction leaves feeds, sitemaps and listings what they are ---------------

DISCOVERY = SITE_DIR.parent / "discovery"


def _source_page(path: str, fixture: str, kind: str, content_type: str):
    page = raw_page(path, body=(DISCOVERY / fixture).read_bytes())
    return dataclasses.replace(page, kind=kind, headers={"Content-Type": content_type})


def test_reextract_keeps_the_outcome_of_source_pages(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        store(archive, raw_page(truth.SEED_PATH))
        sources = {
            "feed": _source_page("/rss.xml", "rss2.xml", "feed", "application/rss+xml"),
            "sitemap": _source_page("/sitemap.xml", "sitemap_news.xml", "sitemap", "text/xml"),
            "listing": _source_page("/", "home.html", "listing", "text/html"),
        }
        for kind, page in sources.items():
            archive.pages.record_fetch(
                page, None, outcome=kind, error=None, crawl_id=None, extracted_at=FETCHED_AT
            )
    reextract(db, jobs=1)
    with Archive(db) as archive:
        rows = archive.db.execute("SELECT kind, outcome FROM pages ORDER BY id").fetchall()
    assert rows == [("article", "article"), *((k, k) for k in sources)]


def test_page_kind_cannot_change(tmp_path):
    import sqlite3

    with Archive(tmp_path / "a.db") as archive:
        page = _source_page("/rss.xml", "rss2.xml", "feed", "application/rss+xml")
        archive.pages.record_fetch(
            page, None, outcome="feed", error=None, crawl_id=None, extracted_at=FETCHED_AT
        )
        with pytest.raises(sqlite3.IntegrityError, match="kind cannot change"):
            archive.db.execute("UPDATE pages SET kind = 'article'")


def test_migration_m013_recovers_the_kind_of_source_pages(tmp_path):
    from sqlite_utils import Database

    from newsarchive.store import migrations

    db = Database(tmp_path / "old.db")
    migrations.migrations.apply(db, stop_before="m013_page_kind_and_errors")
    insert = """INSERT INTO pages (url, final_url, status, fetched_at, sha256, outcome)
                VALUES (?, ?, 200, '2024-12-06T09:00:00+00:00', 'x', ?)"""
    db.execute(insert, ["https://a.it/rss", "https://a.it/rss", "feed"])
    db.execute(insert, ["https://a.it/sitemap.xml", "https://a.it/sitemap.xml", "not_html"])
    db.execute(insert, ["https://a.it/a.html", "https://a.it/a.html", "article"])
    db.execute(
        "INSERT INTO discoveries (url, via, source_url, first_seen_at)"
        " VALUES ('https://a.it/a.html', 'sitemap', 'https://a.it/sitemap.xml', 'x')"
    )
    db.conn.commit()
    migrations.apply(db)
    rows = db.execute("SELECT kind, outcome FROM pages ORDER BY id").fetchall()
    assert rows == [("feed", "feed"), ("sitemap", "sitemap"), ("article", "article")]
    listed = db.execute("SELECT kind FROM pages_list ORDER BY id").fetchall()
    assert listed == [("feed",), ("sitemap",), ("article",)]


# --- item 11 and "done when": an unreachable seed says why, exit 1; the queue is visible ----


def test_fetch_causes():
    assert cause_of("CannotResolveHostError") == "DNS"
    assert cause_of("DownloadConnectionRefusedError") == "refused"
    assert cause_of("DownloadTimeoutError") == "timeout"
    assert cause_of("DownloadFailedError", "SSL routines: certificate verify failed") == "TLS"
    assert cause_of("ResponseDataLossError", "lost") == "ResponseDataLossError"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("url", "cause", "detail"),
    [
        ("http://newsarchive-test.invalid/", "DNS", "newsarchive-test.invalid"),
        (f"http://127.0.0.1:{_free_port()}/a.html", "refused", "refused"),
    ],
)
def test_unreachable_seed_names_the_cause(tmp_path, url, cause, detail):
    db = str(tmp_path / "a.db")
    result = run_cli("crawl", url, "--db", db, *FAST, "-s", "RETRY_TIMES=0", cwd=tmp_path)
    assert result.code == 1
    assert f"fetch failures:   {cause} 1" in result.out
    assert f"failed:           {url} ({cause}: " in result.out and detail in result.out
    assert "robots" not in result.out
    stats = run_cli("stats", "--db", db, cwd=tmp_path)
    assert f"  {url}  attempts 1: {cause}: " in stats.out
    listed = run_cli("frontier", "--db", db, "--clear", cwd=tmp_path)
    assert listed.out.startswith(f"{url}  attempts 1: {cause}: ") and "cleared 1" in listed.err
    assert "queued in the frontier: 0" in run_cli("stats", "--db", db, cwd=tmp_path).out


# --- item 1: a feed is a feed by its content; a source that goes empty is a warning --------

FEED_PATH = "/rss/esteri.xml"
FEED_ITEMS = [truth.SEED_PATH, "/esteri/2024/11/03/kiev-blackout.html"]


def rss(site, paths) -> bytes:
    items = "".join(
        f"<item><title><![CDATA[{truth.ARTICLES[p]['title']}]]></title>"
        f"<link>{site.url(p)}</link><pubDate>Wed, 20 Nov 2024 03:15:00 +0100</pubDate></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Esteri</title><link>{site.url('/')}</link>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("fixture", ["rss2.xml", "rss1.rdf", "atom.xml"])
def test_feeds_look_like_feeds(fixture):
    assert looks_like_feed((DISCOVERY / fixture).read_bytes())


@pytest.mark.parametrize("fixture", ["home.html", "section.html", "sitemap_news.xml"])
def test_pages_and_sitemaps_do_not_look_like_feeds(fixture):
    assert not looks_like_feed((DISCOVERY / fixture).read_bytes())


@pytest.mark.e2e
@pytest.mark.parametrize("content_type", ["text/xml", "application/xml; charset=utf-8"])
def test_feed_served_as_xml_is_read_and_an_emptied_feed_warns(site, tmp_path, content_type):
    site.set_override(FEED_PATH, 200, {"Content-Type": content_type}, rss(site, FEED_ITEMS))
    db = str(tmp_path / "a.db")
    feed = site.url(FEED_PATH)
    first = run_cli("crawl", "--feed", feed, "--db", db, "--depth", "0", *FAST, cwd=tmp_path)
    assert first.code == 0, first.err[-2000:]
    with Archive(db) as archive:
        assert {a["url"] for a in archive.read.iter_articles(fields=["url"])} == {
            site.url(p) for p in FEED_ITEMS
        }
        assert archive.db.execute(
            "SELECT kind, outcome FROM pages WHERE url = ?", [feed]
        ).fetchall() == [("feed", "feed")]
    reextracted = invoke("reextract", "--db", db, "--jobs", "1", "--silent")
    assert reextracted.output.startswith("pages read: 2;")  # the articles, not the feed
    with Archive(db) as archive:
        kind = archive.db.execute("SELECT kind, outcome FROM pages WHERE url = ?", [feed])
        assert kind.fetchall() == [("feed", "feed")]
    site.set_override(FEED_PATH, 200, {"Content-Type": content_type}, rss(site, []))
    second = run_cli("crawl", "--feed", feed, "--db", db, "--depth", "0", *FAST, cwd=tmp_path)
    assert second.code == 0
    assert f"{feed} listed no articles (it listed 2 before)" in second.err
    stats = run_cli("stats", "--db", db, cwd=tmp_path).out
    assert f"sources that listed no articles (they listed some before):\n  run #2: {feed}" in stats


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("DOWNLOAD_DELAY=abc", "a number"), ("NEWSARCHIVE_TZ=Mars/Base", "an IANA time zone")],
)
def test_bad_setting_value_is_a_usage_error(tmp_path, setting, expected):
    url = f"http://127.0.0.1:{_free_port()}/a.html"
    result = run_cli("crawl", url, "--db", str(tmp_path / "a.db"), "-s", setting, cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"expected {expected}" in result.err.strip().splitlines()[-1]


@pytest.mark.parametrize("command", [["export"], ["search", "x"]])
def test_search_and_export_days_are_checked(tmp_path, command):
    Archive(tmp_path / "a.db").close()
    result = CliRunner().invoke(cli, [*command, "--db", str(tmp_path / "a.db"), "--since", "ieri"])
    assert "not a day (YYYY-MM-DD): 'ieri'" in one_line_error(result, code=2)


def test_frontier_command_has_an_example():
    assert "Example:" in invoke("frontier", "-h").output


def test_summary_names_at_most_ten_failed_seeds(tmp_path):
    from newsarchive.crawl.runner import CrawlResult, summary

    failures = {f"http://h{i:02}.invalid/": "DNS: DNS lookup failed" for i in range(12)}
    stats = {
        "newsarchive/fetch_failed/CannotResolveHostError": 12,
        "newsarchive/seed_failures": failures,
    }
    text = summary(CrawlResult(stats=stats, exit_code=1, status="seed_failed"), tmp_path / "a")
    assert "fetch failures:   DNS 12" in text
    assert "failed:           http://h00.invalid/ (DNS: DNS lookup failed)" in text
    assert "http://h10.invalid/" not in text and "... and 2 more" in text
