"""reextract: same code as the crawl over stored pages; idempotent, deterministic, raw untouched."""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import count_rows, descendants, is_alive, run_cli, spawned_workers, wait_until

from newsarchive.crawl.reextract import reextract
from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fixture_pages import BASE, raw_page, store
from newsarchive_testing.fixture_site import SITE_DIR

DERIVED = {
    "articles": "url",
    "links": "from_url, to_url, kind",
    "date_evidence": "id",
    "article_versions": "article_url, version",
    "pages": "id",
}


def snapshot(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall()
            for t, o in DERIVED.items()
        }
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        for article in truth.ARTICLE_LIST:
            store(archive, raw_page(article["path"]))
    return path


def test_reextract_twice_changes_nothing(db):
    reextract(db, jobs=1)
    first = snapshot(db)
    summary = reextract(db, jobs=1)
    assert (snapshot(db), summary.articles_changed) == (first, 0)


def test_first_reextract_of_fresh_archive_changes_nothing(db):
    before = snapshot(db)
    reextract(db, jobs=1)
    assert snapshot(db) == before


def test_two_workers_give_the_same_rows_as_one(db, tmp_path):
    import shutil

    other = tmp_path / "copy.db"
    shutil.copy(db, other)
    reextract(db, jobs=1)
    reextract(other, jobs=2)
    assert snapshot(db) == snapshot(other)


def test_clock_a_year_later_gives_the_same_dates(db):
    import time_machine

    before = snapshot(db)
    with time_machine.travel(datetime(2027, 11, 26, tzinfo=timezone.utc), tick=False):
        reextract(db, jobs=1)
    assert snapshot(db)["articles"] == before["articles"]


def test_changed_extraction_is_applied_and_reported(db):
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET title = 'stale' WHERE url = ?", (BASE + truth.SEED_PATH,))
    conn.commit()
    conn.close()
    summary = reextract(db, jobs=1)
    title = (
        sqlite3.connect(db)
        .execute("SELECT title FROM articles WHERE url = ?", (BASE + truth.SEED_PATH,))
        .fetchone()[0]
    )
    assert (summary.articles_changed, summary.by_field["title"], title) == (
        1,
        1,
        truth.ARTICLES[truth.SEED_PATH]["title"],
    )


def test_dry_run_reports_but_writes_nothing(db):
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET title = 'stale' WHERE url = ?", (BASE + truth.SEED_PATH,))
    conn.commit()
    conn.close()
    before = snapshot(db)
    summary = reextract(db, jobs=1, dry_run=True)
    assert (summary.articles_changed, snapshot(db)) == (1, before)


def test_raw_bodies_untouched(db):
    def bodies():
        return (
            sqlite3.connect(db).execute("SELECT id, body, sha256 FROM pages ORDER BY id").fetchall()
        )

    before = bodies()
    reextract(db, jobs=2)
    assert bodies() == before


def test_filters_select_pages(db):
    summary = reextract(db, jobs=1, url=BASE + truth.SEED_PATH)
    assert summary.pages_read == 1


def test_cli_reextract_summary(db, tmp_path):
    result = run_cli("reextract", "--db", str(db), "--silent", "--jobs", "1", cwd=tmp_path)
    assert result.code == 0 and f"pages read: {len(truth.ARTICLE_LIST)}" in result.out


def test_cli_reextract_missing_db(tmp_path):
    result = run_cli("reextract", "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert result.code == 1 and "no archive" in result.err


def test_versions_rebuilt_in_fetch_order(tmp_path):
    path = tmp_path / "v.db"
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    edited = body.replace(b"uomini e munizioni.", b"uomini, munizioni e missili.")
    with Archive(path) as archive:
        store(archive, raw_page(body=body))
        store(archive, raw_page(body=edited, fetched_at="2024-12-07T09:00:00.000+00:00"))
        store(archive, raw_page(body=edited, fetched_at="2024-12-08T09:00:00.000+00:00"))
    before = snapshot(path)["article_versions"]
    reextract(path, jobs=1)
    assert (snapshot(path)["article_versions"], len(before)) == (before, 2)


@pytest.mark.e2e
def test_killed_reextract_is_finished_by_the_next_run(tmp_path):
    """SIGKILL in the middle of a re-extraction: consistent archive, the rerun completes it."""
    import shutil
    import signal
    import subprocess
    import sys

    from newsarchive_testing.archives import build  # raw pages only, as bench/reextract.py

    db = tmp_path / "archive.db"
    files = build(db, 300)
    clean = tmp_path / "clean.db"
    shutil.copy(db, clean)
    reextract(clean, jobs=1)
    env = child_env()
    args = [
        sys.executable,
        "-m",
        "newsarchive",
        "reextract",
        "--db",
        str(db),
        "--silent",
        "--jobs",
        "2",
    ]
    proc = subprocess.Popen(
        args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # kill once a first batch is committed (observed), not after a fixed delay
    wait_until(
        lambda: count_rows(db, "SELECT count(*) FROM articles") > 0 or proc.poll() is not None,
        timeout=180,
        what="a first batch of articles",
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    rerun = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    integrity = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchall()
    got, want = snapshot(db), snapshot(clean)
    assert rerun.returncode == 0, rerun.stderr
    assert partial < len(files)
    assert integrity == [("ok",)]
    assert [r[0] for r in got["articles"]] == [r[0] for r in want["articles"]]
    assert [r[:3] for r in got["links"]] == [r[:3] for r in want["links"]]


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_reextract_leaves_no_worker_behind(tmp_path):
    """kill -9 of `reextract` while its workers extract: they end with it."""
    import os
    import signal
    import subprocess

    from newsarchive_testing.archives import build  # raw pages only, as bench/reextract.py

    db = tmp_path / "archive.db"
    build(db, 300)
    env = child_env()
    args = [sys.executable, "-m", "newsarchive", "reextract", "--db", str(db), "--jobs", "2"]
    proc = subprocess.Popen([*args, "--silent"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)

    try:
        started = wait_until(
            lambda: len(w := spawned_workers(proc.pid)) >= 2 and w,
            timeout=120,
            what="two extraction workers",
        )
        every = descendants(proc.pid)  # the workers and multiprocessing's helpers
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    try:
        wait_until(lambda: not any(map(is_alive, every)), timeout=30, what="workers gone")
    finally:
        for pid in filter(is_alive, every):
            os.kill(pid, signal.SIGKILL)
    assert len(started) >= 2


@pytest.mark.e2e
def test_reextract_uses_the_crawls_selector_and_time_zone(site, tmp_path):
    """What the crawl gave extraction besides the response (--related-selector, the
    NEWSARCHIVE_TZ of the run) is stored with the page: reextract without them rebuilds the
    very same rows."""
    from conftest import FAST

    db = tmp_path / "archive.db"
    crawled = run_cli(
        "crawl",
        site.url(truth.SEED_PATH),
        "--db",
        str(db),
        "--depth",
        "0",
        "--related-selector",
        "section.articoli-correlati li:first-child",
        *FAST,
        "-s",
        "NEWSARCHIVE_TZ=America/New_York",
        cwd=tmp_path,
    )
    assert crawled.code == 0, crawled.err
    before = snapshot(db)
    assert [row[1] for row in before["links"]] == [site.url(truth.TRACKING_TO)]
    done = run_cli("reextract", "--db", str(db), "--silent", "--jobs", "1", cwd=tmp_path)
    assert done.code == 0, done.err
    assert snapshot(db) == before
