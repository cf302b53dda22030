"""extract_article: raw page -> article fields, related links and date evidence. Pure.

The same function runs in the crawl pipeline and in ``newsarchive reextract``; its result
depends only on (body, url, headers, fetched_at) and the code's version, never on the clock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import dateparser
import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import metadata as tf_metadata

from newsarchive import __version__
from newsarchive.dates import evidence
from newsarchive.dates.normalize import DEFAULT_TZ, normalize_date, parse_iso
from newsarchive.extract import chrome
from newsarchive.extract.bylines import (
    NAME_RE,
    is_organization,
    is_person,
    split_byline,
    split_names,
)
from newsarchive.extract.encoding import decode_body, is_html, parse_html
from newsarchive.extract.lead import restore_lead
from newsarchive.extract.links import RelatedLink, find_related, is_related_heading_text
from newsarchive.extract.metadata import (
    PageMeta,
    clean_text,
    has_author_markup,
    jsonld_list,
    jsonld_names,
    jsonld_text,
    language_code,
    read_page_meta,
)
from newsarchive.extract.outcomes import (
    ARTICLE,
    EMPTY,
    EXTRACTION_FAILED,
    NOT_HTML,
    PAYWALL,
    Verdict,
    classify,
)
from newsarchive.urls import canonicalize_url, same_site

logger = logging.getLogger(__name__)


MIN_ARTICLE_CHARS = 1
AUTHOR_PATH_RE = re.compile(r"/(?:autore|autori|author|authors|firme|redazione/autori)/[^/?#]+")
BYLINE_CLASS_RE = re.compile(r"firma|autore|byline|\bauthor\b|author-name|signature")
BYLINE_MAX_CHARS = 120
BYLINE_CHROME = chrome.Vocabulary(tags=frozenset({"footer", "nav", "aside"}))
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
HEADLINE_SCAN_LINES = 3
KICKER_MAX_CHARS = 80
# A related block is removed before trafilatura only when links are most of its text.
PRUNE_MIN_LINK_SHARE = 0.5
ELLIPSES = ("...", "…")
# What trafilatura.metadata.extract_catstags requires of a category / tag link's href.
CATEGORY_HREF_RE = re.compile(r"/categor(?:y|ies|s)?/")
TAG_HREF_RE = re.compile(r"/tag(?:y|ies|s)?/")
LINK_HREFS = etree.XPath("//a/@href", smart_strings=False)
# The trafilatura options are part of what produced a row: their hash is in `extractor`.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "with_metadata": False,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "favor_precision": False,
}
# Longest stored metadata values (characters; a page may put 1 MB in its <title>) and list sizes.
# Longer values are cut (at a character boundary, with "…") and the cut is noted.
FIELD_CAPS = {
    "title": 1_000,
    "description": 5_000,
    "sitename": 300,
    "image": 2_048,
    "date_published_raw": 500,
    "date_modified_raw": 500,
}
LIST_ITEM_CAP = 300  # one author, category or tag
LIST_LEN_CAP = 100  # authors, categories, tags
# trafilatura runs in fast mode (no readability/justext comparison, 7 ms a page less); it runs
# again in full only when the fast text is doubtful against the characters of the page's
# paragraphs of READABLE_P_CHARS or more (what readability scores): under FALLBACK_MIN_SHARE of
# them (text missed), over FALLBACK_MAX_RATIO times them (text outside paragraphs: chrome
# taken?), or short and over FALLBACK_SHORT_RATIO times them. Derived on the 1,001 shared
# corpus pages (the full result differs on 56): 149 pages (15 %) rerun, and the eval benches
# score no figure lower than always-full (pages where fast alone is better keep it).
FALLBACK_MIN_SHARE = 0.5
FALLBACK_MAX_RATIO = 8
FALLBACK_SHORT_CHARS = 800
FALLBACK_SHORT_RATIO = 3.5
READABLE_P_CHARS = 25
FALLBACK_GATE = (FALLBACK_MIN_SHARE, FALLBACK_MAX_RATIO, FALLBACK_SHORT_CHARS, FALLBACK_SHORT_RATIO)
SETTINGS_HASH = hashlib.sha256(
    json.dumps({**TRAFILATURA_OPTIONS, "fallback_gate": FALLBACK_GATE}, sort_keys=True).encode()
).hexdigest()[:8]
EXTRACTOR = (
    f"newsarchive/{__version__} trafilatura/{trafilatura.__version__} "
    f"dateparser/{dateparser.__version__} settings/{SETTINGS_HASH}"
)


class NotHTMLError(ValueError):
    """The input is not an HTML document."""


@dataclass(frozen=True)
class Link:
    """A related-article link as stored in `links`."""

    to_url: str
    anchor_text: str
    position: int
    listed_date: str | None
    listed_date_raw: str | None
    kind: str = "related"


@dataclass(frozen=True)
class Article:
    """The article fields stored in `articles` (lists as tuples)."""

    url: str
    site: str
    title: str | None
    authors: tuple[str, ...]
    date_published: str | None
    date_published_raw: str | None
    date_modified: str | None
    date_modified_raw: str | None
    description: str | None
    text: str | None
    language: str | None
    sitename: str | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    image: str | None


@dataclass(frozen=True)
class Extraction:
    """Everything derived from one raw page."""

    outcome: str
    url: str
    encoding: str | None = None
    encoding_reason: str | None = None
    article: Article | None = None
    links: tuple[Link, ...] = ()
    evidence: tuple[evidence.DateEvidence, ...] = ()
    reason: str | None = None
    extractor: str = EXTRACTOR
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `newsarchive extract` prints)."""
        return asdict(self)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def article_url(meta: PageMeta, url: str) -> str:
    """The article's canonical URL: rel=canonical when it is sane, else the fetched URL."""
    fallback = canonicalize_url(url) or url
    if not meta.canonical:
        return fallback
    canonical = canonicalize_url(meta.canonical, base=url)
    if canonical is None:
        return fallback
    page, canon = urlsplit(fallback), urlsplit(canonical)
    if not same_site(page.hostname or "", canon.hostname or ""):
        return fallback
    if canon.path in ("", "/") and page.path not in ("", "/"):
        return fallback  # a canonical pointing at the home page is a template bug
    return canonical


def _related(links: list[RelatedLink], *, fetched_at: datetime, tz_name: str) -> tuple[Link, ...]:
    rows = []
    for link in links:
        parsed = None
        if link.listed_date_raw:
            parsed = normalize_date(link.listed_date_raw, reference=fetched_at, tz=tz_name)
        if parsed is None and link.listed_date_attr:
            parsed = parse_iso(link.listed_date_attr, tz=tz_name)
        rows.append(
            Link(
                to_url=link.url,
                anchor_text=link.anchor_text,
                position=link.position,
                listed_date=parsed.isoformat() if parsed else None,
                listed_date_raw=link.listed_date_raw,
            )
        )
    return tuple(rows)


def _split_authors(value: str | None) -> list[str]:
    """Names from a visible byline: 'di Mario Rossi · 20 novembre, ore 18:30' -> one name."""
    return split_byline(value)


def page_authors(meta: PageMeta) -> list[str]:
    """Authors the page's own metadata names (JSON-LD, then meta tags), split and cleaned."""
    ld = meta.jsonld or {}
    names = [n for name in jsonld_names(ld.get("author"), meta.graph) for n in split_names(name)]
    return names or split_names(meta.first(*AUTHOR_META))


def organization_names(meta: PageMeta, url: str) -> list[str]:
    """Names that are the site's own, not a person's: publisher, og:site_name, host."""
    ld = meta.jsonld or {}
    publishers = ld.get("publisher")
    publishers = publishers if isinstance(publishers, list) else [publishers]
    # a blog's publisher may be its author: a Person is not an organization
    publishers = [p for p in publishers if p and not _is_person_node(p, meta)]
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return [
        *(jsonld_names(publishers, meta.graph) if publishers else []),
        meta.first("og:site_name", "application-name") or "",
        host,
        host.rsplit(".", 1)[0],
    ]


def _is_person_node(node: Any, meta: PageMeta) -> bool:
    if isinstance(node, dict) and "@type" not in node and node.get("@id") in meta.graph:
        node = meta.graph[node["@id"]]
    kinds = node.get("@type", []) if isinstance(node, dict) else []
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "person" in [str(k).rsplit("/", 1)[-1].lower() for k in kinds]


def _only_organizations(authors: list[str], meta: PageMeta, url: str) -> bool:
    orgs = organization_names(meta, url)
    return all(is_organization(a, orgs) for a in authors)


def _persons(byline: str | None, meta: PageMeta, url: str) -> list[str]:
    """The byline's names when every one of them reads as a person's, else none."""
    orgs = organization_names(meta, url)
    names = _split_authors(byline)
    return names if names and all(is_person(n, orgs) for n in names) else []


def _dedupe(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def _run_trafilatura(tree: HtmlElement, url: str) -> Any:
    """trafilatura fast; again with its fallback comparison when the fast text is doubtful."""
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, **TRAFILATURA_OPTIONS)
    chars = len(getattr(doc, "text", None) or "")
    if chars and not doubtful(chars, paragraph_chars(tree)):
        return doc
    return trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)


def doubtful(chars: int, paragraphs: int) -> bool:
    """Whether a fast text of `chars` characters needs trafilatura's fallback comparison."""
    return (
        chars < FALLBACK_MIN_SHARE * paragraphs
        or chars > FALLBACK_MAX_RATIO * paragraphs
        or FALLBACK_SHORT_RATIO * paragraphs < chars < FALLBACK_SHORT_CHARS
    )


def paragraph_chars(tree: HtmlElement) -> int:
    """Characters (whitespace collapsed) of the <p> elements of READABLE_P_CHARS or more."""
    sizes = (len(" ".join(p.text_content().split())) for p in tree.iter("p"))
    return sum(n for n in sizes if n >= READABLE_P_CHARS)


def is_italian(meta: PageMeta, url: str) -> bool:
    """Whether a page is from an Italian publisher (its lang, locale or .it host)."""
    ld = meta.jsonld or {}
    langs = (jsonld_text(ld.get("inLanguage")), meta.lang, meta.first("og:locale"))
    host = urlsplit(url).hostname or ""
    return host.endswith(".it") or any(language_code(x) == "it" for x in langs if x)


def _headline(meta: PageMeta, fallback: dict[str, Any]) -> str | None:
    """The page's headline as its metadata gives it (site suffix still attached)."""
    ld = meta.jsonld or {}
    headline = jsonld_text(ld.get("headline"))
    social = meta.first("og:title", "twitter:title")
    if headline and social and _truncated_from(headline, social):
        return social  # "Manovra, il governo tratta con i sindacati sulle Tru…"
    return headline or social or fallback.get("title")


def _truncated_from(short: str, full: str) -> bool:
    """True when short is full cut off and marked with an ellipsis ('...' or '…')."""
    stem = short.rstrip()
    if not stem.endswith(ELLIPSES):
        return False
    stem = stem.rstrip(".…").rstrip()
    return len(full) > len(stem) > 0 and full.casefold().startswith(stem.casefold())


def _classify(
    tree: HtmlElement,
    meta: PageMeta,
    status: int,
    headers: Mapping[str, str] | None,
    url: str,
    *,
    text: str | None,
    title: str | None,
) -> Verdict:
    return classify(
        status=status,
        headers=headers,
        tree=tree,
        jsonld=meta.jsonld,
        jsonld_types=meta.jsonld_types,
        text=text,
        title=title,
        url=url,
    )


def byline_authors(tree: HtmlElement, excluded: set[HtmlElement]) -> list[str]:
    """Authors from a visible byline: a[rel=author], author-page links, or a byline element
    ("firma", "autore", "byline", "author") whose text reads like 'di Nome Cognome'."""
    page_chrome = chrome.ChromeMap(BYLINE_CHROME, excluded)
    for a in tree.iter("a"):
        rel = (a.get("rel") or "").lower().split()
        href = a.get("href") or ""
        if "author" in rel or AUTHOR_PATH_RE.search(href):
            name = clean_text(a.text_content())
            if NAME_RE.fullmatch(name) and not page_chrome.inside(a):
                return [name]
    for el in tree.iter("div", "span", "p", "address"):
        names = f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')}".lower()
        if not BYLINE_CLASS_RE.search(names) or page_chrome.inside(el):
            continue
        text = clean_text(el.text_content())
        if not text or len(text) > BYLINE_MAX_CHARS:
            continue
        found = [n for n in _split_authors(text) if NAME_RE.fullmatch(n)]
        if found:
            return found
    return []


def _mostly_links(block: HtmlElement) -> bool:
    """True when link text is most of a block's text (a list of links, not prose)."""
    total = len(clean_text(block.text_content()))
    links = sum(len(clean_text(a.text_content())) for a in block.iter("a"))
    return total == 0 or links / total >= PRUNE_MIN_LINK_SHARE


def _name_key(value: str) -> str:
    """'La Stampa', 'lastampa', 'LaStampa.it' -> 'lastampa' (letters and digits only)."""
    key = value.casefold().strip()
    for tld in (".it", ".com", ".net", ".org", ".eu"):
        key = key.removesuffix(tld)
    return "".join(ch for ch in key if ch.isalnum())


def strip_site_suffix(title: str | None, names: list[str]) -> str | None:
    """'Titolo - La Stampa' -> 'Titolo' when the suffix is the site's name (spelled as the
    host, 'lastampa.it', or as the site name, 'La Stampa')."""
    if not title:
        return title
    keys = {_name_key(n) for n in names if n} - {""}
    for sep in (" | ", " - ", " – ", " — ", " :: "):
        head, found, tail = title.rpartition(sep)
        if found and head and _name_key(tail) in keys:
            return head.strip()
    return title


def _sitename(candidates: list[str | None], headline: str | None) -> str | None:
    """The first site name that is not the page's own headline (a template may put it there)."""
    taken = clean_text(headline or "").casefold()
    for name in candidates:
        if name and clean_text(name).casefold() != taken:
            return name
    return None


def _fallbacks(
    tree: HtmlElement,
    meta: PageMeta,
    *,
    url: str,
    fetched_at: datetime,
    need_date: bool,
    excluded: set[HtmlElement],
) -> dict[str, Any]:
    """trafilatura's and htmldate's heuristics, run only for what the page's metadata lacks.

    They read the tree before trafilatura prunes it; skipping them when JSON-LD or meta tags
    already answer saves most of trafilatura's metadata cost (its license scan alone walks
    every link of the page).
    """
    ld = meta.jsonld or {}
    found: dict[str, Any] = {}
    if not (ld.get("headline") or meta.first("og:title", "twitter:title")):
        found["title"] = tf_metadata.extract_title(tree)
    authors = page_authors(meta)
    if not authors or _only_organizations(authors, meta, url):
        tf_author = tf_metadata.extract_author(tree) if has_author_markup(tree) else None
        found["author"] = tf_author or "; ".join(byline_authors(tree, excluded))
        if authors and tf_author and not _persons(tf_author, meta, url):
            found["author"] = "; ".join(byline_authors(tree, excluded))
    if not (ld.get("publisher") or meta.first("og:site_name")):
        found["sitename"] = tf_metadata.extract_sitename(tree)
    # trafilatura keeps only links to /category/ or /tag/ pages (or a "subject" meta tag):
    # without one its XPath scan (3.5 ms a page) can only return nothing
    hrefs = "\n".join(LINK_HREFS(tree))
    if not (ld.get("articleSection") or meta.all("article:section")) and (
        CATEGORY_HREF_RE.search(hrefs) or any("subject" in k for k in meta.meta)
    ):
        found["categories"] = tf_metadata.extract_catstags("category", tree)
    if not (
        ld.get("keywords") or meta.all("article:tag", "news_keywords", "keywords")
    ) and TAG_HREF_RE.search(hrefs):
        found["tags"] = tf_metadata.extract_catstags("tag", tree)
    if need_date:
        found["date"] = find_date(
            tree,  # htmldate copies a tree it is given before pruning it
            url=url,
            original_date=True,
            extensive_search=True,
            max_date=fetched_at.strftime("%Y-%m-%d"),
        )
    return found


def extract_article(
    body: bytes | str,
    *,
    url: str,
    fetched_at: datetime,
    headers: Mapping[str, str] | None = None,
    related_selector: str | None = None,
    tz: str = DEFAULT_TZ,
    status: int = 200,
) -> Extraction:
    """Extract an article, its related links and date evidence from a raw page.

    The outcome says what the page is (outcomes.classify): only `article` and `paywall`
    pages carry an article; an HTTP error page is classified (a 403 may be a bot challenge)
    but not extracted.
    """
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    # 1. Is it HTML at all? Decode with the documented order.
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if not is_html(raw, _header(headers, "content-type")):
        return Extraction(NOT_HTML, url, reason="content is not HTML")
    decoded = decode_body(raw, headers)
    enc, enc_reason = decoded.encoding, decoded.reason
    # 2. Parse once; the metadata reader, link finder and trafilatura share this tree.
    tree = parse_html(decoded.text)
    if tree is None:
        return Extraction(NOT_HTML, url, enc, enc_reason, reason="unparsable HTML")
    meta = read_page_meta(tree)
    if status >= 400:
        verdict = _classify(tree, meta, status, headers, url, text=None, title=None)
        return Extraction(verdict.outcome, url, enc, enc_reason, reason=verdict.reason)
    canonical = article_url(meta, url)
    # 3. Related links and the date evidence are read before trafilatura prunes the tree.
    blocks, related = find_related(tree, url, selector=related_selector)
    links = tuple(
        x for x in _related(related, fetched_at=fetched_at, tz_name=tz) if x.to_url != canonical
    )
    italian = is_italian(meta, canonical)
    candidates = evidence.collect(
        tree,
        meta,
        url=canonical,
        fetched_at=fetched_at,
        tz_name=tz,
        excluded=set(blocks),
        italian=italian,
    )
    in_time = evidence.usable(candidates, fetched_at=fetched_at, tz_name=tz)
    need_date = not any(c.field == evidence.PUBLISHED for c in in_time)
    fallback = _fallbacks(
        tree,
        meta,
        url=canonical,
        fetched_at=fetched_at,
        need_date=need_date,
        excluded=set(blocks),
    )
    for block in blocks:
        if block.getparent() is not None and _mostly_links(block):
            block.drop_tree()
    # 4. The main text from trafilatura (it works on a copy of the tree).
    doc = _run_trafilatura(tree, canonical)
    text = clean_paragraphs(doc.text) if doc is not None and doc.text else None
    # 5. What is this page? Walls, challenges, soft 404s and listings carry no article.
    headline = _headline(meta, fallback)
    verdict = _classify(tree, meta, status, headers, canonical, text=text, title=headline)
    if verdict.outcome not in (ARTICLE, PAYWALL) or not text:
        return Extraction(
            verdict.outcome if text else EMPTY,
            canonical,
            enc,
            enc_reason,
            reason=verdict.reason if text else "no article text found",
            links=links,
        )
    if fallback.get("date") and (parsed := parse_iso(fallback["date"], tz=tz)):
        candidates.append(
            evidence.Candidate(evidence.PUBLISHED, "htmldate", 70, fallback["date"], parsed)
        )
    dates = evidence.choose(candidates, fetched_at=fetched_at, tz_name=tz, localize_utc=italian)
    text = restore_lead(tree, text, blocks)
    article = _assemble(meta, fallback, canonical, text, dates)
    article = replace(article, text=strip_headline(article.text or "", article.title))
    article, capped = cap_fields(article)
    return Extraction(
        verdict.outcome,
        canonical,
        enc,
        enc_reason,
        article=article,
        links=links,
        evidence=dates.evidence,
        reason=verdict.reason if verdict.outcome != ARTICLE else None,
        notes=verdict.flags + tuple(f"capped:{name}" for name in capped),
    )


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def cap_fields(article: Article) -> tuple[Article, list[str]]:
    """The article with over-long metadata cut to FIELD_CAPS / LIST_*_CAP, and what was cut."""
    changes: dict[str, Any] = {}
    for name, limit in FIELD_CAPS.items():
        value = getattr(article, name)
        if isinstance(value, str) and len(value) > limit:
            changes[name] = _cut(value, limit)
    for name in ("authors", "categories", "tags"):
        values: tuple[str, ...] = getattr(article, name)
        cut = tuple(_cut(v, LIST_ITEM_CAP) for v in values[:LIST_LEN_CAP])
        if cut != values:
            changes[name] = cut
    return (replace(article, **changes) if changes else article), sorted(changes)


def strip_headline(text: str, title: str | None) -> str:
    """Drop the headline (and a kicker above it) when trafilatura kept it at the top of the text."""
    if not title:
        return text
    lines = text.split("\n")
    wanted = clean_text(title).casefold()
    for i, line in enumerate(lines[:HEADLINE_SCAN_LINES]):
        if line.casefold() == wanted:
            above = [x for x in lines[:i] if len(x) > KICKER_MAX_CHARS]  # real paragraphs stay
            return "\n".join(above + lines[i + 1 :]) or text
    return text


def clean_paragraphs(text: str) -> str:
    """Normalize whitespace inside lines and drop empty lines and lines that are only a
    related-links heading ("Leggi anche", left behind when its links were pruned)."""
    lines = (clean_text(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line and not is_related_heading_text(line))


def _absolute(value: str | None, base: str) -> str | None:
    if not value:
        return None
    return canonicalize_url(value, base=base) or value


def _assemble(
    meta: PageMeta, fallback: dict[str, Any], url: str, text: str, dates: evidence.ChosenDates
) -> Article:
    ld = meta.jsonld or {}
    publisher = ld.get("publisher")
    publisher_names = jsonld_names(publisher) if publisher else []
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    site_names = [
        *publisher_names,
        meta.first("og:site_name") or "",
        host,
        host.rsplit(".", 1)[0],
        str(fallback.get("sitename") or ""),
    ]
    authors = page_authors(meta)
    if not authors and fallback.get("author"):
        authors = _split_authors(fallback["author"])
    elif authors and _only_organizations(authors, meta, url):
        # a person in the visible byline beats the publisher's company in the metadata
        authors = _persons(fallback.get("author"), meta, url) or authors
    tags = (
        jsonld_list(ld.get("keywords"))
        or meta.all("article:tag")
        or [
            t.strip()
            for t in (meta.first("news_keywords", "keywords") or "").split(",")
            if t.strip()
        ]
        or list(fallback.get("tags") or [])
    )
    categories = (
        jsonld_list(ld.get("articleSection"))
        or meta.all("article:section")
        or list(fallback.get("categories") or [])
    )
    return Article(
        url=url,
        site=(urlsplit(url).hostname or "").removeprefix("www."),
        title=strip_site_suffix(_headline(meta, fallback), site_names),
        authors=_dedupe(authors),
        date_published=dates.published,
        date_published_raw=dates.published_raw,
        date_modified=dates.modified,
        date_modified_raw=dates.modified_raw,
        description=jsonld_text(ld.get("description"))
        or meta.first("og:description", "description", "twitter:description"),
        text=text,
        language=language_code(jsonld_text(ld.get("inLanguage")))
        or language_code(meta.lang)
        or language_code(meta.first("content-language", "og:locale")),
        sitename=_sitename(
            [*publisher_names, meta.first("og:site_name"), fallback.get("sitename")],
            _headline(meta, fallback),
        ),
        categories=_dedupe(categories),
        tags=_dedupe(tags),
        image=_absolute(
            jsonld_text(ld.get("image")) or meta.first("og:image", "twitter:image"), url
        ),
    )


def extract_page(
    body: bytes,
    *,
    url: str,
    status: int,
    fetched_at: datetime,
    headers: Mapping[str, str] | None = None,
    related_selector: str | None = None,
    tz: str = DEFAULT_TZ,
) -> tuple[Extraction | None, str, str | None]:
    """(extraction, outcome, error) for a stored or fetched page; never raises.

    The crawl pipeline and `reextract` both call this, so a page gets the same outcome
    whichever of them processed it.
    """
    try:
        extraction = extract_article(
            body,
            url=url,
            fetched_at=fetched_at,
            headers=headers,
            related_selector=related_selector,
            tz=tz,
            status=status,
        )
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop a crawl
        reason = type(exc).__name__
        logger.warning("extraction failed for %s: %s: %s", url, reason, exc)
        return None, EXTRACTION_FAILED, f"{reason}: {exc}"
    return extraction, extraction.outcome, extraction.reason
