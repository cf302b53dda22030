"""Category and tag links: trafilatura 2.3.1's extract_catstags in one walk, the same result.

trafilatura evaluates its CATEGORIES_XPATHS (six) or TAGS_XPATHS (four) one after the other,
until one gives a link whose href is a category (tag) path; each scans the whole document,
and two run a Python regex callback per <div>. Each XPath has the form `//BOX[test]//a[@href]`:
the links inside a "box" element that passes a test on its tag, class and id. Here one walk
of the page finds the boxes of every XPath at once (`_category_boxes` / `_tag_boxes` return a
bit per XPath, in trafilatura's order), then trafilatura's own steps run on their links: the
href filter, block_text, the first XPath with a result wins, the article:section fallback,
line_processing and deduplication. tests/test_metadata_speed.py checks the result against
trafilatura's function (and pins its version) on random pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.baseline import block_text
from trafilatura.utils import line_processing

# The re:test() patterns of CATEGORIES_XPATHS[0] and TAGS_XPATHS[2] (lxml searches them, with
# re.UNICODE, in the class value, '' when there is none).
CATEGORY_BOX_RE = re.compile("^(?:post-?info|post-?meta|meta|entry-meta|entry-info|entry-utility)")
TAG_BOX_RE = re.compile("^(?:tag|postmeta|meta)")
SECTION_META_XPATH = (
    './/head//meta[@property="article:section" or contains(@name, "subject")][@content]'
)


def _category_boxes(tag: str, cls: str, ident: str) -> int:
    """Bit i set: the element is a box of CATEGORIES_XPATHS[i]."""
    bits = 0
    if tag == "div":
        # [0] //div[re:test(@class, CATEGORY_BOX_RE) or starts-with(@id, 'postpath')]
        if CATEGORY_BOX_RE.search(cls) or ident.startswith("postpath"):
            bits |= 1
        # [5] //div[@class='row' or @class='tags']
        if cls in ("row", "tags"):
            bits |= 1 << 5
    elif tag == "p":
        # [1] //p[starts-with(@class, 'postmeta') or starts-with(@class, 'entry-categories')
        #     or @class='postinfo' or @id='filedunder']
        if (
            cls.startswith(("postmeta", "entry-categories"))
            or cls == "postinfo"
            or ident == "filedunder"
        ):
            bits |= 1 << 1
    elif tag == "footer":
        # [2] //footer[starts-with(@class, 'entry-meta') or starts-with(@class, 'entry-footer')]
        if cls.startswith(("entry-meta", "entry-footer")):
            bits |= 1 << 2
    elif tag in ("li", "span"):
        # [3] //*[self::li or self::span][@class='post-category' or @class='postcategory' or
        #     @class='entry-category' or contains(@class, 'cat-links')]
        if cls in ("post-category", "postcategory", "entry-category") or "cat-links" in cls:
            bits |= 1 << 3
    elif tag == "header" and cls == "entry-header":
        bits |= 1 << 4  # [4] //header[@class='entry-header']
    return bits


def _tag_boxes(tag: str, cls: str, ident: str) -> int:
    """Bit i set: the element is a box of TAGS_XPATHS[i]."""
    bits = 0
    if tag == "div":
        if cls == "tags":
            bits |= 1  # [0] //div[@class='tags']
        # [2] //div[@class='row' or @class='jp-relatedposts' or @class='entry-utility' or
        #     re:test(@class, TAG_BOX_RE)]
        if cls in ("row", "jp-relatedposts", "entry-utility") or TAG_BOX_RE.search(cls):
            bits |= 1 << 2
    elif tag == "p" and cls.startswith("entry-tags"):
        bits |= 1 << 1  # [1] //p[starts-with(@class, 'entry-tags')]
    # [3] //*[@class='entry-meta' or contains(@class, 'topics') or contains(@class, 'tags-links')]
    if cls == "entry-meta" or "topics" in cls or "tags-links" in cls:
        bits |= 1 << 3
    return bits


KINDS: dict[str, tuple[Callable[[str, str, str], int], int]] = {
    "category": (_category_boxes, 6),
    "tag": (_tag_boxes, 4),
}


def _links_per_xpath(tree: HtmlElement, kind: str) -> list[list[HtmlElement]]:
    """For each XPath of the kind, the <a href> elements it selects, in document order."""
    test, count = KINDS[kind]
    boxes: list[list[HtmlElement]] = [[] for _ in range(count)]
    for el in tree.getroottree().getroot().iter(etree.Element):  # "//": the whole document
        cls, ident = el.get("class"), el.get("id")
        if cls is None and ident is None:
            continue  # every test needs a class or an id
        bits = test(el.tag, cls or "", ident or "")
        for i in range(count):
            if bits >> i & 1:
                boxes[i].append(el)
    # the boxes come in document order: a box after another is either inside it (its links
    # are already taken) or after all of it (its links come later), so the order holds
    links: list[list[HtmlElement]] = []
    for found in boxes:
        seen: set[HtmlElement] = set()
        selected = []
        for box in found:
            for a in box.iterdescendants("a"):
                if a.get("href") is not None and a not in seen:
                    seen.add(a)
                    selected.append(a)
        links.append(selected)
    return links


def extract_catstags(kind: str, tree: HtmlElement) -> list[str]:
    """trafilatura.metadata.extract_catstags(kind, tree): 'category' or 'tag' link texts."""
    href_re = re.compile("/" + kind.rstrip("y") + "(?:y|ies|s)?/")
    results: list[str] = []
    for links in _links_per_xpath(tree, kind):
        results.extend(block_text(a) for a in links if href_re.search(a.attrib["href"]))
        if results:
            break
    if kind == "category" and not results:
        results.extend(el.attrib["content"] for el in tree.xpath(SECTION_META_XPATH))
    return [r for r in dict.fromkeys(line_processing(x) for x in results if x) if r]
