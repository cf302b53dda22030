"""The link-density prunes of extract/traf_links.py delete what trafilatura's
delete_by_link_density deletes, pass by pass and over prune_unwanted_sections' two rounds."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import lxml.html
import pytest
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura import htmlprocessing
from trafilatura.htmlprocessing import convert_tags, tree_cleaning

from newsarchive.extract import traf_links
from newsarchive.extract.body import TRAFILATURA_OPTIONS
from newsarchive.extract.cascade import extractor
from newsarchive_testing.fixture_trees import fixture_tree, over_fixtures
from newsarchive_testing.random_pages import pages_of

URL = "https://www.giornale-di-prova.it/cronaca/2024/12/05/il-piano-della-mobilita"
PASSES = [*traf_links.LINK_DENSITY_PASSES, ("head", False), ("quote", False)]


def cleaned(tree: lxml.html.HtmlElement, focus: str) -> lxml.html.HtmlElement:
    """The tree the main extractor prunes (tree_cleaning, convert_tags: links are <ref>)."""
    options = extractor(URL, fast=True, options=TRAFILATURA_OPTIONS)
    options.focus = focus
    return convert_tags(tree_cleaning(deepcopy(tree), options), options, URL)


def twins(tree: lxml.html.HtmlElement, frame: etree._Element):
    """Two copies of tree, and the copy of frame (an element of tree) in each."""
    path = tree.getroottree().getpath(frame)
    copies = deepcopy(tree), deepcopy(tree)
    return [(c, c.getroottree().xpath(path)[0]) for c in copies]


def assert_passes_agree(tree: lxml.html.HtmlElement, frame: etree._Element) -> None:
    """Each pass on frame (the element itself can go: it is in tree) deletes what
    trafilatura's deletes; a count of 0 when it changes nothing."""
    before = etree.tostring(tree)
    for tag, backtracking in PASSES:
        for precision in (False, True):
            (theirs, t_frame), (ours, o_frame) = twins(tree, frame)
            htmlprocessing.delete_by_link_density(t_frame, tag, backtracking, precision)
            deleted = traf_links.delete_by_link_density(o_frame, tag, backtracking, precision)
            assert etree.tostring(ours) == etree.tostring(theirs), (tag, backtracking, precision)
            assert etree.tostring(o_frame) == etree.tostring(t_frame)
            if deleted == 0:  # (a count over 0 may change nothing: a parentless root)
                assert etree.tostring(ours) == before


def assert_rounds_agree(tree: lxml.html.HtmlElement, frame: etree._Element) -> None:
    """prune_links(frame) is trafilatura's prune_unwanted_sections loop of link-density
    passes."""
    for precision in (False, True):
        (theirs, t_frame), (ours, o_frame) = twins(tree, frame)
        for _ in range(2):
            htmlprocessing.delete_by_link_density(t_frame, "div", True, precision)
            htmlprocessing.delete_by_link_density(t_frame, "list", False, precision)
            htmlprocessing.delete_by_link_density(t_frame, "p", False, precision)
        traf_links.prune_links(o_frame, precision)
        assert etree.tostring(ours) == etree.tostring(theirs)
        assert etree.tostring(o_frame) == etree.tostring(t_frame)


def assert_agree(tree: lxml.html.HtmlElement, frame: etree._Element) -> None:
    assert_passes_agree(tree, frame)
    assert_rounds_agree(tree, frame)


@pytest.mark.parametrize("focus", ["balanced", "recall"])
@over_fixtures
def test_the_passes_are_trafilaturas_on_the_fixtures(path: Path, focus: str) -> None:
    tree = cleaned(fixture_tree(path), focus)
    assert_agree(tree, tree)
    # frames as the main extractor prunes them: an element of the tree, holding links
    for frame in tree.xpath("//div[.//ref]|//article[.//ref]|//list[.//ref]")[:8]:
        assert_agree(tree, frame)


WORD = "parola "
# Links of every length class (empty, under 10, over 100 characters), alone or among text,
# in paragraphs, list items and nested frames: each rule of link_density_test is met.
LINK = st.sampled_from(["", "x", "una notizia", WORD * 3, WORD * 16]).map(
    lambda t: f"<ref>{t}</ref>"
)
TEXT = st.sampled_from(["", " ", "testo", WORD * 6, WORD * 50])
LEAF = st.one_of(
    st.lists(st.one_of(LINK, TEXT), max_size=6).map("".join),
    st.lists(st.one_of(LINK, TEXT), max_size=4).map(lambda xs: f"<p>{''.join(xs)}</p>"),
    st.lists(LINK, max_size=8).map(
        lambda xs: "<list>" + "".join(f"<item>{x}</item>" for x in xs) + "</list>"
    ),
    st.just("<graphic/>"),
)
BLOCK = st.recursive(
    LEAF,
    lambda inner: st.tuples(
        st.sampled_from(["div", "p", "list", "item", "quote", "head", "td"]),
        st.lists(inner, min_size=1, max_size=4),
        TEXT,
    ).map(lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>{t[2]}"),
    max_leaves=16,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages_of(BLOCK))
def test_the_passes_are_trafilaturas_on_generated_pages(tree) -> None:
    body = tree.find(".//body")
    for frame in (body, *body.iterchildren("div", "list", "p")):
        assert_agree(tree, frame)


LONG_LINK = "collegamento " * 6  # 77 characters
FOLLOWED = (
    f"<html><body><div><ref>{LONG_LINK}</ref> <ref>{LONG_LINK}</ref></div>"
    f"<p><ref>{LONG_LINK * 2}</ref></p></body></html>"
)


def test_a_second_round_pass_runs_when_a_pass_since_its_twin_deleted() -> None:
    # the div pass keeps the div (text over 100 characters, a next sibling: limit 100); the p
    # pass deletes the link paragraph after it; then the div is last (limit 300), and the
    # second round's div pass deletes it (links are most of its text)
    tree = lxml.html.fromstring(FOLLOWED)
    body = tree.find(".//body")
    assert traf_links.delete_by_link_density(deepcopy(body), "div", True) == 0
    assert_rounds_agree(tree, body)
    traf_links.prune_links(body, False)
    assert body.find("div") is None


SHRUNK = (
    f"<html><body><div><ref>{LONG_LINK}</ref> <ref>{LONG_LINK}</ref>"
    f"<p><ref>{LONG_LINK * 3}</ref></p></div></body></html>"
)


def test_a_deletion_drops_the_text_lengths_of_the_ancestors() -> None:
    # the div's text (over 300 characters: kept) loses the paragraph the p pass deletes; the
    # second round reads its new length (under 300, mostly links: deleted), not the one kept
    tree = lxml.html.fromstring(SHRUNK)
    body = tree.find(".//body")
    assert_rounds_agree(tree, body)
    traf_links.prune_links(body, False)
    assert body.find("div") is None


def test_the_link_density_prunes_follow_this_trafilatura() -> None:
    # traf_links.py re-builds trafilatura 2.3.1's delete_by_link_density and link_density_test:
    # on an upgrade, reread its htmlprocessing.py against it first
    assert trafilatura.__version__ == "2.3.1"
