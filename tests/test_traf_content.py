"""The main extractor of extract/traf_content.py gives trafilatura's extract_content result, and
its Python selection picks the elements trafilatura's OVERALL_DISCARD_XPATH picks."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import lxml.html
import pytest
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

from newsarchive.extract import traf_content, traf_xpaths
from newsarchive.extract.basic_cleaning import classes_and_ids
from newsarchive.extract.body import TRAFILATURA_OPTIONS
from newsarchive.extract.cascade import extractor
from newsarchive.extract.encoding import parse_html
from newsarchive_testing.fixture_trees import fixture_tree, over_fixtures, paths

URL = "https://www.giornale-di-prova.it/cronaca/2024/12/05/il-piano-della-mobilita"
PARAGRAPH = (
    "Il consiglio comunale ha approvato ieri sera il nuovo piano per la mobilità cittadina, "
    "che prevede tre nuove linee di autobus elettrici e cento chilometri di piste ciclabili."
)
# Every clause of the two XPaths, the tags of the first, and the attribute-order rules
# (string(@id|@class) and string(@id|@style) read the first of the two in source order).
SELECTOR_PAGE = """<html><body><div>
<div data-lp-replacement-content="">a</div><p role="Navigation">b</p><span role="x">c</span>
<section data-component="xMostPopularStoriesx">d</section><div class="cookie-x" id="y">e</div>
<div id="y" class="cookie-x">f</div><list id="social-bar">g</list><item class="main-bar">h</item>
<article class="menu">i</article><div class="Byline">j</div><p id="^ad-x">k</p>
<p id="ad-box">l</p><div class="comments-title">m</div><h2 class="reply-x" id="q">n</h2>
<h2 id="q" class="reply-x">o</h2><b id="is-hidden">p</b><b style="x" id="hidden">q</b>
<b style="display:none">r</b><i style="display: none">s</i><i id="akismet-1">t</i>
<i class="x hidden">u</i><i class="hide-me">v</i><i aria-hidden="true">w</i>
<i aria-hidden="false">x</i><div class="">y</div><div class="ok"><p>z</p></div>
<div class="teaser">t1</div><div id="Teaser">t2</div><div class="TEASER">t3</div>
<div class="figure-caption">c1</div><!-- a comment --><p>PARAGRAPH</p><p>PARAGRAPH</p>
<div id="" class="cookie-x">f2</div><h2 id="" class="reply-x">o2</h2><b id="" style="hidden">q2</b>
</div></body></html>""".replace("PARAGRAPH", PARAGRAPH)


def xpath_selection(tree: lxml.html.HtmlElement) -> list[str]:
    """What prune_unwanted_nodes(tree, OVERALL_DISCARD_XPATH, with_backup=True) reads."""
    return paths(tree, list(dict.fromkeys(el for x in OVERALL_DISCARD_XPATH for el in x(tree))))


def cleaned(tree: lxml.html.HtmlElement, *, fast: bool, focus: str) -> lxml.html.HtmlElement:
    """The tree the cascade hands the main extractor (tree_cleaning, convert_tags)."""
    options = extractor(URL, fast=fast, options=TRAFILATURA_OPTIONS)
    options.focus = focus
    return convert_tags(tree_cleaning(deepcopy(tree), options), options, URL)


def test_the_selection_is_the_xpaths_on_every_clause() -> None:
    tree = parse_html(SELECTOR_PAGE)
    ours = paths(tree, traf_xpaths.overall_discard(tree))
    assert ours == xpath_selection(tree)
    assert len(ours) == 17  # each clause selects (c, f, i, k, o, q, x, y, f2, o2, q2: near misses)


@over_fixtures
def test_the_selection_is_the_xpaths_on_the_fixtures(path: Path) -> None:
    tree = fixture_tree(path)
    for some in (tree, cleaned(tree, fast=True, focus="balanced")):
        assert paths(some, traf_xpaths.overall_discard(some)) == xpath_selection(some)


def generated_page(elements: list) -> lxml.html.HtmlElement:
    """A page of ((tag, [(attribute, value)]), nest) elements: each holds the next if nest."""
    html = ""
    for (tag, attrs), nest in elements:
        attributes = "".join(f' {name}="{value}"' for name, value in attrs)
        html += f"<{tag}{attributes}>t" + ("" if nest else f"</{tag}>")
    return lxml.html.fromstring(f"<html><body><div>{html}</div></body></html>")


VALUES = ["cookie", "menu", "Nav", "reply-1", "hidden", "a hidden", "x", "", "ad-", "comments-"]
ATTRS = ["id", "class", "style", "role", "aria-hidden", "data-component", "title"]
TAGS = ["div", "p", "span", "section", "item", "list", "b", "article"]
element = st.tuples(
    st.sampled_from(TAGS),
    st.lists(
        st.tuples(st.sampled_from(ATTRS), st.sampled_from([*VALUES, "display:none", "true"])),
        max_size=4,
        unique_by=lambda kv: kv[0],
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(element, st.booleans()), min_size=1, max_size=12))
def test_the_selection_is_the_xpaths_on_generated_pages(elements) -> None:
    tree = generated_page(elements)  # nested or not, any attribute order
    assert paths(tree, traf_xpaths.overall_discard(tree)) == xpath_selection(tree)


def first(found: list) -> etree._Element | None:
    """What _extract takes of a BODY_XPATH result."""
    return next((s for s in found if s is not None), None)


def assert_body_selectors_agree(tree: lxml.html.HtmlElement) -> None:
    assert len(traf_xpaths.BODY_SELECTORS) == len(BODY_XPATH)
    for select, xpath in zip(traf_xpaths.BODY_SELECTORS, BODY_XPATH, strict=True):
        ours, theirs = select(tree), xpath(tree)
        assert len(ours) <= 1
        assert first(ours) is first(theirs), xpath.path


# One element per clause of BODY_XPATH's three regex XPaths, and near misses (wrong tag, case,
# translate() lower-casing only some letters, ^ anchors); each snippet alone on a page.
BODY_SNIPPETS = [
    '<div class="post">x</div>',
    '<section class="entry">x</section>',
    '<main itemprop="articleBody">x</main>',
    '<div id="articleContent">x</div>',
    '<div id="my-article-body">x</div>',
    '<div class="a post_inner_wrapper">x</div>',
    '<p class="article-text">x</p>',
    '<div class="Post-Content">x</div>',
    '<div role="article">x</div>',
    '<div id="story">x</div>',
    '<article class="cell">x</article>',
    '<div id="primary-x">x</div>',
    '<div id="x-primary">x</div>',
    '<div class="FullText">x</div>',
    '<div class="article big">x</div>',
    '<div class="big article x">x</div>',
    '<div class="single-content">x</div>',
    '<div id="content">x</div>',
    '<div class="contentBody">x</div>',
    '<div id="contentBody">x</div>',
    '<div class="content__body">x</div>',
    '<div id="Main-Content">x</div>',
    '<div class="MAIN-CONTENT">x</div>',
    '<div class="x Page-Content">x</div>',
    '<div class="PAGE-CONTENT">x</div>',
    '<div id="page-content">x</div>',
    '<div class="mainbox">x</div>',
    '<span class="post">x</span>',
]


@pytest.mark.parametrize("snippet", BODY_SNIPPETS)
def test_the_body_selectors_are_the_xpaths_on_every_clause(snippet: str) -> None:
    tree = parse_html(
        f"<html><body><div><p>a</p>{snippet}<div class='post'>y</div></div></body></html>"
    )
    assert_body_selectors_agree(tree)
    alone = parse_html(f"<html><body>{snippet}</body></html>")
    assert_body_selectors_agree(alone)


def test_the_body_snippets_exercise_each_selector() -> None:
    pages = [parse_html(f"<html><body>{snippet}</body></html>") for snippet in BODY_SNIPPETS]
    for select in (traf_xpaths.article_body, traf_xpaths.story_body, traf_xpaths.main_content):
        assert sum(bool(select(page)) for page in pages) >= 5, select.__name__


@over_fixtures
def test_the_body_selectors_are_the_xpaths_on_the_fixtures(path: Path) -> None:
    tree = fixture_tree(path)
    assert_body_selectors_agree(tree)
    assert_body_selectors_agree(cleaned(tree, fast=True, focus="balanced"))


BODY_VALUES = ["post", "entry", "article", "story", "content", "text", "articleBody", "x-main"]
body_element = st.tuples(
    st.sampled_from(["div", "section", "article", "main", "p", "span"]),
    st.lists(
        st.tuples(
            st.sampled_from(["id", "class", "role", "itemprop"]),
            st.lists(st.sampled_from(BODY_VALUES), min_size=1, max_size=3).map(" ".join),
        ),
        max_size=3,
        unique_by=lambda kv: kv[0],
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(body_element, st.booleans()), min_size=1, max_size=10))
def test_the_body_selectors_are_the_xpaths_on_generated_pages(elements) -> None:
    assert_body_selectors_agree(generated_page(elements))


def main_extraction(tree: lxml.html.HtmlElement, fast: bool, focus: str) -> list[tuple]:
    """trafilatura's extract_content and ours on the same cleaned tree: (body, text) each."""
    options = extractor(URL, fast=fast, options=TRAFILATURA_OPTIONS)
    options.focus = focus
    mine = cleaned(tree, fast=fast, focus=focus)
    theirs = deepcopy(mine)
    results = [
        extract_content(theirs, options),
        traf_content.extract_content(mine, options, classes_and_ids(tree)),
    ]
    return [(etree.tostring(body), text) for body, text in results]


MODES = [(True, "balanced"), (False, "balanced"), (True, "recall"), (False, "recall")]


@pytest.mark.parametrize(("fast", "focus"), MODES)
@over_fixtures
def test_the_main_extraction_is_trafilaturas_on_the_fixtures(path: Path, fast, focus) -> None:
    tree = fixture_tree(path)
    theirs, ours = main_extraction(tree, fast, focus)
    assert ours == theirs


SHORT_PAGE = (
    "<html><body><div class='menu'>{}</div><div class='x'><p>{}</p></div>"
    "<div class='{}'><p>{}</p><p>{}</p></div></body></html>"
)


@pytest.mark.parametrize(("fast", "focus"), MODES)
@pytest.mark.parametrize("cls", ["teaser", "Teaser", "TEASER", "figure-caption", "other"])
def test_teasers_and_captions_are_pruned_as_trafilatura_does(cls: str, fast, focus) -> None:
    # short pages: the main pass finds too little and the wild-text recovery runs too
    links = "".join(f"<a href='/s{i}'>Sezione {i}</a>" for i in range(30))
    for page in (
        SELECTOR_PAGE.replace("figure-caption", cls),
        SHORT_PAGE.format(links, "breve", cls, PARAGRAPH, "altro"),
    ):
        theirs, ours = main_extraction(parse_html(page), fast, focus)
        assert ours == theirs


def test_the_teaser_and_caption_prunes_are_skipped_only_when_they_select_nothing() -> None:
    # the words the skip tests look for are the ones the XPaths need
    tree = parse_html(SELECTOR_PAGE)
    assert [el.text for el in TEASER_DISCARD_XPATH[0](tree)] == ["t1", "t2"]
    assert [el.text for el in DISCARD_IMAGE_ELEMENTS[0](tree)] == ["c1"]
    for xpath, word in (
        (TEASER_DISCARD_XPATH[0], "teaser"),
        (DISCARD_IMAGE_ELEMENTS[0], "caption"),
    ):
        assert f"'{word}'" in xpath.path


def test_the_regexes_are_still_trafilaturas() -> None:
    """An upgrade of trafilatura that changes these XPaths fails here, not silently."""
    first, second = (x.path for x in OVERALL_DISCARD_XPATH)
    assert f"re:test(@id, '{traf_xpaths.DISCARD_ID_RE.pattern}')" in first
    assert f"re:test(@class, '{traf_xpaths.DISCARD_CLASS_RE.pattern}')" in first
    assert "re:test(@id|@class, 'cookie')" in first
    assert f"re:test(@id, '{traf_xpaths.HIDDEN_ID_RE.pattern}')" in second
    assert f"re:test(@class, '{traf_xpaths.HIDDEN_CLASS_RE.pattern}')" in second
    assert "re:test(@id|@style, 'hidden')" in second
    assert len(OVERALL_DISCARD_XPATH) == 2
    article, _, story, main, _ = (x.path for x in BODY_XPATH)
    assert f"re:test(@id, '{traf_xpaths.ARTICLE_ID_RE.pattern}')" in article
    assert f"re:test(@class, '{traf_xpaths.ARTICLE_CLASS_RE.pattern}')" in article
    assert f"re:test(@id, '{traf_xpaths.STORY_ID_RE.pattern}')" in story
    assert "re:test(@class, 'fulltext', 'i')" in story
    assert f"re:test(@class, '{traf_xpaths.STORY_CLASS_RE.pattern}')" in story
    assert f"re:test(@id, '{traf_xpaths.MAIN_ID_RE.pattern}')" in main
    assert f"re:test(@class, '{traf_xpaths.MAIN_CLASS_RE.pattern}')" in main
    assert len(BODY_XPATH) == 5
    for regex in (
        traf_xpaths.DISCARD_ID_RE,
        traf_xpaths.DISCARD_CLASS_RE,
        traf_xpaths.HIDDEN_ID_RE,
        traf_xpaths.HIDDEN_CLASS_RE,
        traf_xpaths.ARTICLE_ID_RE,
        traf_xpaths.ARTICLE_CLASS_RE,
        traf_xpaths.STORY_ID_RE,
        traf_xpaths.FULLTEXT_CLASS_RE,
        traf_xpaths.STORY_CLASS_RE,
        traf_xpaths.MAIN_ID_RE,
        traf_xpaths.MAIN_CLASS_RE,
    ):
        assert regex.search("") is None  # (an absent attribute reads "")


def test_the_main_extractor_follows_this_trafilatura() -> None:
    # traf_content.py re-builds trafilatura 2.3.1's extract_content: on an upgrade, reread
    # trafilatura's main_extractor.py (extract_content, _extract, recover_wild_text,
    # prune_unwanted_sections) and xpaths.py against it first
    assert trafilatura.__version__ == "2.3.1"
