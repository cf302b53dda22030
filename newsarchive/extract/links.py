"""Canonical URLs and the related-article links of an article page, with their listed dates.

The work is done in three modules: linkpage (the page model: article links, container flags,
visible text), blocks (the containers holding related lists) and cards (each link's anchor
text and listed date); this module runs them and keeps the public API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import lxml.html

# Re-exported: discovery and the tests read these through this module.
from newsarchive.extract.blocks import FALLBACK_MIN_WORDS as FALLBACK_MIN_WORDS
from newsarchive.extract.blocks import RELATED_HEADING_RE as RELATED_HEADING_RE
from newsarchive.extract.blocks import RELATED_HEADING_WORD_RE as RELATED_HEADING_WORD_RE
from newsarchive.extract.blocks import _detect_blocks
from newsarchive.extract.blocks import is_related_heading_text as is_related_heading_text
from newsarchive.extract.cards import anchor, cards_of, listed_date
from newsarchive.extract.linkpage import ARTICLE_QUERY_RE as ARTICLE_QUERY_RE
from newsarchive.extract.linkpage import CHROME as CHROME
from newsarchive.extract.linkpage import CHROME_WORDS as CHROME_WORDS
from newsarchive.extract.linkpage import DATE_PATH_RE as DATE_PATH_RE
from newsarchive.extract.linkpage import EXCLUDED_RELS as EXCLUDED_RELS
from newsarchive.extract.linkpage import IN_BLOCK_CHROME as IN_BLOCK_CHROME
from newsarchive.extract.linkpage import NOISE_TEXT_RE as NOISE_TEXT_RE
from newsarchive.extract.linkpage import SITEWIDE_RE as SITEWIDE_RE
from newsarchive.extract.linkpage import _describe
from newsarchive.extract.linkpage import _Page as _Page
from newsarchive.urls import (
    canonicalize_url,
    is_forbidden_address,
    parse_ip_host,
    same_site,
)

logger = logging.getLogger(__name__)

__all__ = [
    "RelatedLink",
    "canonicalize_url",
    "find_related",
    "find_related_blocks",
    "find_related_links",
    "is_forbidden_address",
    "parse_ip_host",
    "same_site",
]


@dataclass(frozen=True)
class RelatedLink:
    """One related-article link of a page, with the date listed beside it."""

    url: str
    anchor_text: str
    position: int
    listed_date_raw: str | None
    listed_date_attr: str | None
    block: str


def find_related_blocks(
    tree: lxml.html.HtmlElement, *, selector: str | None = None
) -> list[lxml.html.HtmlElement]:
    """The containers that hold the page's related-article list(s)."""
    return _detect_blocks(_Page.build(tree, None), selector)


def find_related_links(
    tree: lxml.html.HtmlElement, base_url: str, *, selector: str | None = None
) -> list[RelatedLink]:
    """Related-article links of an article page, in page order, de-duplicated."""
    return find_related(tree, base_url, selector=selector)[1]


def find_related(
    tree: lxml.html.HtmlElement, base_url: str, *, selector: str | None = None
) -> tuple[list[lxml.html.HtmlElement], list[RelatedLink]]:
    """The related blocks and their links in one pass (blocks for pruning, links for storage)."""
    page = _Page.build(tree, base_url)
    blocks = _detect_blocks(page, selector)
    drafts: dict[str, _Draft] = {}
    for block in blocks:
        links = [
            (a, url)
            for a in block.iter("a")
            if (url := page.link_url(a)) and not page.excluded_in_block(a, block)
        ]
        cards = cards_of(block, links)
        for a, url in links:
            text, title_node, visible = anchor(a)
            raw, attr = listed_date(cards[a], title_node)
            draft = drafts.setdefault(url, _Draft(text, visible, raw, attr, _describe(block)))
            if visible and not draft.visible:
                draft.text, draft.visible = text, True
            if draft.raw is None and draft.attr is None:
                draft.raw, draft.attr = raw, attr
    logger.debug("related links of %s: %d in %d block(s)", base_url, len(drafts), len(blocks))
    return blocks, [
        RelatedLink(url, d.text, i, d.raw, d.attr, d.block)
        for i, (url, d) in enumerate(drafts.items(), start=1)
    ]


@dataclass
class _Draft:
    text: str
    visible: bool
    raw: str | None
    attr: str | None
    block: str
