"""What every part of the archive shares: its errors, the bounded retry on a locked database
and small SQL helpers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

LOCK_RETRIES = 5
# URLs per "IN (...)" query: well under SQLite's limit on bound parameters
SQL_CHUNK = 500


class StorageError(RuntimeError):
    """The archive could not be opened or written."""


class NotAnArchiveError(StorageError):
    """The file is not a newsarchive archive (another application's SQLite file, or not SQLite)."""


class SchemaTooNewError(StorageError):
    """The archive was written by a newer newsarchive: it has migrations this code does not know."""


class SearchQueryError(ValueError):
    """A full-text query with nothing to search for, or that FTS5 cannot parse."""


class BodyError(ValueError):
    """A stored body cannot be read back (unknown compression, or corrupt bytes)."""


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


retry_locked = retry(
    retry=retry_if_exception(_is_locked),
    stop=stop_after_attempt(LOCK_RETRIES),
    wait=wait_exponential(multiplier=0.2, max=5),
    reraise=True,
)


def site_filter(column: str, site: str) -> tuple[str, dict[str, str]]:
    """SQL matching URLs of a host, www. or not, on any port ("127.0.0.1" finds
    "127.0.0.1:8765"); HOST:PORT matches that port only."""
    bare = site.lower().removeprefix("www.")
    hosts = [f"%://{h}{end}" for h in (bare, f"www.{bare}") for end in ("/%", ":%")]
    if ":" in bare:
        hosts = [h for h in hosts if h.endswith("/%")]
    sql = " OR ".join(f"{column} LIKE :site{i}" for i in range(len(hosts)))
    return f"({sql})", {f"site{i}": h for i, h in enumerate(hosts)}


def to_json(value: Any) -> str:
    """A value as the archive's JSON columns hold it (UTF-8 kept, key order kept)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=False)
