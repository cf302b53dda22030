"""`newsarchive search` and `export` over an archive built from the fixture pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import run_cli

from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_pages import BASE, raw_page, store


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


def test_search_invalid_syntax_is_a_clear_usage_error(db, tmp_path):
    result = run_cli("search", 'NATO" OR (', "--db", str(db), cwd=tmp_path)
    assert result.code == 2 and "unclosed quote" in result.err and "Traceback" not in result.err


def test_search_punctuation_inside_words_is_not_syntax(db, tmp_path):
    result = run_cli("search", "Nord-Russia l'Occidente", "--db", str(db), "--json", cwd=tmp_path)
    urls = [json.loads(line)["url"] for line in result.out.splitlines()]
    assert result.code == 0 and urls == [BASE + truth.SEED_PATH]


def _urls(db, tmp_path, query):
    result = run_cli("search", query, "--db", str(db), "--json", cwd=tmp_path)
    assert result.code == 0, result.err
    return [json.loads(line)["url"] for line in result.out.splitlines()]


def test_search_or(db, tmp_path):
    urls = _urls(db, tmp_path, "Corea OR Sudan")
    assert {BASE + truth.SEED_PATH, BASE + truth.NO_RELATED_PATH} <= set(urls)


def test_search_prefix(db, tmp_path):
    urls = _urls(db, tmp_path, "Russ*")
    assert BASE + truth.SEED_PATH in urls and len(urls) >= 3


def test_search_phrase(db, tmp_path):
    assert _urls(db, tmp_path, '"consiglio di sicurezza"') == [BASE + truth.NO_RELATED_PATH]
    assert _urls(db, tmp_path, '"sicurezza di consiglio"') == []


@pytest.fixture
def crafted(tmp_path):
    """An archive with hand-made articles (inserted directly: no page needed for search)."""
    import sqlite3

    path = tmp_path / "crafted.db"
    Archive(path).close()
    conn = sqlite3.connect(path)
    rows = [
        # the word three times in a long text, never in the title
        (
            "https://x.it/a",
            "Notizie del giorno",
            "primo\nla bolletta sale\n" + "bolletta " * 2 + "parole " * 40,
        ),
        # the word once, in the title
        ("https://x.it/b", "La bolletta di dicembre", "un testo che parla di altro " * 5),
    ]
    for url, title, text in rows:
        conn.execute(
            "INSERT INTO articles (url, page_id, site, title, text, authors, categories, tags,"
            " extractor, extracted_at, published_day) VALUES (?, 1, 'x.it', ?, ?, '[]', '[]',"
            " '[]', 'test', '2024-11-01T00:00:00Z', '2024-11-01')",
            (url, title, text),
        )
    conn.commit()
    conn.close()
    return path


def test_search_relevance_weighs_the_title(crafted, tmp_path):
    assert _urls(crafted, tmp_path, "bolletta") == ["https://x.it/b", "https://x.it/a"]


def test_search_snippet_is_one_line(crafted, tmp_path):
    result = run_cli("search", "sale", "--db", str(crafted), "--json", cwd=tmp_path)
    snippets = [json.loads(line)["snippet"] for line in result.out.splitlines()]
    assert snippets and all("\n" not in s for s in snippets)


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


def test_export_links_jsonl_with_listed_dates(db, tmp_path):
    result = run_cli("export", "--db", str(db), "--what", "links", cwd=tmp_path)
    rows = [json.loads(line) for line in result.out.splitlines()]
    first = [r for r in rows if r["from_url"] == BASE + truth.SEED_PATH and r["position"] == 1][0]
    assert (first["to_url"], first["listed_date"], first["to_archived"]) == (
        BASE + truth.TRACKING_TO,
        "2024-11-20T03:15:00+01:00",
        True,
    )


def test_export_links_csv(db, tmp_path):
    result = run_cli("export", "--db", str(db), "--what", "links", "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows and {"from_url", "to_url", "listed_date", "listed_date_raw"} <= set(rows[0])


def test_export_links_graphml(db, tmp_path):
    import xml.etree.ElementTree as ET

    result = run_cli(
        "export", "--db", str(db), "--what", "links", "--format", "graphml", cwd=tmp_path
    )
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    graph = ET.fromstring(result.out).find("g:graph", ns)
    nodes = {n.get("id"): n for n in graph.findall("g:node", ns)}
    edges = graph.findall("g:edge", ns)
    assert edges and all(e.get("source") in nodes and e.get("target") in nodes for e in edges)
    seed = nodes[BASE + truth.SEED_PATH]
    assert seed.find("g:data[@key='title']", ns).text == truth.ARTICLES[truth.SEED_PATH]["title"]
    first = [
        e
        for e in edges
        if e.get("source") == BASE + truth.SEED_PATH
        and e.find("g:data[@key='position']", ns).text == "1"
    ][0]
    assert first.find("g:data[@key='listed_date']", ns).text == "2024-11-20T03:15:00+01:00"


def test_export_graphml_only_for_links(db, tmp_path):
    result = run_cli("export", "--db", str(db), "--format", "graphml", cwd=tmp_path)
    assert result.code == 2 and "--what links" in result.err


def test_export_versions_lists_are_json_arrays(db, tmp_path):
    result = run_cli("export", "--db", str(db), "--what", "versions", cwd=tmp_path)
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert len(rows) == len(truth.ARTICLE_LIST)
    assert all(isinstance(r["authors"], list) and r["changed_fields"] == [] for r in rows)


def test_stats_bar_chart_of_articles_per_day(db, tmp_path):
    result = run_cli("stats", "--db", str(db), cwd=tmp_path)
    lines = result.out.splitlines()
    start = [i for i, x in enumerate(lines) if x.startswith("articles per day")][0]
    bars = {x.split()[0]: x for x in lines[start + 1 : start + 31]}
    # one line per calendar day up to the latest publication day, a bar where there are articles
    assert len(bars) == 30 and max(bars) == "2024-12-03"
    assert "█" in bars["2024-11-21"] and bars["2024-11-22"].split()[1:] == ["0"]


def test_stats_json(db, tmp_path):
    result = run_cli("stats", "--db", str(db), "--json", cwd=tmp_path)
    data = json.loads(result.out)
    assert data["counts"]["articles"] == len(truth.ARTICLE_LIST)
    assert data["sites"][0]["articles"] == len(truth.ARTICLE_LIST)
    days = {d["day"]: d["articles"] for d in data["articles_per_day"]}
    assert days["2024-11-21"] == 1 and days["2024-11-22"] == 0
    assert isinstance(data["outcomes"], dict) and isinstance(data["runs"], list)
