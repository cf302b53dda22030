"""WARC record helpers shared by export and import: dates, ids, HTTP headers.  Pure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from http import HTTPStatus

# WARC-Record-IDs of exported records are derived from the page, so that exporting the same
# archive twice gives the same ids (and a revisit can name its original without a lookup).
ID_NAMESPACE = uuid.UUID("8c1f8b5e-6c55-4c1c-9d7e-2f5b6a1d0e15")
# Headers that describe a transfer encoding of the body: a decoded body is written with them
# renamed (the convention of web-archive crawlers), and a true Content-Length.
ENCODING_HEADERS = ("content-encoding", "transfer-encoding")
RENAMED_PREFIX = "X-Crawler-"


def record_id(page_id: int, fetched_at: str, url: str, kind: str) -> str:
    """A deterministic <urn:uuid:...> for the record of one kind written for a stored page."""
    return f"<urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{page_id}|{fetched_at}|{url}|{kind}')}>"


def warc_date(iso: str, *, version: str = "1.0") -> str:
    """WARC-Date of an ISO 8601 time: UTC, seconds (WARC 1.0) or microseconds (1.1)."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if version == "1.1" and moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetched_at_of(warc_date_value: str) -> str:
    """The pages.fetched_at (UTC ISO 8601, milliseconds) of a WARC-Date."""
    moment = datetime.fromisoformat(warc_date_value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def status_line(status: int) -> str:
    """'200 OK': the status and reason of an HTTP response line."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"{status} {reason}"


def response_headers(headers: Mapping[str, str], body_length: int) -> list[tuple[str, str]]:
    """Stored response headers for a record of a decoded body: encodings renamed
    X-Crawler-*, Content-Length true (the value received kept as X-Crawler-Content-Length)."""
    out: list[tuple[str, str]] = []
    for name, value in headers.items():
        lower = name.lower()
        if lower in ENCODING_HEADERS:
            out.append((RENAMED_PREFIX + name, value))
        elif lower == "content-length":
            if value.strip() != str(body_length):
                out.append((RENAMED_PREFIX + name, value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(body_length)))
    return out


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header (case-insensitive), or None."""
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return None
