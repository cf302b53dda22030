"""trafilatura 2.3.1's costliest XPaths of its main extractor as walks in Python. Pure.

Each function selects what its XPath (trafilatura.xpaths) selects, in the same order; the XPaths
call a Python regex (EXSLT re:test) on every element they test, or read every element of the
tree, where these stop at the first match (BODY_XPATH's `[1]`) or test each distinct id or class
value once. tests/test_traf_content.py checks them against the XPaths on every fixture and on
generated pages, and that their regexes are still trafilatura's strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.xpaths import BODY_XPATH

# The regexes of OVERALL_DISCARD_XPATH, the same strings (tests/test_traf_content.py checks that
# they still are): EXSLT re:test(@attr, pattern) is re.search(pattern, value or "").
DISCARD_ID_RE = re.compile(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author"
    "|^(?:jp-|dpsp-content)|bmdh|footer|Footer|share|Share|nav|Nav|menu|related"
    "|message-container|premium|^ad-"
)
DISCARD_CLASS_RE = re.compile(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author"
    "|^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-"
    "|dfp[Aa]d|outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-"
    "|sociable|embedded|embed|tag-list|consent|modal-content|permission|elated|next-|-stories"
    "|most-popular|more-on|meta|rating|attachment|timestamp|user-info|user-profile|-icon"
    "|article-infos|message-container|slide|viewport|overlay|options|expand|obfuscated|blurred"
    "|mol-factbox|yin|zlylin|nfoline"
)
HIDDEN_ID_RE = re.compile("reader-comments|akismet")
HIDDEN_CLASS_RE = re.compile(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print"
    "| hidden| hide|noprint|notloaded"
)
# The elements OVERALL_DISCARD_XPATH's first XPath tests (after convert_tags' renaming).
DISCARD_TAGS = frozenset({"div", "item", "list", "p", "section", "span"})


def first_attribute(items: list[tuple[str, str]], one: str, other: str) -> str:
    """XPath `string(@one|@other)`: the value of the first of the two in source order."""
    for name, value in items:
        if name in (one, other):
            return value
    return ""


def overall_discard(tree: HtmlElement) -> list[HtmlElement]:
    """The elements OVERALL_DISCARD_XPATH's two XPaths select under tree, in the order
    prune_unwanted_nodes reads them: the first's in document order, then the second's others."""
    first: list[HtmlElement] = []
    second: list[HtmlElement] = []
    # the regex results per id value and per class value, for this call only: many elements
    # share a class, and a value's results depend on nothing else
    ids: dict[str, tuple[bool, bool]] = {}
    classes: dict[str, tuple[bool, bool]] = {}
    for el in tree.iterdescendants(etree.Element):
        items = el.items()
        if not items:  # every test needs an attribute (no regex here matches "")
            continue
        attrs: dict[str, str] = dict(items)
        ident, cls = attrs.get("id", ""), attrs.get("class", "")
        id_hits = ids.get(ident)
        if id_hits is None:
            id_hits = ids[ident] = (
                DISCARD_ID_RE.search(ident) is not None,
                HIDDEN_ID_RE.search(ident) is not None,
            )
        class_hits = classes.get(cls)
        if class_hits is None:
            class_hits = classes[cls] = (
                DISCARD_CLASS_RE.search(cls) is not None,
                HIDDEN_CLASS_RE.search(cls) is not None,
            )
        # string(@id|@class) and string(@id|@style): the first in source order when both are
        # there (first_attribute's walk only then), else the one that is (or "")
        id_or_class = (
            first_attribute(items, "id", "class")
            if "id" in attrs and "class" in attrs
            else attrs.get("id", cls)
        )
        style = attrs.get("style", "")
        id_or_style = (
            first_attribute(items, "id", "style")
            if "id" in attrs and "style" in attrs
            else attrs.get("id", style)
        )
        if el.tag in DISCARD_TAGS and (
            id_hits[0]
            or class_hits[0]
            or "cookie" in id_or_class
            or "data-lp-replacement-content" in attrs
            or "nav" in attrs.get("role", "").replace("N", "n")
            or "MostPopularStories" in attrs.get("data-component", "")
        ):
            first.append(el)
        if (
            id_hits[1]
            or class_hits[1]
            or cls == "comments-title"
            or id_or_class.startswith("reply-")
            or "hidden" in id_or_style
            or "display:none" in style
            or "display: none" in style
            or attrs.get("aria-hidden") == "true"
        ):
            second.append(el)
    return list(dict.fromkeys(first + second))


# BODY_XPATH's regexes, the same strings (tests/test_traf_content.py checks that they still are).
ARTICLE_ID_RE = re.compile(
    "(?:entry|article|art)-content|article__content|article(?:-|__)?body|articleBody|body-text"
)
ARTICLE_CLASS_RE = re.compile(
    "post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper"
    "|article-?text|articleText|(?:entry|page|text|article|art)-content|article__content"
    "|article(?:-|__)?body|articleBody|ArticleContent|body-text|article__container"
)
STORY_ID_RE = re.compile("^primary|story-body")
FULLTEXT_CLASS_RE = re.compile("fulltext", re.IGNORECASE)
STORY_CLASS_RE = re.compile(
    "^article |post-bodycopy|story-?content|(?:theme|blog|section|single)-content|single-post"
    "|main-column|wpb_text_column|story-body|field-body"
)
MAIN_ID_RE = re.compile("content-main|content-body|contentBody")
MAIN_CLASS_RE = re.compile("content[-_]main|content(?:-|__)body")
# The elements BODY_XPATH's first, third and fourth XPaths test.
BODY_TAGS = ("article", "div", "main", "section")
STORY_CLASSES = frozenset({"postarea", "art-postcontent", "text", "cell", "story"})

BodyTest = Callable[[HtmlElement, str, str], bool]


def _first_body(tree: HtmlElement, test: BodyTest) -> list[HtmlElement]:
    """[the first element of BODY_TAGS under tree, in document order, that passes test(element,
    id, class)] (an absent attribute reads ""), or []."""
    for el in tree.iterdescendants(*BODY_TAGS):
        if test(el, el.get("id") or "", el.get("class") or ""):
            return [el]
    return []


def article_body(tree: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[0]'s first element: articleBody and entry/post/article-content frames.
    (Its `[1]` picks the first match among siblings: the first of all is among them.)"""

    def test(el: HtmlElement, ident: str, cls: str) -> bool:
        return bool(
            cls in ("post", "entry")
            or el.get("itemprop") == "articleBody"
            or ident == "articleContent"
            or ARTICLE_ID_RE.search(ident)
            or ARTICLE_CLASS_RE.search(cls)
        )

    return _first_body(tree, test)


def story_body(tree: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[2]: story frames."""

    def test(el: HtmlElement, ident: str, cls: str) -> bool:
        return bool(
            el.get("role") == "article"
            or ident in ("article", "story")
            or cls in STORY_CLASSES
            or STORY_ID_RE.search(ident)
            or FULLTEXT_CLASS_RE.search(cls)
            or STORY_CLASS_RE.search(cls)
        )

    return _first_body(tree, test)


def main_content(tree: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[3]: main-content frames (translate(@x, 'CM', 'cm') lower-cases C and M)."""

    def test(el: HtmlElement, ident: str, cls: str) -> bool:
        return bool(
            ident == "content"
            or cls == "content"
            or MAIN_ID_RE.search(ident)
            or MAIN_CLASS_RE.search(cls)
            or "main-content" in ident.replace("C", "c").replace("M", "m")
            or "main-content" in cls.replace("C", "c").replace("M", "m")
            or "page-content" in cls.replace("C", "c").replace("P", "p")
        )

    return _first_body(tree, test)


# BODY_XPATH, in its order, with the three that test regexes as the walks above.
BODY_SELECTORS: list[Callable[[HtmlElement], list[HtmlElement]]] = [
    article_body,
    BODY_XPATH[1],
    story_body,
    main_content,
    BODY_XPATH[4],
]
