"""Scheduled jobs over real HTTP: feeds, sitemaps, listings, jobs.toml, re-checks, kill -9
and resume, two jobs on one archive at the same time."""

from __future__ import annotations

import gzip
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAST, count_rows, run_cli, wait_until

from newsarchive_testing import site_truth as truth
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fixture_site import serve_site

pytestmark = pytest.mark.e2e

FEED_PATH = "/rss/esteri.xml"
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
STORED = "SELECT count(*) FROM pages WHERE status = 200"
FEED_ITEMS = [truth.SEED_PATH, "/esteri/2024/11/03/kiev-blackout.html"]


def rss(site, paths) -> bytes:
    items = "".join(
        f"<item><title><![CDATA[{truth.ARTICLES[p]['title']}]]></title>"
        f"<link>{site.url(p)}?utm_source=rss</link>"
        f"<pubDate>Wed, 20 Nov 2024 03:15:00 +0100</pubDate></item>"
        for p in paths
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Esteri</title>{items}</channel></rss>"
    ).encode()


def news_sitemap(site, paths) -> bytes:
    urls = "".join(
        f"<url><loc>{site.url(p)}</loc><news:news><news:title>{truth.ARTICLES[p]['title']}"
        f"</news:title><news:publication_date>2024-11-20T03:15:00+01:00</news:publication_date>"
        f"<news:keywords>Russia, Ucraina</news:keywords></news:news></url>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset '
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    ).encode()


def rows(db: Path, sql: str, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_feed_discovers_articles_and_keeps_the_feed(site, tmp_path):
    site.set_override(FEED_PATH, 200, XML, rss(site, FEED_ITEMS))
    db = tmp_path / "archive.db"
    result = run_cli(
        "crawl", "--feed", site.url(FEED_PATH), "--db", str(db), "--depth", "0", *FAST, cwd=tmp_path
    )
    articles = {r[0] for r in rows(db, "SELECT url FROM articles")}
    discovered = rows(
        db, "SELECT url, via, listed_title, listed_date FROM discoveries ORDER BY url"
    )
    feeds = rows(db, "SELECT outcome FROM pages WHERE url = ?", (site.url(FEED_PATH),))
    assert result.code == 0, result.err
    assert articles == {site.url(p) for p in FEED_ITEMS}
    assert discovered == sorted(
        (site.url(p), "feed", truth.ARTICLES[p]["title"], "2024-11-20T03:15:00+01:00")
        for p in FEED_ITEMS
    )
    assert feeds == [("feed",)]


def test_gzipped_sitemap_index_with_news_fields(site, tmp_path):
    paths = ["/esteri/2024/11/05/elezioni-usa-risultati.html", truth.CP1252_PATH]
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/sitemap-news.xml.gz')}</loc></sitemap></sitemapindex>"
    )
    site.set_override("/sitemap.xml", 200, {"Content-Type": "application/xml"}, index.encode())
    site.set_override(
        "/sitemap-news.xml.gz",
        200,
        {"Content-Type": "application/x-gzip"},
        gzip.compress(news_sitemap(site, paths)),
    )
    db = tmp_path / "archive.db"
    result = run_cli(
        "crawl",
        "--sitemap",
        site.url("/sitemap.xml"),
        "--db",
        str(db),
        "--depth",
        "0",
        *FAST,
        cwd=tmp_path,
    )
    found = rows(db, "SELECT url, listed_title, keywords FROM discoveries ORDER BY url")
    assert result.code == 0, result.err
    assert found == sorted(
        (site.url(p), truth.ARTICLES[p]["title"], '["Russia", "Ucraina"]') for p in paths
    )


def test_listing_page_follows_teasers_not_navigation(site, tmp_path):
    teasers = "".join(
        f'<article class="teaser"><h2><a href="{p}">{truth.ARTICLES[p]["title"]}</a></h2>'
        f"<p>Un riassunto breve della notizia.</p></article>"
        for p in FEED_ITEMS
    )
    page = (
        '<html lang="it"><head><title>Esteri - Il Corriere di Prova</title></head><body>'
        '<nav><a href="/politica/">Politica</a><a href="/economia/">Economia</a></nav>'
        f"<main><h1>Esteri</h1>{teasers}</main>"
        '<footer><a href="/chi-siamo/">Chi siamo</a></footer></body></html>'
    ).encode()
    site.set_override("/sezione/esteri.html", 200, {"Content-Type": "text/html"}, page)
    db = tmp_path / "archive.db"
    result = run_cli(
        "crawl",
        "--listing",
        site.url("/sezione/esteri.html"),
        "--db",
        str(db),
        "--depth",
        "0",
        *FAST,
        cwd=tmp_path,
    )
    fetched = sorted(p for p in site.requests if p.endswith(".html"))
    assert result.code == 0, result.err
    assert fetched == sorted([*FEED_ITEMS, "/sezione/esteri.html"])


def test_jobs_file_reruns_fetch_nothing_twice_and_read_feeds_when_due(site, tmp_path):
    site.set_override(FEED_PATH, 200, XML, rss(site, FEED_ITEMS))
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(
        f'db = "{tmp_path / "archive.db"}"\n[defaults]\ndepth = 0\n'
        f'[[source]]\nname = "esteri"\nfeeds = ["{site.url(FEED_PATH)}"]\n'
    )
    first = run_cli("run", str(jobs), *FAST, cwd=tmp_path)
    fetched = []
    for extra in ([], ["-s", "NEWSARCHIVE_SOURCE_MIN_MINUTES=0"]):
        site.clear_requests()
        again = run_cli("run", str(jobs), *FAST, *extra, cwd=tmp_path)
        assert again.code == 0, again.err
        fetched.append([p for p in site.requests if p != "/robots.txt"])
    runs = rows(tmp_path / "archive.db", "SELECT status FROM crawls ORDER BY id")
    assert first.code == 0, first.err
    # right after a read the feed is not due; once due, only the feed is read again
    assert fetched == [[], [FEED_PATH]]
    assert runs == [("finished",)] * 3


def test_jobs_file_errors_are_clear(tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[source]]\nname = "x"\nfeeds = ["ftp://example.it/rss"]\n')
    result = run_cli("run", str(jobs), cwd=tmp_path)
    assert result.code == 1 and "not an http(s) URL" in result.err


def test_unreachable_feed_is_a_failed_run(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli(
        "crawl",
        "--feed",
        f"http://127.0.0.1:{port}/rss.xml",
        "--db",
        str(tmp_path / "a.db"),
        *FAST,
        "-s",
        "RETRY_TIMES=0",
        cwd=tmp_path,
    )
    assert result.code == 1


def test_recheck_sends_validators_and_records_304(site, tmp_path):
    db = tmp_path / "archive.db"
    from newsarchive_testing.fixture_site import SITE_DIR

    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    site.set_override(
        truth.SEED_PATH, 200, {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}, body
    )
    url = site.url(truth.SEED_PATH)
    run_cli("crawl", url, "--db", str(db), "--depth", "0", *FAST, cwd=tmp_path)
    site.set_override(truth.SEED_PATH, 304, {"ETag": '"v1"'}, b"")
    again = run_cli("crawl", url, "--db", str(db), "--depth", "0", "--recheck", *FAST, cwd=tmp_path)
    sent = [r for r in site.records if r.path == truth.SEED_PATH][-1].headers
    pages = rows(db, "SELECT status, outcome, body IS NULL FROM pages ORDER BY id")
    assert again.code == 0, again.err
    assert {k.lower(): v for k, v in sent.items()}.get("if-none-match") == '"v1"'
    assert pages == [(200, "article", 0), (304, "not_modified", 1)]


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume(tmp_path):
    """Each page stored exactly once, none missing, integrity ok, after three SIGKILLs."""
    from newsarchive_testing import sitegen

    n = 150
    site_pages = sitegen.generate_site(n, 7).pages
    depth = sitegen.generate_site(n, 7).required_depth()
    db = tmp_path / "archive.db"
    rng = random.Random(1)
    with sitegen.serve_site(n, 7) as served:
        seed = served.url(site_pages[0].path)
        args = [
            sys.executable,
            "-m",
            "newsarchive",
            "crawl",
            seed,
            "--db",
            str(db),
            "--depth",
            str(depth),
            "--quiet",
            "-s",
            "DOWNLOAD_DELAY=0.03",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            "-s",
            "NEWSARCHIVE_EXTRACT_WORKERS=0",
        ]
        env = child_env()
        partial = []
        for _ in range(3):
            proc = subprocess.Popen(
                args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            # kill on observed progress (a few more pages stored), never after fixed seconds:
            # on a slow machine the first page may land after several seconds
            before = count_rows(db, STORED)
            wanted = before + rng.randint(3, 25)
            wait_until(
                lambda p=proc, w=wanted: count_rows(db, STORED) >= w or p.poll() is not None,
                timeout=180,
                what=f"{wanted} pages stored",
            )
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if db.exists():
                partial.append(count_rows(db, STORED))
        final = subprocess.run(
            args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
    resumed = rows(
        db,
        "SELECT json_extract(stats, '$.\"newsarchive/resumed\"') FROM crawls"
        " ORDER BY id DESC LIMIT 1",
    )[0][0]
    stored = rows(db, "SELECT final_url, count(*) FROM pages WHERE status = 200 GROUP BY final_url")
    integrity = rows(db, "PRAGMA integrity_check")
    assert final.returncode == 0, final.stderr[-2000:]
    # the kills really interrupted crawls, and the last run resumed a persisted frontier
    assert any(0 < count < n for count in partial), partial
    assert resumed and resumed > 0
    assert sorted(u for u, _ in stored) == sorted(served.url(p.path) for p in site_pages)
    assert [u for u, count in stored if count > 1] == []
    assert integrity == [("ok",)]


def test_two_jobs_at_once_on_one_archive(tmp_path):
    db = tmp_path / "archive.db"
    with serve_site() as one, serve_site() as two:
        env = child_env()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "newsarchive",
                    "crawl",
                    s.url(truth.SEED_PATH),
                    "--db",
                    str(db),
                    *FAST,
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for s in (one, two)
        ]
        outputs = [p.communicate(timeout=180) for p in procs]
    codes = [p.returncode for p in procs]
    duplicates = rows(
        db, "SELECT url, count(*) FROM pages GROUP BY url, crawl_id HAVING count(*) > 1"
    )
    articles = rows(db, "SELECT count(*) FROM articles")[0][0]
    assert codes == [0, 0], outputs
    assert not any("locked" in err for _, err in outputs)
    assert (duplicates, articles) == ([], 12)
