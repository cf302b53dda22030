"""Canonical URLs and the related-article links of an article page, with their listed dates."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from newsarchive.extract import chrome
from newsarchive.urls import (
    PLACEHOLDER_BASE,
    SELF_URL_XPATH,
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


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Article-looking URLs and links that are never related articles
SOCIAL_HOSTS = _words(
    "facebook.com fb.com fb.me twitter.com x.com t.co whatsapp.com wa.me linkedin.com t.me "
    "telegram.me telegram.org pinterest.com pinterest.it reddit.com tumblr.com instagram.com "
    "threads.net bsky.app flipboard.com getpocket.com"
)
NON_ARTICLE_SEGMENTS = _words(
    "tag tags autore autori author authors argomenti topics categoria category categorie page "
    "pagina search cerca ricerca login signin accedi logout registrati register abbonati "
    "abbonamenti abbonamento subscribe newsletter feed rss comments commenti commento privacy "
    "cookie-policy wp-admin wp-login.php"
)
EXCLUDED_RELS = frozenset({"tag", "author", "next", "prev", "category", "sponsored", "ugc"})
MEDIA_EXT_RE = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|ico|pdf|mp3|mp4|m4a|webm|ogg|zip|css|js|json|xml)$",
    re.I,
)
DATE_PATH_RE = re.compile(r"/(?:19|20)\d{2}/\d{1,2}(?:/|$)")
ARTICLE_QUERY_RE = re.compile(r"(?:^|&)(?:p|id|idarticolo|articolo|article|news)=\d+", re.I)
GENERIC_TEXT_RE = re.compile(
    r"leggi(?: tutto| di più| l'articolo)?|continua|scopri di più|approfondisci|read more|more"
)
NOISE_TEXT_RE = re.compile(
    r"torna (?:su|in alto|all'inizio)|back to top|commenta|(?:leggi i |\d+ )?commenti|abbonati"
    r"|accedi|login|iscriviti|registrati|condividi|share|continua a leggere"
)

# Containers: class/id/data-*/aria-label signals and headings
RELATED_STRONG_RE = re.compile(
    r"correlat|related|leggi[-_ ]?anche|potrebb(?:e|ero)[-_ ]?interessar|altri[-_ ]?articoli"
    r"|altre[-_ ]?notizie|more[-_ ]?stories|see[-_ ]?also|vedi[-_ ]?anche"
)
RELATED_WEAK_RE = re.compile(r"read[-_ ]?more|recommend|consigliat|suggerit|more[-_ ]?from")
CHROME_WORDS = _words(
    "menu nav navbar navigation breadcrumb breadcrumbs footer header masthead topbar"
)
NOISE_WORDS = _words(
    "share shares sharing sharer sharebar social socials condividi condivisione addthis "
    "sharethis comment comments commenti commento disqus author authors autore autori byline "
    "pagination pager paginazione login signin subscribe subscription abbonati abbonamento "
    "abbonamenti newsletter paywall registrati adv ads advertising advertisement banner "
    "sponsor sponsored sponsorizzati outbrain taboola adsense dfp argomenti topics tagcloud "
    "taglist backtotop totop gotop"
)
SITEWIDE_RE = re.compile(
    r"ultim[aei]|latest|most[-_]?(?:read|popular|viewed)|piu[-_]?(?:lett|vist|popolar)"
    r"|popular|trending|breaking|in[-_]?evidenza"
)
# nav, landmark roles, menu/footer/... class words; a header or footer outside the article
CHROME = chrome.Vocabulary(
    tags=frozenset({"nav"}),
    page_tags=frozenset({"header", "footer"}),
    roles=chrome.CHROME_ROLES,
    edge_words=CHROME_WORDS,
)
# Around a block: chrome or a site-wide list ("più letti"), the page's html and body aside
SURROUNDINGS = replace(CHROME, token_re=SITEWIDE_RE, transparent_tags=frozenset({"html", "body"}))
# Inside a block: chrome by its own attributes, or any footer
IN_BLOCK_CHROME = chrome.Vocabulary(
    tags=frozenset({"nav", "footer"}), roles=CHROME.roles, edge_words=CHROME.edge_words
)
CONTAINER_TAGS = frozenset({"section", "aside", "div", "ul", "ol", "nav"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
LOOSE_HEADING_TAGS = frozenset({"p", "span", "strong", "b", "em", "div", "header", "label"})
TITLE_CLASS_RE = re.compile(r"title|titolo|heading|headline")
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
MAIN_BODY_MIN_CHARS = 100

# Text and listed dates
BLOCK_TEXT_TAGS = _words(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p section table td th tr ul"
)
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
DATE_CLASS_RE = re.compile(
    r"date|published|timestamp|timeago|(?:^|[-_\s])(?:data|time|ora|orario|datetime)(?:$|[-_\s])"
)
DATE_ATTRS = ("datetime", "data-date", "data-datetime", "data-published", "data-timestamp")
DATE_TEXT_MAX_CHARS = 80
REMAINDER_MAX_CHARS = 40
RELATIVE_DATE_RE = re.compile(r"\b(?:oggi|ieri|fa)\b", re.I)
MONTHS = "gen(?:naio)?|feb(?:braio)?|mar(?:zo)?|apr(?:ile)?|mag(?:gio)?|giu(?:gno)?|lug(?:lio)?"
MONTHS += "|ago(?:sto)?|set(?:tembre)?|ott(?:obre)?|nov(?:embre)?|dic(?:embre)?"
DATE_HINT_RE = re.compile(
    rf"\d{{1,2}}[/.-]\d{{1,2}}|\d{{1,2}}:\d{{2}}|\b(?:19|20)\d{{2}}\b|\b\d{{1,2}}\s+(?:{MONTHS})\b"
    r"|\b(?:oggi|ieri|fa)\b",
    re.I,
)
SEPARATOR_CHARS = " \t\n-–—|·•,;:()[]"
SELF_URLS = etree.XPath(SELF_URL_XPATH)
COMMENT_HREF_RE = re.compile(r"#(?:comment|respond|disqus)", re.I)
NOISE_TOKEN_RE = re.compile(r"tag[-_]?(?:cloud|list)|back[-_]?to[-_]?top|torna[-_]?su")
SKIPPED_NODES = (etree.Comment, etree.PI, etree.Entity, *sorted(INVISIBLE_TAGS))
FLAGS_CACHE_SIZE = 8192
NO_FLAGS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RelatedLink:
    """One related-article link of a page, with the date listed beside it."""

    url: str
    anchor_text: str
    position: int
    listed_date_raw: str | None
    listed_date_attr: str | None
    block: str


# 2. Page text helpers


def _norm(text: str) -> str:
    return " ".join(text.split())


def _is_hidden(el: Any) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return el.get("hidden") is not None or "display:none" in style


def _text(el: Any, *, spaced: bool = False, skip: Collection[Any] = ()) -> str:
    """Visible text; block elements (every element when spaced) are separated by a space."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tail = node.tail if node is not el else None
        if closing or not (
            isinstance(node.tag, str)
            and node.tag not in INVISIBLE_TAGS
            and node not in skip
            and not _is_hidden(node)
        ):
            if closing and (spaced or node.tag in BLOCK_TEXT_TAGS):
                parts.append(" ")
            parts.append(tail or "")
            continue
        if spaced or node.tag in BLOCK_TEXT_TAGS:
            parts.append(" ")
        parts.append(node.text or "")
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return _norm("".join(parts))


def _short_text(el: Any, limit: int) -> str | None:
    """The element's text when it is at most `limit` characters long (cheap early exit)."""
    total = 0
    for chunk in el.itertext():
        total += len(chunk.strip())
        if total > limit:
            return None
    return _text(el)


def _describe(el: Any) -> str:
    ident = el.get("id")
    classes = (el.get("class") or "").split()[:2]
    return str(el.tag) + (f"#{ident}" if ident else "") + "".join(f".{c}" for c in classes)


# 3. Page model: link filters, container flags, document order


@dataclass
class _Page:
    root: Any
    self_urls: set[str]
    link_base: str | None
    host: str
    order: dict[Any, int] = field(default_factory=dict)
    end_cache: dict[Any, int] = field(default_factory=dict)
    main: Any = None
    urls: dict[Any, str | None] = field(default_factory=dict)
    flag_cache: dict[Any, frozenset[str]] = field(default_factory=dict)
    # per element, for _blocks_after/_following_siblings: linear on 8,000 heading-only sections
    first_link: dict[Any, int | None] = field(default_factory=dict)
    sibling_lists: dict[Any, list[Any]] = field(default_factory=dict)
    surroundings: chrome.ChromeMap = field(default_factory=lambda: chrome.ChromeMap(SURROUNDINGS))

    @classmethod
    def build(cls, tree: Any, page_url: str | None) -> _Page:
        """Page model; without page_url, the document URL or the declared canonical URL is used."""
        declared = [str(u) for u in SELF_URLS(tree)]
        docinfo_url = tree.getroottree().docinfo.URL
        page_url = page_url or (docinfo_url if isinstance(docinfo_url, str) else None)
        page_url = page_url or next((c for u in declared if (c := canonicalize_url(u))), None)
        self_urls = {c for u in [page_url, *declared] if u and (c := canonicalize_url(u, page_url))}
        base_href = next((b.get("href") for b in tree.iter("base") if b.get("href")), None)
        link_base = (canonicalize_url(base_href, page_url) if base_href else None) or page_url
        link_base = link_base or PLACEHOLDER_BASE
        host = urlsplit(canonicalize_url(link_base) or "").hostname or ""
        page = cls(tree, self_urls, link_base, host)
        page.order = dict(zip(tree.iter(), itertools.count()))
        page.main = _main_body(tree)
        if page.main is not None:  # an ancestor holding the body is no chrome around a block
            body = [page.main, *page.main.iterancestors()]
            page.surroundings = chrome.ChromeMap(SURROUNDINGS, transparent=body)
        return page

    def end(self, el: Any) -> int:
        """Document-order index of the last node inside `el` (-3 when `el` is not in the page)."""
        if el not in self.end_cache:
            last = el
            while len(last):
                last = last[-1]
            self.end_cache[el] = self.order.get(last, -3) if el in self.order else -3
        return self.end_cache[el]

    def contains(self, outer: Any, inner: Any) -> bool:
        start = self.order.get(inner, -1)
        return self.order.get(outer, -2) <= start <= self.end(outer)

    def link_url(self, a: Any) -> str | None:
        """Canonical URL of an article link, None when the link is never a related article."""
        if a not in self.urls:
            self.urls[a] = self._link_url(a)
        return self.urls[a]

    def _link_url(self, a: Any) -> str | None:
        href = (a.get("href") or "").strip()
        rels = set((a.get("rel") or "").lower().split())
        if not href or COMMENT_HREF_RE.search(href) or rels & EXCLUDED_RELS:
            return None
        url = canonicalize_url(href, self.link_base)
        if url is None or url in self.self_urls or "noise" in self.flags(a):
            return None
        host = urlsplit(url).hostname or ""
        if any(host == h or host.endswith("." + h) for h in SOCIAL_HOSTS):
            return None
        text = _text(a).lower()
        if NOISE_TEXT_RE.fullmatch(text) or not _looks_like_article(url):
            return None
        return url

    def first_link_order(self, el: Any) -> int | None:
        """Document-order index of the first article link inside `el` (None without any)."""
        if el not in self.first_link:
            self.first_link[el] = next(
                (self.order[a] for a in el.iter("a") if self.link_url(a)), None
            )
        return self.first_link[el]

    def article_urls(self, el: Any) -> list[str]:
        found = (self.link_url(a) for a in el.iter("a"))
        return list(dict.fromkeys(url for url in found if url))

    def flags(self, el: Any) -> frozenset[str]:
        if el not in self.flag_cache:
            self.flag_cache[el] = _flags(el)
        return self.flag_cache[el]

    def is_chrome(self, el: Any) -> bool:
        return chrome.is_chrome(el, CHROME, in_article=self.surroundings.in_article(el))

    def in_chrome(self, el: Any) -> bool:
        """True when an ancestor of `el` (not one holding the body) is chrome or site-wide."""
        return self.surroundings.above(el)

    def excluded_in_block(self, a: Any, block: Any) -> bool:
        for anc in a.iterancestors():
            if anc is block:
                return False
            if self.flags(anc) & {"noise", "sitewide"} or chrome.is_chrome(anc, IN_BLOCK_CHROME):
                return True
        return False


def _looks_like_article(url: str) -> bool:
    parts = urlsplit(url)
    segments = [unquote(s).lower() for s in parts.path.split("/") if s]
    if MEDIA_EXT_RE.search(parts.path) or any(s in NON_ARTICLE_SEGMENTS for s in segments):
        return False
    if ARTICLE_QUERY_RE.search(parts.query) or DATE_PATH_RE.search(parts.path):
        return True
    if len(segments) != 1:
        return len(segments) >= 2
    slug = re.sub(r"\.[a-z]{2,5}$", "", segments[0])
    return (
        bool(re.search(r"\d{4,}", slug)) or len(re.findall(r"[-_]", slug)) >= 2 or len(slug) >= 25
    )


def _flags(el: Any) -> frozenset[str]:
    """Families a container belongs to: related/weak (signals), noise, sitewide (chrome: CHROME)."""
    attrib = el.attrib
    if not attrib:
        return NO_FLAGS
    extra = tuple(v for k, v in attrib.items() if k.startswith("data-") or k == "aria-label")
    return _attribute_flags(el.get("class"), el.get("id"), extra)


@lru_cache(maxsize=FLAGS_CACHE_SIZE)
def _attribute_flags(cls: str | None, ident: str | None, extra: tuple[str, ...]) -> frozenset[str]:
    """_flags from the attributes it reads (cached: templates repeat them on every page)."""
    tokens = (cls or "").lower().split() + (ident or "").lower().split()
    blob = " ".join(tokens + [v.lower() for v in extra if len(v) <= 60])
    flags: set[str] = set()
    if RELATED_STRONG_RE.search(blob):
        flags.add("related")
    elif RELATED_WEAK_RE.search(blob):
        flags.add("weak")
    for token in tokens:
        words = chrome.TOKEN_SPLIT_RE.split(token)
        if NOISE_WORDS.intersection(words) or token == "tag" or token.endswith("tags"):
            flags.add("noise")
        if NOISE_TOKEN_RE.search(token):
            flags.add("noise")
        if SITEWIDE_RE.search(token):
            flags.add("sitewide")
    return frozenset(flags)


def _main_body(root: Any) -> Any:
    """The element with the most direct <p> text: the article body."""
    scores: dict[Any, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len(p.text_content().strip())
    best = max(scores, key=lambda el: scores[el], default=None)
    return best if best is not None and scores[best] >= MAIN_BODY_MIN_CHARS else None


# 4. Related blocks


def find_related_blocks(
    tree: lxml.html.HtmlElement, *, selector: str | None = None
) -> list[lxml.html.HtmlElement]:
    """The containers that hold the page's related-article list(s)."""
    return _detect_blocks(_Page.build(tree, None), selector)


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
    for block in sorted(dict.fromkeys(blocks), key=lambda el: page.order.get(el, 0)):
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
    for el in page.root.iter(*CONTAINER_TAGS):
        flags = page.flags(el)
        minimum = 1 if "related" in flags else 2 if "weak" in flags else 0
        if minimum and _acceptable(page, el, signal=True) and len(page.article_urls(el)) >= minimum:
            blocks.append(el)
    return blocks


def _key(text: str) -> str:
    """A heading's text as the related-heading patterns read it."""
    return text.lower().strip(" :.»›>|-–—•")


def _heading_key(el: Any, limit: int) -> str | None:
    text = _short_text(el, limit)
    return _key(text) if text else None


def _is_related_heading(el: Any, strict: bool, raw: str, masked: Collection[Any]) -> bool:
    """Whether `el` reads as a related-links heading ("Articoli correlati", "Leggi anche").

    strict: a heading tag or a title class (a few words may follow the phrase).
    raw: the element's text as _short_raw_text gives it (not None).
    masked: the elements whose visible text is not their raw text (they hold hidden or
    invisible nodes); any other element whose raw text has no RELATED_HEADING_WORD_RE word
    is rejected without computing its visible text (which only adds spaces to the raw text).
    """
    if el not in masked and not RELATED_HEADING_WORD_RE.search(raw.lower()):
        return False
    text = _text(el)
    key = _key(text) if text else None
    match = RELATED_HEADING_RE.match(key) if key else None
    if not key or not match or EXCLUDED_HEADING_RE.search(key):
        return False
    return len(key) - match.end() <= (HEADING_TAIL_MAX if strict else 0)


def is_related_heading_text(line: str) -> bool:
    """Whether a line of text is only a related-links heading ("Leggi anche:")."""
    key = _key(line)
    if not key or len(key) > HEADING_MAX_CHARS or EXCLUDED_HEADING_RE.search(key):
        return False
    return RELATED_HEADING_RE.fullmatch(key) is not None


def _short_raw_text(el: Any, limit: int) -> str | None:
    """All text under `el` joined as is, when at most `limit` non-blank characters long."""
    if not len(el):
        text = el.text or ""
        return text if len(text) <= limit or len(text.strip()) <= limit else None
    total = 0
    chunks = []
    for chunk in el.itertext():
        total += len(chunk.strip())
        if total > limit:
            return None
        chunks.append(chunk)
    return "".join(chunks)


def _with_ancestors(nodes: Iterable[Any], found: set[Any]) -> set[Any]:
    """Add the nodes and all their ancestors to `found` (stopping where it already holds one)."""
    for node in nodes:
        while node is not None and node not in found:
            found.add(node)
            node = node.getparent()
    return found


def _heading_blocks(page: _Page) -> list[Any]:
    # 1. One pass (over page.order, whose element proxies lxml already made): heading
    #    candidates, and the hidden elements among all elements.
    candidates: list[tuple[Any, bool]] = []
    skipped = list(page.root.iter(*SKIPPED_NODES))
    for el in page.order:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if (el.get("style") is not None or el.get("hidden") is not None) and _is_hidden(el):
            skipped.append(el)
        if tag == "a":
            continue
        if tag in HEADING_TAGS or TITLE_CLASS_RE.search((el.get("class") or "").lower()):
            candidates.append((el, True))
        elif tag in LOOSE_HEADING_TAGS:
            candidates.append((el, False))
    # 2. Elements whose visible text (_text) is not their raw text: they hold a skipped node.
    masked = _with_ancestors(skipped, set())
    # 3. Innermost first: an element holding one with too much text has too much text too.
    long: set[Any] = set()
    headings = []
    for el, strict in reversed(candidates):
        if el in long:
            continue
        raw = _short_raw_text(el, HEADING_MAX_CHARS)
        if raw is None:
            _with_ancestors([el], long)
        elif _is_related_heading(el, strict, raw, masked):
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
        first = page.first_link_order(parent)
        if first is not None:
            before = first < page.order[heading]
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
    body_end = page.end(page.main)
    blocks = []
    for el in page.root.iter("aside", "section"):
        if page.order[el] <= body_end or not _acceptable(page, el, signal=False):
            continue
        if any(
            (key := _heading_key(h, HEADING_MAX_CHARS)) and EXCLUDED_HEADING_RE.search(key)
            for h in el.iter(*HEADING_TAGS)
        ):
            continue
        cards = [
            url
            for url in page.article_urls(el)
            if (
                page.link_base == PLACEHOLDER_BASE
                or same_site(urlsplit(url).hostname or "", page.host)
            )
            and any(
                len(_anchor(a)[0].split()) >= FALLBACK_MIN_WORDS
                for a in el.iter("a")
                if page.link_url(a) == url
            )
        ]
        if len(cards) >= FALLBACK_MIN_CARDS:
            blocks.append(el)
    return blocks


# 5. Related links with listed dates


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
        cards = _cards(block, links)
        for a, url in links:
            text, title_node, visible = _anchor(a)
            raw, attr = _listed_date(cards[a], title_node)
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


def _cards(block: Any, links: list[tuple[Any, str]]) -> dict[Any, Any]:
    """Each link's card: its largest ancestor within the block holding one distinct URL."""
    urls_in: dict[Any, set[str]] = {}
    chains = {}
    for a, url in links:
        chain = [a]
        for anc in a.iterancestors():
            chain.append(anc)
            if anc is block:
                break
        chains[a] = chain
        for el in chain:
            urls_in.setdefault(el, set()).add(url)
    cards = {}
    for a, _ in links:
        card = a
        for el in chains[a][1:]:
            if len(urls_in[el]) > 1:
                break
            card = el
        cards[a] = card
    return cards


def _is_date_node(el: Any) -> bool:
    return el.tag == "time" or bool(DATE_CLASS_RE.search((el.get("class") or "").lower()))


def _anchor(a: Any) -> tuple[str, Any, bool]:
    """(anchor text, element the text came from, whether it is visible text)."""
    for el in a.iterdescendants():
        if isinstance(el.tag, str) and (
            el.tag in HEADING_TAGS or TITLE_CLASS_RE.search((el.get("class") or "").lower())
        ):
            text = _text(el)
            if text:
                return text, el, True
    dates = [el for el in a.iterdescendants() if isinstance(el.tag, str) and _is_date_node(el)]
    text = _text(a, skip=dates)
    if text:
        return text, a, not GENERIC_TEXT_RE.fullmatch(text.lower())
    alts = [img.get("alt") or img.get("title") or "" for img in a.iter("img")]
    fallback = a.get("title") or next((alt for alt in alts if alt.strip()), "")
    return _norm(fallback), a, False


def _listed_date(card: Any, title_node: Any) -> tuple[str | None, str | None]:
    """(date text shown in the card, machine-readable date attribute) of a link's card."""
    for time in card.iter("time"):
        raw = _text(time, spaced=True) or None
        attr = (time.get("datetime") or "").strip() or None
        if raw or attr:
            return raw, attr or _date_attr(card)
    for el in card.iter():
        if not isinstance(el.tag, str) or not _is_date_node(el):
            continue
        if el is title_node or any(anc is el for anc in title_node.iterancestors()):
            continue
        text = _text(el, spaced=True)
        if 0 < len(text) <= DATE_TEXT_MAX_CHARS and (
            re.search(r"\d", text) or RELATIVE_DATE_RE.search(text)
        ):
            return text, _date_attr(el) or _date_attr(card)
    rest = _text(card, skip=[title_node]).strip(SEPARATOR_CHARS)
    if rest and len(rest) <= REMAINDER_MAX_CHARS and DATE_HINT_RE.search(rest):
        return rest, _date_attr(card)
    return None, _date_attr(card)


def _date_attr(el: Any) -> str | None:
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        names: tuple[str, ...] = DATE_ATTRS
        if node is el or "date" in (node.get("itemprop") or "").lower():
            names += ("content",)
        for name in names:
            value = (node.get(name) or "").strip()
            if value:
                return value
    return None
