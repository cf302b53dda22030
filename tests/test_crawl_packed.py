"""The crawl's extraction workers compress the bodies they extract (issue 17, crawl speed), as
import-warc's do (crawl/packing.py): the crawler process, whose one thread also runs Scrapy,
then only checks each blob and writes it."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

from conftest import FAST

from newsarchive.store.archive import Archive
from newsarchive.store.bodies import body_sha256
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fixture_site import FixtureSite
from newsarchive_testing.site_truth import SEED_PATH

# runs a crawl in this process and prints how many bodies the store compressed itself
CRAWL_COUNTING = """
import sys
from newsarchive.cli import cli
from newsarchive.store import pages

compressed = []
real = pages.compress


def counting(body, dictionary=None):
    compressed.append(len(body))
    return real(body, dictionary)


pages.compress = counting
try:
    cli.main({args!r}, standalone_mode=False)
finally:  # crawl ends with sys.exit(its exit code)
    print(len(compressed))
"""


def crawl_counting(site: FixtureSite, tmp_path, *extra: str) -> tuple[int, Archive]:
    db = tmp_path / "archive.db"
    args = ["crawl", site.url(SEED_PATH), "--db", str(db), "--depth", "1", "--quiet", *FAST]
    code = textwrap.dedent(CRAWL_COUNTING.format(args=[*args, *extra]))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), timeout=300
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1]), Archive(db)


def readable_bodies(archive: Archive) -> tuple[int, set[str]]:
    """How many stored bodies read back as their sha256 says; the compressions used."""
    rows = archive.db.conn.execute(
        "SELECT id, sha256, compression FROM pages WHERE body IS NOT NULL"
    ).fetchall()
    good = 0
    for page_id, sha, _ in rows:
        page = archive.pages.get(page_id)
        good += page is not None and body_sha256(page.body) == sha
    return good, {str(r[2]) for r in rows}


def test_crawl_workers_compress_the_article_bodies(site: FixtureSite, tmp_path):
    compressed, archive = crawl_counting(site, tmp_path, "--depth", "3")
    articles = archive.db.conn.execute(
        "SELECT count(*) FROM pages WHERE kind = 'article' AND body IS NOT NULL"
    ).fetchone()[0]
    good, compressions = readable_bodies(archive)
    stored = archive.db.conn.execute("SELECT count(*) FROM pages WHERE body IS NOT NULL")
    assert articles >= 5, articles
    # the site's dictionary is made from its first pages; the workers get it and use it
    assert "zstd:dict:1" in compressions
    assert good == stored.fetchone()[0]
    assert compressed == 0


def test_without_workers_the_store_compresses(site: FixtureSite, tmp_path):
    compressed, archive = crawl_counting(site, tmp_path, "-s", "NEWSARCHIVE_EXTRACT_WORKERS=0")
    good, _ = readable_bodies(archive)
    assert compressed == good > 0
