"""The tree cleaning of extract/traf_cleaning.py gives trafilatura's tree_cleaning tree."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import lxml.html
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura import htmlprocessing

from newsarchive.extract import traf_cleaning
from newsarchive.extract.body import TRAFILATURA_OPTIONS
from newsarchive.extract.cascade import extractor
from newsarchive_testing.fixture_trees import fixture_tree, over_fixtures
from newsarchive_testing.random_pages import pages_of

URL = "https://www.giornale-di-prova.it/cronaca/2024/12/05/il-piano-della-mobilita"
# (tables, images, focus): ours, then the other branches of tree_cleaning
MODES = [
    (True, False, "balanced"),
    (True, False, "recall"),
    (False, True, "balanced"),
    (True, True, "recall"),
    (False, False, "precision"),
]


def assert_cleaning_agrees(tree: lxml.html.HtmlElement) -> None:
    for tables, images, focus in MODES:
        options = extractor(URL, fast=True, options=TRAFILATURA_OPTIONS)
        options.tables, options.images, options.focus = tables, images, focus
        theirs = htmlprocessing.tree_cleaning(deepcopy(tree), options)
        ours = traf_cleaning.tree_cleaning(deepcopy(tree), options)
        assert etree.tostring(ours) == etree.tostring(theirs), (tables, images, focus)


@over_fixtures
def test_the_cleaning_is_trafilaturas_on_the_fixtures(path: Path) -> None:
    assert_cleaning_agrees(fixture_tree(path))


def test_a_walk_that_ends_early_ends_as_trafilaturas() -> None:
    # deleting an <aside> that holds another ends lxml's walk of the asides: the last one stays
    page = "<html><body><aside>a<aside>b</aside></aside><p>testo</p><aside>c</aside></body></html>"
    tree = lxml.html.fromstring(page)
    assert_cleaning_agrees(tree)
    options = extractor(URL, fast=True, options=TRAFILATURA_OPTIONS)
    assert traf_cleaning.tree_cleaning(tree, options).find(".//aside") is not None


# Tags of every kind tree_cleaning treats: deleted, stripped, renamed, emptied; and paragraphs.
TAGS = ["aside", "nav", "form", "figure", "table", "math", "img", "font", "span", "p", "div"]
TAGS += ["script", "head", "noscript", "footer", "time", "td", "tr", "picture", "source"]
TEXT = st.sampled_from(["", " ", "testo", "un testo piu lungo di parole " * 4])
ELEMENT = st.recursive(
    TEXT,
    lambda inner: st.tuples(
        st.sampled_from(TAGS),
        st.sampled_from(["", ' role="none"', ' alttext="x^2"', ' class="c"']),
        st.lists(inner, max_size=3),
        TEXT,
    ).map(lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>{t[3]}"),
    max_leaves=14,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages_of(ELEMENT))
def test_the_cleaning_is_trafilaturas_on_generated_pages(tree) -> None:
    assert_cleaning_agrees(tree)


def test_the_cleaning_follows_this_trafilatura() -> None:
    # traf_cleaning.py re-builds trafilatura 2.3.1's tree_cleaning: on an upgrade, reread its
    # htmlprocessing.py against it first
    assert trafilatura.__version__ == "2.3.1"
