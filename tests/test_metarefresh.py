"""newsarchive's MetaRefreshMiddleware redirects exactly where Scrapy's does (issue 17, crawl
speed: it skips decoding the bodies whose first bytes cannot hold a refresh)."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from newsarchive.crawl.metarefresh import MetaRefreshMiddleware, may_refresh
from newsarchive_testing.fixture_site import SITE_DIR

URL = "http://giornale.example/notizie/1.html"
CRAWLER = get_crawler()
REFRESH = '<meta http-equiv="{word}" content="0; url=/altrove.html">'


def outcome(middleware: ScrapyMetaRefresh, body: bytes, headers: dict[str, str]) -> str:
    """Where the middleware sends the page: the redirect's URL, or "kept"."""
    response = HtmlResponse(URL, body=body, headers=headers, request=Request(URL))
    result = middleware.process_response(Request(URL), response)
    if isinstance(result, Request):
        return result.url
    assert isinstance(result, Response)
    return "kept"


def both(body: bytes, headers: dict[str, str] | None = None) -> tuple[str, str]:
    headers = headers or {}
    ours = outcome(MetaRefreshMiddleware.from_crawler(CRAWLER), body, headers)
    scrapys = outcome(ScrapyMetaRefresh.from_crawler(CRAWLER), body, headers)
    return ours, scrapys


def page(before: str, word: str = "refresh", after: str = "") -> str:
    return f"<html><head><title>{before}</title>{REFRESH.format(word=word)}{after}</head></html>"


@pytest.mark.parametrize(
    ("text", "encoding", "redirects"),
    [
        (page("Notizie"), "utf-8", True),
        (page("Notizie", word="REFRESH"), "utf-8", True),
        (page("è" * 3500), "utf-8", True),  # 7,000 bytes, 3,500 characters before the tag
        (page("è" * 3500), "latin-1", True),
        (page("a" * 5000), "utf-8", False),  # the tag after the 4,096 scanned characters
        (page("è" * 5000), "utf-8", False),
        (page("Notizie"), "utf-16", True),  # ASCII written with NUL bytes
        (page("新闻" * 1000), "gb18030", True),
        ("<html><body><p>Nessun rinvio.</p></body></html>", "utf-8", False),
    ],
)
def test_same_redirects_as_scrapy(text, encoding, redirects):
    headers = {"Content-Type": f"text/html; charset={encoding}"}
    ours, scrapys = both(text.encode(encoding), headers)
    assert ours == scrapys
    assert (scrapys != "kept") == redirects


def test_pages_without_a_refresh_are_not_decoded():
    bodies = [p.read_bytes() for p in sorted(SITE_DIR.rglob("*.html"))]
    assert bodies
    assert [may_refresh(b) for b in bodies] == [False] * len(bodies)
    assert may_refresh(page("x").encode()) and may_refresh(page("x").encode("utf-16"))


ENCODINGS = ["utf-8", "latin-1", "cp1252", "utf-16", "utf-16-le", "gb18030", "shift_jis"]


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.text(min_size=0, max_size=6000),
    word=st.sampled_from(["refresh", "Refresh", "REFRESH", "refreshing", "content-type"]),
    encoding=st.sampled_from(ENCODINGS),
    declared=st.booleans(),
)
def test_same_redirects_as_scrapy_on_any_page(prefix, word, encoding, declared):
    body = codecs.encode(page(prefix, word=word), encoding, errors="replace")
    headers = {"Content-Type": f"text/html; charset={encoding}"} if declared else {}
    ours, scrapys = both(body, headers)
    assert ours == scrapys
