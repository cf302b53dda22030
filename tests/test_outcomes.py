"""outcomes.classify over hand-written walls, listings and articles, and over the fixture site."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import trafilatura
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from trafilatura.utils import load_html

from newsarchive.extract import article as extraction
from newsarchive.extract import outcomes as o
from newsarchive.extract.encoding import decode_body
from newsarchive.extract.links import find_related
from newsarchive.extract.metadata import jsonld_text, read_page_meta
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import PAGE_HEADERS, SITE_DIR

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "outcomes"
BASE = "https://www.quotidiano-di-prova.it"
SITE_BASE = "http://www.corriere-di-prova.it"
ARTICLE_PATH = "/politica/2024/11/21/manovra-voto-finale-camera.html"
CF = {"Content-Type": "text/html; charset=UTF-8", "cf-mitigated": "challenge"}
AWS = {"Content-Type": "text/html", "x-amzn-waf-action": "captcha"}


@cache
def verdict(
    name: str,
    path: str = ARTICLE_PATH,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (),
    base: str = BASE,
    folder: Path = FIXTURES,
) -> o.Verdict:
    """Classify a fixture the way extract_article sees it: parse, drop related blocks, extract."""
    url = base + path
    sent = dict(headers)
    tree = load_html(decode_body((folder / name).read_bytes(), sent).text)
    meta = read_page_meta(tree)
    blocks, _ = find_related(tree, url)
    for block in blocks:
        if block.getparent() is not None:
            block.drop_tree()
    doc = trafilatura.bare_extraction(tree, url=url, **extraction.TRAFILATURA_OPTIONS)
    text = extraction.clean_paragraphs(doc.text) if doc is not None and doc.text else None
    title = jsonld_text((meta.jsonld or {}).get("headline")) or meta.first("og:title")
    return o.classify(
        status=status,
        headers=sent,
        tree=tree,
        jsonld=meta.jsonld,
        jsonld_types=meta.jsonld_types,
        text=text,
        title=title,
        url=url,
    )


# (fixture, path, status, headers, expected outcome)
CASES = {
    "cloudflare-403": ("cloudflare_challenge.html", ARTICLE_PATH, 403, (), o.BOT_CHALLENGE),
    "cloudflare-503": ("cloudflare_challenge.html", ARTICLE_PATH, 503, (), o.BOT_CHALLENGE),
    "cloudflare-header": ("js_shell.html", ARTICLE_PATH, 403, tuple(CF.items()), o.BOT_CHALLENGE),
    "aws-waf-captcha-405": ("aws_waf_captcha.html", ARTICLE_PATH, 405, (), o.BOT_CHALLENGE),
    "aws-waf-challenge-202": ("aws_waf_challenge.html", ARTICLE_PATH, 202, (), o.BOT_CHALLENGE),
    "aws-waf-header": ("js_shell.html", ARTICLE_PATH, 405, tuple(AWS.items()), o.BOT_CHALLENGE),
    "datadome-403": ("datadome.html", ARTICLE_PATH, 403, (), o.BOT_CHALLENGE),
    "perimeterx-403": ("perimeterx.html", ARTICLE_PATH, 403, (), o.BOT_CHALLENGE),
    "access-denied-403": ("access_denied.html", ARTICLE_PATH, 403, (), o.BOT_CHALLENGE),
    "access-denied-200": ("access_denied.html", ARTICLE_PATH, 200, (), o.BOT_CHALLENGE),
    "consent-wall": ("consent_wall.html", ARTICLE_PATH, 200, (), o.CONSENT_WALL),
    "pay-or-accept": ("pay_or_accept.html", ARTICLE_PATH, 200, (), o.CONSENT_WALL),
    "paywall-teaser": ("paywall_teaser.html", ARTICLE_PATH, 200, (), o.PAYWALL),
    "paywall-full-text": ("paywall_full.html", ARTICLE_PATH, 200, (), o.ARTICLE),
    "soft-404": ("soft_404.html", "/esteri/2024/11/10/articolo-rimosso.html", 200, (), o.SOFT_404),
    "hard-404": ("soft_404.html", "/esteri/2024/11/10/articolo-rimosso.html", 404, (), o.ERROR),
    "server-error": ("article_piu_letti.html", ARTICLE_PATH, 500, (), o.ERROR),
    "js-shell": ("js_shell.html", ARTICLE_PATH, 200, (), o.EMPTY),
    "home": ("home.html", "/", 200, (), o.LISTING),
    "section": ("section_esteri.html", "/esteri/", 200, (), o.LISTING),
    "article-piu-letti": ("article_piu_letti.html", ARTICLE_PATH, 200, (), o.ARTICLE),
    "article-piu-letti-no-jsonld-section-like-url": (
        "article_piu_letti_no_ld.html",
        "/cronaca/incendio-capannone-periferia",
        200,
        (),
        o.ARTICLE,
    ),
    "short-brief-banner-captcha": ("short_brief.html", ARTICLE_PATH, 200, (), o.ARTICLE),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_outcome(case):
    name, path, status, headers, expected = CASES[case]
    assert verdict(name, path, status, headers).outcome == expected


def test_consent_host():
    assert verdict("js_shell.html", base="https://consent.quotidiano-di-prova.it").outcome == (
        o.CONSENT_WALL
    )


def test_cloudflare_reason():
    assert verdict("cloudflare_challenge.html", status=403).reason == "cloudflare challenge"


def test_datadome_reason():
    assert verdict("datadome.html", status=403).reason == "datadome captcha"


def test_pay_or_accept_reason():
    assert verdict("pay_or_accept.html").reason == "pay-or-accept cookie wall"


def test_paywall_teaser_reason():
    assert "isAccessibleForFree=false" in verdict("paywall_teaser.html").reason


def test_paywall_full_text_is_flagged():
    assert verdict("paywall_full.html").flags == (o.PAYWALL_FLAG,)


def test_plain_article_has_no_flags():
    assert verdict("article_piu_letti.html").flags == ()


def test_home_reason():
    assert verdict("home.html", "/").reason == "home page with 30 teaser links"


def test_error_reason():
    assert verdict("article_piu_letti.html", status=500).reason == "HTTP 500"


def test_outcomes_are_distinct():
    assert len(set(o.OUTCOMES)) == len(o.OUTCOMES) == 11


SITE_PAGES = sorted(
    "/" + p.relative_to(SITE_DIR).as_posix()
    for p in SITE_DIR.rglob("*.html")
    if "/" + p.relative_to(SITE_DIR).as_posix() != truth.DISALLOWED_PATH
)


def _site_verdict(path: str) -> o.Verdict:
    headers = tuple(PAGE_HEADERS.get(path, {}).items())
    return verdict(path.lstrip("/"), path, 200, headers, SITE_BASE, SITE_DIR)


@pytest.mark.parametrize("path", SITE_PAGES)
def test_fixture_site_page_is_article(path):
    assert _site_verdict(path).outcome == o.ARTICLE


def test_fixture_site_has_pages():
    assert len(SITE_PAGES) >= 10


def test_fixture_site_dossier_is_a_paywall_teaser():
    # The robots-disallowed page is a 2-paragraph "Contenuto riservato agli abbonati" teaser:
    # never crawled, and by the rules a paywall, not an article.
    assert _site_verdict(truth.DISALLOWED_PATH).outcome == o.PAYWALL


HTML_BITS = st.sampled_from(
    [
        "<html><head><title>",
        "</title></head><body>",
        "<div id='root'></div>",
        "<noscript>abilita JavaScript</noscript>",
        "<a href='/esteri/2024/11/21/uno-due-tre-quattro.html'>Una notizia con un titolo lungo</a>",
        "<script>window._cf_chl_opt={}</script>",
        '<script type="application/ld+json">{"isAccessibleForFree": false}</script>',
        "<h1>Pagina non trovata</h1>",
        "<p>Questo sito utilizza cookie. Accetta e continua</p>",
        "<a href='http://[::1'>x</a>",
        "</body></html>",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bits=st.lists(st.one_of(HTML_BITS, st.text(max_size=40)), min_size=1, max_size=12),
    text=st.one_of(st.none(), st.text(max_size=300)),
    status=st.sampled_from([200, 202, 403, 404, 503]),
    url=st.sampled_from([BASE + "/", BASE + ARTICLE_PATH, "http://[::1/x", "", "not a url"]),
)
def test_classify_never_raises(bits, text, status, url):
    tree = load_html("".join(bits) or "<html></html>")
    assume(tree is not None)
    kinds = ["collectionpage"] if status == 202 else []
    found = o.classify(
        status=status,
        headers={"CF-Mitigated": "x"},
        tree=tree,
        jsonld=None,
        jsonld_types=kinds,
        text=text,
        title=text,
        url=url,
    )
    assert found.outcome in o.CLASSIFIED
