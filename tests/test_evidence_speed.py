"""The date evidence's shortcuts (issue 17) decide as the plain definitions they replace.

Each shortcut is checked against the straightforward reading it stands for, on random pages
and strings: the element pre-filter of the visible dates (one attribute at a time, class
answers kept for the page) against the test on "class id itemprop" joined, and the fast
DATEISH_SEARCH_RE against DATEISH_CLASS_RE.
"""

from __future__ import annotations

from typing import Any

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from newsarchive.dates import evidence
from newsarchive_testing.random_pages import pages_of

# Pieces of class names, ids and texts: the words of both regexes, in several cases, cut
# short, and the characters that re.IGNORECASE folds onto ASCII letters (İ ı ſ K).
PIECES = (
    "date", "DATA", "Time", "byline", "pubblic", "PUBLISH", "updated", "aggiorn", "dateline",
    "meta", "dat", "tim", "pub", "by", "line", "upd", "aggi", "met", "a", "e", "-", "_", " ",
    "\n", "x", "tİme", "tıme", "publıſh", "\u212a", "mETa", "Dat", "ae",
)  # fmt: skip
TEXTS = (
    "", "  ", "\n Pubblicato il 3 marzo 2024", "Aggiornato alle 16:01", "aggiornata",
    "ULTIMA MODIFICA", "ultimo aggiornamento", "Modificato", "published", "UPDATED",
    "modified", "di Mario Rossi", "Roma, 17 novembre 2024", "15", "ultima  modifica", "pubbl",
)  # fmt: skip
TAGS = ("div", "span", "p", "time", "script", "style", "meta", "title", "a", "header", "li")

names = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)


@st.composite
def attributes(draw: st.DrawFn) -> str:
    parts = []
    for attr in ("class", "id", "itemprop", "data-x"):
        if draw(st.booleans()):
            parts.append(f' {attr}="{draw(names)}"')
    return "".join(parts)


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    text = draw(st.sampled_from(TEXTS))
    comment = "<!-- c -->" if draw(st.integers(0, 6)) == 0 else ""
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 3 else []
    tail = draw(st.sampled_from(TEXTS))
    return f"<{tag}{draw(attributes())}>{comment}{text}{''.join(children)}</{tag}>{tail}"


pages = pages_of(elements())


def reference_dated_elements(tree: Any) -> list[Any]:
    """The definition: every element but UNREAD_TAGS that is a <time>, whose class, id and
    itemprop joined name a date, or whose own text starts with a keyword."""
    return [
        el
        for el in tree.iter(etree.Element)
        if el.tag not in evidence.UNREAD_TAGS
        and (
            el.tag == "time"
            or (
                bool(el.attrib)
                and evidence.DATEISH_CLASS_RE.search(
                    f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')}"
                )
                is not None
            )
            or evidence.KEYWORD_RE.match((el.text or "").strip()) is not None
        )
    ]


@settings(max_examples=300, deadline=None)
@given(pages)
def test_dated_elements_are_the_definition(tree: Any) -> None:
    assert list(evidence._dated_elements(tree)) == reference_dated_elements(tree)


@settings(max_examples=500, deadline=None)
@given(st.one_of(names, st.text(max_size=30)))
def test_fast_dateish_search_finds_what_the_readable_regex_finds(value: str) -> None:
    expected = evidence.DATEISH_CLASS_RE.search(value) is not None
    assert (evidence.DATEISH_SEARCH_RE.search(value) is not None) == expected


def test_dated_elements_on_a_byline_page() -> None:
    tree = lxml.html.fromstring(
        """<html><head><title>Pubblicato il 1 marzo</title>
        <script class="date">var x</script></head><body>
        <div class="site-header"><span class="clock">12:00</span></div>
        <article><div class="article-meta">di Mario Rossi</div>
        <p id="x-updated">ieri</p><span itemprop="datePublished">3 marzo 2024</span>
        <time>3 marzo</time><p>  Aggiornato alle 16:01</p><p>Altro testo</p>
        <a class="categoria" href="/tag/x">Politica</a></article></body></html>"""
    )
    got = list(evidence._dated_elements(tree))
    assert got == reference_dated_elements(tree)
    assert [el.text for el in got] == [
        "di Mario Rossi",
        "ieri",
        "3 marzo 2024",
        "3 marzo",
        "  Aggiornato alle 16:01",
    ]
