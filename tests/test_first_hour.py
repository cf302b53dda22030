"""Issue 12, "right the first hour": what a new user meets first (errors, exit codes, feeds
served as XML, re-extraction of sources, unreachable seeds, serve, export, extract)."""

from __future__ import annotations

import gzip
import json

import site_truth as truth
from click.testing import CliRunner
from fixture_site import SITE_DIR
from test_store import BASE, raw_page, store

from newsarchive.cli import cli
from newsarchive.store import Archive


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
