"""End to end: `newsarchive crawl` as a subprocess over real HTTP against the fixture site."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FAST, run_cli

from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR, FixtureSite

pytestmark = pytest.mark.e2e

ROME = ZoneInfo("Europe/Rome")


def crawl(site: FixtureSite, tmp_path: Path, *extra: str, path: str = truth.SEED_PATH):
    return run_cli(
        "crawl", site.url(path), "--db", str(tmp_path / "archive.db"), *FAST, *extra, cwd=tmp_path
    )


def rows(tmp_path: Path, sql: str, params=()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(tmp_path / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def shared_site():
    """One fixture site for the whole module (tests that need a fresh one use `site`)."""
    from newsarchive_testing.fixture_site import serve_site

    with serve_site() as running:
        yield running


@pytest.fixture(scope="module")
def first_crawl(shared_site: FixtureSite, tmp_path_factory):
    """One crawl of the seed at the default depth (1), shared by the read-only tests."""
    tmp_path = tmp_path_factory.mktemp("depth1")
    result = crawl(shared_site, tmp_path)
    assert result.code == 0, result.err
    return shared_site, tmp_path, result


@pytest.fixture
def depth1(first_crawl):
    """The shared depth-1 archive (read-only tests)."""
    return first_crawl


@pytest.fixture
def depth1_copy(first_crawl, tmp_path: Path):
    """A private copy of the depth-1 archive, for tests that crawl again."""
    site, source, result = first_crawl
    for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
        if (source / name).exists():
            shutil.copy(source / name, tmp_path / name)
    return site, tmp_path, result


def test_depth1_stores_exactly_the_seed_and_its_related_articles(depth1):
    site, tmp_path, _ = depth1
    urls = {r["url"] for r in rows(tmp_path, "SELECT url FROM articles")}
    expected = {site.url(p) for p in [truth.SEED_PATH, *truth.DEPTH1_PATHS]}
    assert urls == expected


@pytest.mark.parametrize("path", [truth.SEED_PATH, *truth.DEPTH1_PATHS])
def test_article_fields_match_truth(depth1, path):
    site, tmp_path, _ = depth1
    expected = truth.ARTICLES[path]
    row = rows(tmp_path, "SELECT * FROM articles WHERE url = ?", (site.url(path),))[0]
    got = {
        "title": row["title"],
        "authors": json.loads(row["authors"]),
        "date_published": row["date_published"],
        "date_modified": row["date_modified"],
        "language": row["language"],
    }
    want = {k: expected[k] for k in got}
    assert got == want


@pytest.mark.parametrize("path", [truth.SEED_PATH, *truth.DEPTH1_PATHS])
def test_article_text_has_the_body_and_no_chrome(depth1, path):
    site, tmp_path, _ = depth1
    text = rows(tmp_path, "SELECT text FROM articles WHERE url = ?", (site.url(path),))[0]["text"]
    expected = truth.ARTICLES[path]
    missing = [s for s in expected["text_snippets"] if s not in text]
    leaked = [s for s in expected["not_in_text"] if s in text]
    assert (missing, leaked) == ([], [])


def _expected_links(site: FixtureSite, path: str, fetched_at: str) -> list[tuple]:
    links = []
    local = datetime.fromisoformat(fetched_at).astimezone(ROME)
    for pos, link in enumerate(truth.ARTICLES[path]["related"], start=1):
        listed = link["listed_date"]
        if listed == truth.RELATIVE:
            day = (local - timedelta(days=1)).date()
            listed = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ROME).isoformat()
        to = link["to_path"] if link["to_path"].startswith("http") else site.url(link["to_path"])
        links.append((to, link["anchor_text"], pos, link["listed_date_raw"], listed))
    return links


@pytest.mark.parametrize("path", [truth.SEED_PATH, *truth.DEPTH1_PATHS])
def test_related_links_are_recorded_with_listed_dates(depth1, path):
    site, tmp_path, _ = depth1
    url = site.url(path)
    fetched_at = rows(
        tmp_path,
        "SELECT p.fetched_at FROM articles a JOIN pages p ON p.id = a.page_id WHERE a.url = ?",
        (url,),
    )[0]["fetched_at"]
    got = [
        tuple(r)
        for r in rows(
            tmp_path,
            """SELECT to_url, anchor_text, position, listed_date_raw, listed_date FROM links
               WHERE from_url = ? AND kind = 'related' ORDER BY position""",
            (url,),
        )
    ]
    assert got == _expected_links(site, path, fetched_at)


def test_disallowed_chrome_and_external_pages_are_never_requested(site, tmp_path):
    result = crawl(site, tmp_path)
    forbidden = [truth.DISALLOWED_PATH, *truth.NEVER_FETCHED_PATHS, *truth.DEPTH2_PATHS]
    requested = [
        p for p in site.requests if p in forbidden or p.startswith(truth.NEVER_FETCHED_PREFIXES)
    ]
    assert (result.code, requested) == (0, [])


def test_404_and_redirect_are_raw_pages(depth1):
    site, tmp_path, _ = depth1
    pages = {
        r["url"]: (r["final_url"], r["status"], r["outcome"])
        for r in rows(tmp_path, "SELECT url, final_url, status, outcome FROM pages")
    }
    assert pages[site.url(truth.NOT_FOUND_PATH)] == (site.url(truth.NOT_FOUND_PATH), 404, "error")
    assert pages[site.url(truth.REDIRECT_FROM)] == (site.url(truth.REDIRECT_TO), 200, "article")


def test_raw_body_is_kept_byte_for_byte(depth1):
    site, tmp_path, _ = depth1
    row = rows(
        tmp_path,
        "SELECT body, sha256, encoding, compression FROM pages WHERE url = ?",
        (site.url(truth.CP1252_PATH),),
    )[0]
    original = (SITE_DIR / truth.CP1252_PATH.lstrip("/")).read_bytes()
    with Archive(tmp_path / "archive.db") as archive:  # zstd, maybe with the site's dictionary
        body = archive.bodies.read(row["body"], row["compression"])
    assert (body, row["encoding"]) == (original, "cp1252")


def test_cp1252_page_text_has_no_mojibake(depth1):
    site, tmp_path, _ = depth1
    row = rows(
        tmp_path, "SELECT title, text FROM articles WHERE url = ?", (site.url(truth.CP1252_PATH),)
    )[0]
    bad = [m for m in ("Ã", "â€", "\ufffd") if m in row["title"] + row["text"]]
    assert ("città" in row["title"], bad) == (True, [])


def test_summary_names_counts_and_archive(depth1):
    _, tmp_path, result = depth1
    assert "articles stored:  6" in result.out and str(tmp_path / "archive.db") in result.out


def test_default_output_is_the_summary_without_scrapy_logs(depth1):
    """No Scrapy start-up lines nor stats dump: only warnings would show (there are none)."""
    _, _, result = depth1
    assert (result.err.splitlines(), result.out.splitlines()[0]) == ([], "crawl #1 finished")


def test_max_pages_cut_is_said_in_the_summary(site, tmp_path):
    result = crawl(site, tmp_path, "--max-pages", "2")
    assert result.code == 0, result.err
    assert "stopped early:    --max-pages reached, 6 URL(s) not fetched" in result.out


def test_quiet_prints_nothing_when_all_is_well(site, tmp_path):
    result = crawl(site, tmp_path, "--depth", "0", "-q")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_crawl_run_is_recorded(depth1):
    _, tmp_path, _ = depth1
    crawl_row = rows(tmp_path, "SELECT * FROM crawls")[0]
    stats = json.loads(crawl_row["stats"])
    assert (crawl_row["status"], stats["newsarchive/pages_stored"]) == ("finished", 7)


def test_second_run_fetches_and_stores_nothing(depth1_copy):
    site, tmp_path, _ = depth1_copy
    before = rows(tmp_path, "SELECT count(*) AS n FROM pages")[0]["n"]
    site.clear_requests()
    again = crawl(site, tmp_path)
    after = rows(tmp_path, "SELECT count(*) AS n FROM pages")[0]["n"]
    fetched = [p for p in site.requests if p != "/robots.txt"]
    assert (again.code, after, fetched) == (0, before, [])


def test_depth2_after_depth1_adds_only_the_next_ring(depth1_copy):
    site, tmp_path, _ = depth1_copy
    site.clear_requests()
    result = crawl(site, tmp_path, "--depth", "2")
    fetched = sorted(p for p in site.requests if p != "/robots.txt")
    assert (result.code, fetched) == (0, sorted(truth.DEPTH2_PATHS))


def test_depth0_fetches_only_the_seed(site, tmp_path):
    result = crawl(site, tmp_path, "--depth", "0")
    fetched = [p for p in site.requests if p != "/robots.txt"]
    links = rows(tmp_path, "SELECT count(*) AS n FROM links")[0]["n"]
    assert (result.code, fetched, links) == (0, [truth.SEED_PATH], 8)


def test_seed_404_exits_non_zero_and_keeps_the_page(site, tmp_path):
    result = crawl(site, tmp_path, path=truth.NOT_FOUND_PATH)
    statuses = [r["status"] for r in rows(tmp_path, "SELECT status FROM pages")]
    assert (result.code, statuses) == (1, [404])


def test_unreachable_seed_exits_non_zero_and_names_url(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/esteri/a.html"
    result = run_cli(
        "crawl", url, "--db", str(tmp_path / "a.db"), *FAST, "-s", "RETRY_TIMES=0", cwd=tmp_path
    )
    assert result.code == 1 and url in result.err


def test_related_selector_overrides_detection(site, tmp_path):
    # Only the "I più letti" box: its links are not related articles, but the user said so.
    result = crawl(
        site,
        tmp_path,
        "--depth",
        "0",
        "--related-selector",
        "section.articoli-correlati li:first-child",
    )
    links = [r["to_url"] for r in rows(tmp_path, "SELECT to_url FROM links")]
    assert (result.code, links) == (0, [site.url(truth.TRACKING_TO)])


def test_invalid_related_selector_is_a_usage_error(site, tmp_path):
    result = crawl(site, tmp_path, "--related-selector", "li[[[")
    assert result.code == 2 and "related-selector" in result.err


def test_contact_setting_and_no_remote_control(site, tmp_path):
    """-s NEWSARCHIVE_CONTACT reaches the User-Agent; Scrapy's RemoteControl never starts."""
    result = crawl(
        site, tmp_path, "--depth", "0", "-v", "-s", "NEWSARCHIVE_CONTACT=mailto:ops@example.org"
    )
    agents = {r.headers.get("User-Agent") for r in site.records if r.path == truth.SEED_PATH}
    assert result.code == 0, result.err
    assert [a for a in agents if a and "(+mailto:ops@example.org)" in a] == list(agents)
    # -v shows Scrapy's INFO lines, where RemoteControl names its port when it runs
    assert "[scrapy.core.engine] INFO: Spider opened" in result.err
    assert "remote_control" not in result.err
