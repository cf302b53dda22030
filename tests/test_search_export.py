"""`newsarchive search` and `export` over an archive built from the fixture pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
import site_truth as truth
from conftest import run_cli
from test_store import BASE, raw_page, store

from newsarchive.store import Archive


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "archive.db"
    with Archive(path) as archive:
        for article in truth.ARTICLE_LIST:
            store(archive, raw_page(article["path"]))
    return path


def test_search_without_accent(db, tmp_path):
    result = run_cli("search", "citta bolletta", "--db", str(db), "--json", cwd=tmp_path)
    urls = [json.loads(line)["url"] for line in result.out.splitlines()]
    assert urls[0] == BASE + truth.CP1252_PATH


def test_search_snippet_marks_the_match(db, tmp_path):
    result = run_cli("search", "perche", "--db", str(db), "--json", cwd=tmp_path)
    snippets = [json.loads(line)["snippet"] for line in result.out.splitlines()]
    assert snippets and all("[" in s and "]" in s for s in snippets)


def test_search_date_filter(db, tmp_path):
    result = run_cli(
        "search", "Ucraina", "--db", str(db), "--json", "--since", "2024-11-20", cwd=tmp_path
    )
    days = [json.loads(line)["date_published"][:10] for line in result.out.splitlines()]
    assert days and min(days) >= "2024-11-20"


def test_search_syntax_characters_are_safe(db, tmp_path):
    result = run_cli("search", 'NATO" OR (', "--db", str(db), cwd=tmp_path)
    assert result.code == 0


def test_export_jsonl_all_articles(db, tmp_path):
    result = run_cli("export", "--db", str(db), cwd=tmp_path)
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert len(rows) == len(truth.ARTICLE_LIST) and "page_id" not in rows[0]


def test_export_csv_fields(db, tmp_path):
    result = run_cli(
        "export",
        "--db",
        str(db),
        "--format",
        "csv",
        "--fields",
        "url,title,date_published",
        cwd=tmp_path,
    )
    reader = csv.DictReader(io.StringIO(result.out))
    rows = list(reader)
    assert (reader.fieldnames, len(rows)) == (
        ["url", "title", "date_published"],
        len(truth.ARTICLE_LIST),
    )


def test_export_unknown_field_is_a_usage_error(db, tmp_path):
    result = run_cli("export", "--db", str(db), "--fields", "url,nope", cwd=tmp_path)
    assert result.code == 2 and "nope" in result.err
