"""Related blocks: the containers that hold a page's related-article list(s). Pure."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from newsarchive.extract.cards import HEADING_TAGS, TITLE_CLASS_RE, anchor
from newsarchive.extract.linkpage import (
    INVISIBLE_TAGS,
    _is_hidden,
    _Page,
    _short_text,
    _text,
    raw_text,
)
from newsarchive.urls import PLACEHOLDER_BASE, same_site

LOOSE_HEADING_TAGS = frozenset({"p", "span", "strong", "b", "em", "div", "header", "label"})
RELATED_HEADING_RE = re.compile(
    r"(?:articoli correlati|notizie correlate|correlati|correlate|articoli simili|leggi anche"
    r"|leggi pure|vedi anche|potrebbe(?:ro)? interessarti|ti potrebbe(?:ro)? interessare"
    r"|altri articoli|altre notizie|related(?: articles| stories| posts| news)?|more stories"
    r"|you may also like|you might also like|read more|read also|see also)\b"
)
# A word every RELATED_HEADING_RE phrase contains: text without one is no related heading.
RELATED_HEADING_WORD_RE = re.compile(
    r"correlat|simili|leggi|vedi|potrebbe|altri|altre|related|more|also"
)
EXCLUDED_HEADING_RE = re.compile(r"autore|author|ultim[aei]|latest|pi[uù] (?:lett|vist)|popolar")
HEADING_TAIL_MAX = 30
HEADING_MAX_CHARS = 80
FALLBACK_MIN_CARDS = 2
FALLBACK_MIN_WORDS = 4
TITLE_CLASS_CACHE_SIZE = 8192


def _detect_blocks(page: _Page, selector: str | None) -> list[Any]:
    if selector is not None:
        try:
            matcher = CSSSelector(selector, translator="html")
        except (SelectorError, etree.XPathError) as exc:
            raise ValueError(f"invalid CSS selector {selector!r}: {exc}") from exc
        return list(matcher(page.root))
    blocks = _class_blocks(page) + _heading_blocks(page)
    if not blocks:
        blocks = _fallback_blocks(page)
    return _outermost(page, blocks)


def _outermost(page: _Page, blocks: Iterable[Any]) -> list[Any]:
    kept: list[Any] = []
    for block in sorted(dict.fromkeys(blocks), key=page.position):
        if not kept or not page.contains(kept[-1], block):
            kept.append(block)
    return kept


def _acceptable(page: _Page, block: Any, *, signal: bool) -> bool:
    """A block must not be (or sit in) chrome, noise or a site-wide list, nor hold the article."""
    flags = page.flags(block)
    if flags & {"noise", "sitewide"} or (not signal and page.is_chrome(block)):
        return False
    if page.in_chrome(block) or next(block.iter("h1"), None) is not None:
        return False
    return page.main is None or not page.contains(block, page.main)


def _class_blocks(page: _Page) -> list[Any]:
    blocks = []
    for el in page.containers:
        if not page.may_signal(el):
            continue
        flags = page.flags(el)
        minimum = 1 if "related" in flags else 2 if "weak" in flags else 0
        if minimum and _acceptable(page, el, signal=True) and len(page.article_urls(el)) >= minimum:
            blocks.append(el)
    return blocks


def _key(text: str) -> str:
    """A heading's text as the related-heading patterns read it."""
    return text.lower().strip(" :.»›>|-–—•")


@lru_cache(maxsize=TITLE_CLASS_CACHE_SIZE)
def _is_title_class(cls: str | None) -> bool:
    """Whether a class attribute names a title (cached: a pure function of the attribute,
    and templates repeat the same few class attributes on every page)."""
    return cls is not None and TITLE_CLASS_RE.search(cls.lower()) is not None


def _is_strict(el: Any) -> bool:
    """A heading tag or a title class: a few words may follow the related phrase."""
    return el.tag in HEADING_TAGS or _is_title_class(el.get("class"))


def _heading_key(el: Any, limit: int) -> str | None:
    text = _short_text(el, limit)
    return _key(text) if text else None


def _is_related_heading(el: Any, raw: str, masked: Collection[Any]) -> bool:
    """Whether `el` reads as a related-links heading ("Articoli correlati", "Leggi anche").

    raw: the element's text as _short_raw_text gives it (not None).
    masked: the elements whose visible text is not their raw text (they hold hidden or
    invisible nodes); any other element whose raw text has no RELATED_HEADING_WORD_RE word
    is rejected without computing its visible text (which only adds spaces to the raw text).
    A strict one (_is_strict) may have a few words after the phrase.
    """
    if el not in masked and not RELATED_HEADING_WORD_RE.search(raw.lower()):
        return False
    text = _text(el)
    key = _key(text) if text else None
    match = RELATED_HEADING_RE.match(key) if key else None
    if not key or not match or EXCLUDED_HEADING_RE.search(key):
        return False
    return len(key) - match.end() <= (HEADING_TAIL_MAX if _is_strict(el) else 0)


def is_related_heading_text(line: str) -> bool:
    """Whether a line of text is only a related-links heading ("Leggi anche:")."""
    key = _key(line)
    if not key or len(key) > HEADING_MAX_CHARS or EXCLUDED_HEADING_RE.search(key):
        return False
    return RELATED_HEADING_RE.fullmatch(key) is not None


def _short_raw_text(el: Any, limit: int) -> str | None:
    """All text under `el` joined as is, when at most `limit` non-blank characters long.

    A chunk's non-blank length (stripped) is at most its length and at least its count of
    non-space characters: the joined text (made by lxml in one call) decides when it is
    short or long by those bounds; only in between (much blank text) are the chunks counted.
    The joined text stripped is a bound too: its blank start and end are blank chunks or the
    stripped ends of chunks (a pretty-printed <div> around one short <span> is short).
    """
    if not len(el):
        own = el.text or ""
        return own if len(own) <= limit or len(own.strip()) <= limit else None
    text = raw_text(el)
    if len(text) <= limit or len(text.strip()) <= limit:
        return text
    if len("".join(text.split())) > limit:
        return None
    return text if sum(map(len, map(str.strip, el.itertext()))) <= limit else None


def _with_ancestors(nodes: Iterable[Any], found: set[Any]) -> set[Any]:
    """Add the nodes and all their ancestors to `found` (stopping where it already holds one)."""
    for node in nodes:
        while node is not None and node not in found:
            found.add(node)
            node = node.getparent()
    return found


def _heading_blocks(page: _Page) -> list[Any]:
    # 1. One pass over every node: heading candidates (heading and loose heading tags, title
    #    classes; never a link), and the nodes whose text is not visible (comments, PIs,
    #    entities, invisible tags, hidden elements). A leaf is judged here already, before
    #    its tag and class: its raw text is its .text; hidden, it shows no text (no heading);
    #    long, its ancestors are long too (step 3); without a heading word it is no heading
    #    (as _is_related_heading would decide: a leaf is masked only when itself hidden).
    candidates = []
    skipped = []
    long_leaves = []
    for el in page.root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            skipped.append(el)
            continue
        hidden = tag in INVISIBLE_TAGS or (
            (el.get("style") is not None or el.get("hidden") is not None) and _is_hidden(el)
        )
        if hidden:
            skipped.append(el)
        if tag == "a":
            continue
        if not len(el):
            raw = el.text
            if hidden or raw is None:
                continue
            if len(raw) > HEADING_MAX_CHARS and len(raw.strip()) > HEADING_MAX_CHARS:
                long_leaves.append(el)
                continue
            if not RELATED_HEADING_WORD_RE.search(raw.lower()):
                continue
        if tag in HEADING_TAGS or tag in LOOSE_HEADING_TAGS or _is_title_class(el.get("class")):
            candidates.append(el)
    # 2. Elements whose visible text (_text) is not their raw text: they hold a skipped node.
    masked = _with_ancestors(skipped, set())
    # 3. Innermost first: an element holding one with too much text has too much text too.
    long = _with_ancestors(long_leaves, set())
    headings = []
    for el in reversed(candidates):
        if el in long:
            continue
        raw = _short_raw_text(el, HEADING_MAX_CHARS)
        if raw is None:
            _with_ancestors([el], long)
        elif _is_related_heading(el, raw, masked):
            headings.append(el)
    headings.reverse()
    blocks: list[Any] = []
    for heading in headings:
        if not page.article_urls(heading) and not page.in_chrome(heading):
            blocks.extend(_blocks_after(page, heading))
    return [b for b in blocks if _acceptable(page, b, signal=False)]


def _blocks_after(page: _Page, heading: Any) -> list[Any]:
    """The heading's nearest ancestor holding article links, or its following sibling list."""
    node = heading
    while (parent := node.getparent()) is not None:
        first = page.first_link(parent)
        if first is not None:
            before = page.position(first) < page.position(heading)
            holds_main = page.main is not None and page.contains(parent, page.main)
            if not before and not holds_main and parent.tag not in ("body", "html"):
                return [parent]
            return _following_siblings(page, node)
        node = parent
    return []


def _following_siblings(page: _Page, node: Any) -> list[Any]:
    """The run of same-tag siblings with article links first met after `node`.

    The siblings skipped on the way (no article links) lead to the same run: it is
    remembered for each of them, so that many headings under one parent cost linear time.
    """
    skipped: list[Any] = []
    found: list[Any] = []
    for sib in node.itersiblings():
        if not found and sib in page.sibling_lists:
            found = page.sibling_lists[sib]
            break
        if not isinstance(sib.tag, str):
            if not found:
                skipped.append(sib)
            continue
        if sib.tag in HEADING_TAGS or page.is_chrome(sib) or (found and sib.tag != found[0].tag):
            break
        if page.article_urls(sib):
            found.append(sib)
        elif found:
            break
        else:
            skipped.append(sib)
    for sib in skipped:
        page.sibling_lists[sib] = found
    return found


def _fallback_blocks(page: _Page) -> list[Any]:
    """Asides/sections after the article body listing >= 2 same-site article cards."""
    if page.main is None:
        return []
    blocks = []
    for el in page.containers:
        if el.tag not in ("aside", "section"):
            continue
        if page.before_end(el, page.main) or not _acceptable(page, el, signal=False):
            continue
        if any(
            (key := _heading_key(h, HEADING_MAX_CHARS)) and EXCLUDED_HEADING_RE.search(key)
            for h in el.iter(*HEADING_TAGS)
        ):
            continue
        if len(_cards(page, el)) >= FALLBACK_MIN_CARDS:
            blocks.append(el)
    return blocks


def _cards(page: _Page, el: Any) -> set[str]:
    """Distinct same-site article URLs in `el` with an anchor text of >= FALLBACK_MIN_WORDS
    words (up to FALLBACK_MIN_CARDS of them). The anchor text is read first: it is cheaper
    than the URL, which is made only for the links it lets through."""
    cards: set[str] = set()
    for a in el.iter("a"):
        if len(anchor(a)[0].split()) < FALLBACK_MIN_WORDS or not (url := page.link_url(a)):
            continue
        if page.link_base == PLACEHOLDER_BASE or same_site(urlsplit(url).hostname or "", page.host):
            cards.add(url)
            if len(cards) >= FALLBACK_MIN_CARDS:
                break
    return cards
