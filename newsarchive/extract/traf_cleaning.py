"""trafilatura 2.3.1's tree cleaning (htmlprocessing.tree_cleaning), the first stage of each
run of its main extractor, with one walk of the tree where it made fifty. Pure.

trafilatura deletes the elements of each of the fifty-odd tags of MANUALLY_CLEANED in turn, one
walk of the whole tree a tag (half a millisecond a page), when a page holds a dozen of those
tags at most. Here one walk first finds which of them the tree holds, and the walks of the
others are skipped: they would find nothing (a deletion only removes elements, and nothing
else renames any before the walks). The walks that run are trafilatura's, in its order (the
order matters: deleting an element while lxml walks the tree can end that walk early). Its
result is trafilatura's to the byte (tests/test_traf_cleaning.py, on every fixture and on
generated pages). A trafilatura upgrade means rereading its htmlprocessing.py against this
module (a test pins 2.3.1).
"""

from __future__ import annotations

from copy import deepcopy

from lxml.etree import strip_tags
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import (
    PRESERVE_IMG_CLEANING,
    _handle_forms,
    prune_html,
    recover_math,
)
from trafilatura.settings import MANUALLY_CLEANED, MANUALLY_STRIPPED, Extractor
from trafilatura.xml import delete_element


def tree_cleaning(tree: HtmlElement, options: Extractor) -> HtmlElement:
    """trafilatura's tree_cleaning(tree, options): it changes tree (and may return another)."""
    recover_math(tree)
    cleaning_list, stripping_list = MANUALLY_CLEANED.copy(), MANUALLY_STRIPPED.copy()
    clean_forms = "form" in cleaning_list
    if clean_forms:
        cleaning_list.remove("form")
    if not options.tables:
        cleaning_list.extend(["table", "td", "th", "tr"])
    else:
        for elem in tree.iter("figure", "table"):
            if (
                elem.find(".//table") is not None
                if elem.tag == "figure"
                else elem.get("role") in ("presentation", "none")
            ):
                elem.tag = "div"
    if options.images:
        cleaning_list = [e for e in cleaning_list if e not in PRESERVE_IMG_CLEANING]
        stripping_list.remove("img")
    strip_tags(tree, stripping_list)
    tcopy = None
    if (
        options.focus == "recall"
        and tree.find(".//p") is not None
        and (
            "p" in cleaning_list
            or not any(next(p.iterancestors(cleaning_list), tree) is tree for p in tree.iter("p"))
        )
    ):
        tcopy = deepcopy(tree)
    present = {element.tag for element in tree.iter(cleaning_list)}  # the one walk
    for expression in cleaning_list:
        if expression in present:
            for element in tree.iter(expression):
                delete_element(element)
    if tcopy is not None and tree.find(".//p") is None:
        tree = tcopy
    if clean_forms:
        _handle_forms(tree)
    return prune_html(tree, options.focus)
