"""The article spider's arguments: their defaults, and the forms `-a NAME=VALUE` gives them
(lists as one comma/space separated string, flags as text)."""

from __future__ import annotations

from newsarchive.defaults import DEFAULT_RECHECK_HOURS as RECHECK_HOURS
from newsarchive.urls import canonicalize_url

DEFAULT_DEPTH = 1
SOURCE_KINDS = ("feed", "sitemap", "listing")
DEFAULT_RECHECK_HOURS = ",".join(map(str, RECHECK_HOURS))
RECHECK_BATCH = 500


def split_arg(value: str | list[str] | None) -> list[str]:
    """Seeds and hosts may be given as a list or as one comma/space separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else value.replace(",", " ").split()
    return [v.strip() for v in items if v.strip()]


def canonical_list(value: str | list[str] | None, what: str) -> list[str]:
    """The canonical URLs of a seed argument; ValueError naming the first that is not http(s)."""
    found = []
    for raw in split_arg(value):
        canonical = canonicalize_url(raw)
        if canonical is None:
            raise ValueError(f"not an http(s) {what} URL: {raw!r}")
        found.append(canonical)
    return found


def true_arg(value: bool | str) -> bool:
    """A flag argument: True, or "1", "true", "yes", "on" in any case."""
    return str(value).lower() in ("1", "true", "yes", "on")
