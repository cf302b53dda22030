"""Issue 13 items 6-11, "nothing lost, nothing leaked": integrity faults of the archive itself.

Foreign and newer databases, unreadable bodies, credentials and raw bodies reaching Datasette,
the durability of a finished run, snapshots of a live archive, CLI input that used to print a
traceback. Each case failed before its fix. bench/reliability.py reports the same cases
(its `integrity` scenario).
"""

from __future__ import annotations

import json
import shutil
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
from test_datasette import free_port
from test_store import raw_page, store

from newsarchive.crawl.reextract import reextract
from newsarchive.store import migrations
from newsarchive.store.archive import Archive, NotAnArchiveError, SchemaTooNewError
from newsarchive_testing import site_truth as truth

SECRET = "s3cr3t-pw"
STARTED = "2024-12-06T09:00:00.000+00:00"


def build_archive(db: Path) -> None:
    """An archive with the fixture site's seed article and one finished run."""
    with Archive(db) as archive:
        crawl_id = archive.runs.start(
            command=f"newsarchive crawl https://user:{SECRET}@www.corriere-di-prova.it/a.html",
            seeds=[f"https://user:{SECRET}@www.corriere-di-prova.it/a.html"],
            started_at=STARTED,
        )
        store(archive, raw_page())
        archive.runs.finish(crawl_id, finished_at=STARTED, stats={}, status="finished")


def one_line_error(result) -> bool:
    """The CLI failed with a single line on stderr and no traceback."""
    lines = result.err.strip().splitlines()
    return result.code != 0 and len(lines) == 1 and "Traceback" not in result.err


# --- item 8: foreign and future databases -------------------------------------------------


def foreign_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('not yours')")
    conn.commit()
    conn.close()
    return path


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


def add_raw_page(db: Path, body: bytes, compression: str, url: str) -> None:
    """A pages row written as another (or a broken) version would have written it."""
    conn = sqlite3.connect(db)
    conn.execute(
        """INSERT INTO pages (url, final_url, status, fetched_at, headers, body, compression,
               body_size, sha256) VALUES (?, ?, 200, ?, '{}', ?, ?, 10, 'x')""",
        (url, url, "2024-12-06T10:00:00.000+00:00", body, compression),
    )
    conn.commit()
    conn.close()


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


def fetch(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def sql(base: str, query: str) -> tuple[int, dict]:
    return fetch(f"{base}/archive.json?_shape=objects&sql={urllib.parse.quote(query)}")


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
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        crawl_id = archive.runs.start(command="c", seeds=[], started_at=STARTED)
        store(archive, raw_page())
        archive.runs.finish(crawl_id, finished_at=STARTED, stats={}, status="finished")
        # what survives when the WAL is lost: the database file alone
        shutil.copyfile(db, tmp_path / "main-only.db")
    conn = sqlite3.connect(tmp_path / "main-only.db")
    assert conn.execute("SELECT status FROM crawls").fetchall() == [("finished",)]
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_snapshot_of_a_live_archive_is_complete_and_self_contained(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    with Archive(db) as writer:  # a live archive: a run under way, its rows in the WAL
        writer.runs.start(command="running", seeds=[], started_at=STARTED)
        assert (tmp_path / "archive.db-wal").stat().st_size > 0
        result = run_cli("snapshot", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
        assert result.code == 0, result.err
    assert not (tmp_path / "copy.db-wal").exists()
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT count(*) FROM crawls").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    conn.close()
    with Archive(tmp_path / "copy.db") as copy:  # a snapshot is an archive
        assert copy.read.counts()["pages"] == 1


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


def edited_archive(db: Path) -> None:
    """The seed article fetched twice, edited in between (two pages, two versions)."""
    from newsarchive_testing.fixture_site import SITE_DIR

    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    edited = body.replace(b"uomini e munizioni.", b"uomini, munizioni e missili.")
    assert edited != body
    with Archive(db) as archive:
        store(archive, raw_page(body=body))
        store(archive, raw_page(body=edited, fetched_at="2024-12-07T09:00:00.000+00:00"))


def derived_rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    tables = {
        "articles": "url",
        "links": "from_url, to_url, kind",
        "date_evidence": "id",
        "article_versions": "article_url, version",
        "pages": "id",
    }
    rows = {
        t: conn.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall() for t, o in tables.items()
    }
    conn.close()
    return rows


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

PARAGRAPHS = "".join(
    f"<p>Paragrafo {i} dell'articolo, con abbastanza parole per essere testo vero e proprio.</p>"
    for i in range(8)
)


def test_huge_metadata_is_capped_before_it_is_stored(tmp_path: Path) -> None:
    from newsarchive.extract.article import FIELD_CAPS, LIST_ITEM_CAP, LIST_LEN_CAP, extract_article
    from newsarchive.model import RawPage

    huge = "Titolo " * 150_000  # ~1 MB
    authors = ", ".join(f'"Autore {i}"' for i in range(500))
    html = (
        f"<html lang='it'><head><title>{huge}</title>"
        f"<meta name='description' content='{'d' * 50_000}'>"
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{huge}",'
        f' "author": [{authors}], "keywords": ["{"k" * 10_000}"]}}</script>'
        f"</head><body><article><h1>{huge}</h1>{PARAGRAPHS}</article></body></html>"
    ).encode()
    url = "http://www.corriere-di-prova.it/esteri/2024/11/21/enorme.html"
    fetched = "2024-12-06T09:00:00.000+00:00"
    from datetime import datetime

    ex = extract_article(html, url=url, fetched_at=datetime.fromisoformat(fetched))
    art = ex.article
    assert art is not None
    assert len(art.title or "") <= FIELD_CAPS["title"]
    assert len(art.description or "") <= FIELD_CAPS["description"]
    assert len(art.authors) <= LIST_LEN_CAP
    assert all(len(t) <= LIST_ITEM_CAP for t in art.tags)
    assert "capped:title" in ex.notes
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.pages.record_fetch(
            RawPage(url=url, final_url=url, status=200, fetched_at=fetched, headers={}, body=html),
            ex,
            outcome=ex.outcome,
            error=None,
            crawl_id=None,
            extracted_at=fetched,
        )
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT max(length(title)) FROM article_versions").fetchone()[0] <= 1_000
    assert conn.execute("SELECT length(title) FROM articles").fetchone()[0] <= 1_000


# --- item 11: UTF-7 -----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["header", "meta"])
def test_a_utf7_declared_page_is_decoded_as_browsers_do(where: str) -> None:
    from datetime import datetime

    from newsarchive.extract.article import extract_article

    meta = "<meta charset='utf-7'>" if where == "meta" else ""
    html = (
        f"<html lang='it'><head>{meta}<title>Citt+AOA- aperta</title></head><body><article>"
        f"<h1>Citt+AOA- aperta</h1>{PARAGRAPHS}"
        "<p>+ADw-script+AD4-alert(1)+ADw-/script+AD4- la citt+AOA- risponde.</p>"
        "</article></body></html>"
    ).encode("ascii")
    headers = {"Content-Type": "text/html; charset=UTF-7" if where == "header" else "text/html"}
    ex = extract_article(
        html,
        url="http://www.corriere-di-prova.it/esteri/2024/11/21/utf7.html",
        fetched_at=datetime.fromisoformat("2024-12-06T09:00:00+00:00"),
        headers=headers,
    )
    assert ex.encoding == "utf-8"
    assert ex.encoding_reason == "ascii; utf-7 ignored"
    assert ex.article is not None and "+ADw-script+AD4-" in (ex.article.text or "")
    assert "città" not in (ex.article.title or "")


# --- item 11: dates before 1970 are evidence, never the date --------------------------------


def test_pre_1970_dates_are_kept_as_evidence_but_never_chosen(tmp_path: Path) -> None:
    from datetime import datetime

    from newsarchive.extract.article import extract_article
    from newsarchive.model import RawPage

    html = (
        "<html lang='it'><head>"
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "0001-01-01T00:00:00Z", "dateModified": "1969-07-20T20:17:00Z"}'
        "</script><meta property='article:published_time' content='2024-11-21T08:30:00+01:00'>"
        f"</head><body><article><h1>Allunaggio, 55 anni dopo</h1>{PARAGRAPHS}</article>"
        "</body></html>"
    ).encode()
    url = "http://www.corriere-di-prova.it/esteri/2024/11/21/luna.html"
    fetched = "2024-12-06T09:00:00.000+00:00"
    ex = extract_article(html, url=url, fetched_at=datetime.fromisoformat(fetched))
    assert ex.article is not None
    assert ex.article.date_published == "2024-11-21T08:30:00+01:00"
    assert ex.article.date_modified is None
    old = {(e.source, e.value, e.chosen) for e in ex.evidence if e.value < "1970"}
    assert old == {
        ("jsonld:datePublished", "0001-01-01T00:00:00+00:00", False),
        ("jsonld:dateModified", "1969-07-20T20:17:00+00:00", False),
    }
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.pages.record_fetch(
            RawPage(url=url, final_url=url, status=200, fetched_at=fetched, headers={}, body=html),
            ex,
            outcome=ex.outcome,
            error=None,
            crawl_id=None,
            extracted_at=fetched,
        )
    conn = sqlite3.connect(db)
    assert (
        conn.execute("SELECT count(*) FROM date_evidence WHERE value < '1970'").fetchone()[0] == 2
    )
    assert conn.execute("SELECT published_spread_days FROM articles").fetchone()[0] < 1


# --- item 7: same-host rel=canonical hijack --------------------------------------------------

SITE = "http://www.corriere-di-prova.it/esteri/2024/11/"


def page_html(title: str, canonical: str | None, words: str) -> bytes:
    link = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    paragraphs = "".join(
        f"<p>{words} Paragrafo {i}, con abbastanza parole da essere un vero testo.</p>"
        for i in range(6)
    )
    return (
        f"<html lang='it'><head><title>{title}</title>{link}"
        "<meta property='article:published_time' content='2024-11-20T08:00:00+01:00'>"
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def fetch_into(archive: Archive, url: str, body: bytes, fetched_at: str) -> None:
    from datetime import datetime

    from newsarchive.extract.article import extract_article
    from newsarchive.model import RawPage

    ex = extract_article(body, url=url, fetched_at=datetime.fromisoformat(fetched_at))
    archive.pages.record_fetch(
        RawPage(url=url, final_url=url, status=200, fetched_at=fetched_at, headers={}, body=body),
        ex,
        outcome=ex.outcome,
        error=None,
        crawl_id=None,
        extracted_at=fetched_at,
    )


def articles_and_versions(db: Path) -> tuple[dict[str, str], dict[str, int]]:
    conn = sqlite3.connect(db)
    titles = dict(conn.execute("SELECT url, title FROM articles").fetchall())
    versions = dict(
        conn.execute("SELECT article_url, count(*) FROM article_versions GROUP BY 1").fetchall()
    )
    conn.close()
    return titles, versions


def test_a_canonical_pointing_at_another_archived_article_does_not_replace_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    a, b = SITE + "20/vero.html", SITE + "21/impostore.html"
    with Archive(db) as archive:
        fetch_into(
            archive, a, page_html("Il vero articolo", a, "Vero"), "2024-12-01T09:00:00+00:00"
        )
        fetch_into(archive, b, page_html("L'impostore", a, "Falso"), "2024-12-02T09:00:00+00:00")
    titles, versions = articles_and_versions(db)
    assert titles == {a: "Il vero articolo", b: "L'impostore"}
    assert versions == {a: 1, b: 1}  # no "version 2" of the real article
    claims = sqlite3.connect(db).execute("SELECT url, canonical_claim FROM pages").fetchall()
    assert claims == [(a, None), (b, a)]  # the claim is recorded
    assert reextract(db, jobs=1).articles_changed == 0
    assert articles_and_versions(db) == (titles, versions)


def test_two_pages_pointing_at_each_other_keep_their_own_contents(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    a, b = SITE + "20/primo.html", SITE + "21/secondo.html"
    with Archive(db) as archive:
        fetch_into(archive, a, page_html("Primo", b, "Uno"), "2024-12-01T09:00:00+00:00")
        fetch_into(archive, b, page_html("Secondo", a, "Due"), "2024-12-02T09:00:00+00:00")
    titles, versions = articles_and_versions(db)
    assert titles == {a: "Primo", b: "Secondo"}
    assert versions == {a: 1, b: 1}
    assert reextract(db, jobs=1).articles_changed == 0
    assert articles_and_versions(db) == (titles, versions)


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
