"""The shortcuts of the metadata scans (issue 17) decide as the plain definitions they
replace, on random pages: the standfirst test with a class answer kept for the page against
the test made afresh on each element, the paywall-marked elements walked in Python against the
XPath they replace, and the category/tag walk against trafilatura's extract_catstags.
"""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
import trafilatura
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura import metadata as tf_metadata

from newsarchive.extract import catstags, lead, outcomes
from newsarchive_testing.random_pages import pages_of

NAMES = (
    "lead", "Lead", "article-lead", "x-teaser", "teaser_box", "summary-card", "sommario",
    "paywall", "Paywall", "regwall", "pay-wall", "my-paywall-box", "body", "intro", "x", "",
    "LEAD", "subtitle main", "news-intro extra",
)  # fmt: skip
TAGS = ("div", "p", "span", "h2", "section", "a", "img", "ul", "strong", "li")
TEXTS = ("", "Abbonati per leggere", "Un sommario lungo quanto basta", "x ")


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = ""
    for attr in ("class", "id", "itemprop"):
        if draw(st.integers(0, 2)) == 0:
            value = draw(st.sampled_from((*NAMES, "description", "Abstract")))
            attrs += f' {attr}="{value}"'
    comment = "<!-- paywall -->" if draw(st.integers(0, 6)) == 0 else ""
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 3 else []
    text = draw(st.sampled_from(TEXTS))
    return f"<{tag}{attrs}>{comment}{text}{''.join(children)}</{tag}>"


pages = pages_of(elements())
# What outcomes._paywall walked before: the definition of a paywall-marked element.
PAYWALL_ELEMENTS_XPATH = etree.XPath(
    "//@class[contains(.,'paywall') or contains(.,'Paywall') or contains(.,'regwall')]/.."
    " | //@id[contains(.,'paywall')]/.."
)


def reference_is_lead(el: Any) -> bool:
    """The definition (the test as it was written before the per-page answers)."""
    names = el.get("class")
    named = names is not None and lead.LEAD_TOKEN_RE.search(names.lower()) is not None
    if not named and (el.get("itemprop") or "").lower() not in ("description", "abstract"):
        return False
    return next(el.iter(*lead.MEDIA_TAGS), None) is None


@settings(max_examples=200, deadline=None)
@given(pages)
def test_lead_elements_with_the_page_class_answers_are_the_definition(tree: Any) -> None:
    kept: dict[str, bool] = {}  # one dict for the page, as find_lead does
    for el in tree.iter(*lead.LEAD_TAGS):
        assert lead._is_lead_element(el, kept) == reference_is_lead(el)


@settings(max_examples=200, deadline=None)
@given(pages)
def test_paywall_elements_are_what_the_xpath_selects(tree: Any) -> None:
    assert list(outcomes._paywall_elements(tree)) == PAYWALL_ELEMENTS_XPATH(tree)
    inner = tree.find(".//body")  # from any element: the whole document, as "//" reads it
    assert list(outcomes._paywall_elements(inner)) == PAYWALL_ELEMENTS_XPATH(inner)


def test_paywall_elements_of_a_small_page() -> None:
    tree = lxml.html.fromstring(
        '<html><body><div class="a"><p class="x-Paywall">1</p></div><p id="no-paywall">2</p>'
        '<span class="regwall" id="paywall">3</span><div class="PAYWALL">4</div></body></html>'
    )
    assert [el.text for el in outcomes._paywall_elements(tree)] == ["1", "2", "3"]


# Boxes of trafilatura's CATEGORIES_XPATHS / TAGS_XPATHS (and near misses), nested, with
# links to category, tag and other paths.
BOX_TAGS = ("div", "p", "footer", "li", "span", "header", "section", "a", "ul")
BOX_ATTRS = (
    "", " class='post-info'", " class='postmeta x'", " class='meta'", " class='entry-meta'",
    " class='entry-utility'", " class='x meta'", " id='postpath-1'", " id='filedunder'",
    " class='entry-categories'", " class='postinfo'", " class='entry-footer'",
    " class='post-category'", " class='cat-links'", " class='my-cat-links'",
    " class='entry-header'", " class='row'", " class='tags'", " class='entry-tags a'",
    " class='jp-relatedposts'", " class='tagcloud'", " class='topics'", " class='tags-links'",
    " class='Tags'", " class='meta' id='postpath'",
)  # fmt: skip
HREFS = (
    "/category/cronaca/", "/categories/a/", "/tag/roma/", "/tags/x/", "/taggy/x/", "/news/1",
    "/Category/x/", "#",
)  # fmt: skip
LINK_TEXTS = ("Cronaca", "Roma", " ", "", "Politica <b>estera</b>", "Cronaca")


@st.composite
def boxes(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
        if draw(st.booleans()):
            href = draw(st.sampled_from(HREFS))
            attr = f" href='{href}'" if draw(st.integers(0, 5)) else ""
            parts.append(f"<a{attr}>{draw(st.sampled_from(LINK_TEXTS))}</a>")
        else:
            tag, attrs = draw(st.sampled_from(BOX_TAGS)), draw(st.sampled_from(BOX_ATTRS))
            parts.append(f"<{tag}{attrs}>{draw(boxes(depth + 1))}</{tag}>")
    return "".join(parts)


def test_trafilatura_is_the_pinned_version() -> None:
    # catstags.py repeats trafilatura 2.3.1's extract_catstags: an upgrade must re-check it
    assert trafilatura.__version__ == "2.3.1"


@settings(max_examples=400, deadline=None)
@given(boxes(), st.sampled_from(("", '<meta property="article:section" content="Esteri">')))
def test_category_and_tag_scan_is_trafilaturas(body: str, head: str) -> None:
    tree = lxml.html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    for kind in ("category", "tag"):
        assert catstags.extract_catstags(kind, tree) == tf_metadata.extract_catstags(kind, tree)


@pytest.mark.parametrize("tag", BOX_TAGS)
@pytest.mark.parametrize("attrs", BOX_ATTRS)
def test_each_box_of_trafilaturas_xpaths_is_found(tag: str, attrs: str) -> None:
    links = "<a href='/category/cronaca/'>Cronaca</a><a href='/tag/roma/'>Roma</a>"
    tree = lxml.html.fromstring(f"<html><body><{tag}{attrs}>{links}</{tag}></body></html>")
    for kind in ("category", "tag"):
        assert catstags.extract_catstags(kind, tree) == tf_metadata.extract_catstags(kind, tree)
