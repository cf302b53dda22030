"""The trafilatura cascade (extract/cascade.py) gives bare_extraction's text, fast and full, and
its Python selectors pick the elements trafilatura's XPaths pick."""

from __future__ import annotations

from copy import copy
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.baseline import html2txt
from trafilatura.core import _forum_thread_page
from trafilatura.external import compare_extraction, justext_rescue
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import BASIC_CLEAN_XPATH
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from newsarchive.extract import basic_cleaning, cascade
from newsarchive.extract.body import TRAFILATURA_OPTIONS
from newsarchive.extract.cascade import Cascade
from newsarchive.extract.encoding import parse_html
from newsarchive_testing.fixture_trees import FIXTURES, fixture_tree, over_fixtures, paths
from newsarchive_testing.random_pages import pages_of

URL = "https://www.giornale-di-prova.it/cronaca/2024/12/05/il-piano-della-mobilita"
PARAGRAPH = (
    "Il consiglio comunale ha approvato ieri sera il nuovo piano per la mobilità cittadina, "
    "che prevede tre nuove linee di autobus elettrici e cento chilometri di piste ciclabili."
)
# Every branch of the selectors: ids and classes, case, nesting, the ol/ul rule, attribute order.
SELECTOR_PAGE = """<html><head><title>t</title><script>var a = 1;</script></head><body>
<div id="comments"><p>uno</p><div class="comment-body">due</div></div>
<div id="Commentary"><p>commento editoriale</p></div>
<section class="comment-list"><p>tre</p></section>
<ul class="comment-list"><li>quattro</li></ul><ol id="disqus_thread"><li>cinque</li></ol>
<ul id="comol"><li>sei</li></ul><div id="disqus_thread">sette</div>
<details class="x post-comments">otto</details><div class="x article-comments">nove</div>
<div class="infinite-scroll"><h1>Titolo</h1><p>resta</p></div>
<div class="infinitescroll"><p>via</p></div><aside id="mvp-post-add-box"><h1>t</h1></aside>
<section class="mvp-post-add-wrap x"><p>via</p></section>
<div class="a elementor-share-buttons"><a href="#">f</a></div>
<div class="Cookie-Banner">cookie</div><span id="CybotCookiebotDialog">c</span>
<p class="noticecookie">c</p><div id="footer" class="x">f1</div>
<div class="x" id="site-footer">f2</div><div class="page-footer" id="x">f3</div>
<footer>f4</footer><svg><title>icona</title></svg><template><p>t</p></template>
<style>p {}</style><fencedframe></fencedframe><aside>a</aside>
<article><h1>Il piano</h1><p>PARAGRAPH</p><p>PARAGRAPH</p></article>
</body></html>""".replace("PARAGRAPH", PARAGRAPH)


@over_fixtures
def test_fast_then_full_text_is_bare_extractions(path: Path) -> None:
    tree = fixture_tree(path)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    for fast in (True, False):  # one Cascade for both runs, as body._run_trafilatura does
        doc = trafilatura.bare_extraction(tree, url=URL, fast=fast, **TRAFILATURA_OPTIONS)
        assert run.text(fast=fast) == (doc.text if doc is not None else None)


@pytest.mark.parametrize("fast", [True, False])
def test_escalation_and_prunes_give_bare_extractions_text(fast: bool) -> None:
    # a short article on a long page (the recall escalation runs) with prunable sections
    menu = "<div class='menu'><a href='/s{0}'>Sezione {0} del sito</a></div>"
    chrome = "".join(menu.format(i) for i in range(300))
    html = SELECTOR_PAGE.replace("<article>", f"<nav>{chrome}</nav><article>")
    tree = parse_html(html)
    doc = trafilatura.bare_extraction(tree, url=URL, fast=fast, **TRAFILATURA_OPTIONS)
    assert doc is not None
    assert Cascade(tree, URL, TRAFILATURA_OPTIONS).text(fast=fast) == doc.text


def test_the_selectors_pick_what_trafilaturas_xpaths_pick() -> None:
    tree = parse_html(SELECTOR_PAGE)
    body = tree.find("body")
    pairs = [
        (cascade.appended_posts, RAW_TREE_PRUNE_XPATH[0]),
        (cascade.share_buttons, RAW_TREE_PRUNE_XPATH[1]),
        (cascade.comment_sections, REMOVE_COMMENTS_AND_LISTS_XPATH[0]),
    ]
    for select, xpath in pairs:
        assert paths(tree, select(tree)) == paths(tree, xpath(tree))
        assert select(tree), select.__name__  # the page exercises each selector
    assert paths(tree, basic_cleaning.basic_clean(body)) == paths(tree, BASIC_CLEAN_XPATH(body))
    assert len(basic_cleaning.basic_clean(body)) == 12  # not f2: its first attribute is class="x"


@pytest.mark.parametrize(
    "classes",
    [
        ("menu", "consent"),  # a cookie word, no regex match
        ("COOKIE-NOTICE", "x"),  # case
        ("cook\u0130e-banner", "x"),  # re.IGNORECASE matches İ to i; lower() does not
        ("menu", "footer-links"),  # no cookie word at all
    ],
)
def test_basic_clean_finds_cookie_banners_as_the_xpath_does(classes: tuple[str, ...]) -> None:
    divs = "".join(f'<div class="{c}"><p>testo</p></div>' for c in classes)
    tree = parse_html(f"<html><body><footer>f</footer>{divs}<p>fine</p></body></html>")
    body = tree.find("body")
    assert paths(tree, basic_cleaning.basic_clean(body)) == paths(tree, BASIC_CLEAN_XPATH(body))


def test_a_fragment_roots_own_classes_are_not_matched() -> None:
    # `.//*` excludes the context element: a fragment's root is not pruned
    tree = lxml.html.fromstring("<div class='comment-list infinite-scroll'><p>x</p></div>")
    assert tree.tag == "div"
    assert cascade.comment_sections(tree) == [] == REMOVE_COMMENTS_AND_LISTS_XPATH[0](tree)
    assert cascade.appended_posts(tree) == [] == RAW_TREE_PRUNE_XPATH[0](tree)


# ids and classes around comment_sections' quick test ("omment" in the class, the id's start)
COMMENT_VALUES = [
    "comment", "Comments", "commentary", "Commentary", "x comment", "xcomment", "comol-1",
    "comol", "disqus_thread", "disqus", "dsq-comments", "post-comments", "article-comments",
    "x-comments", "COMMENT", "omment", "",
]  # fmt: skip
COMMENT_ELEMENT = st.tuples(
    st.sampled_from(["div", "list", "section", "details", "ol", "ul", "p", "aside"]),
    st.sampled_from(COMMENT_VALUES),
    st.sampled_from(COMMENT_VALUES),
).map(lambda t: f'<{t[0]} id="{t[1]}" class="{t[2]}"><p>x</p></{t[0]}>')


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages_of(COMMENT_ELEMENT))
def test_the_comment_sections_are_the_xpaths_on_generated_pages(tree) -> None:
    theirs = REMOVE_COMMENTS_AND_LISTS_XPATH[0](tree)
    assert paths(tree, cascade.comment_sections(tree)) == paths(tree, theirs)


@over_fixtures
def test_the_selectors_agree_on_the_fixtures(path: Path) -> None:
    tree = fixture_tree(path)
    assert paths(tree, cascade.comment_sections(tree)) == paths(
        tree, REMOVE_COMMENTS_AND_LISTS_XPATH[0](tree)
    )
    assert paths(tree, basic_cleaning.basic_clean(tree)) == paths(tree, BASIC_CLEAN_XPATH(tree))
    assert basic_cleaning.page_chars(tree) == len(html2txt(tree))
    options = cascade.extractor(URL, fast=False, options=TRAFILATURA_OPTIONS)
    body, text = cascade.justext_rescue(tree, options)
    their_body, their_text = justext_rescue(copy(tree), options)
    assert (etree.tostring(body), text) == (etree.tostring(their_body), their_text)


@pytest.mark.parametrize(
    "html",
    [
        SELECTOR_PAGE,  # cookie banners in the body
        SELECTOR_PAGE.replace("Cookie-Banner", "Banner").replace("Cookiebot", "bot"),
        f"<html><body><article><p>{PARAGRAPH}</p></article></body></html>",  # no class nor id
    ],
)
def test_the_page_measure_and_justext_read_the_cascades_cookie_test(html: str) -> None:
    # the cascade tests the pruned tree's classes and ids for cookie banners once, for both
    tree = parse_html(html)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    assert run._measure() == len(html2txt(run.pruned()))
    options = cascade.extractor(URL, fast=False, options=TRAFILATURA_OPTIONS)
    body, text = cascade.justext_rescue(run.pruned(), options, run._cookies())
    their_body, their_text = justext_rescue(copy(run.pruned()), options)
    assert (etree.tostring(body), text) == (etree.tostring(their_body), their_text)


def trafilaturas_prunes(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """bare_extraction's raw-tree prunes for our options (core.py), on a copy."""
    is_forum = _forum_thread_page(tree)
    tree = prune_unwanted_nodes(copy(tree), RAW_TREE_PRUNE_XPATH)
    if not is_forum:
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    return tree


@pytest.mark.parametrize(
    "html",
    [
        SELECTOR_PAGE,
        SELECTOR_PAGE.replace('id="comments"', 'id="Comments"'),  # case: [Cc]omment
        SELECTOR_PAGE.replace("infinitescroll", "infinite-scroll").replace("mvp-", "x-"),
        SELECTOR_PAGE.replace("comment", "x").replace("Comment", "x"),  # no comment section
        *(
            f"<html><body>{section}<p>{PARAGRAPH}</p></body></html>"
            for section in (
                f"<div id='dsq-comments'><p>{PARAGRAPH}</p></div>",
                "<ul id='comol'><li>uno</li></ul>",
                f"<div id='disqus_thread'><p>{PARAGRAPH}</p></div>",
                "<div class='x post-comments'><p>tre</p></div>",
            )
        ),
        f"<html><body><article><p>{PARAGRAPH}</p></article></body></html>",  # no class nor id
    ],
)
def test_the_raw_tree_prunes_are_trafilaturas(html: str) -> None:
    # the cascade walks the tree for a prune only when a class or id holds one of its words
    tree = parse_html(html)
    pruned = Cascade(tree, URL, TRAFILATURA_OPTIONS).pruned()
    assert etree.tostring(pruned) == etree.tostring(trafilaturas_prunes(tree))


def test_the_cascade_follows_this_trafilatura() -> None:
    # cascade.py re-builds trafilatura 2.3.1's bare_extraction from its stages: on an upgrade,
    # reread trafilatura's core.py (bare_extraction, trafilatura_sequence) against it first
    assert trafilatura.__version__ == "2.3.1"


def test_the_regexes_are_still_trafilaturas() -> None:
    """An upgrade of trafilatura that changes these XPaths fails here, not silently."""
    raw = [x.path for x in RAW_TREE_PRUNE_XPATH]
    assert f"'{cascade.APPENDED_POSTS_RE.pattern}'" in raw[0]
    assert f"'{cascade.APPENDED_POSTS_WRAP_RE.pattern}'" in raw[0]
    assert f"'{cascade.SHARE_BUTTONS_CLASS}'" in raw[1]
    comments = REMOVE_COMMENTS_AND_LISTS_XPATH[0].path
    for regex in (cascade.COMMENTS_ID_RE, cascade.COMMENT_LIST_ID_RE, cascade.COMMENTS_CLASS_RE):
        assert f"'{regex.pattern}'" in comments
    cookies = basic_cleaning.COOKIE_CONSENT_RE.pattern
    assert f"re:test(@class, '{cookies}', 'i')" in BASIC_CLEAN_XPATH.path
    assert len(RAW_TREE_PRUNE_XPATH) == 2
    assert len(REMOVE_COMMENTS_AND_LISTS_XPATH) == 1


def test_the_page_tree_is_left_as_it_was() -> None:
    tree = parse_html(SELECTOR_PAGE)
    before = etree.tostring(tree)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    assert run.text(fast=True)
    assert run.text(fast=False)
    assert run.pruned() is not tree  # a prune matched: trafilatura worked on a copy
    assert etree.tostring(tree) == before


def test_a_tree_no_prune_matches_is_not_copied() -> None:
    tree = parse_html(f"<html><body><article><p>{PARAGRAPH}</p></article></body></html>")
    before = etree.tostring(tree)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    assert run.text(fast=False) == PARAGRAPH
    assert run.pruned() is tree
    assert etree.tostring(tree) == before


def test_options_the_cascade_lacks_are_refused() -> None:
    tree = parse_html(SELECTOR_PAGE)
    for option in ("include_comments", "with_metadata", "favor_precision", "favor_recall"):
        run = Cascade(tree, URL, {**TRAFILATURA_OPTIONS, option: True})
        with pytest.raises(ValueError, match="does not implement"):
            run.text(fast=True)


@pytest.mark.parametrize("fast", [True, False])
def test_the_extractor_is_the_one_bare_extraction_builds(fast: bool) -> None:
    from trafilatura.settings import Extractor

    built = Extractor(
        output_format="python",
        fast=fast,
        comments=TRAFILATURA_OPTIONS["include_comments"],
        links=TRAFILATURA_OPTIONS["include_links"],
        images=TRAFILATURA_OPTIONS["include_images"],
        tables=TRAFILATURA_OPTIONS["include_tables"],
        precision=TRAFILATURA_OPTIONS["favor_precision"],
        with_metadata=TRAFILATURA_OPTIONS["with_metadata"],
        url=URL,
    )
    ours = cascade.extractor(URL, fast=fast, options=TRAFILATURA_OPTIONS)
    other = cascade.extractor("https://altro.it/x", fast=fast, options=TRAFILATURA_OPTIONS)
    for name in Extractor.__slots__:
        if name != "date_params":  # (read from the clock; metadata only, which we do not ask)
            assert getattr(ours, name) == getattr(built, name), name
    assert (ours.url, other.url) == (URL, "https://altro.it/x")  # copies: no url leaks


def spy_extract_content(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, str]]:
    """Record (fast, focus) of every main-extractor run of the cascade."""
    calls: list[tuple[bool, str]] = []
    real = cascade.extract_content

    def spy(tree: Any, options: Any, values: str) -> Any:
        calls.append((options.fast, options.focus))
        return real(tree, options, values)

    monkeypatch.setattr(cascade, "extract_content", spy)
    return calls


MENU = "".join(
    f"<div class='menu'><a href='/s{i}'>Sezione {i} del sito</a></div>" for i in range(300)
)
SHORT_PAGE = f"<html><body><nav>{MENU}</nav><article><p>{PARAGRAPH}</p></article></body></html>"


def test_the_full_run_takes_the_fast_main_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    # a short text on a long page: both runs escalate to recall mode
    tree = parse_html(SHORT_PAGE)
    calls = spy_extract_content(monkeypatch)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    texts = [run.text(fast=True), run.text(fast=False)]
    assert calls == [(True, "balanced"), (True, "recall")]  # none in the full run
    expected = [
        trafilatura.bare_extraction(tree, url=URL, fast=fast, **TRAFILATURA_OPTIONS)
        for fast in (True, False)
    ]
    assert texts == [doc.text if doc is not None else None for doc in expected]


def test_a_page_with_teasers_runs_the_main_extractor_again_in_full(monkeypatch):
    # in full mode trafilatura deletes teaser blocks when it recovers wild text; fast keeps them
    tree = parse_html(SHORT_PAGE.replace("<nav>", "<nav class='Teaser'>"))
    calls = spy_extract_content(monkeypatch)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    texts = [run.text(fast=True), run.text(fast=False)]
    assert calls == [(True, "balanced"), (True, "recall"), (False, "balanced")]
    expected = [
        trafilatura.bare_extraction(tree, url=URL, fast=fast, **TRAFILATURA_OPTIONS)
        for fast in (True, False)
    ]
    assert texts == [doc.text if doc is not None else None for doc in expected]


LONG_PAGE = f"<html><body><article>{f'<p>{PARAGRAPH}</p>' * 20}</article></body></html>"
COMPARE_PAGES = [
    SELECTOR_PAGE,
    SHORT_PAGE,
    LONG_PAGE,  # recall: no comparison
    f"<html><body><nav>{MENU}</nav><div>{'<br>'.join([PARAGRAPH] * 6)}</div></body></html>",
]  # (the last: readability's text taken, unclean, then justext's)


@pytest.mark.parametrize("focus", ["balanced", "recall"])
@pytest.mark.parametrize(
    "html", [*COMPARE_PAGES, *(p.read_text("utf-8", "replace") for p in FIXTURES[:25])]
)
def test_compare_is_trafilaturas_compare_extraction(html: str, focus: str) -> None:
    # the cascade's comparison builds justext's cleaned tree only when justext runs
    tree = parse_html(html)
    if tree is None:
        pytest.skip("not HTML")
    options = cascade.extractor(URL, fast=False, options=TRAFILATURA_OPTIONS)
    options.focus = focus
    cleaned = tree_cleaning(copy(tree), options)
    body, text = extract_content(convert_tags(copy(cleaned), options, URL), options)
    theirs = compare_extraction(copy(cleaned), copy(tree), copy(body), text, options)
    before = etree.tostring(tree)
    ours = cascade.compare(lambda: copy(cleaned), tree, copy(body), text, options)
    assert (etree.tostring(ours[0]), ours[1]) == (etree.tostring(theirs[0]), theirs[1])
    assert etree.tostring(tree) == before


def test_compare_builds_nothing_when_the_recall_text_is_long(monkeypatch):
    def unused(*args: Any) -> Any:
        raise AssertionError("built or run for nothing")

    monkeypatch.setattr(cascade, "try_readability", unused)
    tree = parse_html(LONG_PAGE)
    options = cascade.extractor(URL, fast=False, options=TRAFILATURA_OPTIONS)
    options.focus = "recall"
    body = etree.Element("body")
    assert cascade.compare(unused, tree, body, "x" * 2501, options) == (body, "x" * 2501)


def test_a_teaser_in_a_pruned_section_still_gives_bare_extractions_text(monkeypatch):
    # the teaser test reads the page's classes and ids (a superset of the pruned tree's)
    html = SHORT_PAGE.replace("<nav>", "<div id='comments'><p class='teaser'>t</p></div><nav>")
    tree = parse_html(html)
    calls = spy_extract_content(monkeypatch)
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    texts = [run.text(fast=True), run.text(fast=False)]
    assert run.pruned().find(".//p[@class='teaser']") is None
    assert calls[-1] == (False, "balanced")  # run again in full: a superset test
    expected = [
        trafilatura.bare_extraction(tree, url=URL, fast=fast, **TRAFILATURA_OPTIONS)
        for fast in (True, False)
    ]
    assert texts == [doc.text if doc is not None else None for doc in expected]


@pytest.mark.parametrize(
    "html", [*COMPARE_PAGES, *(p.read_text("utf-8", "replace") for p in FIXTURES[:25])]
)
def test_readability_runs_once_for_a_pages_comparisons(html: str, monkeypatch) -> None:
    # a full run compares in balanced focus, then again in recall when it escalates: both
    # comparisons read readability's article of the pruned tree, built once; each gets a copy
    tree = parse_html(html)
    if tree is None:
        pytest.skip("not HTML")
    run = Cascade(tree, URL, TRAFILATURA_OPTIONS)
    pruned = run.pruned()
    expected = []
    for focus in ("balanced", "recall"):
        options = cascade.extractor(URL, fast=False, options=TRAFILATURA_OPTIONS)
        options.focus = focus
        cleaned = tree_cleaning(copy(pruned), options)
        body, text = extract_content(convert_tags(copy(cleaned), options, URL), options)
        alone = cascade.compare(lambda c=cleaned: copy(c), pruned, copy(body), text, options)
        expected.append((options, cleaned, body, text, alone))
    calls = []
    real = cascade.readability

    def spy(tree: Any) -> tuple[Any, str]:
        calls.append(tree)
        return real(tree)

    monkeypatch.setattr(cascade, "readability", spy)
    for options, cleaned, body, text, alone in expected * 2:  # (a page's article, sanitized
        # in place by the first comparison that takes it, must not reach the next one)
        ours = cascade.compare(
            lambda c=cleaned: copy(c), pruned, copy(body), text, options, run._read
        )
        assert (etree.tostring(ours[0]), ours[1]) == (etree.tostring(alone[0]), alone[1])
    assert len(calls) <= 1
    first = run._read(pruned)
    first[0].clear()  # what compare may do to the article it gets
    assert etree.tostring(run._read(pruned)[0]) == etree.tostring(real(pruned)[0])
