"""Over real HTTP: an article edited between crawls keeps its history; no change adds nothing."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import FAST, run_cli

from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR

pytestmark = pytest.mark.e2e

PATH = truth.SEED_PATH
OLD_TITLE = truth.ARTICLES[PATH]["title"]
NEW_TITLE = "Corea del Nord e Russia, l'alleanza che preoccupa la NATO"
OLD_SENTENCE = "In cambio offre ciò che Mosca cerca con più urgenza: uomini e munizioni."
NEW_SENTENCE = "In cambio offre ciò che Mosca cerca con più urgenza: soldati, munizioni e missili."


def edited_page() -> bytes:
    html = (SITE_DIR / PATH.lstrip("/")).read_text("utf-8")
    assert OLD_TITLE in html and OLD_SENTENCE in html
    return html.replace(OLD_TITLE, NEW_TITLE).replace(OLD_SENTENCE, NEW_SENTENCE).encode()


def test_edit_between_crawls_makes_two_versions_and_a_diff(site, tmp_path):
    db = str(tmp_path / "archive.db")
    url = site.url(PATH)
    first = run_cli("crawl", url, "--db", db, "--depth", "0", *FAST, cwd=tmp_path)
    site.set_override(PATH, 200, {"Content-Type": "text/html; charset=utf-8"}, edited_page())
    second = run_cli("crawl", url, "--db", db, "--depth", "0", "--recheck", *FAST, cwd=tmp_path)
    third = run_cli("crawl", url, "--db", db, "--depth", "0", "--recheck", *FAST, cwd=tmp_path)
    conn = sqlite3.connect(db)
    versions = conn.execute(
        "SELECT version, title, changed_fields FROM article_versions WHERE article_url = ?"
        " ORDER BY version",
        (url,),
    ).fetchall()
    current = conn.execute("SELECT title FROM articles WHERE url = ?", (url,)).fetchone()[0]
    pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    edits = conn.execute("SELECT article_url, version FROM article_edits").fetchall()
    assert [r.code for r in (first, second, third)] == [0, 0, 0]
    assert [(v, t, json.loads(c)) for v, t, c in versions] == [
        (1, OLD_TITLE, []),
        (2, NEW_TITLE, ["title", "text"]),
    ]
    assert (current, pages, edits) == (NEW_TITLE, 3, [(url, 2)])
    history = run_cli("history", url, "--db", db, cwd=tmp_path)
    assert history.code == 0
    # one paragraph edited: shown once, with the changed words marked, not the whole article
    lines = history.out.splitlines()
    edits = [x for x in lines if x.startswith(("  ~ ", "  - ", "  + "))]
    assert edits == [x for x in lines if x.startswith("  ~ ¶3 ")]
    assert len(edits) == 1
    assert edits[0].endswith(
        "urgenza: [-uomini-]{+soldati, munizioni+} e [-munizioni.-]{+missili.+}"
    )
