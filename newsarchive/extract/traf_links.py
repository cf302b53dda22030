"""trafilatura 2.3.1's link-density prunes of its main extractor (htmlprocessing's
delete_by_link_density and link_density_test), for prune_unwanted_sections. Pure.

Their result is trafilatura's to the element (tests/test_traf_links.py compares them with
trafilatura's functions on every fixture and on generated pages), but:

1. a pass tests only the elements with a link under them (LINKED, one XPath in libxml2):
   link_density_test keeps every other one at once;
2. an element's text length (trim(text_content())) is read once, not again for every element
   above a link it tests (the links of a page's outer frames, once per frame level) nor again
   in the next pass: the lengths are kept per element, for one pass or for prune_links' six,
   and a deletion drops those of the deleted element's ancestors, the only elements whose text
   it changes (delete_element moves the tail to the previous sibling's tail or the parent's
   text: in the parent's text either way);
3. prune_links skips a pass of the second round that would see the tree its first-round twin
   saw (that twin and the two passes since deleted nothing): it would delete nothing again.
A trafilatura upgrade means rereading its htmlprocessing.py against this module (a test pins
2.3.1).
"""

from __future__ import annotations

from lxml import etree
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import is_paragraph_listing
from trafilatura.utils import LINK_FARM_RATIO
from trafilatura.xml import delete_element

# prune_unwanted_sections' link-density passes, in trafilatura's order: (tag, backtracking).
LINK_DENSITY_PASSES = (("div", True), ("list", False), ("p", False))
# Per tag, the elements subtree.iter(tag) yields (the context element too) that have a link
# under them, in document order.
LINKED = {
    tag: etree.XPath(f"descendant-or-self::{tag}[.//ref]")
    for tag in ("div", "list", "p", "head", "quote")
}


Lengths = dict[_Element, int]  # trimmed text lengths read so far (see the module's docstring)


def _trimmed_len(element: _Element, lengths: Lengths) -> int:
    """len(trafilatura.utils.trim(element.text_content())), read once (trim without its
    lru_cache, which hashes every new string it is given)."""
    length = lengths.get(element)
    if length is None:
        length = lengths[element] = len(" ".join(element.text_content().split()))
    return length


def link_density_test(
    element: HtmlElement, favor_precision: bool, lengths: Lengths
) -> tuple[bool, bool]:
    """trafilatura's link_density_test(element, favor_precision); lengths: the text lengths
    read so far (filled here)."""
    links = element.findall(".//ref")
    if not links:
        return False, False
    if element.find(".//graphic") is not None:
        return False, False
    elemlen = _trimmed_len(element, lengths)
    if len(links) == 1:
        len_threshold = 10 if favor_precision else 100
        length = _trimmed_len(links[0], lengths)
        if length > len_threshold and length > elemlen * 0.9:
            return True, False
    if element.tag == "p":
        limitlen = 60 if element.getnext() is None else 30
    elif element.getnext() is None:
        limitlen = 300
    else:
        limitlen = 100
    if elemlen < limitlen:
        texts = [n for link in links if (n := _trimmed_len(link, lengths))]  # (not empty)
        if not texts:
            return True, False
        linklen, elemnum = sum(texts), len(texts)
        shortelems = sum(1 for n in texts if n < 10)
        return linklen > elemlen * 0.8 or (elemnum > 1 and shortelems / elemnum > 0.8), True
    if len(links) > 4:
        texts = [n for link in links if (n := _trimmed_len(link, lengths))]
        linklen, elemnum = sum(texts), len(texts)
        if (
            linklen > elemlen * LINK_FARM_RATIO
            and linklen < 100 * elemnum
            and not is_paragraph_listing(links)
        ):
            return True, False
    return False, False


def delete_by_link_density(
    subtree: HtmlElement,
    tagname: str,
    backtracking: bool = False,
    favor_precision: bool = False,
    lengths: Lengths | None = None,
) -> int:
    """trafilatura's delete_by_link_density(subtree, tagname, backtracking, favor_precision);
    how many elements it deleted (0: subtree is as it was). lengths: the text lengths read by
    the passes before it on this tree (None: none), kept true here."""
    deletions = []
    len_threshold = 200 if favor_precision else 100
    depth_threshold = 1 if favor_precision else 3
    if lengths is None:
        lengths = {}
    for elem in LINKED[tagname](subtree):
        result, short_with_links = link_density_test(elem, favor_precision, lengths)
        if result or (
            backtracking
            and short_with_links
            and len(elem) >= depth_threshold
            and _trimmed_len(elem, lengths) < len_threshold
        ):
            # (trafilatura keeps a paragraph holding a list item's content: GH #788)
            parent = elem.getparent()
            if tagname == "p" and parent is not None and parent.tag in ("item", "td", "th"):
                continue
            deletions.append(elem)
    for elem in dict.fromkeys(deletions):
        for ancestor in elem.iterancestors():  # their text changes
            lengths.pop(ancestor, None)
        delete_element(elem)
    return len(deletions)


def prune_links(tree: HtmlElement, favor_precision: bool) -> None:
    """prune_unwanted_sections' two rounds of LINK_DENSITY_PASSES on tree. A pass depends on
    the tree only: one that would see the tree its first-round twin saw (that twin and the two
    passes since deleted nothing) would delete nothing again, and is skipped."""
    deleted: list[int] = []  # per pass, in order
    lengths: Lengths = {}  # for these six passes only
    for i, (tag, backtracking) in enumerate(LINK_DENSITY_PASSES * 2):
        if i >= len(LINK_DENSITY_PASSES) and not any(deleted[-len(LINK_DENSITY_PASSES) :]):
            deleted.append(0)
            continue
        deleted.append(delete_by_link_density(tree, tag, backtracking, favor_precision, lengths))
