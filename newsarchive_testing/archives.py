"""Archives built for tests and benches: raw pages stored through the real store, unextracted."""

from __future__ import annotations

from pathlib import Path

from newsarchive.model import RawPage
from newsarchive.store.archive import Archive
from newsarchive_testing import sitegen

BASE = "http://127.0.0.1:8000"
FETCHED_AT = "2024-11-25T10:00:00.000+00:00"


def build(path: Path, pages: int) -> list[tuple[str, bytes]]:
    """An archive with `pages` raw pages (no derived rows), and the pages themselves."""
    site = sitegen.generate_site(pages)
    files = [(p, body) for p, body in site.files.items() if p.endswith(".html")]
    with Archive(path) as archive:
        for p, body in files:
            page = RawPage(
                url=BASE + p,
                final_url=BASE + p,
                status=200,
                fetched_at=FETCHED_AT,
                headers={"Content-Type": "text/html; charset=utf-8"},
                body=body,
            )
            archive.pages.record_fetch(
                page, None, outcome="article", error=None, crawl_id=None, extracted_at=FETCHED_AT
            )
    return files
