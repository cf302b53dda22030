"""The page model behind related links: which links are article links, what a container's
class words say about it, its visible text, the page's main body. Pure."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from newsarchive.extract import chrome
from newsarchive.urls import PLACEHOLDER_BASE, canonicalize_url


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
NOISE_TEXT_RE = re.compile(
    r"torna (?:su|in alto|all'inizio)|back to top|commenta|(?:leggi i |\d+ )?commenti|abbonati"
    r"|accedi|login|iscriviti|registrati|condividi|share|continua a leggere"
)

# Containers: class/id/data-*/aria-label signals
RELATED_STRONG_RE = re.compile(
    r"correlat|related|leggi[-_ ]?anche|potrebb(?:e|ero)[-_ ]?interessar|altri[-_ ]?articoli"
    r"|altre[-_ ]?notizie|more[-_ ]?stories|see[-_ ]?also|vedi[-_ ]?anche"
)
RELATED_WEAK_RE = re.compile(r"read[-_ ]?more|recommend|consigliat|suggerit|more[-_ ]?from")
# A word every RELATED_STRONG_RE / RELATED_WEAK_RE match contains: an element none of whose
# lowercased attribute values holds one has neither signal (checked before computing flags).
RELATED_SIGNAL_WORD_RE = re.compile(
    r"correlat|related|leggi|potrebb|altri|altre|more|see|vedi|recommend|consigliat|suggerit"
)
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
MAIN_BODY_MIN_CHARS = 100
CONTAINER_TAGS = frozenset({"section", "aside", "div", "ul", "ol", "nav"})  # of related lists

# Visible text
BLOCK_TEXT_TAGS = _words(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p section table td th tr ul"
)
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
COMMENT_HREF_RE = re.compile(r"#(?:comment|respond|disqus)", re.I)
NOISE_TOKEN_RE = re.compile(r"tag[-_]?(?:cloud|list)|back[-_]?to[-_]?top|torna[-_]?su")
FLAGS_CACHE_SIZE = 8192
NO_FLAGS: frozenset[str] = frozenset()


# Page text helpers


def _norm(text: str) -> str:
    return " ".join(text.split())


def _is_hidden(el: Any) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return el.get("hidden") is not None or "display:none" in style


def _text(el: Any, *, spaced: bool = False, skip: Collection[Any] = ()) -> str:
    """Visible text; block elements (every element when spaced) are separated by a space."""
    if not len(el):  # a leaf (most anchors and headings): its own text, when visible
        tag = el.tag
        visible = isinstance(tag, str) and tag not in INVISIBLE_TAGS and el not in skip
        return _norm(el.text or "") if visible and not _is_hidden(el) else ""
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


def raw_text(el: Any) -> str:
    """All text under `el` joined as is (as text_content, without its XPath call per use)."""
    if not len(el):
        return el.text or ""
    text: str = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return text


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


# Page model: link filters, container flags, document order


@dataclass
class _Page:
    root: Any
    self_urls: set[str]
    link_base: str | None
    host: str
    containers: list[Any] = field(default_factory=list)  # CONTAINER_TAGS, in document order
    # document-order keys (see position), made only for the elements compared
    positions: dict[Any, tuple[int, ...]] = field(default_factory=dict)
    main: Any = None
    urls: dict[Any, str | None] = field(default_factory=dict)
    # href -> canonicalize_url(href, link_base): hrefs repeat on the links of a page
    canonical: dict[str, str | None] = field(default_factory=dict)
    flag_cache: dict[Any, frozenset[str]] = field(default_factory=dict)
    # per element, for _blocks_after/_following_siblings: linear on 8,000 heading-only sections
    first_links: dict[Any, Any] = field(default_factory=dict)
    sibling_lists: dict[Any, list[Any]] = field(default_factory=dict)
    surroundings: chrome.ChromeMap = field(default_factory=lambda: chrome.ChromeMap(SURROUNDINGS))

    @classmethod
    def build(cls, tree: Any, page_url: str | None) -> _Page:
        """Page model; without page_url, the document URL or the declared canonical URL is used."""
        scan = _scan(tree)
        declared, base_href = scan.declared, scan.base_href
        docinfo_url = tree.getroottree().docinfo.URL
        page_url = page_url or (docinfo_url if isinstance(docinfo_url, str) else None)
        page_url = page_url or next((c for u in declared if (c := canonicalize_url(u))), None)
        self_urls = {c for u in [page_url, *declared] if u and (c := canonicalize_url(u, page_url))}
        link_base = (canonicalize_url(base_href, page_url) if base_href else None) or page_url
        link_base = link_base or PLACEHOLDER_BASE
        host = urlsplit(canonicalize_url(link_base) or "").hostname or ""
        page = cls(tree, self_urls, link_base, host, containers=scan.containers)
        page.main = _main_body(scan.paragraphs)
        if page.main is not None:  # an ancestor holding the body is no chrome around a block
            body = [page.main, *page.main.iterancestors()]
            page.surroundings = chrome.ChromeMap(SURROUNDINGS, transparent=body)
        return page

    def position(self, el: Any) -> tuple[int, ...]:
        """Document-order key of `el`: the child indexes on the way down from the root.

        Keys sort in document order (an ancestor's key is a prefix of its descendants');
        made on demand for the elements compared, instead of numbering every node. All the
        children of a parent are keyed at once: linear however many siblings are compared.
        """
        positions = self.positions
        chain = []
        node = el
        while node not in positions:
            parent = node.getparent()
            if parent is None:
                positions[node] = ()
                break
            chain.append(parent)
            node = parent
        for parent in reversed(chain):
            if parent[0] not in positions:
                key = positions[parent]
                for i, child in enumerate(parent):
                    positions[child] = (*key, i)
        return positions[el]

    def contains(self, outer: Any, inner: Any) -> bool:
        """Whether `inner` is `outer` or inside it."""
        return inner is outer or any(anc is outer for anc in inner.iterancestors())

    def before_end(self, el: Any, outer: Any) -> bool:
        """Whether `el` starts before the end of `outer`: it precedes, holds or is inside it."""
        key, outer_key = self.position(el), self.position(outer)
        return key <= outer_key or key[: len(outer_key)] == outer_key

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
        if href not in self.canonical:
            self.canonical[href] = canonicalize_url(href, self.link_base)
        url = self.canonical[href]
        if url is None or url in self.self_urls or "noise" in self.flags(a):
            return None
        host = urlsplit(url).hostname or ""
        if any(host == h or host.endswith("." + h) for h in SOCIAL_HOSTS):
            return None
        text = _text(a).lower()
        if NOISE_TEXT_RE.fullmatch(text) or not looks_like_article(url):
            return None
        return url

    def first_link(self, el: Any) -> Any:
        """The first article link inside `el` (None without any)."""
        if el not in self.first_links:
            self.first_links[el] = next((a for a in el.iter("a") if self.link_url(a)), None)
        return self.first_links[el]

    def article_urls(self, el: Any) -> list[str]:
        found = (self.link_url(a) for a in el.iter("a"))
        return list(dict.fromkeys(url for url in found if url))

    def may_signal(self, el: Any) -> bool:
        """False when `el` surely has no related/weak flag (no RELATED_SIGNAL_WORD_RE word in
        any attribute value); cheaper than flags, which reads class words one by one."""
        values = el.values()
        return bool(values) and RELATED_SIGNAL_WORD_RE.search(" ".join(values).lower()) is not None

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


@dataclass
class _Scan:
    """What one pass over the page's link/meta/base, <p> and container elements finds."""

    declared: list[str] = field(default_factory=list)  # urls.SELF_URL_XPATH's values, in order
    base_href: str | None = None  # the first non-empty <base href>
    paragraphs: list[Any] = field(default_factory=list)
    containers: list[Any] = field(default_factory=list)  # CONTAINER_TAGS, in document order


def _scan(tree: Any) -> _Scan:
    """The page's own URLs (canonical link, og:url), <base> href, paragraphs and containers,
    in one walk (the link/meta/base elements were two XPath walks and a scan of their own)."""
    found = _Scan()
    for el in tree.iter("p", "link", "meta", "base", *CONTAINER_TAGS):
        tag = el.tag
        if tag == "p":
            found.paragraphs.append(el)
        elif tag in CONTAINER_TAGS:
            found.containers.append(el)
        elif tag == "base":
            found.base_href = found.base_href or el.get("href") or None
        elif tag == "link" and el.get("rel") == "canonical" and el.get("href") is not None:
            found.declared.append(el.get("href"))
        elif tag == "meta" and el.get("property") == "og:url" and el.get("content") is not None:
            found.declared.append(el.get("content"))
    return found


def looks_like_article(url: str) -> bool:
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


def _main_body(paragraphs: list[Any]) -> Any:
    """The element with the most direct <p> text: the article body."""
    scores: dict[Any, int] = {}
    for p in paragraphs:
        parent = p.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len(raw_text(p).strip())
    best = max(scores, key=lambda el: scores[el], default=None)
    return best if best is not None and scores[best] >= MAIN_BODY_MIN_CHARS else None
