"""The article's main text: trafilatura in fast mode, run again in full when the fast text is
doubtful (the gate's settings are hashed into EXTRACTOR), and the text's cleanup. Pure."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lxml.html import HtmlElement

from newsarchive.extract.cascade import Cascade
from newsarchive.extract.linkpage import raw_text
from newsarchive.extract.links import is_related_heading_text
from newsarchive.extract.metadata import clean_text

HEADLINE_SCAN_LINES = 3
KICKER_MAX_CHARS = 80
# A related block is removed before trafilatura only when links are most of its text.
PRUNE_MIN_LINK_SHARE = 0.5
# The trafilatura options are part of what produced a row: their hash is in `extractor`.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "with_metadata": False,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "favor_precision": False,
}
# trafilatura runs in fast mode (no readability/justext comparison, 7 ms a page less); it runs
# again in full only when the fast text is doubtful against the characters of the page's
# paragraphs of READABLE_P_CHARS or more (what readability scores): under FALLBACK_MIN_SHARE of
# them (text missed), over FALLBACK_MAX_RATIO times them (text outside paragraphs: chrome
# taken?), or short and over FALLBACK_SHORT_RATIO times them. Derived on the 1,001 shared
# corpus pages (the full result differs on 56): 149 pages (15 %) rerun, and the eval benches
# score no figure lower than always-full (pages where fast alone is better keep it). Any text is
# doubtful on a page without such paragraphs: there trafilatura runs in full only.
FALLBACK_MIN_SHARE = 0.5
FALLBACK_MAX_RATIO = 8
FALLBACK_SHORT_CHARS = 800
FALLBACK_SHORT_RATIO = 3.5
READABLE_P_CHARS = 25
FALLBACK_GATE = (FALLBACK_MIN_SHARE, FALLBACK_MAX_RATIO, FALLBACK_SHORT_CHARS, FALLBACK_SHORT_RATIO)
SETTINGS_HASH = hashlib.sha256(
    json.dumps({**TRAFILATURA_OPTIONS, "fallback_gate": FALLBACK_GATE}, sort_keys=True).encode()
).hexdigest()[:8]


def _run_trafilatura(tree: HtmlElement, url: str) -> str | None:
    """trafilatura's text, fast; in full (with its fallback comparison) when the fast text is
    doubtful. The two runs share what they do alike (cascade.Cascade)."""
    run = Cascade(tree, url, TRAFILATURA_OPTIONS)
    paragraphs = paragraph_chars(tree)
    if paragraphs:  # with no readable paragraph every fast text is doubtful: no fast run
        text = run.text(fast=True)
        if text and not doubtful(len(text), paragraphs):
            return text
    return run.text(fast=False)


def doubtful(chars: int, paragraphs: int) -> bool:
    """Whether a fast text of `chars` characters needs trafilatura's fallback comparison."""
    return (
        chars < FALLBACK_MIN_SHARE * paragraphs
        or chars > FALLBACK_MAX_RATIO * paragraphs
        or FALLBACK_SHORT_RATIO * paragraphs < chars < FALLBACK_SHORT_CHARS
    )


def paragraph_chars(tree: HtmlElement) -> int:
    """Characters (whitespace collapsed) of the <p> elements of READABLE_P_CHARS or more."""
    # raw_text is text_content() without an XPath call per paragraph
    sizes = (len(" ".join(raw_text(p).split())) for p in tree.iter("p"))
    return sum(n for n in sizes if n >= READABLE_P_CHARS)


def _mostly_links(block: HtmlElement) -> bool:
    """True when link text is most of a block's text (a list of links, not prose)."""
    total = len(clean_text(raw_text(block)))  # raw_text: text_content() without XPath
    links = sum(len(clean_text(raw_text(a))) for a in block.iter("a"))
    return total == 0 or links / total >= PRUNE_MIN_LINK_SHARE


def strip_headline(text: str, title: str | None) -> str:
    """Drop the headline (and a kicker above it) when trafilatura kept it at the top of the text."""
    if not title:
        return text
    lines = text.split("\n")
    wanted = clean_text(title).casefold()
    for i, line in enumerate(lines[:HEADLINE_SCAN_LINES]):
        if line.casefold() == wanted:
            above = [x for x in lines[:i] if len(x) > KICKER_MAX_CHARS]  # real paragraphs stay
            return "\n".join(above + lines[i + 1 :]) or text
    return text


def clean_paragraphs(text: str) -> str:
    """Normalize whitespace inside lines and drop empty lines and lines that are only a
    related-links heading ("Leggi anche", left behind when its links were pruned)."""
    lines = (clean_text(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line and not is_related_heading_text(line))
