"""How a text change is shown: by paragraph, then by word inside an edited paragraph."""

from __future__ import annotations

import sqlite3

from newsarchive.serve.textdiff import marked, paragraphs, text_diff, word_diff
from newsarchive.store import migrations
from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_pages import BASE, raw_page, store
from newsarchive_testing.fixture_site import SITE_DIR

BEFORE = "Primo paragrafo.\nKiev ha ricevuto 200 missili ieri.\n\nTerzo paragrafo, invariato."


def test_paragraphs_keep_their_breaks_and_drop_blank_lines():
    assert paragraphs(BEFORE) == [
        "Primo paragrafo.",
        "Kiev ha ricevuto 200 missili ieri.",
        "Terzo paragrafo, invariato.",
    ]


def test_one_number_edit_shows_one_paragraph_with_the_word_marked():
    after = BEFORE.replace("200", "300")
    assert text_diff(BEFORE, after) == ["~ ¶2 Kiev ha ricevuto [-200-]{+300+} missili ieri."]


def test_added_and_removed_paragraphs():
    after = "Primo paragrafo.\nTerzo paragrafo, invariato.\nUn paragrafo nuovo."
    assert text_diff(BEFORE, after) == [
        "- ¶2 Kiev ha ricevuto 200 missili ieri.",
        "+ ¶3 Un paragrafo nuovo.",
    ]


def test_same_text_shows_nothing():
    assert text_diff(BEFORE, BEFORE.replace("\n\n", "\n")) == []


def test_a_one_line_legacy_text_is_compared_word_by_word():
    legacy = " ".join(BEFORE.split())
    after = BEFORE.replace("200", "300")
    assert text_diff(legacy, after) == [
        "~ ¶1 Primo paragrafo. Kiev ha ricevuto [-200-]{+300+} missili ieri. Terzo paragrafo,"
        " invariato."
    ]


def test_word_diff_marks_insertions_and_deletions():
    assert marked(word_diff("a b c", "a c d")) == "a [-b-] c {+d+}"


# --- how versions are stored -----------------------------------------------------------------

URL = BASE + truth.SEED_PATH
OLD_SENTENCE = b"uomini e munizioni."
NEW_SENTENCE = b"uomini, munizioni e missili."


def two_versions(path) -> Archive:
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    assert OLD_SENTENCE in body
    archive = Archive(path)
    store(archive, raw_page(body=body))
    store(archive, raw_page(body=body.replace(OLD_SENTENCE, NEW_SENTENCE), fetched_at=LATER))
    return archive


LATER = "2024-12-07T09:00:00.000+00:00"


def test_versions_keep_paragraph_breaks(tmp_path):
    with two_versions(tmp_path / "a.db") as archive:
        first, second = archive.read.versions(URL)
        current = archive.db.conn.execute("SELECT text FROM articles").fetchone()[0]
    assert first["text"].count("\n") >= 3
    assert "uomini e munizioni." in first["text"]
    assert second["text"] == current
    [edit] = text_diff(first["text"], second["text"])
    assert edit.startswith("~ ¶3 Dietro la decisione")
    assert edit.endswith("urgenza: [-uomini-]{+uomini, munizioni+} e [-munizioni.-]{+missili.+}")


def test_a_version_text_is_stored_once(tmp_path):
    """The current text lives in articles only; an earlier version's text in its own row."""
    with two_versions(tmp_path / "a.db") as archive:
        stored = archive.db.conn.execute(
            "SELECT version, text IS NULL FROM article_versions ORDER BY version"
        ).fetchall()
        view = archive.db.conn.execute(
            "SELECT version, text = (SELECT text FROM articles) FROM article_version_texts"
            " ORDER BY version"
        ).fetchall()
    assert stored == [(1, 0), (2, 1)]
    assert view == [(1, 0), (2, 1)]


def test_migration_moves_old_rows_to_one_stored_text(tmp_path):
    """An archive written before m011 (every version's text flattened to one line) works."""
    path = tmp_path / "a.db"
    with two_versions(path) as archive:
        before = [v["text"] for v in archive.read.versions(URL)]
    conn = sqlite3.connect(path)
    with conn:  # the rows as the old code wrote them
        for version, text in enumerate(before, start=1):
            conn.execute(
                "UPDATE article_versions SET text = ? WHERE version = ?",
                (" ".join(text.split()), version),
            )
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_versions_text_once'")
        conn.execute("DROP VIEW article_version_texts")
    conn.close()
    with Archive(path) as archive:
        stored = archive.db.conn.execute(
            "SELECT version, text IS NULL FROM article_versions ORDER BY version"
        ).fetchall()
        after = [v["text"] for v in archive.read.versions(URL)]
        assert migrations.pending(archive.db) == []
    assert stored == [(1, 0), (2, 1)]
    assert after == [" ".join(before[0].split()), before[1]]


def test_reextraction_rebuilds_versions_with_their_text(tmp_path):
    from newsarchive.crawl.reextract import reextract

    path = tmp_path / "a.db"
    with two_versions(path) as archive:
        before = archive.read.versions(URL)
    reextract(path, jobs=1)
    with Archive(path) as archive:
        after = archive.read.versions(URL)
        stored = archive.db.conn.execute(
            "SELECT version, text IS NULL FROM article_versions ORDER BY version"
        ).fetchall()
    assert [v["text"] for v in after] == [v["text"] for v in before]
    assert stored == [(1, 0), (2, 1)]
