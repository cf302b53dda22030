"""justext_run: trafilatura's jusText fallback with the stoplist lower-cased once, not per call."""

from __future__ import annotations

from copy import copy

import justext.core
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura import external
from trafilatura.settings import Extractor

from newsarchive.extract import justext_run
from newsarchive.extract.encoding import decode_body, parse_html
from newsarchive_testing.fixture_trees import FIXTURES

PROSE = (
    "Il consiglio comunale ha approvato ieri sera il bilancio, dopo una discussione che è "
    "durata fino a tarda notte e che ha visto la maggioranza dividersi sul capitolo dei "
    "trasporti e delle scuole della città."
)
BUILT = [
    f"<html><body><p>{PROSE}</p><p>{PROSE} {PROSE}</p><ul><li><a href='/a'>Menu</a></li></ul>"
    "<p>Breve.</p><p>© 2024 Editore</p></body></html>",
    "<html><body><div>Only a short line</div><select><option>x</option></select></body></html>",
    f"<html><body><h2>Titolo</h2><p>{PROSE}</p><p><a href='/x'>{PROSE}</a></p></body></html>",
    "<html><body></body></html>",
]


def trees() -> list[lxml.html.HtmlElement]:
    out = [lxml.html.document_fromstring(page) for page in BUILT]
    for path in FIXTURES:
        tree = parse_html(decode_body(path.read_bytes(), None).text)
        if tree is not None:
            out.append(tree)
    return out


def as_text(body: etree._Element) -> list[str | None]:
    return [p.text for p in body]


@pytest.mark.parametrize("language", [None, "it", "en"])
def test_try_justext_keeps_the_paragraphs_trafilaturas_keeps(language):
    checked = kept = 0
    for tree in trees():
        ours = justext_run.try_justext(copy(tree), None, language)
        theirs = external.try_justext(copy(tree), None, language)
        assert as_text(ours) == as_text(theirs)
        checked += 1
        kept += len(ours)
    assert checked > len(BUILT) and kept > 0  # the comparison saw real paragraphs


def test_justext_rescue_is_trafilaturas():
    options = Extractor()
    for tree in trees():
        ours_body, ours_text = justext_run.justext_rescue(copy(tree), options)
        theirs_body, theirs_text = external.justext_rescue(copy(tree), options)
        assert (as_text(ours_body), ours_text) == (as_text(theirs_body), theirs_text)


def test_the_stoplist_is_lower_cased_once_not_per_call(monkeypatch):
    made: list[int] = []
    real = justext.core.define_stoplist

    def counting(words):  # type: ignore[no-untyped-def]
        made.append(1)
        return real(words)

    monkeypatch.setattr(justext.core, "define_stoplist", counting)
    justext_run.stoplist.cache_clear()
    pages = trees()[:3]
    for tree in pages:
        justext_run.try_justext(copy(tree), None, None)
    assert made == []  # jusText's own per-call rebuild is never reached
    assert justext_run.stoplist.cache_info().misses == 1
    assert justext_run.stoplist(None) == frozenset(
        w.lower() for w in (external.JT_STOPLIST or external.jt_stoplist_init())
    )


PARAGRAPH_FIELDS = ("dom_path", "xpath", "text_nodes", "chars_count_in_links", "tags_count")


def paragraphs_of(paragraphs: list) -> list[dict]:
    # (what jusText's Paragraph holds, and its text, read on ours as on theirs)
    return [
        {k: getattr(p, k) for k in (*PARAGRAPH_FIELDS, "class_type", "text")} for p in paragraphs
    ]


SAX_CASES = [
    # a paragraph whose only text node is a <br>'s space: its text is empty, it is dropped
    "<div><p><br/></p><p>x</p></div>",
    # comments and their tails, <br><br>, links, a root tail, text right in the root
    "<div>lead<!-- c -->after<p>uno <a href='/x'>due</a> tre</p>x<br/><br/>y<b>z</b></div>tail",
    # a namespaced tag (the local name counts) and a processing instruction
    "<div><svg:g xmlns:svg='http://www.w3.org/2000/svg'>g</svg:g><?pi x?>dopo<p>p</p></div>",
]


def test_make_paragraphs_is_justexts() -> None:
    # (each case the first child of a wrapper: a root with a tail, and element siblings)
    roots = [*trees(), *(etree.fromstring(f"<r>{case}</r>")[0] for case in SAX_CASES)]
    roots.append(
        etree.fromstring("<?xml version='1.0'?><?a x?><div>d</div>").getroottree().getroot()
    )
    for root in roots:
        theirs = justext.core.ParagraphMaker.make_paragraphs(root)
        assert paragraphs_of(justext_run.make_paragraphs(root)) == paragraphs_of(theirs)
    texts = [p.text for p in justext_run.make_paragraphs(roots[-3])]
    assert texts == ["leadafter", "uno due tre", "x", "yz", "tail"]  # (the comment's text: none)


def test_justext_is_the_version_lazy_paragraph_was_written_for():
    # LazyParagraph(Maker) repeat jusText 3.0's Paragraph and _start_new_pragraph, and read
    # PathInfo._elements: an upgrade means rereading justext/core.py and paragraph.py
    from importlib.metadata import version

    assert version("jusText") == "3.0.2"


WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "Bé", "x y", *WHITESPACE]), max_size=20).map("".join))
def test_normalize_whitespace_is_justexts(text: str) -> None:
    from justext.utils import normalize_whitespace

    assert justext_run.normalize_whitespace(text) == normalize_whitespace(text)


@given(st.text())
def test_normalize_whitespace_is_justexts_on_any_text(text: str) -> None:
    from justext.utils import normalize_whitespace

    assert justext_run.normalize_whitespace(text) == normalize_whitespace(text)
