"""A real Datasette server (`newsarchive serve`) over an archive built by a real crawl."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from conftest import FAST, run_cli

from newsarchive.serve.metadata import COLUMNS
from newsarchive.store.migrations import VIEWS
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import serve_site

pytestmark = pytest.mark.e2e

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("datasette")
    db = tmp / "archive.db"
    with serve_site() as site:
        result = run_cli(
            "crawl", site.url(truth.SEED_PATH), "--db", str(db), "--depth", "2", *FAST, cwd=tmp
        )
        assert result.code == 0, result.err
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", str(port)],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("datasette did not start")
    yield base, tmp
    proc.terminate()
    proc.wait(10)


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_fts_without_accents_finds_the_citta_article(server):
    base, _ = server
    rows = get(base + "/archive/articles.json?_search=citta&_shape=array&_col=title")
    assert truth.ARTICLES[truth.CP1252_PATH]["title"] in [r["title"] for r in rows]


def test_fts_perche(server):
    base, _ = server
    rows = get(base + "/archive/articles.json?_search=perche+bolletta&_shape=array")
    assert any("perché" in r["title"] for r in rows)


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_answers(server, view):
    base, _ = server
    data = get(f"{base}/archive/{view}.json?_shape=objects")
    assert isinstance(data["rows"], list)


def test_latest_articles_newest_first(server):
    base, _ = server
    rows = get(base + "/archive/latest_articles.json?_shape=array")
    dates = [r["date_published"][:10] for r in rows]
    assert dates == sorted(dates, reverse=True) and len(rows) == 9


def test_related_graph_has_titles_and_listed_dates(server):
    base, _ = server
    rows = get(base + "/archive/related_graph.json?_shape=array&position=1")
    seed = [r for r in rows if r["from_url"].endswith(truth.SEED_PATH)][0]
    assert (seed["to_title"], seed["listed_date"]) == (
        truth.ARTICLES[truth.TRACKING_TO]["title"],
        "2024-11-20T03:15:00+01:00",
    )


def test_configured_facets(server):
    base, _ = server
    data = get(base + "/archive/articles.json")
    assert {"site", "language", "published_day"} <= set(data["facet_results"])


def test_default_sort_newest_first(server):
    base, _ = server
    rows = get(base + "/archive/articles.json?_shape=array&_col=date_published")
    dates = [r["date_published"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_pages_table_sends_no_bodies(server):
    base, _ = server
    listed = get(base + "/archive/pages_list.json?_shape=array")
    assert status(base + "/archive/pages.json") == 403
    assert listed and "body" not in listed[0]


def test_every_column_documented(server):
    import sqlite3

    _, tmp = server

    conn = sqlite3.connect(tmp / "archive.db")
    undocumented = [
        (table, column)
        for table, described in COLUMNS.items()
        for (_, column, *_rest) in conn.execute(f"PRAGMA table_info({table})")
        if column not in described
    ]
    assert undocumented == []


def test_listens_on_loopback_by_default():
    from newsarchive.cli import serve

    host = [p for p in serve.params if p.name == "host"][0]
    assert host.default == "127.0.0.1"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_browser_renders_search_results(server, tmp_path):
    base, _ = server
    profile = tmp_path / "profile"
    shot = tmp_path / "search.png"
    url = base + "/archive/articles?_search=citta"
    common = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,1600", url],
        capture_output=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert truth.ARTICLES[truth.CP1252_PATH]["title"] in dom.stdout
    assert shot.exists() and shot.stat().st_size > 10_000


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_browser_renders_home_with_tables(server, tmp_path):
    base, _ = server
    dom = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'p'}",
            "--dump-dom",
            base + "/archive",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert "articles" in dom.stdout and "latest_articles" in dom.stdout
