"""extract_article: raw page -> article fields, related links and date evidence. Pure.

The same function runs in the crawl pipeline and in ``newsarchive reextract``; its result
depends only on (body, url, headers, fetched_at) and the code's version, never on the clock.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
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

# The text (body) and the fields (fields) have their own modules; the names the tests,
# benches and testing package read through this module are re-exported (`import X as X`).
from newsarchive.extract import catstags
from newsarchive.extract.body import SETTINGS_HASH, _mostly_links, _run_trafilatura, strip_headline
from newsarchive.extract.body import TRAFILATURA_OPTIONS as TRAFILATURA_OPTIONS
from newsarchive.extract.body import clean_paragraphs as clean_paragraphs
from newsarchive.extract.body import doubtful as doubtful
from newsarchive.extract.body import paragraph_chars as paragraph_chars
from newsarchive.extract.encoding import decode_body, is_html, parse_html
from newsarchive.extract.fields import BYLINE_CHROME as BYLINE_CHROME
from newsarchive.extract.fields import FIELD_CAPS as FIELD_CAPS
from newsarchive.extract.fields import LIST_ITEM_CAP as LIST_ITEM_CAP
from newsarchive.extract.fields import LIST_LEN_CAP as LIST_LEN_CAP
from newsarchive.extract.fields import Article as Article
from newsarchive.extract.fields import (
    _assemble,
    _headline,
    _only_organizations,
    _persons,
    cap_fields,
    is_italian,
    page_authors,
)
from newsarchive.extract.fields import byline_authors as byline_authors
from newsarchive.extract.lead import restore_lead
from newsarchive.extract.links import RelatedLink, find_related
from newsarchive.extract.metadata import PageMeta, read_page_meta, trafilatura_author
from newsarchive.extract.outcomes import (
    ARTICLE,
    EMPTY,
    EXTRACTION_FAILED,
    NOT_HTML,
    PAYWALL,
    Verdict,
    classify,
)
from newsarchive.extract.result import Extraction as Extraction
from newsarchive.extract.result import Link as Link
from newsarchive.urls import canonicalize_url, same_site

logger = logging.getLogger(__name__)


MIN_ARTICLE_CHARS = 1
# What trafilatura.metadata.extract_catstags requires of a category / tag link's href.
CATEGORY_HREF_RE = re.compile(r"/categor(?:y|ies|s)?/")
TAG_HREF_RE = re.compile(r"/tag(?:y|ies|s)?/")
LINK_HREFS = etree.XPath("//a/@href", smart_strings=False)
EXTRACTOR = (
    f"newsarchive/{__version__} trafilatura/{trafilatura.__version__} "
    f"dateparser/{dateparser.__version__} settings/{SETTINGS_HASH}"
)


class NotHTMLError(ValueError):
    """The input is not an HTML document."""


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
        tf_author = trafilatura_author(tree)
        found["author"] = tf_author or "; ".join(byline_authors(tree, excluded))
        if authors and tf_author and not _persons(tf_author, meta, url):
            found["author"] = "; ".join(byline_authors(tree, excluded))
    if not (ld.get("publisher") or meta.first("og:site_name")):
        found["sitename"] = tf_metadata.extract_sitename(tree)
    # trafilatura keeps only links to /category/ or /tag/ pages (or a "subject" meta tag):
    # without one its scan (catstags.py repeats it as one walk) can only return nothing
    need_categories = not (ld.get("articleSection") or meta.all("article:section"))
    need_tags = not (ld.get("keywords") or meta.all("article:tag", "news_keywords", "keywords"))
    hrefs = "\n".join(LINK_HREFS(tree)) if need_categories or need_tags else ""
    if need_categories and (
        CATEGORY_HREF_RE.search(hrefs) or any("subject" in k for k in meta.meta)
    ):
        found["categories"] = catstags.extract_catstags("category", tree)
    if need_tags and TAG_HREF_RE.search(hrefs):
        found["tags"] = catstags.extract_catstags("tag", tree)
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
        return Extraction(NOT_HTML, url, reason="content is not HTML", extractor=EXTRACTOR)
    decoded = decode_body(raw, headers)
    enc, enc_reason = decoded.encoding, decoded.reason
    # 2. Parse once; the metadata reader, link finder and trafilatura share this tree.
    tree = parse_html(decoded.text, decoded.utf8)
    if tree is None:
        return Extraction(
            NOT_HTML, url, enc, enc_reason, reason="unparsable HTML", extractor=EXTRACTOR
        )
    meta = read_page_meta(tree)
    if status >= 400:
        verdict = _classify(tree, meta, status, headers, url, text=None, title=None)
        return Extraction(
            verdict.outcome, url, enc, enc_reason, reason=verdict.reason, extractor=EXTRACTOR
        )
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
    main_text = _run_trafilatura(tree, canonical)
    text = clean_paragraphs(main_text) if main_text else None
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
            extractor=EXTRACTOR,
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
        extractor=EXTRACTOR,
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
