"""The statements the store runs per page (issue 15, import speed): no DELETE of what is not
there, and the listed-date evidence of the articles a page points at replaced in one DELETE
per page, not one per article."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.store import canonical
from newsarchive.store.archive import Archive
from newsarchive.warc import import_ as warc_import
from newsarchive.warc.sources import Filters
from newsarchive_testing import sitegen

BASE = "https://www.giornale-di-prova.it"


def site_warc(path: Path, pages: int, base: str = BASE) -> int:
    """A WARC of the synthetic site (its articles list related ones with dates)."""
    html = [(p, b) for p, b in sitegen.generate_site(pages).files.items() if p.endswith(".html")]
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for p, body in html:
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                base + p,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": "2024-11-25T10:00:00Z"},
            )
            writer.write_record(record)
    return len(html)


def test_an_import_deletes_no_missing_rows_and_one_listed_batch_per_page(tmp_path):
    pages = site_warc(tmp_path / "site.warc.gz", 60)
    statements: list[str] = []
    with Archive(tmp_path / "archive.db") as archive:
        archive.db.conn.set_trace_callback(statements.append)
        summary = warc_import.import_warcs(
            archive, [str(tmp_path / "site.warc.gz")], filters=Filters(), jobs=0
        )
        archive.db.conn.set_trace_callback(None)
        listed = archive.db.conn.execute(
            "SELECT count(*) FROM date_evidence WHERE source LIKE 'listed:%'"
        ).fetchone()[0]
    deletes = [" ".join(s.split())[:40] for s in statements if s.lstrip().startswith("DELETE")]
    links = sum(d.startswith("DELETE FROM links") for d in deletes)
    evidence = sum(d.startswith("DELETE FROM date_evidence") for d in deletes)
    assert (summary.stored, links) == (pages, 0)
    assert listed > pages  # the synthetic articles list related ones, with dates
    assert evidence <= pages, evidence


def test_the_store_canonicalizes_a_page_url_once(tmp_path, monkeypatch):
    """canonical_claim and trust_canonical both need the page's canonical URL: computed once."""
    calls: list[str] = []
    real = canonical.canonicalize_url

    def counting(url: str, base: str | None = None) -> str | None:
        calls.append(url)
        return real(url, base)

    monkeypatch.setattr(canonical, "canonicalize_url", counting)
    pages = site_warc(tmp_path / "site.warc.gz", 10, base="https://www.canonici.it")
    with Archive(tmp_path / "archive.db") as archive:
        summary = warc_import.import_warcs(
            archive, [str(tmp_path / "site.warc.gz")], filters=Filters(), jobs=0
        )
    assert (summary.stored, len(calls)) == (pages, pages)
