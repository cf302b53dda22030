"""trafilatura's extraction cascade for our options, fast first and continued in full. Pure.

This is trafilatura 2.3.1's bare_extraction and trafilatura_sequence (core.py) for the options
body.TRAFILATURA_OPTIONS passes (no comments, balanced focus, plain text, no metadata), built
from trafilatura's own stages; its text is bare_extraction's to the character
(tests/test_cascade.py compares them on every fixture, fast and full; the extraction digest
of the 1,001 corpus pages is unchanged). Calling bare_extraction twice on a doubtful page redid
in full what both runs do alike, and trafilatura's raw-tree XPaths and html2txt's cleaning call
a Python regex per element (EXSLT re:test). Here:

1. the page's tree is pruned once for both runs (the raw-tree prunes), and copied only when a
   prune matches: no later stage changes the tree it is given (each copies it first);
2. those prunes select the elements trafilatura's XPaths select in one walk in Python with the
   same regexes (only when a class or id holds a word their regexes need), and html2txt's
   basic cleaning and page length (the recall-escalation gate's yardstick, measured once)
   are basic_cleaning.py's, without a regex test per element nor a tree copy where it can;
3. the fast runs skip the cleaned-tree backup that only the full comparison reads;
4. the full run takes the fast run's main-extractor result when it cannot differ;
5. the comparison builds justext's cleaned tree and readability's copy only when they run;
6. the main extractor is traf_content.py's (its costliest XPaths as walks in Python), after
   traf_cleaning.py's tree cleaning (one walk to find the tags to delete, not fifty).
A trafilatura upgrade means rereading its core.py against this module (a test pins 2.3.1).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from copy import copy
from functools import cache
from typing import Any

from lxml import etree
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
)
from trafilatura.external import (
    JUSTEXT_OVERRIDE_RATIO,
    SANITIZED_XPATH,
    _prefer_readability,
    sanitize_tree,
    try_readability,
)
from trafilatura.htmlprocessing import convert_tags
from trafilatura.settings import Extractor
from trafilatura.utils import trim
from trafilatura.xml import delete_element, xmltotxt

from newsarchive.extract.basic_cleaning import (
    baseline,
    basic_clean,
    classes_and_ids,
    may_be_cookies,
    page_chars,
)
from newsarchive.extract.justext_run import justext_rescue as basic_justext_rescue
from newsarchive.extract.justext_run import try_justext
from newsarchive.extract.traf_cleaning import tree_cleaning
from newsarchive.extract.traf_content import extract_content

logger = logging.getLogger(__name__)

# The regexes of trafilatura's xpaths.RAW_TREE_PRUNE_XPATH and REMOVE_COMMENTS_AND_LISTS_XPATH,
# the same strings (tests/test_cascade.py checks that they still are): EXSLT
# re:test(@attr, pattern) is re.search(pattern, value or "").
APPENDED_POSTS_RE = re.compile("mvp-post-add-(?:box|wrap)|infinite-?scroll")
APPENDED_POSTS_WRAP_RE = re.compile("mvp-post-add-(?:box|wrap)")
SHARE_BUTTONS_CLASS = "elementor-share-buttons"
COMMENTS_ID_RE = re.compile("^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
COMMENT_LIST_ID_RE = re.compile("^(?:[Cc]omment(?!ary)|comol)")
COMMENTS_CLASS_RE = re.compile("^[Cc]omment(?!ary)|(?:article|post)-comments")
# Every match of those three regexes is in a class holding "omment" or an id starting so.
COMMENTS_ID_STARTS = ("comment", "Comment", "comol", "disqus_thread", "dsq-comments")
# The options this cascade implements: a run with any other value would take branches it lacks.
SUPPORTED = {"with_metadata": False, "include_comments": False, "favor_precision": False}

Selector = Callable[[HtmlElement], list[HtmlElement]]


def _attr(el: HtmlElement, name: str) -> str:
    return el.get(name) or ""


def appended_posts(tree: HtmlElement) -> list[HtmlElement]:
    """RAW_TREE_PRUNE_XPATH[0]: infinite-scroll containers of follow-up articles."""
    found = []
    for el in tree.iterdescendants("div", "section", "aside"):
        ident, cls = _attr(el, "id"), _attr(el, "class")
        if not (APPENDED_POSTS_RE.search(ident) or APPENDED_POSTS_RE.search(cls)):
            continue
        if (
            el.find(".//h1") is None
            or APPENDED_POSTS_WRAP_RE.search(ident)
            or APPENDED_POSTS_WRAP_RE.search(cls)
        ):
            found.append(el)
    return found


def share_buttons(tree: HtmlElement) -> list[HtmlElement]:
    """RAW_TREE_PRUNE_XPATH[1]: Elementor share buttons."""
    return [
        el
        for el in tree.iterdescendants("div", "section", "aside")
        if SHARE_BUTTONS_CLASS in _attr(el, "class")
    ]


def comment_sections(tree: HtmlElement) -> list[HtmlElement]:
    """REMOVE_COMMENTS_AND_LISTS_XPATH[0]: comment sections, and ol/ul comment lists."""
    found = []
    for el in tree.iterdescendants("div", "list", "section", "details", "ol", "ul"):
        ident, cls = _attr(el, "id"), _attr(el, "class")
        if "omment" not in cls and not ident.startswith(COMMENTS_ID_STARTS):
            continue  # no regex below can match
        if el.tag in ("ol", "ul"):
            hit = COMMENT_LIST_ID_RE.search(ident) or COMMENTS_CLASS_RE.search(cls)
        else:
            hit = COMMENTS_ID_RE.search(ident) or COMMENTS_CLASS_RE.search(cls)
        if hit:
            found.append(el)
    return found


# Words one of which is in the id or class of every element a raw-tree prune selects (their
# regexes are case-sensitive); a page whose classes and ids hold none of them is not walked.
PRUNE_WORDS: dict[Selector, tuple[str, ...]] = {
    appended_posts: ("mvp-post-add-", "infinite"),
    share_buttons: (SHARE_BUTTONS_CLASS,),
    comment_sections: ("omment", "comol", "disqus_thread"),
}


def justext_rescue(
    tree: HtmlElement, options: Extractor, cookies: bool | None = None
) -> tuple[_Element, str]:
    """trafilatura.external.justext_rescue on a copy of tree, with basic_clean's selection."""
    tree = copy(tree)
    for el in basic_clean(tree, cookies):
        delete_element(el)
    body = try_justext(tree, options.url, options.lang)
    return body, trim(" ".join(body.itertext()))


def readability(tree: HtmlElement) -> tuple[HtmlElement, str]:
    """readability's article of a copy of tree (it changes the tree it reads), and its text."""
    algo_body = try_readability(copy(tree))
    algo_text = trim(etree.tostring(algo_body, method="text", encoding="utf-8").decode("utf-8"))
    return algo_body, algo_text


def compare(
    cleaned: Callable[[], HtmlElement],
    tree: HtmlElement,
    body: _Element,
    text: str,
    options: Extractor,
    read: Callable[[HtmlElement], tuple[HtmlElement, str]] = readability,
) -> tuple[_Element, str]:
    """trafilatura.external.compare_extraction(cleaned(), copy(tree), body, text, options) when
    not in precision mode, but it builds the cleaned tree (justext's) only when justext runs,
    and copies the tree (readability changes it) only when readability runs. read(tree) is
    readability(tree) or gives what it would (an article compare may change: a new one)."""
    len_text = len(text)
    if options.focus == "recall" and len_text > options.min_extracted_size * 10:
        return body, text
    algo_body, algo_text = read(tree)
    len_algo = len(algo_text)
    readability = _prefer_readability(body, algo_body, algo_text, len_text, len_algo, options)
    if readability:
        body, text, len_text = algo_body, algo_text, len_algo
    unclean = bool(body.xpath(SANITIZED_XPATH))
    if unclean or len_text < options.min_extracted_size:
        body2, text2 = basic_justext_rescue(cleaned(), options)
        len_text2 = len(text2)
        if unclean:
            accept = len_text <= JUSTEXT_OVERRIDE_RATIO * len_text2 and (
                len_text2 > len_text or not options.images or body.find(".//graphic") is None
            )
        else:
            accept = len_text < len_text2
        if text2 and accept:
            body, text, readability = body2, text2, False
    if readability:
        body, text = sanitize_tree(body, options)
    return body, text


def extractor(url: str, *, fast: bool, options: Mapping[str, Any]) -> Extractor:
    """The Extractor bare_extraction builds for these keyword options (output "python")."""
    unsupported = {k: v for k, v in SUPPORTED.items() if options.get(k, v) != v}
    if unsupported or options.get("favor_recall"):
        raise ValueError(f"the cascade does not implement these options: {dict(options)}")
    key = (fast, *(bool(options.get(k, d)) for k, d in TEMPLATE_KEYS))
    run = copy(_template(*key))  # (setting the url on a copy leaves the template as it was)
    run.url = url
    run.source = url.encode("utf-8", "replace").decode("utf-8") if url else None  # as __init__
    return run


# What a template Extractor depends on, with bare_extraction's defaults.
TEMPLATE_KEYS = (("include_links", False), ("include_images", False), ("include_tables", True))


@cache
def _template(fast: bool, links: bool, images: bool, tables: bool) -> Extractor:
    """An Extractor without url, built once per set of options (building one reads its
    configuration: 0.13 ms); extractor() hands out copies, never the template itself."""
    return Extractor(
        output_format="python",
        fast=fast,
        comments=False,
        links=links,
        images=images,
        tables=tables,
    )


class Cascade:
    """One page's trafilatura text, fast or full; the two runs share the pruned tree and the
    page length. The page's own tree is never changed."""

    def __init__(self, tree: HtmlElement, url: str, options: Mapping[str, Any]) -> None:
        self.url = url
        self.options = options
        self._page = tree
        self._pruned: HtmlElement | None = None
        self._page_chars: int | None = None
        self._values: str | None = None  # the class and id values of the page's tree
        # a fast run's main-extractor result per focus, for the full run (see _extract)
        self._main: dict[str, tuple[_Element, str]] = {}
        self._readability: tuple[HtmlElement, str] | None = None  # see _read

    def text(self, *, fast: bool) -> str | None:
        """bare_extraction(tree, url=url, fast=fast, **options).text"""
        options = extractor(self.url, fast=fast, options=self.options)
        try:
            body, text = self._sequence(options)
        except (TypeError, ValueError) as exc:  # as bare_extraction: no text
            logger.debug("trafilatura found no text in %s: %s", self.url, exc)
            return None
        if len(text) < options.min_output_size:
            return None
        return xmltotxt(body, options.formatting)

    def pruned(self) -> HtmlElement:
        """The page's tree after trafilatura's raw-tree prunes (the page's tree itself when
        none matches, else a pruned copy)."""
        if self._pruned is None:
            tree = self._page
            values = self._classes_and_ids()
            selectors = [
                select
                for select, words in PRUNE_WORDS.items()
                if any(word in values for word in words)  # else it can select nothing
            ]
            if comment_sections in selectors and _forum_thread_page(tree):
                selectors.remove(comment_sections)  # a forum's comment sections are its posts
            for select in selectors:
                found = select(tree)
                if found and tree is self._page:
                    tree = copy(tree)
                    found = select(tree)
                for el in found:
                    delete_element(el)
            self._pruned = tree
        return self._pruned

    def _sequence(self, options: Extractor) -> tuple[_Element, str]:
        """trafilatura_sequence's stages for our options: 1. the main extractor, 2. the
        comparison with readability/justext (full only), 3. the baseline rescue, 4. the
        recall escalation."""
        tree = self.pruned()
        body, text = self._extract(tree, options)
        if len(text) < options.min_extracted_size:
            b_body, b_text, b_len = baseline(tree, self._cookies())
            if b_len > len(text):
                body, text = b_body, b_text
        if 0 < len(text) < ESCALATION_MAX_LENGTH and len(text) < (
            ESCALATION_PAGE_SHARE * self._measure()
        ):
            body, text = self._escalate(tree, options, body, text)
        return body, text

    def _extract(self, tree: HtmlElement, options: Extractor) -> tuple[_Element, str]:
        """Stages 1 and 2 (trafilatura's _prepare_tree and _extract_and_compare), on a copy.

        A full run takes the main extractor's result of the fast run when it cannot differ
        (_same_in_full): the cleaned tree is the same, and extract_content does not change the
        element it returns, nor does anything after it.
        """
        kept = None if options.fast else self._main.get(options.focus)
        if kept is not None:
            body, text = kept
            return compare(
                lambda: tree_cleaning(copy(tree), options), tree, body, text, options, self._read
            )
        cleaned = tree_cleaning(copy(tree), options)
        backup = None if options.fast else copy(cleaned)  # the tree before convert_tags
        cleaned = convert_tags(cleaned, options, self.url)
        body, text = extract_content(cleaned, options, self._classes_and_ids())
        if options.fast and self._same_in_full(options):
            self._main[options.focus] = (body, text)
        if backup is not None:
            body, text = compare(lambda: backup, tree, body, text, options, self._read)
        return body, text

    def _read(self, tree: HtmlElement) -> tuple[HtmlElement, str]:
        """readability(tree), run once per page: the full run's comparison and its recall
        retry both read the pruned tree, and readability reads nothing else (no option). Each
        call gets its own copy of the article (compare may sanitize the one it gets in place)."""
        if tree is not self.pruned():  # (not so today: compare gets the pruned tree only)
            return readability(tree)
        if self._readability is None:
            self._readability = readability(tree)
        algo_body, algo_text = self._readability
        return copy(algo_body), algo_text

    def _same_in_full(self, options: Extractor) -> bool:
        """Whether extract_content gives in full what it gives in fast mode: it reads `fast`
        only when it recovers wild text, to keep the teaser blocks (TEASER_DISCARD_XPATH:
        "teaser" in an id or class) that it deletes in full, and not at all in recall mode."""
        if options.focus == "recall":
            return True
        return "teaser" not in self._classes_and_ids().lower()

    def _classes_and_ids(self) -> str:
        """classes_and_ids of the page's tree, read once: for the prunes, and for the teaser
        and cookie tests of the pruned tree (both superset tests: what holds for the page's
        values holds for those of the pruned tree, a part of it)."""
        if self._values is None:
            self._values = classes_and_ids(self._page)
        return self._values

    def _cookies(self) -> bool:
        """basic_clean's cookie test, for the pruned tree and any part of it."""
        return may_be_cookies(self._classes_and_ids())

    def _measure(self) -> int:
        if self._page_chars is None:
            self._page_chars = page_chars(self.pruned(), self._cookies())
        return self._page_chars

    def _escalate(
        self, tree: HtmlElement, options: Extractor, body: _Element, text: str
    ) -> tuple[_Element, str]:
        """Stage 4: retry in recall mode (and with justext in full), keep a clearly longer text."""
        r_options = copy(options)
        r_options.focus = "recall"
        r_body, r_text = body, ""
        try:
            r_body, r_text = self._extract(tree, r_options)  # (trafilatura's _recall_retry)
        except Exception as exc:  # noqa: BLE001 - as trafilatura: the retry is optional
            logger.debug("trafilatura recall retry failed on %s: %s", self.url, exc)
        j_body, j_text = body, ""
        if not options.fast:
            try:
                j_body, j_text = justext_rescue(tree, options, self._cookies())
            except Exception as exc:  # noqa: BLE001 - as trafilatura: the retry is optional
                logger.debug("justext failed on %s: %s", self.url, exc)
        len_text, r_len, j_len = len(text), len(r_text), len(j_text)
        if j_len > r_len and j_len > ESCALATION_JUSTEXT_RATIO * len_text:
            return j_body, j_text
        if r_len >= options.min_extracted_size and r_len > ESCALATION_ACCEPT_RATIO * len_text:
            return r_body, r_text
        return body, text
