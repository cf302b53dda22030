"""trafilatura's basic cleaning (baseline.basic_cleaning, before its baseline, html2txt and
jusText), the baseline rescue, and the page length html2txt measures, the recall-escalation
gate's yardstick. Pure.

1. basic_clean selects what BASIC_CLEAN_XPATH selects; its cookie-banner regex tests call
   Python once per element, so libxml2 alone evaluates it without them when no class or id of
   the page can match them (cascade.Cascade tests the page's values once).
2. html2txt copies the tree, deletes that selection, writes a space before the text and the
   tail of every block element (_spaced_text, which also drops the control characters of those
   two) and joins the words of the text left: 2 ms a page, a third of it the copy. spaced_chars
   gets that length without a copy: one XSLT (libxslt, no Python per element) writes the same
   text from the tree as it is, skipping the deleted elements (the tail of one stays where
   delete_element moves it, in the same place of the text) and writing a space around every
   block element. It is html2txt's when there is no cookie banner and no control character to
   drop (else page_chars measures on a copy, as html2txt does).
3. baseline is trafilatura's, with basic_clean's selection.
tests/test_cascade.py and tests/test_basic_cleaning.py compare them with trafilatura's XPath,
html2txt and baseline on every fixture and on generated pages.
"""

from __future__ import annotations

import re
from copy import copy

from lxml import etree
from lxml.etree import Element, SubElement, _Element
from lxml.html import HtmlElement
from trafilatura.baseline import (
    _BLOCK_ELEMS,
    _MIN_CONTENT_LENGTH,
    _attempt,
    _collect_json_content,
    _render_text,
    _spaced_text,
    block_text,
)
from trafilatura.utils import remove_control_characters, trim
from trafilatura.xml import delete_element

from newsarchive.extract.traf_xpaths import first_attribute

# The regex of trafilatura's settings.BASIC_CLEAN_XPATH, the same string (tests/test_cascade.py
# checks that it still is): EXSLT re:test(@attr, pattern, 'i') is re.search(pattern, value, re.I).
COOKIE_CONSENT_RE = re.compile(
    "cookie[-_]?(?:banner|bar|consent|law|notice|policy|description)|notice[-_]{0,2}cookie"
    "|consent[-_]?(?:banner|manager|sdk)|borlabs|cookiebot|cmplz|onetrust|moove[-_]?gdpr",
    re.IGNORECASE,
)
BASIC_CLEAN_TAGS = frozenset(
    {"aside", "fencedframe", "footer", "script", "style", "svg", "template"}
)
# BASIC_CLEAN_XPATH but its regex tests, which call Python once per element: libxml2 alone
# evaluates it; the regex tests can match nothing when no class or id of the page matches.
BASIC_CLEAN_FIXED = etree.XPath(
    ".//aside|.//div[contains(@class|@id, 'footer')]|.//fencedframe|.//footer|.//script"
    "|.//style|.//svg|.//template"
)
# Every COOKIE_CONSENT_RE match holds one of these words, in any case.
COOKIE_WORDS = ("cookie", "consent", "borlabs", "cmplz", "onetrust", "moove")
# The spaces (str.isspace) lxml refuses in a text it is given (ValueError): control characters
# that _spaced_text's remove_control_characters keeps.
# (one str search a character: 4x faster than a regex class over a page's text)
UNWRITABLE_SPACES = "\x0b\x0c\x1c\x1d\x1e\x1f"
# BASIC_CLEAN_FIXED as an XSLT pattern (tests/test_basic_cleaning.py checks that it still is).
DELETED = "aside|div[contains(@class|@id, 'footer')]|fencedframe|footer|script|style|svg|template"
# From the root's children on ("/*/node()": html2txt never deletes its body itself), the deleted
# elements write nothing and the other block elements a space before and after them (XSLT's
# built-in templates write the text nodes and walk the other elements).
SPACED_TEXT = etree.XSLT(
    etree.XML(
        f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/"><xsl:apply-templates select="*/node()"/></xsl:template>
<xsl:template match="{DELETED}"/>
<xsl:template match="{"|".join(sorted(_BLOCK_ELEMS - BASIC_CLEAN_TAGS))}">
<xsl:text> </xsl:text><xsl:apply-templates/><xsl:text> </xsl:text></xsl:template>
</xsl:stylesheet>"""
    )
)


def basic_clean(body: HtmlElement, cookies: bool | None = None) -> list[HtmlElement]:
    """BASIC_CLEAN_XPATH: what baseline.basic_cleaning deletes (asides, footers, scripts,
    styles, svg, templates, cookie banners). cookies: may_be_cookies of the values of body or
    of a tree holding it (None: tested here)."""
    if cookies is None:
        cookies = may_be_cookies(classes_and_ids(body))
    if not cookies:
        return list(BASIC_CLEAN_FIXED(body))
    found = []
    for el in body.iterdescendants(etree.Element):
        cls, ident = el.get("class"), el.get("id")
        if (
            el.tag in BASIC_CLEAN_TAGS
            or (cls and COOKIE_CONSENT_RE.search(cls))
            or (ident and COOKIE_CONSENT_RE.search(ident))
            or (el.tag == "div" and "footer" in first_attribute(el.items(), "class", "id"))
        ):
            found.append(el)
    return found


def classes_and_ids(tree: HtmlElement) -> str:
    """The class and id values of tree and its elements (XPath .//@class|.//@id), one a line,
    element by element (no regex match can span two: none of those here matches a newline;
    their order is no matter to a search). One walk, without the XPath's sort of the union."""
    values = []
    for el in tree.iter(etree.Element):
        cls, ident = el.get("class"), el.get("id")
        if cls is not None:
            values.append(cls)
        if ident is not None:
            values.append(ident)
    return "\n".join(values)


def may_be_cookies(values: str) -> bool:
    """Whether one of these class and id values may match COOKIE_CONSENT_RE: false only when
    none does (so false for a tree's values holds for any part of that tree)."""
    if values.isascii():  # (re.IGNORECASE matches a few non-ASCII letters to ASCII ones)
        lowered = values.lower()
        if not any(word in lowered for word in COOKIE_WORDS):
            return False
    return COOKIE_CONSENT_RE.search(values) is not None


def page_chars(tree: HtmlElement, cookies: bool | None = None) -> int:
    """len(trafilatura.baseline.html2txt(tree)), with basic_clean in place of its XPath:
    spaced_chars where it can tell, else on a copy of the tree's body, as html2txt does."""
    body = tree.find(".//body")
    if body is None:
        body = tree
    if cookies is None:
        cookies = may_be_cookies(classes_and_ids(body))
    if not cookies and (chars := spaced_chars(body)) is not None:
        return chars
    body = copy(body)  # (html2txt copies the whole tree: the body is the same)
    for el in basic_clean(body, cookies):
        delete_element(el)
    return len(_spaced_text(body))


def spaced_chars(body: HtmlElement) -> int | None:
    """len(trafilatura.baseline._spaced_text(body)) once BASIC_CLEAN_FIXED's selection is
    deleted, without changing body; None when a character _spaced_text may drop is left, or
    one that lxml may refuse to write."""
    # trafilatura writes texts back, any of them (delete_element moves tails, also inside a
    # deleted subtree; _spaced_text rewrites those of blocks, and the body's own tail)
    if unwritable(body.text_content()) or unwritable(body.tail or ""):
        return None  # it may raise ValueError: so must page_chars
    words = str(SPACED_TEXT(body)).split()
    joined = "".join(words)
    if not joined.isprintable():  # a control character (not a space) somewhere in the text
        return None
    return len(joined) + len(words) - 1 if words else 0


def unwritable(text: str) -> bool:
    """Whether text holds one of UNWRITABLE_SPACES."""
    return any(char in text for char in UNWRITABLE_SPACES)


def baseline(tree: HtmlElement, cookies: bool | None = None) -> tuple[_Element, str, int]:
    """trafilatura.baseline.baseline(tree) (2.3.1), with basic_clean in place of its XPath
    (3 ms a page less): JSON-LD text, article tags, paragraphs, teasers, or the whole body.
    cookies: may_be_cookies of the tree's values (None: tested here)."""
    tree = copy(tree)  # basic_clean's deletions below change the tree
    json_bodies, json_teasers = _collect_json_content(tree)
    if result := _attempt(map(_render_text, json_bodies), dedupe=True):
        return result
    for el in basic_clean(tree, cookies):
        delete_element(el)
    article_texts = [
        text
        for elem in tree.xpath(".//article[not(ancestor::article)]")
        if len(text := block_text(elem)) > _MIN_CONTENT_LENGTH
    ]
    if article_texts:
        cutoff = max(map(len, article_texts)) / 5
        if result := _attempt(text for text in article_texts if len(text) >= cutoff):
            return result
    scraped_tags = {"blockquote", "code", "p", "pre", "q", "quote"}
    paragraphs = (
        block_text(element)
        for element in tree.iter("blockquote", "code", "p", "pre", "q", "quote")
        if not any(anc.tag in scraped_tags for anc in element.iterancestors())
    )
    if result := _attempt(paragraphs, dedupe=True):
        return result
    teaser = _attempt(map(_render_text, json_teasers), dedupe=True)
    postbody = Element("body")
    body_elem = tree.find(".//body")
    if body_elem is not None:
        p_elem = SubElement(postbody, "p")
        p_elem.text = remove_control_characters(
            "\n".join(text for e in body_elem.itertext() if (text := trim(e)))
        )
        if not teaser or len(p_elem.text) >= teaser[2]:
            return postbody, p_elem.text, len(p_elem.text)
    return teaser or (postbody, "", 0)
