"""trafilatura 2.3.1's main extractor (main_extractor.extract_content) with its section prunes
selected in Python. Pure.

extract_content, _extract, recover_wild_text and prune_unwanted_sections are trafilatura's, line
for line (less its debug logging), built from its own functions, but for these selections, which
call a Python regex (EXSLT re:test) on every element they test, or read every element:

1. OVERALL_DISCARD_XPATH's two XPaths (three regex tests an element, about 2 ms a page) and the
   three of BODY_XPATH's five that test regexes are walks in Python with the same regexes
   (traf_xpaths.py);
2. TEASER_DISCARD_XPATH and DISCARD_IMAGE_ELEMENTS run only when a class or id of the page holds
   "teaser" or "caption": else they select nothing;
3. the link-density prunes are traf_links.py's (each link's text read once per pass, a pass
   that would delete nothing again skipped).

Its result is trafilatura's to the element (tests/test_traf_content.py compares the selections
with the XPaths and the results with trafilatura's extract_content on every fixture; the
extraction digest of the 1,001 corpus pages is unchanged). A trafilatura upgrade means
rereading its main_extractor.py and xpaths.py against this module (a test pins 2.3.1).
"""

from __future__ import annotations

from copy import deepcopy

from lxml.etree import Element, _Element, strip_elements, strip_tags
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import (
    link_density_test_tables,
    process_node,
    prune_unwanted_nodes,
)
from trafilatura.main_extractor import (
    NOT_AT_THE_END,
    REBUILT_BLOCKS,
    _elem_text,
    handle_textelem,
)
from trafilatura.settings import (
    DEDUPE_SCAN_CAP,
    INLINE_FORMATTABLE,
    MIN_DUPLICATE_LENGTH,
    TAG_CATALOG,
    Extractor,
)
from trafilatura.utils import SPACING_PROTECTED, text_chars_test, trim
from trafilatura.xml import delete_element
from trafilatura.xpaths import (
    DISCARD_IMAGE_ELEMENTS,
    PRECISION_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

from newsarchive.extract.traf_links import delete_by_link_density, prune_links
from newsarchive.extract.traf_xpaths import BODY_SELECTORS, overall_discard


def prune_overall(tree: HtmlElement) -> HtmlElement:
    """prune_unwanted_nodes(tree, OVERALL_DISCARD_XPATH, with_backup=True) with
    overall_discard's selection: nothing is pruned when it would take 6/7 of the text."""
    matches = dict.fromkeys(overall_discard(tree))
    outer = [elem for elem in matches if not any(a in matches for a in elem.iterancestors())]
    old_len = len(tree.text_content())
    if old_len - sum(len(elem.text_content()) for elem in outer) > old_len / 7:
        for elem in outer:
            delete_element(elem)
    return tree


def prune_unwanted_sections(
    tree: HtmlElement,
    potential_tags: set[str],
    options: Extractor,
    values: str,
    keep_teasers: bool = False,
) -> HtmlElement:
    """trafilatura's prune_unwanted_sections; values: the class and id values of a tree that
    holds this one (basic_cleaning.classes_and_ids), for the teaser and caption tests."""
    favor_precision = options.focus == "precision"
    tree = prune_overall(tree)
    if "graphic" not in potential_tags and "caption" in values:  # else it selects nothing
        tree = prune_unwanted_nodes(tree, DISCARD_IMAGE_ELEMENTS)
    if options.focus != "recall":
        # ("teaser" in translate(@id|@class, 'T', 't') implies it in the lower-cased values)
        if not keep_teasers and "teaser" in values.lower():
            tree = prune_unwanted_nodes(tree, TEASER_DISCARD_XPATH)
        if favor_precision:
            tree = prune_unwanted_nodes(tree, PRECISION_DISCARD_XPATH)
    prune_links(tree, favor_precision)
    if "table" in potential_tags or favor_precision:
        boilerplate_tables = [elem for elem in tree.iter("table") if link_density_test_tables(elem)]
        for elem in boilerplate_tables:
            delete_element(elem, keep_tail=False)
    if favor_precision:
        while len(tree) > 0 and (tree[-1].tag == "head"):
            delete_element(tree[-1], keep_tail=False)
        delete_by_link_density(tree, "head", favor_precision=True)
        delete_by_link_density(tree, "quote", favor_precision=True)
    strip_tags(tree, "span", *(() if "ref" in potential_tags else ("ref",)))
    return tree


def _extract(tree: HtmlElement, options: Extractor, values: str) -> tuple[_Element, str, set[str]]:
    """trafilatura's main_extractor._extract, with prune_unwanted_sections above."""
    potential_tags = set(TAG_CATALOG)
    if options.tables is True:
        potential_tags.update(["table", "td", "th", "tr"])
    if options.images is True:
        potential_tags.add("graphic")
    if options.links is True:
        potential_tags.add("ref")
    result_body = Element("body")
    for expr in BODY_SELECTORS:
        subtree = next((s for s in expr(tree) if s is not None), None)
        if subtree is None:
            continue
        subtree = prune_unwanted_sections(subtree, potential_tags, options, values)
        if len(subtree) == 0:
            continue
        ptest = subtree.xpath("//p//text()")
        factor = 1 if options.focus == "precision" else 3
        if not ptest or len("".join(ptest)) < options.min_extracted_size * factor:
            potential_tags.add("div")
        subelems = subtree.xpath(".//*")
        tags = {e.tag for e in subelems}
        if tags == {"lb"} or (
            subtree.tag == "div" and "div" in potential_tags and tags <= INLINE_FORMATTABLE | {"lb"}
        ):
            subelems = [subtree]
        lead, start = None, len(result_body)
        if subelems != [subtree] and text_chars_test(subtree.text):
            lead = Element("p")
            lead.text = subtree.text
            lead = process_node(lead, options)
        for elem in subelems:
            if elem.getroottree().getroot() is result_body:
                continue  # moved into the result with a div emitted whole
            tag, tail = elem.tag, elem.tail
            processed_elem = handle_textelem(elem, potential_tags, options)
            if processed_elem is not None:
                result_body.append(processed_elem)
                if elem.getroottree().getroot() is not result_body:
                    elem.tag = "done"
            if (
                tag in REBUILT_BLOCKS
                and text_chars_test(tail)
                and (processed_elem is None or processed_elem.tail is None)
            ):
                tail_elem = Element("p")
                tail_elem.text = tail
                if process_node(tail_elem, options) is not None:
                    result_body.append(tail_elem)
        while len(result_body) > 0 and (result_body[-1].tag in NOT_AT_THE_END):
            delete_element(result_body[-1], keep_tail=False)
        if sum(e.tag != "graphic" for e in result_body) > 1:
            if lead is not None:
                result_body.insert(start, lead)
            break
    temp_text = " ".join(result_body.itertext()).strip()
    return result_body, temp_text, potential_tags


def recover_wild_text(
    tree: HtmlElement,
    result_body: _Element,
    options: Extractor,
    potential_tags: set[str],
    consumed: set[_Element],
    values: str,
) -> _Element:
    """trafilatura's main_extractor.recover_wild_text, with prune_unwanted_sections above:
    the wild paragraphs of the whole page the main pass did not take."""
    potential_tags = set(potential_tags)
    search_expr = ".//code|.//p|.//quote|.//table|.//div[contains(@class, 'w3-code')]"
    if options.focus == "recall":
        potential_tags.update(["div", "lb"])
        search_expr += "|.//div|.//lb|.//list"
    search_tree = prune_unwanted_sections(
        tree, potential_tags, options, values, keep_teasers=options.fast
    )
    subelems = search_tree.xpath(search_expr)
    elem_texts = [_elem_text(el) for el in result_body]
    existing = "\n".join(filter(None, elem_texts))
    existing_elems = set(elem_texts)
    handled: set[_Element] = set()
    for subelem in subelems:
        if (consumed and subelem in consumed) or any(a in handled for a in subelem.iterancestors()):
            continue
        processed = handle_textelem(subelem, potential_tags, options)
        if processed is None:
            continue
        if processed is subelem:
            handled.add(subelem)
        text = _elem_text(processed)
        images = {img.get("src") for img in processed.iter("graphic")}
        if not text and images and images <= {g.get("src") for g in result_body.iter("graphic")}:
            continue
        under_cap = len(existing) <= DEDUPE_SCAN_CAP
        fragment = trim(text + (processed.tail or "")) if text_chars_test(processed.tail) else ""
        if text and (
            text in existing_elems
            or (
                under_cap
                and (
                    (len(text) > MIN_DUPLICATE_LENGTH and text in existing)
                    or (fragment and fragment in existing)
                )
            )
        ):
            continue
        result_body.append(processed)
        if under_cap:
            existing += "\n" + (fragment or text)
        existing_elems.add(text)
    return result_body


def extract_content(
    cleaned_tree: HtmlElement, options: Extractor, values: str
) -> tuple[_Element, str]:
    """trafilatura's main_extractor.extract_content(cleaned_tree, options); values: the class
    and id values of a tree that holds cleaned_tree (basic_cleaning.classes_and_ids)."""
    backup_tree = deepcopy(cleaned_tree)
    order = list(cleaned_tree.iter())
    result_body, temp_text, potential_tags = _extract(cleaned_tree, options, values)
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        consumed: set[_Element] = {
            twin for elem, twin in zip(order, backup_tree.iter(), strict=True) if elem.tag == "done"
        }
        result_body = recover_wild_text(
            backup_tree, result_body, options, potential_tags, consumed, values
        )
        temp_text = " ".join(result_body.itertext()).strip()
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    strip_elements(result_body, "done")
    strip_tags(result_body, "div")
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text
