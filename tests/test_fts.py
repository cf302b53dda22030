"""The search syntax (newsarchive.fts) turned into FTS5, and its errors."""

from __future__ import annotations

import re
import sqlite3

import pytest

from newsarchive.fts import SearchSyntaxError, fts_query


@pytest.fixture(scope="module")
def fts():
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE f USING fts5(title, text, tokenize='unicode61 remove_diacritics 2')"
    )
    conn.executemany(
        "INSERT INTO f VALUES (?, ?)",
        [
            ("Città di Russia", "Corea-Russia alleanza, l'Onu"),
            ("Sudan", "Il consiglio di sicurezza"),
            ("Iran", "russo e russe"),
        ],
    )
    return conn


def hits(conn, query):
    return [r[0] for r in conn.execute("SELECT title FROM f WHERE f MATCH ?", (fts_query(query),))]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("corea OR sudan", ["Città di Russia", "Sudan"]),
        ("russ*", ["Città di Russia", "Iran"]),
        ('"consiglio di sicurezza"', ["Sudan"]),
        ('"sicurezza consiglio"', []),
        ("citta", ["Città di Russia"]),
        ("Corea-Russia", ["Città di Russia"]),
        ("l'Onu", ["Città di Russia"]),
        ("title:russia", ["Città di Russia"]),
        ("text:sudan", []),
        ("(corea OR iran) NOT sudan", ["Città di Russia", "Iran"]),
        ("russia NOT corea", []),
    ],
)
def test_syntax(fts, query, titles):
    assert hits(fts, query) == titles


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('NATO" OR (', "unclosed quote"),
        ("OR corea", "needs a word before"),
        ("corea OR", "needs a word after"),
        ("a*b", "only at the end"),
        ("(corea", "without its )"),
        ("corea)", "without its ("),
        ("", "empty query"),
        ("title:", "nothing to search"),
        ("*", "not a word"),
    ],
)
def test_invalid_syntax_is_a_named_error(query, message):
    with pytest.raises(SearchSyntaxError, match=re.escape(message)):
        fts_query(query)
