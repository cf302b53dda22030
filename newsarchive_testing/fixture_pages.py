"""The fixture site's pages as raw pages, stored through the real extraction and store."""

from __future__ import annotations

from datetime import datetime

from newsarchive.extract.article import extract_article
from newsarchive.model import RawPage
from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR

BASE = "http://www.corriere-di-prova.it"
FETCHED_AT = "2024-12-06T09:00:00.000+00:00"


def raw_page(
    path: str = truth.SEED_PATH, body: bytes | None = None, fetched_at: str = FETCHED_AT
) -> RawPage:
    """A fixture-site page as fetched (the seed article unless told), or body as that page."""
    body = body if body is not None else (SITE_DIR / path.lstrip("/")).read_bytes()
    return RawPage(
        url=BASE + path,
        final_url=BASE + path,
        status=200,
        fetched_at=fetched_at,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=body,
    )


def store(archive: Archive, page: RawPage) -> int:
    """Extract a raw page and store it with its extraction, as a crawl would; its page id."""
    ex = extract_article(
        page.body, url=page.final_url, fetched_at=datetime.fromisoformat(page.fetched_at)
    )
    return archive.pages.record_fetch(
        page,
        ex,
        outcome=ex.outcome,
        error=None,
        crawl_id=None,
        extracted_at="2024-12-06T09:00:01.000+00:00",
    )
