"""Issue 13 items 6-11, "nothing lost, nothing leaked": integrity faults of the archive itself.

Foreign and newer databases, unreadable bodies, credentials and raw bodies reaching Datasette,
the durability of a finished run, snapshots of a live archive, CLI input that used to print a
traceback. Each case failed before its fix. bench/reliability.py reports the same cases
(its `integrity` scenario).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

import pytest
from conftest import run_cli

from newsarchive.crawl.reextract import reextract
from newsarchive.store import migrations
from newsarchive.store.archive import Archive, NotAnArchiveError, SchemaTooNewError
from newsarchive_testing import integrity as checks
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_pages import raw_page, store
from newsarchive_testing.integrity import (
    SECRET,
    SITE,
    add_raw_page,
    articles_and_versions,
    build_archive,
    derived_rows,
    edited_archive,
    fetch,
    fetch_into,
    foreign_db,
    one_line_error,
    page_html,
    sql,
)
from newsarchive_testing.redis_server import free_port

# --- item 8: foreign and future databases -------------------------------------------------


def test_another_apps_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = foreign_db(tmp_path / "other-app.sqlite")
    before = db.read_bytes()
    result = run_cli("stats", "--db", str(db), cwd=tmp_path)
    assert one_line_error(result), result
    assert "not a newsarchive archive" in result.err
    assert db.read_bytes() == before  # no WAL switch, no tables added
    assert not (tmp_path / "other-app.sqlite-wal").exists()


def test_another_apps_sqlite_file_is_refused_by_the_store(tmp_path: Path) -> None:
    with pytest.raises(NotAnArchiveError):
        Archive(foreign_db(tmp_path / "x.sqlite"))


@pytest.mark.parametrize("command", ["stats", "search", "snapshot", "reextract", "crawl"])
def test_a_file_that_is_not_sqlite_is_a_one_line_error(tmp_path: Path, command: str) -> None:
    db = tmp_path / "passwd"
    db.write_text("root:x:0:0:root:/root:/bin/bash\n" * 50)
    args = {
        "stats": [],
        "search": ["citta"],
        "snapshot": [str(tmp_path / "copy.db")],
        "reextract": ["--silent"],
        "crawl": ["http://127.0.0.1:9/a.html"],
    }[command]
    result = run_cli(command, *args, "--db", str(db), cwd=tmp_path)
    assert one_line_error(result), result
    assert "not a newsarchive archive" in result.err


def test_an_archive_from_a_newer_newsarchive_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('newsarchive', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="m999_from_the_future"):
        Archive(db)
    result = run_cli("stats", "--db", str(db), cwd=tmp_path)
    assert one_line_error(result), result
    assert "newer newsarchive" in result.err


def test_an_empty_file_still_becomes_an_archive(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    db.touch()
    with Archive(db) as archive:
        assert migrations.pending(archive.db) == []


def test_archives_created_before_the_triggers_get_them(tmp_path: Path) -> None:
    """m001 gained the immutability triggers after it shipped: older archives lack them."""
    db = tmp_path / "archive.db"
    build_archive(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER pages_raw_immutable")
    conn.execute("DROP TRIGGER pages_raw_undeletable")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_triggers_and_credentials'")
    conn.commit()
    conn.close()
    with Archive(db) as archive:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            archive.db.execute("UPDATE pages SET body = x'00'")
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            archive.db.execute("DELETE FROM pages")


def test_unreadable_bodies_fail_their_page_not_the_reextraction(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    base = "http://www.corriere-di-prova.it/x/"
    add_raw_page(db, b"\x00not zlib at all", "zlib", base + "corrupt.html")
    add_raw_page(db, zlib.compress(b"<p>x</p>")[::-1], "zstd-from-the-future", base + "zstd.html")
    add_raw_page(db, b"<html><title>plain</title><p>plain body</p></html>", "identity", base + "p")
    summary = reextract(db, jobs=1)
    assert (summary.pages_read, summary.failed) == (4, 2)
    assert summary.unchanged == 1  # the seed article, re-extracted as before


def test_reextract_cli_reports_unreadable_bodies_as_failed(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    add_raw_page(db, b"garbage", "zlib", "http://www.corriere-di-prova.it/x/corrupt.html")
    result = run_cli("reextract", "--db", str(db), "--silent", "--jobs", "1", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "failed: 1" in result.out
    assert "Traceback" not in result.err


# --- item 6: raw bodies and secrets through Datasette -----------------------------------


def test_credentials_are_stripped_before_a_run_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    conn = sqlite3.connect(db)
    command, seeds = conn.execute("SELECT command, seeds FROM crawls").fetchone()
    assert SECRET not in command and SECRET not in seeds
    assert "https://www.corriere-di-prova.it/a.html" in command
    assert json.loads(seeds) == ["https://www.corriere-di-prova.it/a.html"]


def test_credentials_are_stripped_from_stored_page_urls(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    page = raw_page()
    secret_url = page.url.replace("http://", f"http://user:{SECRET}@")
    with Archive(db) as archive:
        store(archive, page.__class__(**{**page.__dict__, "url": secret_url}))
    rows = sqlite3.connect(db).execute("SELECT url, final_url FROM pages").fetchall()
    assert rows == [(page.url, page.final_url)]


def test_credentials_already_stored_are_scrubbed_by_the_migration(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE crawls SET command = ?, seeds = ?",
        (f"newsarchive crawl http://u:{SECRET}@h.it/a", json.dumps([f"http://u:{SECRET}@h.it/a"])),
    )
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_triggers_and_credentials'")
    conn.commit()
    conn.close()
    Archive(db).close()
    stored = sqlite3.connect(db).execute("SELECT command || seeds FROM crawls").fetchone()[0]
    assert SECRET not in stored and "http://h.it/a" in stored


def test_serve_warns_when_listening_beyond_loopback(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from newsarchive import cli

    db = tmp_path / "archive.db"
    build_archive(db)

    def no_exec(*args: object) -> None:
        raise SystemExit(0)

    monkeypatch.setattr("os.execv", no_exec)
    runner = CliRunner()
    wide = runner.invoke(cli.cli, ["serve", "--db", str(db), "--host", "0.0.0.0", "--port", "0"])
    local = runner.invoke(cli.cli, ["serve", "--db", str(db), "--host", "127.0.0.1", "--port", "0"])
    named = runner.invoke(cli.cli, ["serve", "--db", str(db), "--host", "localhost", "--port", "0"])
    assert "warning: --host 0.0.0.0" in wide.output
    assert "warning" not in local.output and "warning" not in named.output


@pytest.fixture(scope="module")
def datasette(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guarded")
    db = tmp / "archive.db"
    build_archive(db)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", str(port)],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("datasette did not start") from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "query",
    [
        "select hex(body) from pages",
        "select * from pages",
        "SELECT BODY FROM PAGES",
        "select headers from pages",
        "with p as (select body as b from pages) select length(b) from p",
        "select (select body from pages limit 1) as x",
    ],
)
def test_datasette_sql_cannot_read_raw_bodies(datasette: str, query: str) -> None:
    code, payload = sql(datasette, query)
    assert code >= 400 and not payload.get("rows"), (code, payload)


@pytest.mark.e2e
def test_datasette_views_and_tables_still_work(datasette: str) -> None:
    code, payload = fetch(f"{datasette}/archive/pages_list.json?_shape=objects")
    assert code == 200 and payload["rows"][0]["url"].endswith(truth.SEED_PATH)
    code, payload = fetch(f"{datasette}/archive/articles.json?_shape=objects&_search=corea")
    assert code == 200 and len(payload["rows"]) == 1
    code, payload = sql(datasette, "select count(*) as n, sum(body_size) as s from pages")
    assert code == 200 and payload["rows"][0]["n"] == 1
    code, payload = fetch(f"{datasette}/archive/crawl_runs.json?_shape=objects")
    assert code == 200 and SECRET not in json.dumps(payload)


# --- item 10: durable end of a run, snapshots -----------------------------------------------


def test_a_finished_run_is_in_the_database_file_not_only_in_the_wal(tmp_path: Path) -> None:
    checks.check_a_finished_run_is_in_the_database_file_not_only_in_the_wal(tmp_path)


def test_snapshot_of_a_live_archive_is_complete_and_self_contained(tmp_path: Path) -> None:
    checks.check_snapshot_of_a_live_archive_is_complete_and_self_contained(tmp_path)


def test_snapshot_never_overwrites(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    (tmp_path / "copy.db").write_text("keep me")
    result = run_cli("snapshot", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
    assert one_line_error(result), result
    assert (tmp_path / "copy.db").read_text() == "keep me"


# --- item 11: input that printed tracebacks -----------------------------------------------


@pytest.mark.parametrize("query", ['"', "", "   ", "***", '"" ""'])
def test_search_without_words_is_a_usage_error(tmp_path: Path, query: str) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    result = run_cli("search", query, "--db", str(db), cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.err, result
    assert "nothing to search for" in result.err


def test_search_with_quotes_and_words_still_finds(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    result = run_cli("search", '"corea"', "--db", str(db), "--json", cwd=tmp_path)
    assert result.code == 0, result.err
    assert json.loads(result.out.splitlines()[0])["url"].endswith(truth.SEED_PATH)
    # an unclosed quote is not valid search syntax (issue 18): one line, exit 2
    result = run_cli("search", '"corea', "--db", str(db), cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.err, result
    assert "unclosed quote" in result.err


def test_reextract_of_an_edited_article_changes_nothing(tmp_path: Path) -> None:
    """An article fetched twice used to flip to its old state and back on every run:
    reported changed twice, extracted_at moved, with identical data in the end."""
    db = tmp_path / "archive.db"
    edited_archive(db)
    before = derived_rows(db)
    first = reextract(db, jobs=1)
    second = reextract(db, jobs=1)
    assert (first.articles_changed, second.articles_changed) == (0, 0)
    assert derived_rows(db) == before


# --- item 11: a 1 MB <title> -------------------------------------------------------------


def test_huge_metadata_is_capped_before_it_is_stored(tmp_path: Path) -> None:
    checks.check_huge_metadata_is_capped_before_it_is_stored(tmp_path)


# --- item 11: UTF-7 -----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["header", "meta"])
def test_a_utf7_declared_page_is_decoded_as_browsers_do(where: str) -> None:
    checks.check_a_utf7_declared_page_is_decoded_as_browsers_do(where)


# --- item 11: dates before 1970 are evidence, never the date --------------------------------


def test_pre_1970_dates_are_kept_as_evidence_but_never_chosen(tmp_path: Path) -> None:
    checks.check_pre_1970_dates_are_kept_as_evidence_but_never_chosen(tmp_path)


# --- item 7: same-host rel=canonical hijack --------------------------------------------------


def test_a_canonical_pointing_at_another_archived_article_does_not_replace_it(
    tmp_path: Path,
) -> None:
    checks.check_a_canonical_pointing_at_another_archived_article_does_not_replace_it(tmp_path)


def test_two_pages_pointing_at_each_other_keep_their_own_contents(tmp_path: Path) -> None:
    checks.check_two_pages_pointing_at_each_other_keep_their_own_contents(tmp_path)


def test_a_duplicate_url_with_the_same_content_still_joins_its_canonical(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    a, amp = SITE + "20/articolo.html", SITE + "20/articolo.amp.html"
    body = page_html("Articolo", a, "Stesso")
    with Archive(db) as archive:
        fetch_into(archive, a, body, "2024-12-01T09:00:00+00:00")
        fetch_into(archive, amp, body, "2024-12-02T09:00:00+00:00")
        # an unarchived canonical is trusted: nothing contradicts it
        other = SITE + "22/altro.html"
        fetch_into(
            archive, other + "?x=1", page_html("Altro", other, "Nuovo"), "2024-12-02T10:00:00+00:00"
        )
    titles, versions = articles_and_versions(db)
    assert titles == {a: "Articolo", other: "Altro"}
    assert versions == {a: 1, other: 1}
