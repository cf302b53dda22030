"""Tests for newsarchive.extract.discovery: feeds, sitemaps, autodiscovery, listings, bad XML."""

from __future__ import annotations

import contextlib
import gzip
import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from newsarchive.dates.normalize import parse_iso
from newsarchive.extract.discovery import (
    MAX_XML_BYTES,
    XML_PARSER,
    Discovered,
    SitemapResult,
    UnsafeXMLError,
    find_feeds,
    find_listing_articles,
    gunzip_bounded,
    parse_feed,
    parse_sitemap,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
SITE = "https://www.gazzetta-esempio.it"
HOME_URL = f"{SITE}/"
SECTION_URL = f"{SITE}/cronaca/"
RSS_URL = f"{SITE}/rss/ultimora.xml"
ATOM_URL = "https://www.quotidiano-esempio.it/feed/atom"
RDF_URL = "https://www.agenzia-esempio.it/rss/"
INDEX_URL = f"{SITE}/sitemap_index.xml"
NEWS_URL = f"{SITE}/sitemap-news.xml"
GZ_URL = f"{SITE}/sitemap/2024-11.xml.gz"
HOSTILE_URL = "https://evil.example/feed.xml"
MB = 1024 * 1024


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def feed(name: str, url: str) -> list[Discovered]:
    return parse_feed(fixture(name), source_url=url)


def by_url(items: list[Discovered]) -> dict[str, Discovered]:
    return {item.url: item for item in items}


# RSS 2.0

RSS_URLS = [
    f"{SITE}/cronaca/2024/11/20/maltempo-liguria-allerta-rossa-scuole-chiuse",
    f"{SITE}/politica/2024/11/19/manovra-governo-fiducia-tempi-stretti",
    f"{SITE}/sport/2024/11/19/serie-a-inter-napoli",
    f"{SITE}/economia/2024/11/19/borsa-piazza-affari-rialzo",
    f"{SITE}/cultura/2024/11/18/nuovo-museo-apre-le-porte",
]


@pytest.fixture(scope="module")
def rss() -> list[Discovered]:
    return feed("rss2.xml", RSS_URL)


def test_rss_urls_are_canonical_in_feed_order(rss: list[Discovered]) -> None:
    assert [d.url for d in rss] == RSS_URLS


def test_rss_utm_params_removed(rss: list[Discovered]) -> None:
    assert "utm_" not in rss[0].url


def test_rss_cdata_title(rss: list[Discovered]) -> None:
    assert rss[0].listed_title == "Maltempo in Liguria, allerta rossa: scuole chiuse a Genova"


def test_rss_cdata_title_keeps_guillemets(rss: list[Discovered]) -> None:
    assert rss[1].listed_title == "Manovra, il governo pone la fiducia: «Tempi stretti»"


def test_rss_double_escaped_title_unescaped(rss: list[Discovered]) -> None:
    assert rss[2].listed_title == "Serie A, l'Inter batte il Napoli & vola in testa"


def test_rss_pubdate_kept_raw(rss: list[Discovered]) -> None:
    assert rss[0].listed_date_raw == "Wed, 20 Nov 2024 03:15:00 +0100"


def test_rss_pubdate_parses(rss: list[Discovered]) -> None:
    parsed = parse_iso(rss[0].listed_date_raw or "")
    assert parsed is not None and parsed.isoformat() == "2024-11-20T03:15:00+01:00"


def test_rss_dc_date_when_no_pubdate(rss: list[Discovered]) -> None:
    assert rss[2].listed_date_raw == "2024-11-19T21:45:00+01:00"


def test_rss_permalink_guid_used_without_link(rss: list[Discovered]) -> None:
    assert rss[3].url == f"{SITE}/economia/2024/11/19/borsa-piazza-affari-rialzo"


def test_rss_feedburner_origlink_preferred(rss: list[Discovered]) -> None:
    assert rss[4].url == f"{SITE}/cultura/2024/11/18/nuovo-museo-apre-le-porte"


def test_rss_duplicate_keeps_first(rss: list[Discovered]) -> None:
    assert rss[0].listed_date_raw == "Wed, 20 Nov 2024 03:15:00 +0100"


def test_rss_positions(rss: list[Discovered]) -> None:
    assert [d.position for d in rss] == [1, 2, 3, 4, 5]


def test_rss_via_and_source(rss: list[Discovered]) -> None:
    assert {(d.via, d.source_url) for d in rss} == {("feed", RSS_URL)}


def test_rss_no_keywords(rss: list[Discovered]) -> None:
    assert rss[0].keywords == ()


# Atom


@pytest.fixture(scope="module")
def atom() -> list[Discovered]:
    return feed("atom.xml", ATOM_URL)


def test_atom_alternate_links(atom: list[Discovered]) -> None:
    assert [d.url for d in atom] == [
        "https://www.quotidiano-esempio.it/2024/11/20/parla-il-sindaco-di-bologna/",
        "https://www.quotidiano-esempio.it/2024/11/19/treni-sciopero-24-ore-venerdi/",
        "https://www.quotidiano-esempio.it/cultura/2024/11/18/mostra-caravaggio-roma/",
    ]


def test_atom_html_title_stripped(atom: list[Discovered]) -> None:
    assert atom[0].listed_title == "Esclusivo: parla il sindaco di Bologna"


def test_atom_xhtml_title(atom: list[Discovered]) -> None:
    assert atom[2].listed_title == "Mostra di Caravaggio a Roma"


def test_atom_published_before_updated(atom: list[Discovered]) -> None:
    assert atom[0].listed_date_raw == "2024-11-20T09:30:00+01:00"


def test_atom_updated_when_not_published(atom: list[Discovered]) -> None:
    assert atom[1].listed_date_raw == "2024-11-19T17:10:00+01:00"


# RSS 1.0 / RDF


@pytest.fixture(scope="module")
def rdf() -> list[Discovered]:
    return feed("rss1.rdf", RDF_URL)


def test_rdf_urls_from_link_or_about(rdf: list[Discovered]) -> None:
    assert [d.url for d in rdf] == [
        "https://www.agenzia-esempio.it/notizie/20241120-terremoto-avvertito-nelle-marche.html",
        "https://www.agenzia-esempio.it/notizie/20241119-prezzi-benzina-in-calo.html",
    ]


def test_rdf_latin1_title(rdf: list[Discovered]) -> None:
    assert rdf[1].listed_title == "Prezzi della benzina in calo: la media è di 1,75 euro"


def test_rdf_dc_date(rdf: list[Discovered]) -> None:
    assert rdf[0].listed_date_raw == "2024-11-20T06:12:00+01:00"


# Feeds: other shapes


def test_gzipped_feed() -> None:
    assert [d.url for d in parse_feed(gzip.compress(fixture("rss2.xml")), source_url=RSS_URL)] == (
        RSS_URLS
    )


def test_items_after_a_bare_ampersand_recovered() -> None:
    body = b"<rss><channel><item><title>A & B</title><link>https://a.it/2024/11/20/x</link>"
    body += b"</item><item><link>https://a.it/2024/11/20/y</link></item></channel></rss>"
    assert len(parse_feed(body, source_url=HOSTILE_URL)) == 2


def test_truncated_feed_drops_the_cut_item() -> None:
    body = fixture("rss2.xml")
    body = body[: body.index(b"manovra-governo")]
    assert [d.url for d in parse_feed(body, source_url=RSS_URL)] == RSS_URLS[:1]


def test_truncated_gzip_sitemap_drops_the_cut_url() -> None:
    body = gzip.compress(fixture("sitemap_plain.xml"))[:-60]
    assert len(parse_sitemap(body, source_url=GZ_URL).urls) == 2


def test_trailing_comment_is_not_truncation() -> None:
    body = fixture("sitemap_plain.xml") + b"<!-- generato da Yoast, cache 0.02s -->\n"
    assert len(parse_sitemap(body, source_url=GZ_URL).urls) == 3


def test_utf16_feed_keeps_its_last_item() -> None:
    body = fixture("rss2.xml").decode("utf-8").replace('"UTF-8"', '"UTF-16"').encode("utf-16")
    assert [d.url for d in parse_feed(body, source_url=RSS_URL)] == RSS_URLS


def test_sitemap_is_not_a_feed() -> None:
    with pytest.raises(ValueError, match="root element is <urlset>"):
        parse_feed(fixture("sitemap_plain.xml"), source_url=RSS_URL)


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(ValueError, match="root element is <html>"):
        parse_feed(b"<!DOCTYPE html><html><body><p>Ciao</p></body></html>", source_url=RSS_URL)


def test_xinclude_not_processed() -> None:
    body = (
        b'<rss xmlns:xi="http://www.w3.org/2001/XInclude"><channel><item>'
        b'<title><xi:include href="file:///etc/passwd" parse="text"/></title>'
        b"<link>https://a.it/2024/11/20/notizia</link></item></channel></rss>"
    )
    assert parse_feed(body, source_url=HOSTILE_URL)[0].listed_title is None


# Sitemaps


@pytest.fixture(scope="module")
def index() -> SitemapResult:
    return parse_sitemap(fixture("sitemap_index.xml"), source_url=INDEX_URL)


@pytest.fixture(scope="module")
def news() -> dict[str, Discovered]:
    return by_url(parse_sitemap(fixture("sitemap_news.xml"), source_url=NEWS_URL).urls)


@pytest.fixture(scope="module")
def plain_gz() -> list[Discovered]:
    return parse_sitemap(gzip.compress(fixture("sitemap_plain.xml")), source_url=GZ_URL).urls


def test_index_child_sitemaps(index: SitemapResult) -> None:
    assert index.sitemaps == [NEWS_URL, GZ_URL]


def test_index_has_no_article_urls(index: SitemapResult) -> None:
    assert index.urls == []


def test_news_publication_date(news: dict[str, Discovered]) -> None:
    assert news[RSS_URLS[0]].listed_date_raw == "2024-11-20T03:15:00+01:00"


def test_news_title_not_image_title(news: dict[str, Discovered]) -> None:
    assert news[RSS_URLS[0]].listed_title == (
        "Maltempo in Liguria, allerta rossa: scuole chiuse a Genova"
    )


def test_news_title_entity(news: dict[str, Discovered]) -> None:
    assert news[RSS_URLS[1]].listed_title == "Manovra, il governo pone la fiducia & accelera"


def test_news_keywords_split_on_commas(news: dict[str, Discovered]) -> None:
    assert news[RSS_URLS[0]].keywords == ("maltempo", "Liguria", "allerta meteo", "Genova")


def test_news_lastmod_without_news_block(news: dict[str, Discovered]) -> None:
    assert news[RSS_URLS[2]].listed_date_raw == "2024-11-19T23:00:00+01:00"


def test_news_via_sitemap(news: dict[str, Discovered]) -> None:
    assert {d.via for d in news.values()} == {"sitemap"}


def test_gz_sitemap_urls(plain_gz: list[Discovered]) -> None:
    assert [d.url for d in plain_gz] == [
        f"{SITE}/cronaca/2024/11/02/ponte-dei-santi-traffico-in-autostrada",
        f"{SITE}/articolo.php?id=48213",
        f"{SITE}/cronaca/2024/11/09/vendemmia-record-in-toscana",
    ]


def test_gz_sitemap_lastmod(plain_gz: list[Discovered]) -> None:
    assert [d.listed_date_raw for d in plain_gz] == [
        "2024-11-02",
        "2024-11-05T14:30:00+01:00",
        None,
    ]


def test_sitemap_dates_parse(plain_gz: list[Discovered], news: dict[str, Discovered]) -> None:
    raws = [d.listed_date_raw for d in [*plain_gz, *news.values()] if d.listed_date_raw]
    assert all(parse_iso(raw) is not None for raw in raws)


def test_plain_sitemap_image_title_ignored(plain_gz: list[Discovered]) -> None:
    assert plain_gz[0].listed_title is None


def test_plain_and_gzipped_sitemap_agree(plain_gz: list[Discovered]) -> None:
    plain = parse_sitemap(fixture("sitemap_plain.xml"), source_url=GZ_URL).urls
    assert plain == plain_gz


def test_multi_member_gzip() -> None:
    body = gzip.compress(b"<urlset><url><loc>https://a.it/2024/11/20/uno</loc></url>")
    body += gzip.compress(b"<url><loc>https://a.it/2024/11/20/due</loc></url></urlset>")
    assert len(parse_sitemap(body, source_url=GZ_URL).urls) == 2


def test_feed_given_as_sitemap() -> None:
    assert [d.url for d in parse_sitemap(fixture("rss2.xml"), source_url=RSS_URL).urls] == RSS_URLS


# Feed autodiscovery


def test_find_feeds_home() -> None:
    assert find_feeds(fixture("home.html"), base_url=HOME_URL) == [
        f"{SITE}/rss/ultimora.xml",
        f"{SITE}/feed/atom",
        f"{SITE}/rss/sport.xml",
    ]


def test_find_feeds_uses_base_href() -> None:
    assert find_feeds(fixture("section.html"), base_url=SECTION_URL) == [f"{SITE}/cronaca/feed/"]


def test_find_feeds_accepts_str() -> None:
    html = '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
    assert find_feeds(html, base_url=HOME_URL) == [f"{SITE}/atom.xml"]


def test_find_feeds_empty_page() -> None:
    assert find_feeds(b"", base_url=HOME_URL) == []


def test_find_feeds_needs_http_base() -> None:
    with pytest.raises(ValueError, match="base_url"):
        find_feeds(b"<html></html>", base_url="file:///etc/")


# Listing pages

HOME_ARTICLES = [
    f"{SITE}/cronaca/2024/11/20/maltempo-liguria-allerta-rossa-scuole-chiuse",
    f"{SITE}/cronaca/2024/11/20/genova-esonda-il-bisagno-evacuate-famiglie",
    f"{SITE}/cronaca/2024/11/20/milano-rapina-in-gioielleria-arrestati-due-giovani",
    f"{SITE}/cronaca/2024/11/19/roma-nuova-linea-del-tram-inaugurata",
    "https://gazzetta-esempio.it/cronaca/2024/11/19/napoli-scossa-di-terremoto-ai-campi-flegrei",
    f"{SITE}/politica/2024/11/19/manovra-governo-fiducia-tempi-stretti",
    f"{SITE}/politica/2024/11/19/regionali-affluenza-in-calo-in-emilia",
    f"{SITE}/politica/2024/11/18/senato-approvato-il-ddl-sicurezza",
    f"{SITE}/politica/2024/11/18/sindaci-anci-chiedono-piu-fondi",
    f"{SITE}/sport/2024/11/19/serie-a-inter-napoli",
    f"{SITE}/sport/2024/11/19/sinner-vince-le-atp-finals",
    f"{SITE}/sport/2024/11/18/volley-conegliano-ancora-imbattuta",
    f"{SITE}/sport/2024/11/18/giro-d-italia-2025-presentato-il-percorso",
    f"{SITE}/economia/articolo-4821307.html",
    f"{SITE}/articolo.php?id=48213",
    f"{SITE}/economia/news/7731245",
    f"{SITE}/economia/2024/11/17/pensioni-cosa-cambia-nel-2025",
    f"{SITE}/cultura/2024/11/18/nuovo-museo-apre-le-porte",
    f"{SITE}/cultura/2024/11/17/festival-del-cinema-i-vincitori",
    f"{SITE}/cultura/2024/11/16/libri-la-classifica-della-settimana",
]
HOME_NOT_LISTED = [
    f"{SITE}/speciali/elezioni-usa-2024-tutte-le-notizie",  # <nav> menu
    f"{SITE}/cronaca/2024/11/20/ultima-ora-incidente-sulla-a1-code",  # role=navigation
    f"{SITE}/abbonati/offerta-black-friday-2024",  # site header
    f"{SITE}/cronaca/2024/11/20/pagina-successiva-delle-notizie",  # pagination, rel=next
    f"{SITE}/cronaca/2024/11/01/archivio-articolo-in-fondo-alla-pagina",  # footer
    f"{SITE}/chi-siamo/la-redazione-e-i-giornalisti",  # footer
    f"{SITE}/argomenti/allerta-meteo-liguria-2024",  # tag list
    f"{SITE}/autore/mario-rossi",  # author
    f"{SITE}/newsletter/iscriviti-alla-newsletter-del-mattino",
    f"{SITE}/cronaca/2024/11/20/maltempo-liguria-allerta-rossa-scuole-chiuse?share=whatsapp",
    "https://www.altro-giornale.it/cronaca/2024/11/19/notizia-di-un-altro-sito",  # other site
    f"{SITE}/page/2",
]


@pytest.fixture(scope="module")
def home() -> list[Discovered]:
    return find_listing_articles(fixture("home.html"), base_url=HOME_URL)


@pytest.fixture(scope="module")
def section() -> list[Discovered]:
    return find_listing_articles(fixture("section.html"), base_url=SECTION_URL)


def test_home_teasers_only(home: list[Discovered]) -> None:
    assert [d.url for d in home] == HOME_ARTICLES


@pytest.mark.parametrize("url", HOME_NOT_LISTED)
def test_home_navigation_not_listed(home: list[Discovered], url: str) -> None:
    assert url not in by_url(home)


def test_home_positions(home: list[Discovered]) -> None:
    assert [d.position for d in home] == list(range(1, 21))


def test_home_via_and_source(home: list[Discovered]) -> None:
    assert {(d.via, d.source_url) for d in home} == {("listing", HOME_URL)}


def test_home_title_is_anchor_text(home: list[Discovered]) -> None:
    assert home[0].listed_title == "Maltempo in Liguria, allerta rossa: scuole chiuse a Genova"


def test_home_heading_title_beats_image_alt(home: list[Discovered]) -> None:
    assert home[1].listed_title == "Genova, esonda il Bisagno: evacuate cento famiglie"


def test_home_title_not_read_more(home: list[Discovered]) -> None:
    assert home[3].listed_title == "Roma, inaugurata la nuova linea del tram"


def test_home_time_text(home: list[Discovered]) -> None:
    assert home[0].listed_date_raw == "20 novembre 2024, 03:15"


def test_home_time_datetime_attr(home: list[Discovered]) -> None:
    assert home[0].listed_date_attr == "2024-11-20T03:15:00+01:00"


def test_home_date_class_element(home: list[Discovered]) -> None:
    assert home[1].listed_date_raw == "20/11/2024 08:30"


def test_home_relative_date(home: list[Discovered]) -> None:
    assert home[9].listed_date_raw == "ieri"


def test_home_date_beside_title(home: list[Discovered]) -> None:
    assert home[17].listed_date_raw == "18 novembre 2024"


def test_home_card_without_date(home: list[Discovered]) -> None:
    assert home[13].listed_date_raw is None


def test_section_articles(section: list[Discovered]) -> None:
    assert [d.url for d in section] == [
        f"{SITE}/cronaca/2024/11/20/genova-esonda-il-bisagno-evacuate-famiglie/",
        f"{SITE}/cronaca/2024/11/20/milano-rapina-in-gioielleria-arrestati-due-giovani/",
        f"{SITE}/cronaca/2024/11/19/roma-nuova-linea-del-tram-inaugurata/",
    ]


def test_section_latin1_title(section: list[Discovered]) -> None:
    assert section[0].listed_title == "Genova, esonda il Bisagno: evacuate cento famiglie"


def test_section_entry_date(section: list[Discovered]) -> None:
    assert section[1].listed_date_attr == "2024-11-20T07:10:00+01:00"


def test_listing_accepts_str() -> None:
    html = fixture("home.html").decode("utf-8")
    assert len(find_listing_articles(html, base_url=HOME_URL)) == len(HOME_ARTICLES)


def test_listing_bare_links_need_headline_text() -> None:
    html = (
        "<ul><li><a href='/2024/11/20/un-titolo-lungo'>Un titolo lungo di sei parole</a></li>"
        "<li><a href='/2024/11/20/breve-titolo-qui'>Breve</a></li></ul>"
    )
    assert [d.url for d in find_listing_articles(html, base_url=HOME_URL)] == [
        f"{SITE}/2024/11/20/un-titolo-lungo"
    ]


@pytest.mark.parametrize("html", [b"", b"   ", "\x00\x01", b"<html></html>"])
def test_listing_empty_pages(html: str | bytes) -> None:
    assert find_listing_articles(html, base_url=HOME_URL) == []


# Hostile XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss><channel><item><title>&lol9;</title><link>https://a.it/2024/11/20/x</link></item></channel></rss>
"""
XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&xxe;</title><link>https://a.it/2024/11/20/x</link></item></channel></rss>
"""
XXE_HTTP = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "http://127.0.0.2:9/x">]>
<urlset><url><loc>https://a.it/2024/11/20/x&xxe;</loc></url></urlset>
"""
PARAMETER_ENTITY = (
    b"""<!DOCTYPE r [<!ENTITY % ext SYSTEM "http://127.0.0.2:9/x.dtd"> %ext;]><rss/>"""
)
HOSTILE = {
    "billion_laughs": BILLION_LAUGHS,
    "xxe_file": XXE_FILE,
    "xxe_http": XXE_HTTP,
    "parameter_entity": PARAMETER_ENTITY,
    "lowercase_doctype": b"<!doctype rss [<!entity a 'b'>]><rss/>",
    "quoted_gt_before_subset": b"<!DOCTYPE rss SYSTEM 'a>b' [<!ENTITY a 'b'>]><rss/>",
    "utf16_billion_laughs": BILLION_LAUGHS.decode().encode("utf-16"),
    "utf16_without_bom": BILLION_LAUGHS.decode().encode("utf-16-le"),
    "utf8_bom": b"\xef\xbb\xbf" + XXE_FILE,
    "subset_after_long_comment": b"<!--" + b"x" * 70_000 + b"-->" + XXE_FILE[22:],
    "entity_outside_doctype": b"<?xml version='1.0'?><!ENTITY a 'b'><rss/>",
    "empty_internal_subset": b"<!DOCTYPE rss []><rss/>",
    "subset_after_many_pis": b"<?pi?>" * 12_000 + XXE_FILE[22:],
}
PARSERS: dict[str, Callable[..., Any]] = {"feed": parse_feed, "sitemap": parse_sitemap}


@pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_xml_refused(parse: Callable[..., Any], body: bytes) -> None:
    with pytest.raises(UnsafeXMLError):
        parse(body, source_url=HOSTILE_URL)


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_error_names_source(body: bytes) -> None:
    with pytest.raises(UnsafeXMLError, match="evil.example"):
        parse_feed(body, source_url=HOSTILE_URL)


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_gzipped_refused(body: bytes) -> None:
    with pytest.raises(UnsafeXMLError):
        parse_sitemap(gzip.compress(body), source_url=HOSTILE_URL)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def external_dtd_feed(server: socket.socket) -> bytes:
    port = server.getsockname()[1]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:{port}/evil.dtd">'
        "<rss><channel><item><link>https://a.it/2024/11/20/x</link></item></channel></rss>"
    ).encode()


def test_external_dtd_not_fetched(listener: socket.socket) -> None:
    parse_feed(external_dtd_feed(listener), source_url=HOSTILE_URL)
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_external_dtd_feed_still_parsed(listener: socket.socket) -> None:
    assert len(parse_feed(external_dtd_feed(listener), source_url=HOSTILE_URL)) == 1


# The parser options alone (the layer behind the prolog check) never expand nor fetch.


def test_parser_options_do_not_expand_entities() -> None:
    root = etree.fromstring(BILLION_LAUGHS, etree.XMLParser(**XML_PARSER))
    assert len(etree.tostring(root)) < 1000


def test_parser_options_do_not_read_files() -> None:
    root = etree.fromstring(XXE_FILE, etree.XMLParser(**XML_PARSER))
    assert b"root:" not in etree.tostring(root)


def test_parser_options_do_not_fetch(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    body = f'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]><r>&x;</r>'.encode()
    etree.fromstring(body, etree.XMLParser(**XML_PARSER))
    with pytest.raises(BlockingIOError):
        listener.accept()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """200 MB of zeros, compressed streaming (never held uncompressed)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(4 * MB)
    parts = [packer.compress(zeros) for _ in range(50)]
    return b"".join([*parts, packer.flush()])


def peak_bytes(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    with contextlib.suppress(UnsafeXMLError):
        call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_gzip_bomb_refused(gzip_bomb: bytes) -> None:
    with pytest.raises(UnsafeXMLError, match="decompresses past"):
        parse_sitemap(gzip_bomb, source_url=HOSTILE_URL)


def test_gzip_bomb_memory_bounded_by_limit(gzip_bomb: bytes) -> None:
    assert peak_bytes(lambda: gunzip_bounded(gzip_bomb, limit=MB)) < 3 * MB


def test_gzip_bomb_default_limit_memory(gzip_bomb: bytes) -> None:
    peak = peak_bytes(lambda: parse_sitemap(gzip_bomb, source_url=HOSTILE_URL))
    assert peak < MAX_XML_BYTES + 2 * MB


def test_gzip_bomb_fast(gzip_bomb: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXMLError):
        gunzip_bounded(gzip_bomb)
    assert time.perf_counter() - start < 2


def test_gunzip_within_limit() -> None:
    assert gunzip_bounded(gzip.compress(b"x" * 1000), limit=1000) == b"x" * 1000


def test_gunzip_not_gzip() -> None:
    with pytest.raises(ValueError, match="not gzip"):
        gunzip_bounded(b"<urlset/>")


def test_oversize_body_refused() -> None:
    body = b"<urlset>" + b" " * MAX_XML_BYTES + b"</urlset>"
    with pytest.raises(UnsafeXMLError, match="over"):
        parse_sitemap(body, source_url=HOSTILE_URL)


MALFORMED = {
    "empty": b"",
    "whitespace": b" \n\t ",
    "text": b"questo non e XML",
    "brackets": b"<<<>>>",
    "only_declaration": b'<?xml version="1.0"?>',
    "only_comment": b"<!-- niente -->",
    "corrupt_gzip": b"\x1f\x8b\x08\x00garbage-garbage",
    "utf7_markup": b'<?xml version="1.0" encoding="UTF-7"?>+ADw-rss+AD4-',
}


@pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_raises_value_error_naming_source(parse: Callable[..., Any], body: bytes) -> None:
    with pytest.raises(ValueError, match="evil.example"):
        parse(body, source_url=HOSTILE_URL)


def test_str_body_refused() -> None:
    with pytest.raises(ValueError, match="bytes"):
        parse_feed("<rss/>", source_url=HOSTILE_URL)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_value_error(body: bytes) -> None:
    for parse in PARSERS.values():
        with contextlib.suppress(ValueError):
            parse(body, source_url=HOSTILE_URL)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_listing_never_raises(html: str) -> None:
    assert isinstance(find_listing_articles(html, base_url=HOME_URL), list)
