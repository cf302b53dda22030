"""The standfirst of an article, put back when trafilatura leaves it out.

News templates print a one-paragraph summary beside the headline: `p.teaser`, `div.lead`,
`.sommario`, `.occhiello`, `itemprop="description"`... trafilatura often drops it, because such
class names also mark teaser boilerplate. `restore_lead` prepends it to the extracted text only
when it is unambiguous: the page's only such element (a page of teasers is a listing), with
no links or media, outside the chrome and the related blocks, before the body in the page,
and not in the text already.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection

from lxml.html import HtmlElement

from newsarchive.extract import chrome
from newsarchive.extract.metadata import clean_text

logger = logging.getLogger(__name__)

LEAD_TOKENS = (
    "lead", "teaser", "standfirst", "sommario", "summary", "occhiello", "catenaccio",
    "abstract", "subtitle", "sottotitolo", "intro", "article-lead", "article-summary",
    "entry-summary", "article-description",
)  # fmt: skip
LEAD_TOKEN_RE = re.compile(
    r"(?:^|[\s_])(?:[a-z]+-)?(?:" + "|".join(map(re.escape, LEAD_TOKENS)) + r")(?:$|[\s_])"
)
LEAD_TAGS = ("p", "div", "h2", "h3", "span", "strong")
CHROME_TAGS = frozenset({"nav", "footer", "aside", "form", "figure", "figcaption", "li"})
CHROME_CLASS_RE = re.compile(
    r"related|correlat|comment|sidebar|widget|footer|menu|banner|promo|newsletter|card|list"
    r"|caption|didascalia|share|social",
    re.IGNORECASE,
)
# a lead's own class may hold a chrome word (`p.summary-card`): only its ancestors' count
CHROME = chrome.Vocabulary(tags=CHROME_TAGS, names_re=CHROME_CLASS_RE, own_names=False)
MEDIA_TAGS = ("a", "img", "figure", "picture", "video", "iframe", "ul", "ol", "table")
MIN_CHARS = 60
MAX_CHARS = 800
MIN_WORDS = 10
BODY_PREFIX_CHARS = 40


def restore_lead(tree: HtmlElement, text: str, excluded: Collection[HtmlElement]) -> str:
    """The text with the page's standfirst put first when trafilatura left it out."""
    lead = find_lead(tree, text, excluded)
    return f"{lead}\n{text}" if lead else text


def find_lead(tree: HtmlElement, text: str, excluded: Collection[HtmlElement]) -> str | None:
    """The standfirst's text when it is unambiguous and missing from `text`, else None."""
    found: dict[str, HtmlElement] = {}
    page_chrome = chrome.ChromeMap(CHROME, excluded)
    lead_class: dict[str, bool] = {}  # this page's class values -> whether they name a lead
    for el in tree.iter(*LEAD_TAGS):  # (tag-filtered iteration in C: cheaper than an XPath)
        if not _is_lead_element(el, lead_class) or page_chrome.inside(el):
            continue
        value = clean_text(el.text_content())
        if MIN_CHARS <= len(value) <= MAX_CHARS and len(value.split()) >= MIN_WORDS:
            found.setdefault(value, el)  # nested .lead > p.lead-text: one text
    if len(found) != 1:
        return None  # none, or several: teasers of other articles
    value, el = next(iter(found.items()))
    if _flat(value) in _flat(text):
        return None
    body = _first_body_element(tree, text)
    if body is None or not _precedes(el, body):
        return None
    logger.debug("standfirst restored from <%s class=%r>", el.tag, el.get("class"))
    return value


def _is_lead_element(el: HtmlElement, lead_class: dict[str, bool]) -> bool:
    """Whether el is named a lead (class or itemprop) and holds no links or media.

    lead_class keeps each class value's answer for the rest of one page (the caller's dict):
    a template repeats the same classes on hundreds of elements, and the search is the cost.
    """
    names = el.get("class")
    named = False
    if names is not None:
        known = lead_class.get(names)
        if known is None:
            known = lead_class[names] = LEAD_TOKEN_RE.search(names.lower()) is not None
        named = known
    if not named and (el.get("itemprop") or "").lower() not in ("description", "abstract"):
        return False
    return next(el.iter(*MEDIA_TAGS), None) is None


def _flat(value: str) -> str:
    return clean_text(value).casefold()


def _first_body_element(tree: HtmlElement, text: str) -> HtmlElement | None:
    """The element whose own text starts the extracted body."""
    first = text.split("\n", 1)[0]
    prefix = _flat(first)[:BODY_PREFIX_CHARS]
    if len(prefix) < BODY_PREFIX_CHARS // 2:
        return None
    for el in tree.iter("p", "div", "section", "article", "span", "td", "blockquote"):
        own = el.text
        if own and _flat(own).startswith(prefix):
            return el
    return None


def _precedes(a: HtmlElement, b: HtmlElement) -> bool:
    """Whether a starts before b in document order (and does not contain it)."""
    if a in b.iterancestors():
        return False
    for el in a.getroottree().getroot().iter():
        if el is a:
            return True
        if el is b:
            return False
    return False
