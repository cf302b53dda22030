"""What the article spider makes of a response: the raw page item it yields, and for a feed,
sitemap or listing page the articles it lists, the further sources it names, and the
discoveries rows of those articles."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, cast

from scrapy.http import Request, Response

from newsarchive.crawl.middlewares import CONTENT_ENCODING_META
from newsarchive.dates.normalize import normalize_date, parse_iso
from newsarchive.extract.discovery import (
    Discovered,
    find_feeds,
    find_listing_articles,
    looks_like_feed,
    parse_feed,
    parse_sitemap,
)
from newsarchive.model import RawPage, utc_now

logger = logging.getLogger(__name__)


def raw_page(response: Response, kind: str, *, depth: int, related_selector: str | None) -> RawPage:
    """The response as an immutable raw page item (depth: the shortest known for its URL)."""
    meta, request = response.meta, cast(Request, response.request)
    headers = {
        k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }
    if meta.get(CONTENT_ENCODING_META) and b"Content-Encoding" not in response.headers:
        # Scrapy decoded the body and deleted the header: keep what came over the wire
        headers["X-Crawler-Content-Encoding"] = meta[CONTENT_ENCODING_META]
    return RawPage(
        url=requested_url(response),
        final_url=response.url,
        status=response.status,
        fetched_at=utc_now(),
        headers=headers,
        body=response.body,
        depth=depth,
        via_url=meta.get("na_via"),
        related_selector=related_selector,
        redirect_urls=list(meta.get("redirect_urls") or []),
        kind=kind,
        request_headers={
            k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in request.headers.items()
        },
    )


def requested_url(response: Response) -> str:
    """The URL first asked for (before any redirect)."""
    request = cast(Request, response.request)
    return str((response.meta.get("redirect_urls") or [request.url])[0])


def discover(
    response: Response, kind: str, in_scope: Callable[[str], bool]
) -> tuple[list[Discovered], list[tuple[str, str]]]:
    """(articles listed, further sources in scope to fetch) of a source response."""
    # imported here: encoding.py imports trafilatura, which article crawls need only in
    # the extraction workers
    from newsarchive.extract.encoding import is_html

    content_type = (response.headers.get("Content-Type", b"") or b"").decode("latin-1")
    html = is_html(response.body, content_type) and not looks_like_feed(response.body)
    if kind == "sitemap":
        result = parse_sitemap(response.body, source_url=response.url)
        return result.urls, [(u, "sitemap") for u in result.sitemaps if in_scope(u)]
    if kind == "feed" and html:
        feeds = [u for u in find_feeds(response.body, base_url=response.url) if in_scope(u)]
        logger.info("feed autodiscovery on %s: %d feed(s)", response.url, len(feeds))
        return [], [(u, "feed") for u in feeds]
    if kind == "feed":
        return parse_feed(response.body, source_url=response.url), []
    return find_listing_articles(response.body, base_url=response.url), []


def discovery_row(item: Discovered) -> dict[str, Any]:
    """The discoveries row of a listed article (its listed date read as ISO/RFC)."""
    raw, attr = item.listed_date_raw, item.listed_date_attr
    listed = (
        (parse_iso(raw) or normalize_date(raw, reference=datetime.now(timezone.utc)))
        if raw
        else None
    ) or (parse_iso(attr) if attr else None)
    return {
        "url": item.url,
        "via": item.via,
        "source_url": item.source_url,
        "listed_title": item.listed_title,
        "listed_date_raw": item.listed_date_raw,
        "listed_date": listed.isoformat() if listed else None,
        "keywords": list(item.keywords),
    }
