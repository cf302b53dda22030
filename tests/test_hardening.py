"""Hardening: faults and hostile input the crawler survives, with nothing lost.

Every case runs the real CLI (``python -m newsarchive``) against
``newsarchive_testing.fault_server`` on 127.0.0.1, with a canary on 127.0.0.2 that must never
be contacted, and checks both the behaviour (what the servers saw: requests, timings, bytes
sent) and the outcome the run recorded (``pages`` rows, ``crawls.status`` and stats, exit
code, ``frontier``).

Most checks share a few crawls (module-scoped fixtures): the *gauntlet*, one article whose
related block links to every fault route; a robots.txt run over several hosts; a Retry-After
run; an XML-attack run. Behaviour newsarchive does not get right today is asserted as it
should be and marked ``xfail(strict=True)`` with what happens instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FAST, run_cli

from newsarchive.store.archive import Archive
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fault_server import (
    ARTICLE_DIR,
    BIG_BYTES,
    HOSTILE_NAMES,
    MEDIUM_BYTES,
    PATHS,
    SQL_TITLE,
    TRUNCATED_DECLARED,
    TRUNCATED_SENT,
    Canary,
    FaultServer,
    Measured,
    bomb,
    brotli,
    run_measured,
    serve_faults,
    streamed_body,
)

pytestmark = pytest.mark.e2e

DOWNLOAD_TIMEOUT = 3
# FAST (no politeness delays) + short timeouts + one extraction worker (quicker start-up).
HARD = [
    *FAST,
    "-s",
    f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}",
    "-s",
    "RETRY_TIMES=1",
    "-s",
    "NEWSARCHIVE_EXTRACT_WORKERS=1",
]
# Peak resident size of the crawler or of its largest extraction worker (the goal).
MAX_RSS_MB = 200
# A Python process with Scrapy loaded is never below this: a zero would mean no measurement.
MIN_RSS_MB = 30
REDIRECT_MAX_TIMES = 20  # Scrapy's default
RA_WAIT = 2  # Retry-After seconds
NO_BROTLI = "the brotli module is not importable: no br decoding to attack"
BOMBS = ["bomb_gzip", "bomb_deflate", *(["bomb_br"] if brotli is not None else [])]
STALLED = ["silent", "headers_only", "trickle"]
LOOPS = ["loop_a", "loop_b", "chain", "refresh_a", "refresh_b"]
OTHER_SCHEMES = ["to_file", "to_data", "to_ftp"]
PRIVATE_REDIRECTS = ["to_canary", "to_decimal", "to_hex", "to_octal", "to_short", "to_localhost"]
AFTER = [f"{ARTICLE_DIR}dopo-i-guasti-{i}.html" for i in (1, 2, 3)]
GAUNTLET_ROUTES = [
    "private",
    "404",
    "410",
    "500",
    *STALLED,
    "truncated",
    "big_cl",
    "big",
    "medium",
    *BOMBS,
    *LOOPS,
    "header_bomb",
    "garbage",
    *OTHER_SCHEMES,
    *PRIVATE_REDIRECTS,
    "to_ipv6",
    *(f"hostile_{name}" for name in HOSTILE_NAMES),
]


# --- reading the archive ----------------------------------------------------------------


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one SQL query on a fresh connection."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def last_crawl(db: Path) -> tuple[str, dict]:
    """(status, stats) of the newest crawls row."""
    status, stats = query(db, "SELECT status, stats FROM crawls ORDER BY id DESC LIMIT 1")[0]
    return status, json.loads(stats or "{}")


def counted(stats: dict, prefix: str) -> int:
    """Sum of the newsarchive counters under a prefix (e.g. newsarchive/fetch_failed/)."""
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix))


def pages_for(db: Path, url: str) -> list[tuple]:
    """(status, outcome, error) of every pages row requested as url."""
    return query(db, "SELECT status, outcome, error FROM pages WHERE url = ? ORDER BY id", (url,))


def stored_bodies(db: Path, url: str) -> list[bytes | None]:
    """Raw bytes of every fetch of url, read back as the store reads them (None: bytes lost)."""
    rows = query(
        db,
        """SELECT coalesce(p.body, b.body), coalesce(b.compression, p.compression) FROM pages p
           LEFT JOIN pages b ON b.id = p.body_page_id WHERE p.url = ? ORDER BY p.id""",
        (url,),
    )
    assert {compression.partition(":")[0] for _, compression in rows} <= {"zstd"}
    with Archive(db) as archive:
        return [archive.bodies.read(blob, c) if blob is not None else None for blob, c in rows]


def integrity(db: Path) -> list[tuple]:
    """PRAGMA integrity_check."""
    return query(db, "PRAGMA integrity_check")


def assert_canary_untouched(canary: Canary) -> None:
    """No connection ever reached 127.0.0.2."""
    assert canary.hits == 0, [c.data[:200] for c in canary.contacts]


# --- the gauntlet: one article whose related block links to every fault route -------------


@dataclass
class Crawl:
    """A crawl over the fault server, kept for the checks of a module."""

    server: FaultServer
    canary: Canary
    run: Measured
    db: Path
    related: list[str]


def direct_private_links(server: FaultServer, canary: Canary) -> dict[str, str]:
    """Related links that point straight at private addresses (no redirect)."""
    c, p = canary.port, server.port
    return {
        "canary": f"http://127.0.0.2:{c}{ARTICLE_DIR}diretto-canary.html",
        "decimal": f"http://2130706434:{c}{ARTICLE_DIR}diretto-decimale.html",
        "hex": f"http://0x7f000002:{c}{ARTICLE_DIR}diretto-esadecimale.html",
        "ipv6": f"http://[::ffff:127.0.0.2]:{c}{ARTICLE_DIR}diretto-ipv6.html",
        "localhost": f"http://localhost:{p}{ARTICLE_DIR}diretto-localhost.html",
    }


@pytest.fixture(scope="module")
def gauntlet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """Crawl the seed, depth 1; 127.0.0.2 and localhost allowed so only the SSRF guard stands."""
    for name in BOMBS:
        bomb(name.removeprefix("bomb_"))  # built before the crawl, not while it waits
    tmp = tmp_path_factory.mktemp("gauntlet")
    with serve_faults() as (server, canary):
        direct = list(direct_private_links(server, canary).values())
        server.link_all(PATHS["seed"], [*GAUNTLET_ROUTES, *direct, *AFTER])
        db = tmp / "archive.db"
        run = run_measured(
            "crawl",
            server.url("seed"),
            "--db",
            str(db),
            "--allow-domain",
            "127.0.0.2",
            "--allow-domain",
            "localhost",
            *HARD,
            "-s",
            "NEWSARCHIVE_EXTRACT_TIMEOUT=3",
            cwd=tmp,
            timeout=180,
        )
        related = [
            r[0]
            for r in query(
                db,
                "SELECT to_url FROM links WHERE from_url = ? ORDER BY position",
                (server.url("seed"),),
            )
        ]
        yield Crawl(server, canary, run, db, related)


def test_gauntlet_run_finishes_with_the_right_outcome(gauntlet: Crawl) -> None:
    run, db = gauntlet.run, gauntlet.db
    status, stats = last_crawl(db)
    seed = gauntlet.server.url("seed")
    after = [
        query(db, "SELECT outcome FROM pages WHERE url = ?", (gauntlet.server.url(p),))
        for p in AFTER
    ]
    assert run.code == 0, run.err[-3000:]
    assert (status, stats["newsarchive/status"]) == ("finished", "finished")
    assert pages_for(db, seed) == [(200, "article", None)]
    # every related link is recorded, followed or not (routes, direct private links, after)
    direct = direct_private_links(gauntlet.server, gauntlet.canary)
    assert len(gauntlet.related) == len(GAUNTLET_ROUTES) + len(direct) + len(AFTER)
    # pages listed after all the faults are archived: nothing stopped the crawl
    assert after == [[("article",)]] * len(AFTER)
    # stalled servers hang for 30 s; the run is bounded by DOWNLOAD_TIMEOUT, not by them
    assert run.seconds < 60
    assert MIN_RSS_MB < run.maxrss_mb < MAX_RSS_MB
    assert integrity(db) == [("ok",)]
    assert_canary_untouched(gauntlet.canary)


@pytest.mark.parametrize(
    ("name", "code", "hits"), [("404", 404, 1), ("410", 410, 1), ("500", 500, 2)]
)
def test_http_error_pages_are_archived_once(
    gauntlet: Crawl, name: str, code: int, hits: int
) -> None:
    url = gauntlet.server.url(name)
    assert pages_for(gauntlet.db, url) == [(code, "error", f"HTTP {code}")]
    assert len(gauntlet.server.hits_for(name)) == hits  # 500 is retried once (RETRY_TIMES=1)


@pytest.mark.parametrize("name", STALLED)
def test_stalled_downloads_give_up_after_download_timeout(gauntlet: Crawl, name: str) -> None:
    """Never answering, hanging after the headers and trickling 1 byte/s are all cut at
    DOWNLOAD_TIMEOUT: Scrapy's timeout bounds the whole download, so trickling does not
    defeat it. The URL stays queued (attempts 1) for the next run: nothing is lost."""
    hits = gauntlet.server.hits_for(name)
    url = gauntlet.server.url(name)
    frontier = query(gauntlet.db, "SELECT attempts FROM frontier WHERE url = ?", (url,))
    _, stats = last_crawl(gauntlet.db)
    assert pages_for(gauntlet.db, url) == []
    assert len(hits) == 2
    # the retry came once the first attempt had been given up, DOWNLOAD_TIMEOUT later
    assert DOWNLOAD_TIMEOUT - 0.5 <= hits[1].arrived - hits[0].arrived <= DOWNLOAD_TIMEOUT + 5
    if name == "trickle":  # at 1 byte/s, at most DOWNLOAD_TIMEOUT (+1) bytes per attempt
        assert all(n <= DOWNLOAD_TIMEOUT + 1 for n in gauntlet.server.body_bytes_sent(name))
    assert stats["newsarchive/fetch_failed/DownloadTimeoutError"] == len(STALLED)
    assert frontier == [(1,)]


def test_truncated_body_is_never_stored_as_complete(gauntlet: Crawl) -> None:
    url = gauntlet.server.url("truncated")
    _, stats = last_crawl(gauntlet.db)
    # each attempt got TRUNCATED_SENT bytes of the TRUNCATED_DECLARED announced
    assert gauntlet.server.body_bytes_sent("truncated") == [TRUNCATED_SENT] * 2
    assert TRUNCATED_SENT < TRUNCATED_DECLARED
    assert pages_for(gauntlet.db, url) == []  # DOWNLOAD_FAIL_ON_DATALOSS: the fetch fails
    assert stats["newsarchive/fetch_failed/ResponseDataLossError"] == 1
    assert query(gauntlet.db, "SELECT attempts FROM frontier WHERE url = ?", (url,)) == [(1,)]


def test_no_page_row_claims_more_or_less_than_its_content_length(gauntlet: Crawl) -> None:
    """Every stored body has the size its Content-Length announced (when not encoded)."""
    wrong = []
    for url, headers, size in query(gauntlet.db, "SELECT url, headers, body_size FROM pages"):
        h = {k.lower(): v for k, v in json.loads(headers).items()}
        declared = h.get("content-length") if "content-encoding" not in h else None
        if declared is not None and int(declared) != size:
            wrong.append((url, declared, size))
    assert wrong == []


@pytest.mark.parametrize("name", ["big_cl", "big"])
def test_download_size_cap_cuts_50_mb_bodies(gauntlet: Crawl, name: str) -> None:
    """DOWNLOAD_MAXSIZE (10 MiB): refused on Content-Length, or cut once 10 MiB arrived."""
    url = gauntlet.server.url(name)
    _, stats = last_crawl(gauntlet.db)
    assert pages_for(gauntlet.db, url) == []
    assert stats["newsarchive/fetch_failed/DownloadCancelledError"] == 2
    # the server could push socket buffers' worth beyond the cap, never the 50 MB
    assert gauntlet.server.bytes_sent(name) < BIG_BYTES / 2
    assert query(gauntlet.db, "SELECT attempts FROM frontier WHERE url = ?", (url,)) == [(1,)]


def test_page_over_the_extraction_cap_is_kept_raw(gauntlet: Crawl) -> None:
    url = gauntlet.server.url("medium")
    expected = hashlib.sha256(b"".join(streamed_body(MEDIUM_BYTES))).hexdigest()
    bodies = stored_bodies(gauntlet.db, url)
    assert [r[:2] for r in pages_for(gauntlet.db, url)] == [(200, "too_large")]
    assert [hashlib.sha256(b).hexdigest() if b else None for b in bodies] == [expected]


@pytest.mark.parametrize("name", ["bomb_gzip", "bomb_deflate", "bomb_br"])
def test_compression_bombs_are_cut_before_inflating(gauntlet: Crawl, name: str) -> None:
    """512 MB behind Content-Encoding: inflation stops at DOWNLOAD_MAXSIZE, memory stays low."""
    if name == "bomb_br" and brotli is None:
        pytest.skip(NO_BROTLI)
    url = gauntlet.server.url(name)
    assert pages_for(gauntlet.db, url) == []
    assert f"Ignored response <200 {url}>" in gauntlet.run.err
    assert "exceeded DOWNLOAD_MAXSIZE" in gauntlet.run.err
    assert gauntlet.server.body_bytes_sent(name) == [len(bomb(name.removeprefix("bomb_")))]
    assert MIN_RSS_MB < gauntlet.run.maxrss_mb < MAX_RSS_MB


def test_redirect_loops_are_stopped(gauntlet: Crawl) -> None:
    server = gauntlet.server
    hits = {name: len(server.hits_for(name)) for name in LOOPS}
    reached = [h.path for h in server.hits_for("chain")]
    assert all(pages_for(gauntlet.db, server.url(name)) == [] for name in LOOPS)
    assert hits["loop_a"] <= 2 and hits["loop_b"] <= 2
    assert hits["refresh_a"] <= 2 and hits["refresh_b"] <= 2
    assert hits["chain"] <= REDIRECT_MAX_TIMES + 1
    assert not any(p.endswith("n=1000") for p in reached)


@pytest.mark.parametrize("name", OTHER_SCHEMES)
def test_redirects_to_other_schemes_are_archived_not_followed(gauntlet: Crawl, name: str) -> None:
    url = gauntlet.server.url(name)
    rows = query(gauntlet.db, "SELECT status, final_url, headers FROM pages WHERE url = ?", (url,))
    schemes = {r[0].split(":")[0] for r in query(gauntlet.db, "SELECT final_url FROM pages")}
    with Archive(gauntlet.db) as archive:
        bodies = [
            archive.bodies.read(b, c)
            for b, c in query(gauntlet.db, "SELECT body, compression FROM pages")
            if b
        ]
    assert [(status, final) for status, final, _ in rows] == [(302, url)]
    assert json.loads(rows[0][2])["Location"].split(":")[0] in ("file", "data", "ftp")
    assert schemes == {"http"}
    assert not any(b"root:x:0:0" in body for body in bodies)  # /etc/passwd never read
    assert_canary_untouched(gauntlet.canary)  # the ftp target is the canary


def test_private_addresses_are_dropped_before_any_connection(gauntlet: Crawl) -> None:
    """127.0.0.2 in every spelling and localhost, by redirect or by direct link: refused by
    the SSRF guard (they are allowed hosts here, so scope alone does not stop them)."""
    server, canary = gauntlet.server, gauntlet.canary
    _, stats = last_crawl(gauntlet.db)
    direct = direct_private_links(server, canary)
    spellings = ["127.0.0.2", "2130706434", "0x7f000002", "0177.0.0.2", "127.2", "localhost"]
    as_localhost = [h.path for h in server.hits if h.host.startswith("localhost")]
    assert_canary_untouched(canary)
    assert as_localhost == []
    for spelling in spellings:
        assert f"(host {spelling} is a private address)" in gauntlet.run.err, spelling
    private = len(PRIVATE_REDIRECTS) + len([k for k in direct if k != "ipv6"])
    assert stats["newsarchive/dropped/private_address"] == private
    # the IPv4-mapped IPv6 spelling is not an allowed host: dropped as off-site, link and redirect
    assert (
        stats.get("newsarchive/dropped/offsite", 0)
        + stats.get("newsarchive/not_followed/offsite", 0)
        == 2
    )


def test_robots_disallowed_page_is_never_fetched(gauntlet: Crawl) -> None:
    _, stats = last_crawl(gauntlet.db)
    assert gauntlet.server.hits_for("private") == []
    assert stats["newsarchive/dropped/robots"] == 1


OUTCOMES = {
    "sql": {"article"},
    "nul": {"article"},
    "nested": {"article"},
    "binary": {"not_html", "empty"},
    "empty": {"not_html", "empty"},
    "slow": {"extraction_failed"},
}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_bodies_are_stored_verbatim(gauntlet: Crawl, name: str) -> None:
    url = gauntlet.server.url(f"hostile_{name}")
    rows = pages_for(gauntlet.db, url)
    assert stored_bodies(gauntlet.db, url) == [gauntlet.server.hostile[name]]
    assert len(rows) == 1 and rows[0][1] in OUTCOMES[name], rows


def test_sql_and_script_payloads_are_only_data(gauntlet: Crawl) -> None:
    url = gauntlet.server.url("hostile_sql")
    title, text = query(gauntlet.db, "SELECT title, text FROM articles WHERE url = ?", (url,))[0]
    tables = {r[0] for r in query(gauntlet.db, "SELECT name FROM sqlite_master WHERE type='table'")}
    found = query(
        gauntlet.db,
        "SELECT a.url FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        " WHERE articles_fts MATCH '\"DROP TABLE articles\"'",
    )
    assert title == SQL_TITLE
    assert "'; DELETE FROM pages WHERE 1=1; --" in text
    assert {"pages", "articles", "links", "crawls", "frontier"} <= tables
    assert found == [(url,)]
    assert_canary_untouched(gauntlet.canary)  # its <script> and <img> point there


def test_slow_extraction_is_stopped_and_the_crawl_goes_on(gauntlet: Crawl) -> None:
    url = gauntlet.server.url("hostile_slow")
    _, stats = last_crawl(gauntlet.db)
    [(status, outcome, error)] = pages_for(gauntlet.db, url)
    assert (status, outcome) == (200, "extraction_failed")
    assert error.startswith("timeout")
    assert stats["newsarchive/extraction_failed/timeout"] == 1


@pytest.mark.parametrize("name", ["header_bomb", "garbage"])
def test_broken_http_fails_cleanly(gauntlet: Crawl, name: str) -> None:
    """A 1 MiB header line, bytes that are not HTTP: a counted fetch failure, no row."""
    url = gauntlet.server.url(name)
    _, stats = last_crawl(gauntlet.db)
    assert pages_for(gauntlet.db, url) == []
    assert f"not fetched: {url} (" in gauntlet.run.err
    assert stats["newsarchive/fetch_failed/DownloadFailedError"] == 2


def test_every_related_link_is_stored_or_counted(gauntlet: Crawl) -> None:
    """Nothing lost silently: each related URL has a pages row, or is counted under
    newsarchive/fetch_failed, newsarchive/dropped or newsarchive/not_followed."""
    _, stats = last_crawl(gauntlet.db)
    stored = {r[0] for r in query(gauntlet.db, "SELECT url FROM pages")}
    missing = [u for u in gauntlet.related if u not in stored]
    accounted = sum(
        counted(stats, p)
        for p in ("newsarchive/fetch_failed/", "newsarchive/dropped/", "newsarchive/not_followed/")
    )
    assert len(missing) == accounted, sorted(missing)


def test_finished_run_forgets_no_handled_url_in_the_frontier(gauntlet: Crawl) -> None:
    """Only URLs that failed (attempts >= 1, retried by the next runs) may stay queued."""
    forgotten = query(gauntlet.db, "SELECT url FROM frontier WHERE attempts = 0 ORDER BY url")
    assert forgotten == []


# --- faults met as seeds ------------------------------------------------------------------


SEED_CASES = [
    pytest.param("404", [(404, "error")], id="404"),
    pytest.param("truncated", [], id="truncated"),
    pytest.param("bomb_gzip", [], id="gzip-bomb"),
    pytest.param("chain", [], id="redirect-chain"),
    pytest.param("to_canary", [], id="redirect-to-private"),
    pytest.param(
        "loop_a",
        [],
        id="redirect-loop",
    ),
    pytest.param(
        "refresh_a",
        [],
        id="meta-refresh-loop",
    ),
]


@pytest.mark.parametrize(("name", "rows"), SEED_CASES)
def test_a_seed_that_cannot_be_archived_fails_the_run(
    tmp_path: Path, name: str, rows: list
) -> None:
    with serve_faults() as (server, canary):
        db = tmp_path / "archive.db"
        run = run_cli(
            "crawl", server.url(name), "--db", str(db), "--depth", "0", *HARD, cwd=tmp_path
        )
        status, _ = last_crawl(db)
        stored = query(db, "SELECT status, outcome FROM pages")
        assert (run.code, status) == (1, "seed_failed"), run.err[-2000:]
        assert stored == rows
        assert integrity(db) == [("ok",)]
        assert_canary_untouched(canary)


def test_bombs_as_seeds_fail_cleanly_in_bounded_memory(tmp_path: Path) -> None:
    for name in BOMBS:
        bomb(name.removeprefix("bomb_"))
    with serve_faults() as (server, canary):
        db = tmp_path / "archive.db"
        seeds = [server.url(name) for name in BOMBS]
        run = run_measured("crawl", *seeds, "--db", str(db), "--depth", "0", *HARD, cwd=tmp_path)
        status, _ = last_crawl(db)
        assert (run.code, status) == (1, "seed_failed")
        assert query(db, "SELECT count(*) FROM pages") == [(0,)]
        assert MIN_RSS_MB < run.maxrss_mb < MAX_RSS_MB
        assert run.seconds < 60
        assert_canary_untouched(canary)


# --- Retry-After ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retry_after(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """Two seeds answered 429 / 503 with Retry-After: 2 (after 1.5 s), then the article."""
    tmp = tmp_path_factory.mktemp("retry_after")
    with serve_faults() as (server, canary):
        db = tmp / "archive.db"
        seeds = [server.url(PATHS[n] + f"?s={RA_WAIT}") for n in ("ra429", "ra503")]
        run = run_measured("crawl", *seeds, "--db", str(db), "--depth", "0", *HARD, cwd=tmp)
        yield Crawl(server, canary, run, db, seeds)


def test_429_and_503_are_retried_then_archived(retry_after: Crawl) -> None:
    status, stats = last_crawl(retry_after.db)
    assert (retry_after.run.code, status) == (0, "finished")
    for url in retry_after.related:
        assert pages_for(retry_after.db, url) == [(200, "article", None)]
    assert stats["newsarchive/retry_after"] == 2
    assert [h.status for h in retry_after.server.hits_for("ra429")] == [429, 200]
    assert [h.status for h in retry_after.server.hits_for("ra503")] == [503, 200]


def test_retry_after_delays_the_next_request_to_the_host(retry_after: Crawl) -> None:
    hits = retry_after.server.hits
    for answer in [h for h in hits if h.status in (429, 503)]:
        later = [h.arrived - answer.finished for h in hits if h.arrived > answer.finished]
        assert min(later) >= RA_WAIT, (answer.path, min(later))


# --- robots.txt -------------------------------------------------------------------------


@dataclass
class RobotsCrawl:
    """A crawl whose seed links to articles on hosts with broken robots.txt files."""

    hosts: dict[str, FaultServer]
    canary: Canary
    run: Measured
    db: Path
    queued: list[str]


@pytest.fixture(scope="module")
def robots_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RobotsCrawl]:
    """Seed on a good host; related articles on hosts whose robots.txt is 503, hangs, is
    10 MB, is 12 MiB (over DOWNLOAD_MAXSIZE), or redirects to the canary. Before the crawl,
    the frontier holds URLs of the 503 and hanging hosts, as a killed run would leave them."""
    tmp = tmp_path_factory.mktemp("robots")
    variants = ["503", "timeout", "huge", "over_cap", "canary"]
    with Canary() as canary:
        servers = {v: FaultServer(canary.port, robots=v, hang_seconds=10).start() for v in variants}
        servers["seed"] = FaultServer(canary.port).start()
        try:
            links = []
            for v in variants:
                other = servers[v]
                links += [
                    (
                        other.url(f"{ARTICLE_DIR}articolo-{v}.html"),
                        f"Titolo lungo di un articolo {v}",
                    ),
                    (other.url("private"), f"Titolo lungo di un articolo riservato {v}"),
                ]
            servers["seed"].set_links(PATHS["seed"], links)
            db = tmp / "archive.db"
            queued = [servers[v].url(f"{ARTICLE_DIR}in-coda-{v}.html") for v in ("503", "timeout")]
            with Archive(db) as archive:
                archive.frontier.enqueue(
                    [{"url": u, "depth": 1, "max_depth": 1} for u in queued],
                    crawl_id=None,
                    queued_at="2024-11-21T08:00:00+00:00",
                )
            run = run_measured(
                "crawl", servers["seed"].url("seed"), "--db", str(db), *HARD, cwd=tmp
            )
            yield RobotsCrawl(servers, canary, run, db, queued)
        finally:
            for server in servers.values():
                server.stop()


def paths_seen(server: FaultServer) -> list[str]:
    return [h.route for h in server.hits]


def test_robots_run_finishes(robots_run: RobotsCrawl) -> None:
    status, _ = last_crawl(robots_run.db)
    assert (robots_run.run.code, status) == (0, "finished"), robots_run.run.err[-2000:]
    assert MIN_RSS_MB < robots_run.run.maxrss_mb < MAX_RSS_MB
    assert integrity(robots_run.db) == [("ok",)]
    assert_canary_untouched(robots_run.canary)


@pytest.mark.parametrize("variant", ["503", "timeout"])
def test_unavailable_robots_means_nothing_fetched_from_that_host(
    robots_run: RobotsCrawl, variant: str
) -> None:
    server = robots_run.hosts[variant]
    _, stats = last_crawl(robots_run.db)
    assert set(paths_seen(server)) == {"/robots.txt"}
    assert query(
        robots_run.db, "SELECT count(*) FROM pages WHERE url LIKE ?", (server.base_url + "%",)
    ) == [(0,)]
    assert stats["newsarchive/robots/status/503"] == 1
    assert stats["newsarchive/robots/unreachable"] >= 1


def test_huge_robots_is_obeyed_in_bounded_memory(robots_run: RobotsCrawl) -> None:
    server = robots_run.hosts["huge"]
    assert PATHS["private"] not in paths_seen(server)
    assert pages_for(robots_run.db, server.url(f"{ARTICLE_DIR}articolo-huge.html")) == [
        (200, "article", None)
    ]
    assert MIN_RSS_MB < robots_run.run.maxrss_mb < MAX_RSS_MB


def test_robots_redirect_to_a_private_address_is_not_followed(robots_run: RobotsCrawl) -> None:
    assert_canary_untouched(robots_run.canary)
    assert PATHS["private"] not in paths_seen(robots_run.hosts["canary"])


def test_robots_over_the_download_cap_applies_its_first_500_kib(robots_run: RobotsCrawl) -> None:
    server = robots_run.hosts["over_cap"]
    assert PATHS["private"] not in paths_seen(server)
    assert pages_for(robots_run.db, server.url(f"{ARTICLE_DIR}articolo-over_cap.html")) == [
        (200, "article", None)
    ]


def test_robots_outage_keeps_queued_urls_for_a_later_run(robots_run: RobotsCrawl) -> None:
    kept = {r[0] for r in query(robots_run.db, "SELECT url FROM frontier")}
    assert set(robots_run.queued) <= kept


def test_robots_503_on_the_seed_host_fails_the_run(tmp_path: Path) -> None:
    with serve_faults(robots="503") as (server, canary):
        db = tmp_path / "archive.db"
        run = run_cli("crawl", server.url("seed"), "--db", str(db), *HARD, cwd=tmp_path)
        status, _ = last_crawl(db)
        assert (run.code, status) == (1, "seed_failed")
        assert set(paths_seen(server)) == {"/robots.txt"}
        assert query(db, "SELECT count(*) FROM pages") == [(0,)]
        assert_canary_untouched(canary)


# --- XML attacks ----------------------------------------------------------------------------


REFUSED_XML = ["feed_laughs", "feed_xxe", "feed_param", "sitemap_laughs", "sitemap_bomb"]
HARMLESS_XML = ["feed_dtd", "sitemap_dtd", "sitemap_xinclude"]  # parsed, DTD/XInclude unused


@pytest.fixture(scope="module")
def xml_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    bomb("sitemap_gz")
    tmp = tmp_path_factory.mktemp("xml")
    with serve_faults() as (server, canary):
        args = []
        for name in REFUSED_XML + HARMLESS_XML:
            args += ["--feed" if name.startswith("feed") else "--sitemap", server.url(name)]
        db = tmp / "archive.db"
        run = run_measured("crawl", *args, "--db", str(db), "--depth", "0", *HARD, cwd=tmp)
        yield Crawl(server, canary, run, db, [])


def test_xml_attacks_are_refused_without_expansion_or_network(xml_run: Crawl) -> None:
    server, db = xml_run.server, xml_run.db
    status, stats = last_crawl(db)
    assert (xml_run.run.code, status) == (0, "finished")
    assert stats["newsarchive/source_failed/UnsafeXMLError"] == len(REFUSED_XML)
    for name in REFUSED_XML:
        assert f"{server.url(name)} refused" in xml_run.run.err, name
    assert MIN_RSS_MB < xml_run.run.maxrss_mb < MAX_RSS_MB
    assert_canary_untouched(xml_run.canary)
    expanded = query(db, "SELECT count(*) FROM discoveries WHERE listed_title LIKE '%lollol%'")
    assert expanded == [(0,)]


@pytest.mark.parametrize("name", REFUSED_XML + HARMLESS_XML)
def test_xml_sources_are_kept_raw(xml_run: Crawl, name: str) -> None:
    server = xml_run.server
    body = bomb("sitemap_gz") if name == "sitemap_bomb" else server.xml[name][1]
    rows = pages_for(xml_run.db, server.url(name))
    assert [r[:2] for r in rows] == [(200, "feed" if name.startswith("feed") else "sitemap")]
    assert stored_bodies(xml_run.db, server.url(name)) == [body]


def test_xml_with_an_external_dtd_or_xinclude_is_read_without_loading_it(xml_run: Crawl) -> None:
    server = xml_run.server
    found = {r[0] for r in query(xml_run.db, "SELECT url FROM discoveries")}
    listed = {
        server.url(f"{ARTICLE_DIR}dal-feed.html"),
        server.url(f"{ARTICLE_DIR}dalla-sitemap.html"),
    }
    assert found == listed
    for url in listed:
        assert pages_for(xml_run.db, url) == [(200, "article", None)]
    assert_canary_untouched(xml_run.canary)


# --- two runs at once -------------------------------------------------------------------


@pytest.mark.slow
def test_overlapping_runs_fetch_each_page_once(tmp_path: Path) -> None:
    """cron starts the same crawl while the previous one is still running."""
    with serve_faults() as (server, canary):
        articles = [f"{ARTICLE_DIR}sovrapposto-{i}.html" for i in range(12)]
        server.link_all(PATHS["seed"], articles)
        db = tmp_path / "archive.db"
        Archive(db).close()
        args = [server.url("seed"), "--db", str(db), *HARD, "-s", "DOWNLOAD_DELAY=0.5"]
        env = child_env()
        first = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", "crawl", *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not query(db, "SELECT 1 FROM pages") and time.monotonic() < deadline:
                time.sleep(0.1)
            second = run_cli("crawl", *args, cwd=tmp_path)
            first_code = first.wait(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        twice = query(
            db, "SELECT url FROM pages WHERE status = 200 GROUP BY url HAVING count(*) > 1"
        )
        stored = {r[0] for r in query(db, "SELECT url FROM pages WHERE status = 200")}
        assert (first_code, second.code) == (0, 0), second.err[-2000:]
        assert stored == {server.url(p) for p in [PATHS["seed"], *articles]}
        assert twice == []
        assert_canary_untouched(canary)


# --- storage: a full disk ------------------------------------------------------------------


@dataclass
class DiskFull:
    """A crawl that ran out of disk space, then the run that resumed once space was back."""

    full: Measured
    integrity_after_full: list[tuple]
    resumed: Measured
    db: Path
    articles: list[str]
    server: FaultServer


def _mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a small tmpfs at path; the reason it cannot be done, or None."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a small tmpfs needs root and mount(8)"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    return None if done.returncode == 0 else f"mount -t tmpfs failed: {done.stderr.strip()}"


def _umount(path: Path) -> None:
    for _ in range(40):  # a killed crawler may hold the mount for a moment
        if subprocess.run(["umount", str(path)], capture_output=True).returncode == 0:
            return
        time.sleep(0.25)
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(path: Path, leave: int) -> Path:
    """Fill the filesystem of path, then free `leave` bytes."""
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DiskFull]:
    """archive.db on an 8 MiB tmpfs: crawl once, fill the disk leaving 96 KiB, crawl 41
    articles (the disk fills up), free the space, crawl again."""
    tmp = tmp_path_factory.mktemp("disk_full")
    mount = tmp / "disk"
    mount.mkdir()
    reason = _mount_tmpfs(mount, "8m")
    if reason:
        pytest.skip(reason)
    try:
        with serve_faults() as (server, _canary):
            articles = [f"{ARTICLE_DIR}articolo-numero-{i}.html" for i in range(40)]
            server.link_all(PATHS["seed"], articles)
            db = mount / "archive.db"
            first = run_cli(
                "crawl",
                server.url(f"{ARTICLE_DIR}primo.html"),
                "--db",
                str(db),
                "--depth",
                "0",
                *HARD,
                cwd=tmp,
            )
            assert first.code == 0, first.err[-2000:]
            filler = _fill(mount, 96 * 1024)
            full = run_measured(
                "crawl", server.url("seed"), "--db", str(db), *HARD, cwd=tmp, timeout=25
            )
            checked = integrity(db)
            filler.unlink()
            resumed = run_measured(
                "crawl", server.url("seed"), "--db", str(db), *HARD, cwd=tmp, timeout=120
            )
            yield DiskFull(full, checked, resumed, db, [PATHS["seed"], *articles], server)
    finally:
        _umount(mount)


@pytest.mark.slow
def test_disk_full_leaves_the_archive_intact_and_resumable(disk_full: DiskFull) -> None:
    """Whatever the full-disk run did, the archive is consistent and the next run, with
    space back, archives every page exactly once."""
    db, server = disk_full.db, disk_full.server
    status, _ = last_crawl(db)
    stored = query(db, "SELECT url, count(*) FROM pages WHERE status = 200 GROUP BY url")
    assert disk_full.integrity_after_full == [("ok",)]
    assert (disk_full.resumed.code, status) == (0, "finished"), disk_full.resumed.err[-2000:]
    assert {u for u, _ in stored} >= {server.url(p) for p in disk_full.articles}
    assert [u for u, n in stored if n > 1] == []
    assert integrity(db) == [("ok",)]


@pytest.mark.slow
def test_disk_full_is_a_clear_error_with_exit_3(disk_full: DiskFull) -> None:
    assert disk_full.full.code == 3, (disk_full.full.code, disk_full.full.seconds)
    assert "database or disk is full" in disk_full.full.err
