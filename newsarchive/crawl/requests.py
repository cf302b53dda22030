"""The requests the article spider yields, and the frontier entries that queue them. Their meta
is how a response finds its way back: na_kind (article, feed, sitemap, listing), na_depth,
na_via, na_seed, na_source and na_source_depth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scrapy


def kind_of(request: scrapy.Request) -> str:
    """article, feed, sitemap or listing."""
    return str(request.meta.get("na_kind", "article"))


def article_request(
    url: str,
    *,
    depth: int,
    via: str | None,
    seed: bool,
    force: bool,
    headers: dict[str, str],
    callback: Callable[..., Any],
    errback: Callable[..., Any],
) -> scrapy.Request:
    """The request for an article (force: fetched even if seen, e.g. conditionally again)."""
    return scrapy.Request(
        url,
        callback=callback,
        errback=errback,
        dont_filter=force,
        headers=headers,
        # shallower pages first: a page is then mostly met first by its shortest path
        priority=-depth,
        meta={"na_depth": depth, "na_via": via, "na_seed": seed, "na_kind": "article"},
    )


def source_request(
    url: str, kind: str, *, callback: Callable[..., Any], errback: Callable[..., Any]
) -> scrapy.Request:
    """A request for a feed, sitemap or listing page (always fetched: that is the point)."""
    return scrapy.Request(
        url,
        callback=callback,
        errback=errback,
        dont_filter=True,
        meta={"na_kind": kind, "na_depth": 0, "na_source": url, "na_source_depth": 0},
    )


def frontier_entries(
    requests: list[scrapy.Request], *, max_depth: int, related_selector: str | None
) -> list[dict[str, Any]]:
    """The frontier rows that queue (and claim) the article requests among requests."""
    return [
        {
            "url": r.url,
            "kind": "article",
            "depth": r.meta.get("na_depth", 0),
            "via_url": r.meta.get("na_via"),
            "max_depth": max_depth,
            "related_selector": related_selector,
            "recheck": bool(r.dont_filter),
        }
        for r in requests
        if kind_of(r) == "article"
    ]
