"""WARC sources: opening a path or URL as a stream, finding the next record after a bad one,
reading a paths listing, and the record filters (host, HTML, language).  No SQL."""

from __future__ import annotations

import gzip
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Bytes the language check reads: <html lang>, og:locale and Content-Language live there.
LANG_PEEK = 8192
LANG_RE = re.compile(
    rb"""<html[^>]*?\slang\s*=\s*["']?([a-zA-Z]{2,3})|og:locale["'][^>]*?content\s*=\s*["']"""
    rb"""([a-zA-Z]{2})|content\s*=\s*["']([a-zA-Z]{2})_[A-Za-z]{2}["'][^>]*og:locale""",
    re.IGNORECASE,
)
GZIP_MAGIC = b"\x1f\x8b"
HTTP_TIMEOUT = 60
USER_AGENT = "newsarchive import-warc"


class WarcSourceError(RuntimeError):
    """A WARC source could not be opened or read."""


@dataclass(frozen=True)
class Filters:
    """Which records to keep: hosts (exact, www. ignored), host suffixes, language."""

    sites: tuple[str, ...] = ()
    host_suffixes: tuple[str, ...] = ()
    lang: str | None = None

    def host_ok(self, url: str) -> bool:
        """The record-header filter: the target's host."""
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        if self.sites and host not in {s.lower().removeprefix("www.") for s in self.sites}:
            return False
        suffixes = [s.lower().lstrip(".") for s in self.host_suffixes]
        return not suffixes or any(host == s or host.endswith("." + s) for s in suffixes)

    def lang_ok(self, body: bytes, headers: dict[str, str]) -> bool:
        """The cheap language check: a declared language that differs rejects the page;
        a page that declares none is kept (extraction tells its language)."""
        if not self.lang:
            return True
        declared = [v for k, v in headers.items() if k.lower() == "content-language"]
        match = LANG_RE.search(body[:LANG_PEEK])
        if match:
            declared.append(next(g for g in match.groups() if g).decode("ascii"))
        if not declared:
            return True
        return any(d.strip().lower().startswith(self.lang.lower()) for d in declared)


def is_html_record(headers: dict[str, str], body_start: bytes) -> bool:
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if ctype:
        return ctype.split(";")[0].strip().lower() in HTML_TYPES
    head = body_start[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def headers_dict(http_headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in http_headers.headers:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def open_source(source: str, offset: int = 0) -> tuple[IO[bytes], int]:
    """A binary stream of a WARC path or http(s) URL, and the offset it starts at."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT})
        try:
            return urllib.request.urlopen(request, timeout=HTTP_TIMEOUT), 0  # noqa: S310
        except OSError as exc:
            raise WarcSourceError(f"cannot fetch {source}: {exc}") from exc
    try:
        handle = Path(source).open("rb")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise WarcSourceError(f"cannot open {source}: {exc}") from exc
    if offset > 0:
        handle.seek(offset)
        start = handle.read(5)
        # only a record boundary is a place to start: a gzip member or a WARC header
        if start[:2] == GZIP_MAGIC or start == b"WARC/":
            handle.seek(offset)
            return handle, offset
        handle.seek(0)
    return handle, 0


def resync(source: str, after: int) -> tuple[IO[bytes], int] | None:
    """A local file reopened at the next record boundary after a bad record, or None."""
    if source.startswith(("http://", "https://")):
        return None
    handle = Path(source).open("rb")  # noqa: SIM115 - returned to the caller
    handle.seek(after + 1)
    position = after + 1
    tail = b""
    while chunk := handle.read(1 << 16):
        data = tail + chunk
        for marker in (GZIP_MAGIC + b"\x08", b"WARC/1."):
            at = data.find(marker)
            if at >= 0:
                found = position - len(tail) + at
                handle.seek(found)
                return handle, found
        tail = data[-8:]
        position += len(chunk)
    handle.close()
    return None


def iter_lines(source: str) -> Iterator[str]:
    """The lines of a (possibly gzipped) text file at a path or http(s) URL."""
    handle, _ = open_source(source)
    with handle:
        data = handle.read()
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            yield line.strip()
