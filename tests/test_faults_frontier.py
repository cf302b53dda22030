"""Issue 13, items 1-5: nothing lost, nothing leaked, in the frontier.

Each case runs the real CLI against ``tests/frontier_site.py`` on 127.0.0.1 (or calls the
archive/spider directly when the fault is a race), and fails on the code before its fix.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import FAST, run_cli
from frontier_site import article_path, serve

pytestmark = pytest.mark.e2e

ONE_WORKER = [*FAST, "-s", "NEWSARCHIVE_EXTRACT_WORKERS=1"]


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one SQL query on a fresh connection."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def last_stats(db: Path) -> tuple[str, dict]:
    """(status, stats) of the newest crawls row."""
    status, stats = query(db, "SELECT status, stats FROM crawls ORDER BY id DESC LIMIT 1")[0]
    return status, json.loads(stats or "{}")


# --- item 3: sitemap indexes that list themselves or each other -----------------------------


def sitemap_index(*children: str) -> bytes:
    """A <sitemapindex> listing child sitemap URLs."""
    items = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    ).encode()


def urlset(*urls: str) -> bytes:
    """A <urlset> listing article URLs."""
    items = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
    ).encode()


def test_sitemap_indexes_that_list_themselves_are_read_once(tmp_path: Path) -> None:
    xml = "application/xml"
    with serve(graph={article_path("elencato"): []}) as site:
        site.raw = {
            "/sitemap-self.xml": (xml, b""),
            "/sitemap-a.xml": (xml, b""),
            "/sitemap-b.xml": (xml, b""),
            "/sitemap-news.xml": (xml, urlset(site.url(article_path("elencato")))),
        }
        site.raw["/sitemap-self.xml"] = (
            xml,
            sitemap_index(site.url("/sitemap-self.xml"), site.url("/sitemap-a.xml")),
        )
        site.raw["/sitemap-a.xml"] = (xml, sitemap_index(site.url("/sitemap-b.xml")))
        site.raw["/sitemap-b.xml"] = (
            xml,
            sitemap_index(site.url("/sitemap-a.xml"), site.url("/sitemap-news.xml")),
        )
        db = tmp_path / "archive.db"
        run = run_cli(
            "crawl",
            "--sitemap",
            site.url("/sitemap-self.xml"),
            "--db",
            str(db),
            *ONE_WORKER,
            "-s",
            "CLOSESPIDER_TIMEOUT=20",
            cwd=tmp_path,
        )
        hits = dict(site.hits)
    assert run.code == 0, run.err[-2000:]
    for name in ("self", "a", "b", "news"):
        assert hits.get(f"/sitemap-{name}.xml") == 1, hits
    assert hits.get(article_path("elencato")) == 1
    status, stats = last_stats(db)
    assert status == "finished"
    assert stats.get("newsarchive/not_followed/source_seen") == 2
