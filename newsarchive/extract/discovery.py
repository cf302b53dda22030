"""Article URLs from feeds (RSS/Atom), sitemaps, feed autodiscovery and listing pages."""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from html import unescape
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from newsarchive.extract import chrome
from newsarchive.extract.blocks import FALLBACK_MIN_WORDS
from newsarchive.extract.cards import anchor, cards_of, listed_date
from newsarchive.extract.linkpage import (
    ARTICLE_QUERY_RE,
    DATE_PATH_RE,
    EXCLUDED_RELS,
    NOISE_TEXT_RE,
    looks_like_article,
)
from newsarchive.urls import PLACEHOLDER_BASE, canonicalize_url, same_site

logger = logging.getLogger(__name__)

# 1. Limits and safe XML parsing
MAX_XML_BYTES = 50 * 1024 * 1024  # after decompression
PROLOG_SCAN_BYTES = 64 * 1024
TAIL_SCAN_BYTES = 1024  # a document not ending in an end tag (or comments) was cut short
PARSER_FEED_CHUNK = 1024 * 1024
GUNZIP_CHUNK = 256 * 1024  # compressed bytes in, decompressed bytes out, per step
GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 16 + zlib.MAX_WBITS
XML_SAFETY = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
XML_PARSER: dict[str, Any] = dict(XML_SAFETY, dtd_validation=False, recover=True)
UTF32_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
UTF16_BOMS = (b"\xfe\xff", b"\xff\xfe")
PROLOG_TOKEN_RE = re.compile(
    r"""[ \t\r\n]+|<\?.*?\?>|<!--.*?-->"""
    r"""|<!doctype(?:[^\[>"']|"[^"]*"|'[^']*')*(?:(?P<subset>\[)|>)""",
    re.S | re.I,
)
ROOT_START_RE = re.compile(r"<[^\W\d]|<[_:]")
CLOSED_END_RE = re.compile(rb"</[^<>\s]+\s*>\s*(?:<!--(?:(?!-->).)*-->\s*)*\Z", re.S)

# 2. Feeds and sitemaps: root element -> record element (local names)
FEED_ROOTS = frozenset({"rss", "RDF", "feed"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
ROOT_RECORDS = dict(rss="item", RDF="item", feed="entry", urlset="url", sitemapindex="sitemap")
RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
DATE_NAMES = ("pubDate", "published", "issued", "date", "updated", "modified")
TAG_RE = re.compile(r"<[a-zA-Z/!][^>]*>")
FEED_ROOT_RE = re.compile(r"<(?:[\w.-]+:)?(?:rss|RDF|feed)[\s/>]")

# 3. HTML: feed autodiscovery and listing pages
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
COMMENT_FEED_RE = re.compile(r"feed dei commenti|comments feed|^commenti (?:a|su)\b|^comments on\b")
TEASER_TAGS = frozenset({"h1", "h2", "h3", "h4", "article"})
CHROME_WORD_RE = re.compile(
    r"(?:mega|sub)?menu|nav|navbar|navigation|breadcrumbs?|footer|masthead|topbar|pagination"
    r"|pager|paginazione|share|sharing|sharer|sharebar|socials?|condividi|condivisione|tags"
    r"|taglist|tagcloud|authors?|autor[ei]|byline|newsletter|comments|commenti|login|signin|abbonati"
)
PAGE_HEADER_RE = re.compile(r"(?:(?:site|page|main|global|top)[-_]?)?header")
TAXONOMY_CLASS_RE = re.compile(r"(?:tag|category|categoria)-")  # WordPress post_class tokens
CARD_CLASS_RE = re.compile(
    r"card|teaser|stor(?:y|ies)|articl|post|entry|notizi|lancio|news|title|titol|headline"
)
MIN_NUMERIC_ID_DIGITS = 5
# Navigation, header menus, footers, pagination, share, tag and author boxes of a listing page
LISTING_CHROME = chrome.Vocabulary(
    tags=frozenset({"nav", "footer"}),
    page_tags=frozenset({"header"}),
    article_tags=frozenset({"article"}),
    roles=chrome.CHROME_ROLES,
    tokens=frozenset({"tag"}),
    word_re=CHROME_WORD_RE,
    skip_token_re=TAXONOMY_CLASS_RE,
    page_token_re=PAGE_HEADER_RE,
    transparent_tags=frozenset({"html", "body"}),
)


class UnsafeXMLError(ValueError):
    """The XML declares a DTD or entities, or is too large: refused."""


@dataclass(frozen=True)
class Discovered:
    """An article URL listed by a feed, sitemap or listing page, with what the source said."""

    url: str
    via: str
    source_url: str
    listed_title: str | None
    listed_date_raw: str | None
    keywords: tuple[str, ...] = ()
    position: int = 0
    listed_date_attr: str | None = None  # listing cards: the machine-readable date attribute


@dataclass(frozen=True)
class SitemapResult:
    """Article URLs of a <urlset> and child sitemaps of a <sitemapindex>."""

    urls: list[Discovered]
    sitemaps: list[str]


def gunzip_bounded(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress gzip data (every member) in bounded steps, refusing output past `limit` bytes."""
    if not body.startswith(GZIP_MAGIC):
        raise ValueError("not gzip data (no 1f 8b magic)")
    chunks: list[bytes] = []
    size, pos, pending = 0, 0, b""
    inflater = zlib.decompressobj(GZIP_WBITS)
    try:
        while True:
            if not pending and pos < len(body):
                pending, pos = body[pos : pos + GUNZIP_CHUNK], min(pos + GUNZIP_CHUNK, len(body))
            chunk = inflater.decompress(pending, GUNZIP_CHUNK)
            size += len(chunk)
            if size > limit:
                raise UnsafeXMLError(f"gzip data decompresses past {limit} bytes")
            chunks.append(chunk)
            pending = inflater.unconsumed_tail
            if inflater.eof:  # next member, if any (trailing garbage is ignored, as gzip does)
                pos, pending = pos - len(inflater.unused_data), b""
                if not body.startswith(GZIP_MAGIC, pos):
                    break
                inflater = zlib.decompressobj(GZIP_WBITS)
            elif not pending and pos >= len(body) and len(chunk) < GUNZIP_CHUNK:
                logger.warning("truncated gzip data: kept %d decompressed bytes", size)
                break
    except zlib.error as exc:
        raise ValueError(f"corrupt gzip data: {exc}") from exc
    return b"".join(chunks)


def _prolog_text(body: bytes) -> str:
    """The first PROLOG_SCAN_BYTES as text (UTF-16/32 without a BOM just lose their NULs)."""
    window = body[:PROLOG_SCAN_BYTES]
    if window.startswith(UTF32_BOMS) or window.startswith(UTF16_BOMS):
        return window.decode("utf-32" if window.startswith(UTF32_BOMS) else "utf-16", "replace")
    return window.replace(b"\x00", b"").decode("latin-1").removeprefix("\xef\xbb\xbf")


def _xml_body(body: bytes, source_url: str) -> bytes:
    """The body to parse: gunzipped within bounds, size-checked, with a prolog free of DTDs."""
    if not isinstance(body, bytes):
        raise ValueError(f"{source_url}: body must be bytes, not {type(body).__name__}")
    if body.startswith(GZIP_MAGIC):
        try:
            body = gunzip_bounded(body)
        except ValueError as exc:
            raise type(exc)(f"{source_url}: {exc}") from exc
    if len(body) > MAX_XML_BYTES:
        raise UnsafeXMLError(f"{source_url}: {len(body)} bytes of XML, over {MAX_XML_BYTES}")
    text, pos = _prolog_text(body), 0
    while match := PROLOG_TOKEN_RE.match(text, pos):
        if match.group("subset"):
            raise UnsafeXMLError(f"{source_url}: DOCTYPE with an internal subset refused")
        pos = match.end()
    if ROOT_START_RE.match(text, pos):
        return body
    if text.startswith("<!", pos):
        raise UnsafeXMLError(f"{source_url}: markup declaration in the XML prolog refused")
    if ">" not in text[pos:] and len(body) > PROLOG_SCAN_BYTES:
        raise UnsafeXMLError(f"{source_url}: no XML root element in {PROLOG_SCAN_BYTES} bytes")
    raise ValueError(f"{source_url}: not XML, or no root element: {text[pos : pos + 20]!r}")


def looks_like_feed(body: bytes) -> bool:
    """Whether the bytes are an RSS/Atom/RDF feed, whatever the Content-Type says: the root
    element after the XML prolog is <rss>, <rdf:RDF> or <feed> (many sites serve feeds as
    text/xml or application/xml, and an RSS <title> looks like HTML to a sniffer)."""
    if body.startswith(GZIP_MAGIC):
        return False
    text, pos = _prolog_text(body), 0
    while match := PROLOG_TOKEN_RE.match(text, pos):
        if match.group("subset"):
            return False
        pos = match.end()
    return FEED_ROOT_RE.match(text, pos) is not None


def _local(el: Any) -> str:
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


def _records(body: bytes, source_url: str, roots: frozenset[str]) -> Iterator[tuple[str, Any]]:
    """(root name, complete record element) pairs, streamed; each record is freed after use."""
    parser = etree.XMLPullParser(("start", "end"), base_url=source_url, **XML_PARSER)
    root: Any = None
    truncated = not CLOSED_END_RE.search(body[-TAIL_SCAN_BYTES:].replace(b"\x00", b""))
    try:
        for offset in range(0, len(body) + 1, PARSER_FEED_CHUNK):
            final = offset + PARSER_FEED_CHUNK > len(body)
            parser.feed(body[offset : offset + PARSER_FEED_CHUNK])
            if final:
                parser.close()
            batch = []
            for event, el in parser.read_events():
                if root is None:
                    root = _check_root(el, roots, source_url)
                elif event == "end" and _is_record(el, root):
                    batch.append(el)
            for el in batch[:-1] if final and truncated else batch:  # recovery closed the last
                yield _local(root), el
                el.clear(keep_tail=True)
                while el.getprevious() is not None:
                    del el.getparent()[0]
    except etree.LxmlError as exc:
        raise ValueError(f"{source_url}: malformed XML: {exc}") from exc
    if root is None:
        raise ValueError(f"{source_url}: malformed XML, no root element")


def _check_root(el: Any, roots: frozenset[str], source_url: str) -> Any:
    dtd = el.getroottree().docinfo.internalDTD  # defence in depth: the prolog check came first
    if dtd is not None and (next(dtd.iterentities(), None) or next(dtd.iterelements(), None)):
        raise UnsafeXMLError(f"{source_url}: DTD declarations refused")
    if _local(el) not in roots:
        raise ValueError(f"{source_url}: root element is <{_local(el)}>, not {sorted(roots)}")
    return el


def _is_record(el: Any, root: Any) -> bool:
    parent = el.getparent()
    if parent is None or _local(el) != ROOT_RECORDS[_local(root)]:
        return False
    return parent is root or (_local(parent) == "channel" and parent.getparent() is root)


def _child(el: Any, *names: str) -> Any:
    kids = [c for c in el if isinstance(c.tag, str)]
    return next((c for name in names for c in kids if _local(c) == name), None)


def _child_text(el: Any, *names: str, title: bool = False) -> str | None:
    found = _child(el, *names)
    text = "".join(found.itertext()) if found is not None else ""
    return " ".join((TAG_RE.sub("", unescape(text)) if title else text).split()) or None


def _entry_url(el: Any) -> str | None:
    """An item's article link: feedburner origLink, link (Atom: alternate), rdf:about, guid."""
    link_els = [x for x in el if _local(x) == "link"]
    alternates = [x for x in link_els if (x.get("rel") or "alternate").lower() == "alternate"]
    alternates.sort(key=lambda x: "html" not in (x.get("type") or "text/html").lower())
    raws: list[tuple[str | None, Any]] = [(_child_text(el, "origLink"), el)]
    raws += [(x.get("href"), x) for x in alternates if x.get("href")]
    raws += [("".join(x.itertext()), x) for x in link_els if x.get("href") is None]
    raws.append((el.get(RDF_ABOUT), el))
    guid = _child(el, "guid")
    if guid is not None and (guid.get("isPermaLink") or "true").strip().lower() != "false":
        raws.append(("".join(guid.itertext()), el))
    urls = (canonicalize_url(raw.strip(), node.base) for raw, node in raws if raw and raw.strip())
    return next((url for url in urls if url), None)


def _feed_item(el: Any, source_url: str) -> Discovered | None:
    url, title = _entry_url(el), _child_text(el, "title", title=True)
    return Discovered(url, "feed", source_url, title, _child_text(el, *DATE_NAMES)) if url else None


def _loc(el: Any, source_url: str) -> str | None:
    return canonicalize_url(_child_text(el, "loc") or "", source_url)


def _sitemap_url(el: Any, source_url: str) -> Discovered | None:
    url, news, lastmod = _loc(el, source_url), _child(el, "news"), _child_text(el, "lastmod")
    if url is None or news is None:
        return Discovered(url, "sitemap", source_url, None, lastmod) if url else None
    date = _child_text(news, "publication_date") or lastmod
    words = dict.fromkeys(k.strip() for k in (_child_text(news, "keywords") or "").split(","))
    title = _child_text(news, "title", title=True)
    return Discovered(url, "sitemap", source_url, title, date, tuple(k for k in words if k))


def _numbered(items: Iterable[Discovered | None]) -> list[Discovered]:
    """De-duplicated by URL (the first wins), numbered 1..n in source order."""
    found: dict[str, Discovered] = {}
    for item in filter(None, items):
        found.setdefault(item.url, item)
    return [replace(d, position=i) for i, d in enumerate(found.values(), start=1)]


def parse_feed(body: bytes, *, source_url: str) -> list[Discovered]:
    """Article URLs of an RSS 2.0, RSS 1.0/RDF or Atom feed (gzipped too), in feed order."""
    records = _records(_xml_body(body, source_url), source_url, FEED_ROOTS)
    found = _numbered(_feed_item(el, source_url) for _, el in records)
    logger.debug("feed %s: %d article URL(s)", source_url, len(found))
    return found


def parse_sitemap(body: bytes, *, source_url: str) -> SitemapResult:
    """Article URLs of a <urlset> (or of a feed given as sitemap), child sitemaps of an index."""
    items: list[Discovered | None] = []
    sitemaps: dict[str, None] = {}
    for root, el in _records(_xml_body(body, source_url), source_url, SITEMAP_ROOTS | FEED_ROOTS):
        if root == "sitemapindex" and (url := _loc(el, source_url)):
            sitemaps.setdefault(url)
        elif root != "sitemapindex":
            items.append((_feed_item if root in FEED_ROOTS else _sitemap_url)(el, source_url))
    found = _numbered(items)
    logger.debug("sitemap %s: %d URL(s), %d sitemap(s)", source_url, len(found), len(sitemaps))
    return SitemapResult(found, list(sitemaps))


def _page(html: str | bytes, base_url: str) -> tuple[Any, str]:
    """The parsed page (None when empty or unparsable) and the base URL of its links."""
    page = canonicalize_url(base_url)
    if page is None:
        raise ValueError(f"base_url must be an absolute http(s) URL: {base_url!r}")
    data = html.encode("utf-8", "replace") if isinstance(html, str) else html
    parser = lxml.html.HTMLParser(encoding="utf-8" if isinstance(html, str) else None)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.LxmlError, ValueError):
        return None, page
    href = next((b.get("href") for b in root.iter("base") if b.get("href")), None)
    return root, (canonicalize_url(href, page) if href else None) or page


def find_feeds(html: str | bytes, *, base_url: str) -> list[str]:
    """RSS/Atom feeds a page declares (<link rel="alternate">), in page order; no comment feeds."""
    root, base = _page(html, base_url)
    if root is None:
        return []
    feeds: dict[str, None] = {}
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        title = " ".join((link.get("title") or "").lower().split())
        if "alternate" not in rels or mime not in FEED_TYPES or COMMENT_FEED_RE.search(title):
            continue
        if url := canonicalize_url(link.get("href") or "", base):
            feeds.setdefault(url)
    return list(feeds)


def _is_listed_article(url: str) -> bool:
    """Stricter than looks_like_article: section pages and date archives are out."""
    if not looks_like_article(url):
        return False
    parts = urlsplit(url)
    if ARTICLE_QUERY_RE.search(parts.query):
        return True
    slug = unquote(parts.path.rstrip("/").rpartition("/")[2]).lower()
    if slug.partition(".")[0].isdigit():  # a numeric id, not a year, month or day archive
        return len(slug.partition(".")[0]) >= MIN_NUMERIC_ID_DIGITS
    if DATE_PATH_RE.search(parts.path):
        return True
    return looks_like_article(PLACEHOLDER_BASE + slug)  # links' rule for a lone slug


def _is_teaser(a: Any) -> bool:
    """A card's link: in or around an h1-h4, inside <article>, a card or a title element."""
    for el in [*a.iter(etree.Element), *a.iterancestors()]:
        if el.tag in ("body", "html"):
            return False
        if el.tag in TEASER_TAGS or CARD_CLASS_RE.search((el.get("class") or "").lower()):
            return True
    return False


def find_listing_articles(html: str | bytes, *, base_url: str) -> list[Discovered]:
    """Same-site article links of a home or section page's teaser cards, in page order."""
    root, base = _page(html, base_url)
    if root is None:
        return []
    host, self_url = urlsplit(base).hostname or "", canonicalize_url(base_url)
    page_chrome = chrome.ChromeMap(LISTING_CHROME)
    candidates: list[tuple[Any, str]] = []
    for a in root.iter("a"):
        rels = set((a.get("rel") or "").lower().split())
        url = canonicalize_url(a.get("href") or "", base)
        if url is None or page_chrome.inside(a) or rels & EXCLUDED_RELS or url == self_url:
            continue
        if not (_is_listed_article(url) and same_site(urlsplit(url).hostname or "", host)):
            continue
        if not NOISE_TEXT_RE.fullmatch(anchor(a)[0].lower()):
            candidates.append((a, url))
    teasers = [(a, url) for a, url in candidates if _is_teaser(a)]
    if not teasers:  # a bare list of links: keep those whose text reads like a headline
        minimum = FALLBACK_MIN_WORDS
        teasers = [(a, u) for a, u in candidates if len(anchor(a)[0].split()) >= minimum]
    return _listed(root, teasers, base_url)


def _listed(root: Any, teasers: list[tuple[Any, str]], base_url: str) -> list[Discovered]:
    """One Discovered per URL: the first visible title and the first date of its cards."""
    cards = cards_of(root, teasers)
    found: dict[str, tuple[str, bool, str | None, str | None]] = {}
    for a, url in teasers:
        text, title_node, visible = anchor(a)
        raw, attr = listed_date(cards[a], title_node)
        old_text, old_visible, old_raw, old_attr = found.get(url, (text, visible, raw, attr))
        if visible and not old_visible:
            old_text, old_visible = text, True
        found[url] = (old_text, old_visible, old_raw or raw, old_attr or attr)
    logger.debug("listing %s: %d article link(s)", base_url, len(found))
    return [
        Discovered(url, "listing", base_url, text or None, raw or attr, (), i, attr)
        for i, (url, (text, _, raw, attr)) in enumerate(found.items(), start=1)
    ]
