"""The page length of extract/basic_cleaning.py is trafilatura's len(html2txt(tree)), measured
without a copy (spaced_chars) wherever it can tell, and its baseline is trafilatura's baseline;
the tree is left as it was."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.baseline import baseline as trafilatura_baseline
from trafilatura.baseline import html2txt

from newsarchive.extract import basic_cleaning
from newsarchive.extract.basic_cleaning import page_chars, spaced_chars
from newsarchive.extract.encoding import decode_body, parse_html
from newsarchive_testing.fixture_trees import FIXTURES, fixture_tree, over_fixtures


def body_of(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    body = tree.find(".//body")
    return tree if body is None else body


def assert_html2txt_length(tree: lxml.html.HtmlElement) -> int | None:
    """page_chars and spaced_chars (when it answers) give len(html2txt(tree)), changing
    nothing; spaced_chars's answer is returned."""
    before = etree.tostring(tree)
    fast = spaced_chars(body_of(tree))
    try:
        expected = len(html2txt(tree))
    except ValueError:  # a space lxml refuses to write back (_spaced_text)
        with pytest.raises(ValueError):
            page_chars(tree)
        assert fast is None
        return None
    assert page_chars(tree) == expected
    if not basic_cleaning.may_be_cookies(basic_cleaning.classes_and_ids(tree)):
        assert fast in (None, expected)
    assert etree.tostring(tree) == before
    return fast


def test_the_xslt_deletes_what_basic_clean_fixed_selects() -> None:
    assert basic_cleaning.BASIC_CLEAN_FIXED.path.replace(".//", "") == basic_cleaning.DELETED


@over_fixtures
def test_the_length_is_html2txts_on_the_fixtures(path: Path) -> None:
    tree = fixture_tree(path)
    assert_html2txt_length(tree)


def test_most_fixtures_are_measured_without_a_copy() -> None:
    trees = [parse_html(decode_body(path.read_bytes()).text) for path in FIXTURES]
    answered = [spaced_chars(body_of(tree)) is not None for tree in trees if tree is not None]
    assert sum(answered) > 0.7 * len(answered)


PAGE = """<html><head><title>t</title><style>p {}</style></head><body>
<div class="a">uno<b>due</b>tre<footer>via</footer>quattro<aside>via</aside><p>cinque</p>sei
<div id="footer" class="x">via</div>sette<div class="x" id="footer">otto</div>nove
<!-- commento -->dieci<script>var a;</script>undici<br>dodici<span>tre<i>dici</i></span>
<svg><title>via</title></svg><ul><li>a</li><li>b</li></ul><template>via</template></div>
</body></html>"""


@pytest.mark.parametrize(
    ("html", "fast"),
    [
        (PAGE, True),
        ("<div><p>a</p>b<footer>x</footer>c</div>", True),  # a fragment: no body
        ("<html><body></body></html>", True),
        (PAGE.replace("sei", "s\xadei"), False),  # _spaced_text drops a soft hyphen in a block
        (PAGE.replace("dici", "di\u200bci"), False),  # or not (a span): still not answered
        (PAGE.replace("sei", "s\x85ei\r\n\xa0\u2028x"), True),  # spaces, none refused
        (PAGE.replace("sei", "s\x1cei"), False),  # a space lxml refuses: html2txt raises
        (PAGE.replace("dici", "di\x0bci"), False),  # in a span: html2txt does not
        # html2txt raises on a tail it moves inside a subtree it deleted: so must page_chars
        ('<div><div class="footer"><aside></aside>\x1c</div>x</div>', False),
        (PAGE.replace('class="a"', 'class="cookie-banner"'), True),  # page_chars: no XSLT
    ],
)
def test_the_length_is_html2txts(html: str, fast: bool) -> None:
    assert (assert_html2txt_length(lxml.html.fromstring(html)) is not None) == fast


CLASSES_AND_IDS = etree.XPath(".//@class|.//@id", smart_strings=False)


@over_fixtures
def test_the_classes_and_ids_are_the_xpaths_values(path: Path) -> None:
    tree = fixture_tree(path)
    for some in (tree, body_of(tree)):
        values = basic_cleaning.classes_and_ids(some).split("\n")
        assert sorted(values) == sorted(CLASSES_AND_IDS(some) or [""])


def test_the_unwritable_spaces_are_the_spaces_lxml_refuses() -> None:
    refused = set()
    for char in map(chr, range(0x3000)):
        try:
            etree.Element("p").text = f"a{char}b"
        except ValueError:
            refused.add(char)
    assert set(basic_cleaning.UNWRITABLE_SPACES) == {c for c in refused if c.isspace()}
    assert basic_cleaning.unwritable("a\x1fb") and not basic_cleaning.unwritable("a\x85 b")


TEXTS = ["", " ", "uno", "due tre", "\n", "\xa0", "s\xadi", "\x1c", "a\u200bb", "\t x ", "\x85"]
TAGS = ["div", "p", "span", "b", "aside", "footer", "li", "br", "section", "script", "td", "h2"]
ATTRS = ["", ' class="footer"', ' id="site-footer" class="x"', ' class="x" id="footer"']


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "element", "comment"] if depth < 4 else ["text"]))
        if kind == "text":
            parts.append(draw(st.sampled_from(TEXTS)))
        elif kind == "comment":
            parts.append("<!-- c -->")
        else:
            tag, attrs = draw(st.sampled_from(TAGS)), draw(st.sampled_from(ATTRS))
            parts.append(f"<{tag}{attrs}>{draw(fragments(depth + 1))}</{tag}>")
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments())
def test_the_length_is_html2txts_on_generated_pages(html: str) -> None:
    tree = lxml.html.fromstring(f"<html><body>{html}</body></html>")
    assert_html2txt_length(tree)


def assert_trafilaturas_baseline(tree: lxml.html.HtmlElement) -> None:
    before = etree.tostring(tree)
    theirs = trafilatura_baseline(tree)
    for cookies in (None, True):  # (True: the regex walk, right for any page)
        body, text, length = basic_cleaning.baseline(tree, cookies)
        assert (etree.tostring(body), text, length) == (etree.tostring(theirs[0]), *theirs[1:])
    assert etree.tostring(tree) == before


@over_fixtures
def test_the_baseline_is_trafilaturas_on_the_fixtures(path: Path) -> None:
    tree = fixture_tree(path)
    assert_trafilaturas_baseline(tree)


ARTICLE = "Il consiglio comunale ha approvato ieri sera il nuovo piano per la mobilità. " * 3
JSON_LD = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": "%s"}</script>'
)


@pytest.mark.parametrize(
    "html",
    [
        PAGE,  # the whole body
        PAGE.replace('class="a"', 'class="cookie-banner"'),  # a cookie banner deleted
        PAGE.replace("<body>", "<body>" + JSON_LD % ARTICLE),  # JSON-LD text
        PAGE.replace("<body>", f"<body><article><p>{ARTICLE}</p></article>"),  # an article
        PAGE.replace("<body>", f"<body><footer><p>{ARTICLE}</p></footer><p>{ARTICLE}</p>"),
        PAGE.replace("<body>", f"<body><div id='cookie-notice'><p>{ARTICLE}</p></div>"),
    ],
)
def test_the_baseline_is_trafilaturas(html: str) -> None:
    assert_trafilaturas_baseline(parse_html(html))
