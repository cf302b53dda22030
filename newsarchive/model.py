"""The one page type: a raw fetched page exactly as received, whether a spider just fetched it,
the archive reads it back (then it has its pages.id) or a WARC record held it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class WarcSource:
    """Where an imported page was read: WARC file (path or URL), record offset, length, id."""

    file: str
    offset: int
    length: int
    record_id: str


@dataclass
class RawPage:
    """A fetched response (final response after redirects), before any extraction."""

    url: str
    final_url: str
    status: int
    fetched_at: str
    headers: dict[str, str]
    body: bytes
    depth: int = 0
    via_url: str | None = None
    related_selector: str | None = None
    # the time zone of dates shown without an offset (None: the default, or unknown)
    tz: str | None = None
    redirect_urls: list[str] = field(default_factory=list)
    kind: str = "article"  # article, feed, sitemap or listing
    # the headers sent (None when unknown); where a page imported from a WARC came from
    request_headers: dict[str, str] | None = None
    warc: WarcSource | None = None
    # pages.id once stored (a page read back from the archive)
    id: int | None = None

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, if any."""
        for key, value in self.headers.items():
            if key.lower() == "content-type":
                return value
        return None


def utc_now() -> str:
    """The current UTC time as ISO 8601 with milliseconds (how every time is stored)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
