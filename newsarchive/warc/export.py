"""Write the archive as gzip-per-record WARC files (ISO 28500), streaming.

1. a `warcinfo` record opens each file;
2. per stored fetch, in the order they were stored: a `response` record (or a `revisit`
   when the body is stored once for several fetches, or for a 304), a `request` record linked with
   WARC-Concurrent-To, and a `metadata` record (JSON) with what was extracted from it;
   a redirect is written as its own (reconstructed) response record;
3. files rotate at max_size bytes, named in the Common Crawl manner
   (PREFIX-YYYYMMDDHHMMSS-NNNNN.warc.gz).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive import __version__
from newsarchive.store.archive import Archive
from newsarchive.store.warc import (
    ExportPage,
    capture,
    export_page,
    iter_export_pages,
    page_metadata,
)
from newsarchive.warc.records import record_id, response_headers, status_line, warc_date

logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 1_000_000_000
DEFAULT_PREFIX = "NEWSARCHIVE"
WARC_VERSIONS = ("1.0", "1.1")
# sha1 digests of the bodies revisits refer to, most recent first (bounded: constant memory)
DIGEST_CACHE_SIZE = 4096
NOTE_HEADER = "Newsarchive-Note"
# Metadata records name the page under their own URI scheme (as browsertrix's urn:pageinfo:):
# with the page's own URL, replay tools (pywb) index the JSON as a capture of the page and
# may serve it in place of the HTML.
METADATA_URI_PREFIX = "urn:newsarchive:extraction:"
REQUEST_UNKNOWN = (
    "reconstructed: the request headers sent were not recorded for this fetch"
    " (fetched before newsarchive stored them)"
)
REDIRECT_NOTE = (
    "reconstructed redirect: the crawler followed it; only the final response was stored"
)


class ExportError(RuntimeError):
    """The WARC files could not be written."""


@dataclass
class ExportSummary:
    """What an export wrote."""

    files: list[Path] = field(default_factory=list)
    records: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    unreadable: list[int] = field(default_factory=list)  # page ids whose body was unreadable


def payload_digest(body: bytes) -> str:
    """'sha1:BASE32' of a payload, as WARC-Payload-Digest writes it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class _Rotating:
    """WARCWriters over numbered files in a directory, each started with a warcinfo record."""

    def __init__(self, directory: Path, prefix: str, version: str, max_size: int) -> None:
        self.directory = directory
        self.prefix = prefix
        self.version = version
        self.max_size = max_size
        self.serial = 0
        self.handle: IO[bytes] | None = None
        self.writer: WARCWriter | None = None
        self.summary = ExportSummary()

    def _open(self, first_date: str) -> WARCWriter:
        stamp = first_date.replace("-", "").replace("T", "").replace(":", "")[:14]
        name = f"{self.prefix}-{stamp}-{self.serial:05d}.warc.gz"
        self.serial += 1
        path = self.directory / name
        try:
            self.handle = path.open("xb")
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc}") from exc
        self.summary.files.append(path)
        return self._start(
            WARCWriter(self.handle, gzip=True, warc_version=self.version),
            name,
            "newsarchive export: stored fetches with request, metadata records",
        )

    def _start(self, writer: WARCWriter, name: str, description: str) -> WARCWriter:
        """Open a file's records with its warcinfo record; writer becomes the current one."""
        info = {
            "software": f"newsarchive {__version__} (warcio)",
            "format": f"WARC File Format {self.version}",
            "conformsTo": "https://iso.org/standard/68004.html",
            "description": description,
        }
        writer.write_record(writer.create_warcinfo_record(name, info))
        self.summary.records["warcinfo"] += 1
        self.writer = writer
        return writer

    def writer_for(self, first_date: str) -> WARCWriter:
        """The current writer, or a new file's when the current one reached max_size."""
        if self.handle is not None and self.handle.tell() >= self.max_size:
            self.close()
        if self.writer is None:
            return self._open(first_date)
        return self.writer

    def write(self, record: Any) -> None:
        """Write one record to the current file."""
        if self.writer is None:
            raise ExportError("no WARC file open")
        self.writer.write_record(record)
        self.summary.records[record.rec_type] += 1

    def close(self) -> None:
        """Close the current file."""
        if self.handle is not None:
            self.handle.close()
        self.handle = None
        self.writer = None


class _Stream(_Rotating):
    """One WARC written to an open binary stream (no rotation): a download of one capture."""

    def __init__(self, handle: IO[bytes], name: str, version: str) -> None:
        super().__init__(Path("."), DEFAULT_PREFIX, version, max_size=1 << 62)
        self.stream = handle
        self.name = name

    def _open(self, first_date: str) -> WARCWriter:
        return self._start(
            WARCWriter(self.stream, gzip=True, warc_version=self.version),
            self.name,
            "newsarchive export of one capture: response, request, metadata",
        )

    def close(self) -> None:
        """Nothing to close: the caller owns the stream."""
        self.writer = None


class Exporter:
    """Turn stored pages into WARC records."""

    def __init__(self, archive: Archive, out: _Rotating) -> None:
        self.archive = archive
        self.out = out
        self.version = out.version
        self.digests: OrderedDict[int, tuple[str, str, str, str]] = OrderedDict()

    def _date(self, iso: str) -> str:
        return warc_date(iso, version=self.version)

    def _response_id(self, page_id: int, fetched_at: str, url: str, stored: str | None) -> str:
        return stored or record_id(page_id, fetched_at, url, "response")

    def original(self, page_id: int) -> tuple[str, str, str, str] | None:
        """(payload digest, target URI, WARC-Date, record id) of the capture a revisit names."""
        if page_id in self.digests:
            self.digests.move_to_end(page_id)
            return self.digests[page_id]
        held = capture(self.archive, page_id)
        if held is None:
            return None
        value = (
            payload_digest(held.body),
            held.final_url,
            self._date(held.fetched_at),
            self._response_id(held.id, held.fetched_at, held.final_url, held.warc_record_id),
        )
        self._remember(page_id, value)
        return value

    def _remember(self, page_id: int, value: tuple[str, str, str, str]) -> None:
        self.digests[page_id] = value
        if len(self.digests) > DIGEST_CACHE_SIZE:
            self.digests.popitem(last=False)

    def write_page(self, page: ExportPage) -> None:
        """All the records of one stored fetch."""
        writer = self.out.writer_for(self._date(page.fetched_at))
        date = self._date(page.fetched_at)
        if page.url != page.final_url:
            self._write_redirect(writer, page, date)
        rid = self._response_id(page.id, page.fetched_at, page.final_url, page.warc_record_id)
        http = StatusAndHeaders(
            status_line(page.status),
            response_headers(page.headers, 0),
            protocol="HTTP/1.1",
        )
        warc_headers = {"WARC-Record-ID": rid, "WARC-Date": date}
        original = self.original(page.body_page_id) if page.body_page_id is not None else None
        if page.body is None and original is not None:
            digest, refers_uri, refers_date, refers_id = original
            if page.status != 304:
                # the stored headers were those of a full body: say its true length
                http = StatusAndHeaders(
                    status_line(page.status),
                    response_headers(page.headers, self._body_size(page)),
                    protocol="HTTP/1.1",
                )
            record = writer.create_revisit_record(
                page.final_url,
                digest,
                refers_uri,
                refers_date,
                http_headers=http,
                warc_headers_dict={**warc_headers, "WARC-Refers-To": refers_id},
            )
        else:
            body = page.body or b""
            http = StatusAndHeaders(
                status_line(page.status),
                response_headers(page.headers, len(body)),
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                page.final_url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict=warc_headers,
            )
            self._remember(page.id, (payload_digest(body), page.final_url, date, rid))
        self.out.write(record)
        self._write_request(writer, page, page.final_url, date, rid, "request")
        self._write_metadata(writer, page, date, rid)
        self.out.summary.pages += 1

    def _body_size(self, page: ExportPage) -> int:
        original = capture(self.archive, page.body_page_id) if page.body_page_id else None
        return len(original.body) if original is not None else 0

    def _write_redirect(self, writer: WARCWriter, page: ExportPage, date: str) -> None:
        rid = record_id(page.id, page.fetched_at, page.url, "redirect")
        http = StatusAndHeaders(
            "302 Found",
            [("Location", page.final_url), ("Content-Length", "0")],
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            page.url,
            "response",
            payload=BytesIO(b""),
            length=0,
            http_headers=http,
            warc_headers_dict={
                "WARC-Record-ID": rid,
                "WARC-Date": date,
                NOTE_HEADER: REDIRECT_NOTE,
            },
        )
        self.out.write(record)
        self._write_request(writer, page, page.url, date, rid, "redirect-request")

    def _write_request(
        self, writer: WARCWriter, page: ExportPage, uri: str, date: str, concurrent: str, kind: str
    ) -> None:
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        warc_headers = {
            "WARC-Record-ID": record_id(page.id, page.fetched_at, uri, kind),
            "WARC-Date": date,
            "WARC-Concurrent-To": concurrent,
        }
        sent = page.request_headers if uri == page.final_url else None
        if sent is None:
            headers = [("Host", parts.netloc)]
            warc_headers[NOTE_HEADER] = REQUEST_UNKNOWN
        else:
            headers = list(sent.items())
            if not any(k.lower() == "host" for k, _ in headers):
                headers.insert(0, ("Host", parts.netloc))
        http = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
        record = writer.create_warc_record(
            uri, "request", http_headers=http, warc_headers_dict=warc_headers
        )
        self.out.write(record)

    def _write_metadata(self, writer: WARCWriter, page: ExportPage, date: str, rid: str) -> None:
        if page.outcome is None:
            return
        data: dict[str, Any] = {
            "outcome": page.outcome,
            "error": page.error,
            "encoding": page.encoding,
        }
        extracted = page_metadata(self.archive, page.id)
        if extracted is not None:
            data.update(extracted)
        data["url"] = page.final_url
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        record = writer.create_warc_record(
            METADATA_URI_PREFIX + page.final_url,
            "metadata",
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict={
                "WARC-Record-ID": record_id(page.id, page.fetched_at, page.final_url, "metadata"),
                "WARC-Date": date,
                "WARC-Refers-To": rid,
                "WARC-Concurrent-To": rid,
            },
        )
        self.out.write(record)


def export_warc(
    archive: Archive,
    directory: Path,
    *,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
    version: str = "1.0",
    max_size: int = DEFAULT_MAX_SIZE,
    prefix: str = DEFAULT_PREFIX,
) -> ExportSummary:
    """Write the selected stored fetches as WARC files in directory; return what was written."""
    if version not in WARC_VERSIONS:
        raise ValueError(f"WARC version must be one of {', '.join(WARC_VERSIONS)}: {version!r}")
    if max_size <= 0:
        raise ValueError(f"max size must be positive: {max_size}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {directory}: {exc}") from exc
    out = _Rotating(directory, prefix, version, max_size)
    exporter = Exporter(archive, out)
    try:
        pages = iter_export_pages(
            archive, since=since, until=until, site=site, unreadable=out.summary.unreadable
        )
        for page in pages:
            exporter.write_page(page)
    finally:
        out.close()
    return out.summary


def export_capture(
    archive: Archive, page_id: int, handle: IO[bytes], *, version: str = "1.0"
) -> bool:
    """One stored fetch as a self-contained gzipped WARC written to handle (warcinfo, response,
    request, metadata); a body stored once for several fetches is written in full, not as a
    revisit of a record the file does not hold. False when there is no such page."""
    page = export_page(archive, page_id)
    if page is None:
        return False
    if page.body is None and page.body_page_id is not None and page.status != 304:
        held = capture(archive, page.body_page_id)
        if held is not None:
            page = replace(page, body=held.body, body_page_id=None)
    out = _Stream(handle, f"newsarchive-page-{page_id}.warc.gz", version)
    Exporter(archive, out).write_page(page)
    return True
