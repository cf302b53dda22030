"""extract_article over the fixture pages, field by field, against the hand-written truth."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive.extract.article import ARTICLE, EMPTY, NOT_HTML, Extraction, extract_article
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR

BASE = "http://www.corriere-di-prova.it"
FETCHED_AT = datetime(2024, 12, 6, 9, 0, tzinfo=timezone.utc)
PATHS = [a["path"] for a in truth.ARTICLE_LIST]
HEADERS = {
    truth.CP1252_PATH: {"Content-Type": "text/html; charset=windows-1252"},
}


@cache
def extracted(path: str) -> Extraction:
    body = (SITE_DIR / path.lstrip("/")).read_bytes()
    return extract_article(
        body, url=BASE + path, fetched_at=FETCHED_AT, headers=HEADERS.get(path, {})
    )


@pytest.mark.parametrize("path", PATHS)
def test_outcome_is_article(path):
    assert extracted(path).outcome == ARTICLE


@pytest.mark.parametrize("path", PATHS)
def test_title(path):
    assert extracted(path).article.title == truth.ARTICLES[path]["title"]


@pytest.mark.parametrize("path", PATHS)
def test_authors(path):
    assert list(extracted(path).article.authors) == truth.ARTICLES[path]["authors"]


@pytest.mark.parametrize("path", PATHS)
def test_date_published(path):
    assert extracted(path).article.date_published == truth.ARTICLES[path]["date_published"]


@pytest.mark.parametrize("path", PATHS)
def test_date_modified(path):
    assert extracted(path).article.date_modified == truth.ARTICLES[path]["date_modified"]


@pytest.mark.parametrize("path", PATHS)
def test_language(path):
    assert extracted(path).article.language == truth.ARTICLES[path]["language"]


@pytest.mark.parametrize("path", PATHS)
def test_text_snippets_present(path):
    text = extracted(path).article.text
    assert [s for s in truth.ARTICLES[path]["text_snippets"] if s not in text] == []


@pytest.mark.parametrize("path", PATHS)
def test_chrome_absent_from_text(path):
    text = extracted(path).article.text
    assert [s for s in truth.ARTICLES[path]["not_in_text"] if s in text] == []


@pytest.mark.parametrize("path", PATHS)
def test_header_clock_never_a_date(path):
    values = [e.value for e in extracted(path).evidence]
    assert [v for v in values if v.startswith("2026-11-26")] == []


@pytest.mark.parametrize("path", PATHS)
def test_related_links(path):
    got = [(x.anchor_text, x.listed_date_raw) for x in extracted(path).links]
    want = [(r["anchor_text"], r["listed_date_raw"]) for r in truth.ARTICLES[path]["related"]]
    assert got == want


@pytest.mark.parametrize("path", PATHS)
def test_related_listed_dates(path):
    got = [x.listed_date for x in extracted(path).links]
    want = [
        "2024-12-05T18:30:00+01:00" if r["listed_date"] == truth.RELATIVE else r["listed_date"]
        for r in truth.ARTICLES[path]["related"]
    ]
    assert got == want


def test_canonical_url_drops_nothing_it_should_keep():
    assert extracted(truth.REDIRECT_TO).url == BASE + truth.REDIRECT_TO


def test_encoding_decision_recorded_for_cp1252():
    ex = extracted(truth.CP1252_PATH)
    assert (ex.encoding, ex.encoding_reason) == ("cp1252", "http-header")


def test_extraction_is_deterministic():
    path = truth.SEED_PATH
    body = (SITE_DIR / path.lstrip("/")).read_bytes()
    again = extract_article(body, url=BASE + path, fetched_at=FETCHED_AT)
    assert again == extracted(path)


def test_clock_does_not_matter():
    import time_machine

    path = "/esteri/2024/11/17/guerra-giorno-mille.html"
    body = (SITE_DIR / path.lstrip("/")).read_bytes()
    with time_machine.travel(datetime(2031, 5, 1, tzinfo=timezone.utc), tick=False):
        later = extract_article(body, url=BASE + path, fetched_at=FETCHED_AT)
    assert later == extracted(path)


def test_not_html_is_reported():
    ex = extract_article(
        b"%PDF-1.7 binary",
        url=BASE + "/a.pdf",
        fetched_at=FETCHED_AT,
        headers={"Content-Type": "application/pdf"},
    )
    assert ex.outcome == NOT_HTML


def test_empty_shell_is_not_an_article():
    html = b"<html><head><title>App</title></head><body><div id='root'></div></body></html>"
    ex = extract_article(html, url=BASE + "/app", fetched_at=FETCHED_AT)
    assert (ex.outcome, ex.article) == (EMPTY, None)


def test_naive_fetched_at_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        extract_article(b"<html></html>", url=BASE, fetched_at=datetime(2024, 1, 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000) | st.text(max_size=3000).map(lambda t: f"<html><body><p>{t}</p>"))
def test_extraction_never_raises(body):
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    ex = extract_article(body, url=BASE + "/x.html", fetched_at=FETCHED_AT)
    assert ex.outcome in {ARTICLE, EMPTY, NOT_HTML}


WHITESPACE_AND_CONTROLS = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000\x00ab"


@given(st.text(alphabet=st.sampled_from(WHITESPACE_AND_CONTROLS), max_size=30))
def test_clean_text_collapses_like_the_whitespace_regex(value: str) -> None:
    import re

    from newsarchive.extract.metadata import CONTROL_CHARS_RE, clean_text

    assert clean_text(value) == re.sub(r"\s+", " ", CONTROL_CHARS_RE.sub("", value)).strip()
