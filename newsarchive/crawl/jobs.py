"""jobs.toml: the sources a scheduled `newsarchive run` crawls, validated before any fetch."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from newsarchive.defaults import DEFAULT_RECHECK_HOURS
from newsarchive.urls import canonicalize_url

SOURCE_KEYS = {
    "name",
    "urls",
    "feeds",
    "sitemaps",
    "listings",
    "allow_domains",
    "depth",
    "max_pages",
    "related_selector",
    "recheck",
    "recheck_hours",
}
TOP_KEYS = {"db", "defaults", "source"}
DEFAULTS: dict[str, Any] = {
    "depth": 1,
    "max_pages": 0,
    "recheck": True,
    "recheck_hours": list(DEFAULT_RECHECK_HOURS),
    "related_selector": None,
    "allow_domains": [],
}


class JobsError(ValueError):
    """The jobs file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class Source:
    """One source of a jobs file: where to discover articles and how far to follow them."""

    name: str
    urls: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    allow_domains: list[str] = field(default_factory=list)
    depth: int = 1
    max_pages: int = 0
    related_selector: str | None = None
    recheck: bool = True
    recheck_hours: list[float] = field(default_factory=list)

    def spider_args(self) -> dict[str, Any]:
        """Keyword arguments for the `article` spider."""
        return {
            "url": self.urls,
            "feed": self.feeds,
            "sitemap": self.sitemaps,
            "listing": self.listings,
            "allow_domain": self.allow_domains,
            "depth": self.depth,
            "max_pages": self.max_pages,
            "related_selector": self.related_selector,
            "recheck_due": self.recheck,
            "recheck_hours": [float(h) for h in self.recheck_hours],
            "adaptive_sources": True,
        }


def _urls(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JobsError(f"{where}: expected a list of URLs")
    for url in value:
        if canonicalize_url(url) is None:
            raise JobsError(f"{where}: not an http(s) URL: {url!r}")
    return list(value)


def load_jobs(path: Path) -> tuple[str | None, list[Source]]:
    """(db path or None, sources) from a jobs.toml; JobsError names what is wrong."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise JobsError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise JobsError(f"{path} is not valid TOML: {exc}") from exc
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise JobsError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    defaults = {**DEFAULTS, **data.get("defaults", {})}
    bad_defaults = set(defaults) - SOURCE_KEYS
    if bad_defaults:
        raise JobsError(f"{path} [defaults]: unknown key(s) {', '.join(sorted(bad_defaults))}")
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        raise JobsError(f"{path}: no [[source]] table")
    sources = []
    for i, raw in enumerate(raw_sources, start=1):
        where = f"{path} source #{i}"
        unknown = set(raw) - SOURCE_KEYS
        if unknown:
            raise JobsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        merged = {**defaults, **raw}
        name = str(merged.get("name") or f"source-{i}")
        lists = {
            k: _urls(merged.get(k, []), f"{where} {k}")
            for k in ("urls", "feeds", "sitemaps", "listings")
        }
        if not any(lists.values()):
            raise JobsError(f"{where} ({name}): give urls, feeds, sitemaps or listings")
        try:
            depth, max_pages = int(merged["depth"]), int(merged["max_pages"])
            hours = [float(h) for h in merged["recheck_hours"]]
        except (TypeError, ValueError) as exc:
            raise JobsError(f"{where} ({name}): {exc}") from exc
        if depth < 0 or max_pages < 0:
            raise JobsError(f"{where} ({name}): depth and max_pages must be >= 0")
        sources.append(
            Source(
                name=name,
                **lists,
                allow_domains=[str(h) for h in merged["allow_domains"]],
                depth=depth,
                max_pages=max_pages,
                related_selector=merged["related_selector"],
                recheck=bool(merged["recheck"]),
                recheck_hours=hours,
            )
        )
    db = data.get("db")
    return (str(db) if db else None), sources
