"""The related-link finder's shortcuts (issue 17) decide as the plain definitions they replace.

Each shortcut is checked against the straightforward reading it stands for, on random pages:
document order by child indexes (not by numbering every node), raw text length by lxml's
joined text (not chunk by chunk), the attribute pre-check before container flags, the
paragraph and link-share counts of body.py by raw_text (not text_content's XPath).
"""

from __future__ import annotations

import itertools
from typing import Any

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.extract import blocks, body, linkpage
from newsarchive.extract.linkpage import _Page
from newsarchive.extract.metadata import clean_text
from newsarchive.urls import SELF_URL_XPATH
from newsarchive_testing.random_pages import pages_of

WORDS = ("Leggi", "anche", "correlati", "x", " ", "\xa0", "\n  ", "more", "a" * 30)
TAGS = ("div", "section", "aside", "ul", "li", "p", "span", "h3", "a", "b")
ATTRS = (
    "", " class='related-posts'", " class='read-more'", " id='LeggiAnche'", " data-x='Correlati'",
    " aria-label='Altri articoli'", " class='menu'", " style='display: none'", " hidden",
    " class='box-title'", " data-track='see_also'", " class='more from'",
)  # fmt: skip


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.sampled_from(ATTRS))
    text = "".join(draw(st.lists(st.sampled_from(WORDS), max_size=4)))
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 4 else []
    tail = "".join(draw(st.lists(st.sampled_from(WORDS), max_size=2)))
    comment = "<!-- c -->" if draw(st.integers(0, 6)) == 0 else ""
    return f"<{tag}{attrs}>{text}{comment}{''.join(children)}</{tag}>{tail}"


pages = pages_of(elements())


def chunk_short_raw_text(el: Any, limit: int) -> str | None:
    """The definition: all text under `el`, when its chunks hold <= limit non-blank chars."""
    chunks = list(el.itertext())
    return "".join(chunks) if sum(len(c.strip()) for c in chunks) <= limit else None


@settings(max_examples=150, deadline=None)
@given(pages, st.integers(0, 60))
def test_short_raw_text_is_the_chunk_count(tree: Any, limit: int) -> None:
    for el in tree.iter():
        if isinstance(el.tag, str):
            assert blocks._short_raw_text(el, limit) == chunk_short_raw_text(el, limit)


@settings(max_examples=150, deadline=None)
@given(pages)
def test_positions_contains_and_before_end_follow_document_order(tree: Any) -> None:
    order = dict(zip(tree.iter(), itertools.count()))

    def end(el: Any) -> int:
        while len(el):
            el = el[-1]
        return order[el]

    page = _Page.build(tree, "https://example.it/a")
    els = list(reversed(order))  # keyed in an order other than the document's
    assert sorted(els, key=page.position) == list(order)
    for outer, inner in itertools.product(els[::3], els[::2]):
        assert page.contains(outer, inner) == (order[outer] <= order[inner] <= end(outer))
        assert page.before_end(inner, outer) == (order[inner] <= end(outer))


def test_positions_of_many_siblings_key_each_parent_once() -> None:
    tree = lxml.html.fromstring("<html><body>" + "<p>x</p>" * 5000 + "</body></html>")
    page = _Page.build(tree, "https://example.it/a")
    body = tree.find("body")
    assert [page.position(p)[-1] for p in reversed(body)] == list(range(4999, -1, -1))
    assert len(page.positions) == 5000 + 2  # the <p>s, <head>/<body> and <html>


SIGNALS = (
    "correlati", "related-news", "leggi_anche", "potrebbero-interessarti", "altri articoli",
    "altre-notizie", "more_stories", "see also", "vedi-anche", "read-more", "recommended",
    "consigliati", "suggeriti", "more-from",
)  # fmt: skip


def test_signal_word_is_in_every_related_or_weak_signal() -> None:
    for signal in SIGNALS:
        flags = linkpage._attribute_flags(signal, None, ())
        assert flags & {"related", "weak"}, signal
        assert linkpage.RELATED_SIGNAL_WORD_RE.search(signal), signal


@settings(max_examples=150, deadline=None)
@given(pages)
def test_no_element_with_a_signal_flag_fails_the_attribute_pre_check(tree: Any) -> None:
    page = _Page.build(tree, "https://example.it/a")
    for el in tree.iter():
        if isinstance(el.tag, str) and page.flags(el) & {"related", "weak"}:
            assert page.may_signal(el)


def test_attribute_pre_check_reads_every_signal_attribute() -> None:
    tree = lxml.html.fromstring(
        "<html><body><div class='Related'/><div id='x' data-box='LEGGI-ANCHE'/>"
        "<div aria-label='Vedi anche'/><div class='menu'/><div/></body></html>"
    )
    page = _Page.build(tree, "https://example.it/a")
    assert [page.may_signal(el) for el in tree.iter("div")] == [True, True, True, False, False]


def test_visible_text_of_a_leaf_is_its_own_visible_text() -> None:
    tree = lxml.html.fromstring(
        "<html><body><p> a \n b </p><span style='display:none'>x</span><script>y</script>"
        "<b hidden>z</b><i></i></body></html>"
    )
    texts = [linkpage._text(el) for el in tree.find("body")]
    assert texts == ["a b", "", "", "", ""]
    assert linkpage._text(tree.find("body/p"), skip=[tree.find("body/p")]) == ""
    assert linkpage._text(tree.find("body")) == "a b"


@settings(max_examples=100, deadline=None)
@given(pages)
def test_raw_text_is_text_content(tree: Any) -> None:
    for el in tree.iter():
        if isinstance(el.tag, str):
            assert linkpage.raw_text(el) == el.text_content()


def test_fallback_makes_the_url_only_of_links_with_a_long_anchor_text(monkeypatch: Any) -> None:
    cards = "".join(
        f"<a href='/cronaca/2024/05/0{i}/notizia-{i}'>{text}</a>"
        for i, text in enumerate(
            [
                "foto",
                "Una notizia dal quartiere vicino",
                "video",
                "Un'altra notizia di cronaca oggi",
                "Terza notizia di cronaca locale",
            ],
            1,
        )
    )
    body = "Testo dell'articolo con molti particolari sui fatti del giorno. " * 4
    tree = lxml.html.fromstring(
        f"<html><body><article><p>{body}</p></article><aside>{cards}</aside></body></html>"
    )
    made: list[str] = []
    canonicalize = linkpage.canonicalize_url

    def counted(url: str, base: str | None = None) -> str | None:
        made.append(url)
        return canonicalize(url, base)

    monkeypatch.setattr(linkpage, "canonicalize_url", counted)
    page = _Page.build(tree, "https://www.esempio.it/cronaca/2024/05/09/articolo")
    made.clear()
    assert [el.tag for el in blocks._fallback_blocks(page)] == ["aside"]
    assert made == ["/cronaca/2024/05/02/notizia-2", "/cronaca/2024/05/04/notizia-4"]


def test_declared_urls_are_the_self_url_xpath_and_the_first_base_href() -> None:
    tree = lxml.html.fromstring(
        "<html><head><base href=''><link rel='canonical' href='/a'><meta property='og:url'>"
        "<link rel='Canonical' href='/b'><base href='/dir/'><base href='/other/'></head>"
        "<body><meta property='og:url' content=''><link rel='canonical' href='/c'></body></html>"
    )
    scan = linkpage._scan(tree)
    declared, base_href = scan.declared, scan.base_href
    assert declared == [str(u) for u in tree.xpath(SELF_URL_XPATH)] == ["/a", "", "/c"]
    assert base_href == "/dir/"


@settings(max_examples=100, deadline=None)
@given(pages)
def test_paragraph_chars_and_mostly_links_read_the_text_content(tree: Any) -> None:
    sizes = [len(" ".join(p.text_content().split())) for p in tree.iter("p")]
    assert body.paragraph_chars(tree) == sum(n for n in sizes if n >= body.READABLE_P_CHARS)
    for el in tree.iter():
        if isinstance(el.tag, str):
            total = len(clean_text(el.text_content()))
            links = sum(len(clean_text(a.text_content())) for a in el.iter("a"))
            share = total == 0 or links / total >= body.PRUNE_MIN_LINK_SHARE
            assert body._mostly_links(el) == share
