"""Tests for newsarchive.extract.links: canonical URLs, address checks, related blocks and links."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.extract.links import (
    RelatedLink,
    canonicalize_url,
    find_related_blocks,
    find_related_links,
    is_forbidden_address,
    parse_ip_host,
    same_site,
)

FIXTURES = Path(__file__).parent / "fixtures" / "links"

SEED_URL = "https://www.notizie-esempio.it/esteri/2024/11/21/alleanza-corea-del-nord-russia"
CLASS_URL = "https://www.meteo-esempio.it/cronaca/2020/07/28/caldo-record-in-sicilia"
HEADING_URL = "https://economia.example.it/economia/2024/10/16/manovra-via-libera-del-cdm"
ASIDE_URL = "https://www.cronaca-esempio.it/cronaca/2024/05/07/nuovo-ponte-sul-po"
NOISE_URL = "https://www.esempio.it/trasporti/2024/03/08/treni-sciopero-di-24-ore"
EMPTY_URL = "https://www.esempio.it/cronaca/2024/06/02/il-comune-rinnova-il-parco-giochi"


def load(name: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((FIXTURES / f"{name}.html").read_bytes())


def links_of(name: str, url: str, **kwargs: str) -> list[RelatedLink]:
    return find_related_links(load(name), url, **kwargs)


def page(body: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body>{body}</body></html>")


ARTICLE_BODY = (
    "<article><h1>Titolo</h1><div class='testo'><p>"
    + "Testo dell'articolo che racconta i fatti del giorno con dovizia di particolari. " * 3
    + "</p></div></article>"
)

# --- seed-like page: date "20 novembre 2024 · 03:15" then the title, in each card ---------------

SEED = [
    (
        "https://www.notizie-esempio.it/esteri/2024/11/20/missili-usa-in-gioco-escalation-russia-ucraina",
        "Missili USA in gioco: escalation Russia-Ucraina e reazioni globali",
        "20 novembre 2024 · 03:15",
    ),
    (
        "https://www.notizie-esempio.it/esteri/2024/11/19/la-russia-blocca-risoluzione-onu-sudan",
        "La Russia blocca risoluzione ONU: la situazione in Sudan peggiora",
        "19 novembre 2024 · 01:15",
    ),
    (
        "https://www.notizie-esempio.it/esteri/2024/11/17/la-russia-avanza-in-ucraina-giorno-1000",
        "La Russia avanza in Ucraina: la guerra entra nel giorno 1.000",
        "17 novembre 2024 · 11:49",
    ),
]


def test_seed_like_urls() -> None:
    assert [link.url for link in links_of("seed_like", SEED_URL)] == [s[0] for s in SEED]


def test_seed_like_anchor_texts_are_titles_without_the_date() -> None:
    assert [link.anchor_text for link in links_of("seed_like", SEED_URL)] == [s[1] for s in SEED]


def test_seed_like_listed_dates_as_displayed() -> None:
    assert [link.listed_date_raw for link in links_of("seed_like", SEED_URL)] == [
        s[2] for s in SEED
    ]


def test_seed_like_has_no_machine_readable_dates() -> None:
    assert [link.listed_date_attr for link in links_of("seed_like", SEED_URL)] == [None] * 3


def test_seed_like_positions() -> None:
    assert [link.position for link in links_of("seed_like", SEED_URL)] == [1, 2, 3]


def test_seed_like_block() -> None:
    assert {link.block for link in links_of("seed_like", SEED_URL)} == {
        "section.articoli-correlati"
    }


def test_seed_like_blocks_exclude_menu_share_and_footer() -> None:
    blocks = find_related_blocks(load("seed_like"))
    assert [(b.tag, b.get("class")) for b in blocks] == [("section", "articoli-correlati")]


def test_seed_like_without_class_found_by_fallback_after_body() -> None:
    html = (FIXTURES / "seed_like.html").read_text().replace(' class="articoli-correlati"', "")
    links = find_related_links(lxml.html.fromstring(html), SEED_URL)
    assert [(link.url, link.listed_date_raw) for link in links] == [(s[0], s[2]) for s in SEED]


def test_fallback_without_page_url_uses_the_declared_canonical_url() -> None:
    html = (FIXTURES / "seed_like.html").read_text().replace(' class="articoli-correlati"', "")
    html = html.replace("<head>", f"<head><link rel='canonical' href='{SEED_URL}'>")
    html = html.replace('href="/esteri/', 'href="https://www.notizie-esempio.it/esteri/')
    assert [b.tag for b in find_related_blocks(lxml.html.fromstring(html))] == ["section"]


def test_fallback_needs_same_site_cards() -> None:
    html = (FIXTURES / "seed_like.html").read_text().replace(' class="articoli-correlati"', "")
    html = html.replace('href="/esteri/', 'href="https://www.notizie-esempio.it/esteri/')
    links = find_related_links(lxml.html.fromstring(html), "https://altro.example/a/b/c-d-e")
    assert links == []


# --- class-based block -----------------------------------------------------------------------


def test_class_block_is_outer_container_once() -> None:
    blocks = find_related_blocks(load("class_based"))
    assert [b.get("id") for b in blocks] == ["jp-relatedposts"]


def test_class_block_urls_canonical_and_deduplicated() -> None:
    assert [link.url for link in links_of("class_based", CLASS_URL)] == [
        "https://www.meteo-esempio.it/cronaca/2020/07/28/incendi-in-calabria-evacuate-tre-frazioni",
        "https://www.meteo-esempio.it/cronaca/2020/07/26/siccita-nel-nord-i-fiumi-in-secca?a=1&b=2",
        "https://www.meteo-esempio.it/cronaca/2020/07/25/allerta-temporali-in-lombardia",
    ]


def test_image_link_and_title_link_yield_title_text() -> None:
    assert links_of("class_based", CLASS_URL)[0].anchor_text == (
        "Incendi in Calabria, evacuate tre frazioni"
    )


def test_time_with_nested_children_joined_with_space() -> None:
    assert links_of("class_based", CLASS_URL)[0].listed_date_raw == "28 luglio 2020 10:43"


def test_time_datetime_attribute() -> None:
    assert links_of("class_based", CLASS_URL)[0].listed_date_attr == "2020-07-28T10:43:00+02:00"


def test_date_class_element_text() -> None:
    assert links_of("class_based", CLASS_URL)[1].listed_date_raw == "26/07/2020"


def test_date_class_element_data_date() -> None:
    assert links_of("class_based", CLASS_URL)[1].listed_date_attr == "2020-07-26"


def test_card_without_date() -> None:
    link = links_of("class_based", CLASS_URL)[2]
    assert (link.listed_date_raw, link.listed_date_attr) == (None, None)


def test_class_block_description() -> None:
    assert links_of("class_based", CLASS_URL)[0].block == "div#jp-relatedposts.jp-relatedposts"


# --- heading-based blocks --------------------------------------------------------------------


def test_heading_blocks_urls_in_page_order() -> None:
    assert [link.url.rsplit("/", 1)[1] for link in links_of("heading_based", HEADING_URL)] == [
        "pensioni-cosa-cambia-dal-2025",
        "cuneo-fiscale-conferma-taglio",
        "bonus-casa-le-novita-della-manovra",
        "sanita-tre-miliardi-in-piu",
        "irpef-come-cambiano-le-aliquote",
    ]


def test_heading_blocks_skip_links_in_article_text() -> None:
    urls = [link.url for link in links_of("heading_based", HEADING_URL)]
    assert not [url for url in urls if "/politica/" in url]


def test_heading_blocks_containers() -> None:
    blocks = find_related_blocks(load("heading_based"))
    assert [b.tag for b in blocks] == ["ul", "p", "div"]


def test_potrebbe_interessarti_relative_dates() -> None:
    links = links_of("heading_based", HEADING_URL)
    assert [link.listed_date_raw for link in links[3:]] == ["ieri", "3 ore fa"]


def test_leggi_anche_list_has_no_dates() -> None:
    links = links_of("heading_based", HEADING_URL)
    assert [link.listed_date_raw for link in links[:3]] == [None, None, None]


# --- aside fallback --------------------------------------------------------------------------


def test_aside_fallback_urls() -> None:
    assert [link.url for link in links_of("aside_fallback", ASIDE_URL)] == [
        "https://www.cronaca-esempio.it/cronaca/2024/05/06/chiuso-il-vecchio-ponte-per-verifiche",
        "https://www.cronaca-esempio.it/cronaca/2024/04/30/piena-del-po-allerta-gialla",
        "https://altro-sito.example/cronaca/2024/04/29/notizia-di-un-altro-sito-web",
    ]


def test_aside_fallback_dates() -> None:
    assert [link.listed_date_raw for link in links_of("aside_fallback", ASIDE_URL)] == [
        "6 maggio 2024",
        "30 aprile 2024",
        None,
    ]


def test_aside_fallback_block() -> None:
    assert [b.tag for b in find_related_blocks(load("aside_fallback"))] == ["aside"]


# --- chrome and noise are never returned -----------------------------------------------------

NOISE_EXPECTED = [
    "https://www.esempio.it/trasporti/2024/02/20/sciopero-dei-mezzi-pubblici-a-milano",
    "https://www.esempio.it/trasporti/2024/02/10/autostrade-nuovi-pedaggi-dal-primo-marzo",
]


def test_noise_page_returns_only_related_articles() -> None:
    assert [link.url for link in links_of("noise", NOISE_URL)] == NOISE_EXPECTED


def test_noise_page_anchor_texts() -> None:
    assert [link.anchor_text for link in links_of("noise", NOISE_URL)] == [
        "Sciopero dei mezzi pubblici a Milano",
        "Autostrade, nuovi pedaggi dal primo marzo",
    ]


def test_noise_page_footer_list_is_not_a_block() -> None:
    assert [b.get("class") for b in find_related_blocks(load("noise"))] == ["notizie-correlate"]


def test_whole_related_block_selected_keeps_noise_out() -> None:
    links = links_of("noise", NOISE_URL, selector="section.notizie-correlate")
    assert [link.url for link in links] == NOISE_EXPECTED


def test_no_related_block_returns_empty_list() -> None:
    assert find_related_links(load("no_related"), EMPTY_URL) == []


def test_no_related_block_has_no_blocks() -> None:
    assert find_related_blocks(load("no_related")) == []


def test_nav_with_related_class_is_a_block() -> None:
    tree = page(
        ARTICLE_BODY + "<nav class='related-posts'><a href='/a/2024/01/02/titolo-uno'>Uno</a></nav>"
    )
    assert [b.tag for b in find_related_blocks(tree)] == ["nav"]


def test_read_more_class_needs_two_article_links() -> None:
    tree = page(ARTICLE_BODY + "<div class='read-more'><a href='/a/b/c-d-e'>Continua</a></div>")
    assert find_related_blocks(tree) == []


def test_author_heading_list_is_not_related() -> None:
    tree = page(
        ARTICLE_BODY + "<section><h3>Altri articoli dell'autore</h3>"
        "<a href='/x/2024/01/02/un-titolo-lungo-abbastanza'>Un titolo lungo abbastanza qui</a>"
        "<a href='/x/2024/01/03/un-altro-titolo-lungo'>Un altro titolo lungo qui</a></section>"
    )
    assert find_related_blocks(tree) == []


def test_wrapper_with_header_class_holding_the_body_is_not_chrome() -> None:
    tree = page(
        "<div class='site has-sticky-header'>" + ARTICLE_BODY + "<div class='correlati'>"
        "<a href='/a/2024/01/02/titolo-uno'>Titolo uno</a></div></div>"
    )
    assert [b.get("class") for b in find_related_blocks(tree)] == ["correlati"]


def test_generic_read_more_text_gives_way_to_the_title() -> None:
    tree = page(
        ARTICLE_BODY + "<div class='correlati'><div class='card'>"
        "<a href='/a/2024/01/02/titolo-uno'>Leggi tutto</a>"
        "<h3><a href='/a/2024/01/02/titolo-uno'>Titolo vero</a></h3></div></div>"
    )
    assert [link.anchor_text for link in find_related_links(tree, "https://e.it/")] == [
        "Titolo vero"
    ]


def test_canonical_link_of_the_page_counts_as_self() -> None:
    tree = lxml.html.fromstring(
        "<html><head><link rel='canonical' href='https://e.it/a/2024/01/01/questa-pagina'>"
        "</head><body>" + ARTICLE_BODY + "<div class='correlati'>"
        "<a href='/a/2024/01/01/questa-pagina'>Questa pagina</a>"
        "<a href='/a/2024/01/02/altra-pagina'>Altra pagina</a></div></body></html>"
    )
    links = find_related_links(tree, "https://e.it/a/2024/01/01/questa-pagina?from=home")
    assert [link.url for link in links] == ["https://e.it/a/2024/01/02/altra-pagina"]


# --- selector override -----------------------------------------------------------------------

SELECTOR_PAGE = (
    ARTICLE_BODY + "<div class='box-x'>"
    "<a href='/esteri/2024/01/05/primo-articolo-scelto'>Primo articolo scelto</a>"
    "<a href='/esteri/2024/01/04/secondo-articolo-scelto'>Secondo articolo scelto</a></div>"
    "<section class='correlati'><a href='/esteri/2024/01/03/non-scelto'>Non scelto</a></section>"
)


def test_selector_returns_exactly_the_matches() -> None:
    assert [
        b.get("class") for b in find_related_blocks(page(SELECTOR_PAGE), selector=".box-x")
    ] == ["box-x"]


def test_selector_links() -> None:
    links = find_related_links(page(SELECTOR_PAGE), "https://e.it/x", selector="div.box-x")
    assert [link.anchor_text for link in links] == [
        "Primo articolo scelto",
        "Secondo articolo scelto",
    ]


@pytest.mark.parametrize("selector", ["div[", "", "p::first-line", "a >> b"])
def test_invalid_selector_raises_value_error(selector: str) -> None:
    with pytest.raises(ValueError, match="invalid CSS selector"):
        find_related_blocks(page(SELECTOR_PAGE), selector=selector)


# --- duplicates, self links, dropped schemes, base href --------------------------------------

DUPLICATES_PAGE = (
    ARTICLE_BODY + "<section class='correlati'><ul>"
    "<li><a href='/s/2024/02/01/primo-titolo?utm_source=x'>Primo titolo</a></li>"
    "<li><a href='/s/2024/02/02/secondo-titolo'>Secondo titolo</a><span class='data'>2 feb</span>"
    "</li><li><a href='/s/2024/02/01/primo-titolo#fondo'>Primo titolo (di nuovo)</a>"
    "<time datetime='2024-02-01'>1 febbraio 2024</time></li>"
    "<li><a href='https://e.it/s/2024/02/03/pagina-stessa'>La pagina stessa</a></li>"
    "<li><a href='mailto:redazione@e.it'>Scrivi</a><a href='javascript:void(0)'>Altro</a>"
    "<a href='data:text/html,x'>Dati</a><a href='file:///etc/passwd'>File</a></li>"
    "</ul></section>"
)


def duplicate_links() -> list[RelatedLink]:
    return find_related_links(page(DUPLICATES_PAGE), "https://e.it/s/2024/02/03/pagina-stessa")


def test_duplicates_collapse_to_first_occurrence() -> None:
    assert [link.url for link in duplicate_links()] == [
        "https://e.it/s/2024/02/01/primo-titolo",
        "https://e.it/s/2024/02/02/secondo-titolo",
    ]


def test_duplicates_keep_first_text() -> None:
    assert duplicate_links()[0].anchor_text == "Primo titolo"


def test_duplicate_contributes_missing_date() -> None:
    assert duplicate_links()[0].listed_date_raw == "1 febbraio 2024"


def test_duplicate_contributes_missing_date_attr() -> None:
    assert duplicate_links()[0].listed_date_attr == "2024-02-01"


def test_positions_after_deduplication() -> None:
    assert [link.position for link in duplicate_links()] == [1, 2]


def test_base_href_resolves_relative_links() -> None:
    tree = lxml.html.fromstring(
        "<html><head><base href='https://cdn.esempio.it/sezione/'></head><body>"
        + ARTICLE_BODY
        + "<div class='leggi-anche'><a href='2024/03/01/un-articolo'>Un articolo</a></div>"
        "</body></html>"
    )
    links = find_related_links(tree, "https://www.esempio.it/x/2024/03/02/pagina")
    assert [link.url for link in links] == ["https://cdn.esempio.it/sezione/2024/03/01/un-articolo"]


# --- canonicalize_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (
            "HTTP://WWW.Esempio.IT:80/Politica/Art.html?utm_source=fb&b=2&a=1&UTM_Medium=x#sez",
            None,
            "http://www.esempio.it/Politica/Art.html?a=1&b=2",
        ),
        (
            "https://esempio.it/a?fbclid=1&gclid=2&_ga=3&xtor=RSS&mc_cid=4&ref=home",
            None,
            "https://esempio.it/a?ref=home",
        ),
        ("https://esempio.it:443", None, "https://esempio.it/"),
        ("https://esempio.it:8443/a", None, "https://esempio.it:8443/a"),
        ("https://Bücher.example/x", None, "https://xn--bcher-kva.example/x"),
        ("//cdn.esempio.it/x", "https://www.esempio.it/a", "https://cdn.esempio.it/x"),
        ("../c?x=1", "https://www.esempio.it/a/b/", "https://www.esempio.it/a/c?x=1"),
        ("/a b/è", "https://esempio.it/", "https://esempio.it/a%20b/%C3%A8"),
        ("http://esempio.it/%7euser/%2f", None, "http://esempio.it/~user/%2F"),
        ("http://esempio.it./x", None, "http://esempio.it/x"),
        ("http://0x7f000001/", None, "http://127.0.0.1/"),
        ("  https://esempio.it/a\n", None, "https://esempio.it/a"),
    ],
)
def test_canonicalize_url(url: str, base: str | None, expected: str) -> None:
    assert canonicalize_url(url, base) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mailto:redazione@esempio.it",
        "javascript:void(0)",
        " JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "ftp://esempio.it/file",
        "tel:+39061234",
        "whatsapp://send?text=ciao",
        "about:blank",
        "blob:https://esempio.it/1",
        "",
        "#",
        "#commenti",
        "http://exa mple.it/",
        "http://[::1",
        "http://esempio.it:99999/",
        "http://999.1.1.1/",
        "https://esempio.it/" + "a" * 2100,
    ],
)
def test_canonicalize_url_drops_unfollowable(url: str) -> None:
    assert canonicalize_url(url, "https://esempio.it/pagina") is None


def test_relative_url_without_base_is_none() -> None:
    assert canonicalize_url("/solo/percorso") is None


@settings(max_examples=300)
@given(st.text(), st.one_of(st.none(), st.just("https://www.esempio.it/a/b?x=1")))
def test_canonicalize_url_is_idempotent_and_never_raises(url: str, base: str | None) -> None:
    once = canonicalize_url(url, base)
    assert once is None or canonicalize_url(once) == once


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "Z",
                "9",
                ".",
                "/",
                "?",
                "&",
                "=",
                "#",
                "%",
                "%2F",
                "%zz",
                " ",
                "è",
                ":",
                "@",
                "[",
                "]",
                "utm_x=1",
                "xn--",
                "0x",
                "..",
                "\\",
                "\u3002",
                "\t",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_canonicalize_url_idempotent_on_url_like_text(tail: str) -> None:
    once = canonicalize_url("https://" + tail)
    assert once is None or canonicalize_url(once) == once


# --- hosts and addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
        ("example.it", None),
        ("256.0.0.1", None),
        ("", None),
    ],
)
def test_parse_ip_host(host: str, expected: str | None) -> None:
    parsed = parse_ip_host(host)
    assert parsed == (ipaddress.ip_address(expected) if expected else None)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("10.0.0.1", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("127.0.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("fc00::1", True),
        ("fe80::1", True),
        ("::1", True),
        ("::ffff:10.0.0.1", True),
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
    ],
)
def test_is_forbidden_address(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("www.esempio.it", "esempio.it", True),
        ("ESEMPIO.it", "www.esempio.it", True),
        ("news.esempio.it", "esempio.it", False),
        ("esempio.it", "esempio.com", False),
        ("", "", False),
    ],
)
def test_same_site(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected


# --- robustness ------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<section class='correlati'>",
                "</section>",
                "<aside>",
                "</aside>",
                "<h3>",
                "Leggi anche",
                "</h3>",
                "<ul><li>",
                "</li></ul>",
                "<p>testo lungo " * 3,
                "</p>",
                "<a href='/x/2024/01/02/titolo-di-prova'>Titolo di prova qui</a>",
                "<a href='mailto:x'>m</a>",
                "<time datetime='2024'>1 gen</time>",
                "<nav>",
                "</nav>",
                "<!-- c -->",
                "<a href='http://[::1'>",
                "</a>",
            ]
        ),
        min_size=1,
        max_size=25,
    ).map("".join)
)
def test_find_related_links_never_raises(body: str) -> None:
    links = find_related_links(page(body), "https://esempio.it/x/2024/01/01/pagina")
    assert [link.position for link in links] == list(range(1, len(links) + 1))


# --- the heading pre-filter (a word of the phrase in the raw text) changes no decision --------

RELATED_CARDS = (
    "<ul><li><a href='/cronaca/2024/05/01/primo-articolo-correlato'>Primo articolo</a></li>"
    "<li><a href='/cronaca/2024/05/02/secondo-articolo-correlato'>Secondo articolo</a></li></ul>"
)


def test_heading_word_covers_every_related_heading_phrase() -> None:
    from newsarchive.extract.links import RELATED_HEADING_RE, RELATED_HEADING_WORD_RE

    phrases = [
        "articoli correlati", "notizie correlate", "correlati", "correlate", "articoli simili",
        "leggi anche", "leggi pure", "vedi anche", "potrebbe interessarti",
        "potrebbero interessarti", "ti potrebbe interessare", "ti potrebbero interessare",
        "altri articoli", "altre notizie", "related", "related articles", "related stories",
        "related posts", "related news", "more stories", "you may also like",
        "you might also like", "read more", "read also", "see also",
    ]  # fmt: skip
    for phrase in phrases:
        assert RELATED_HEADING_RE.fullmatch(phrase), phrase
        assert RELATED_HEADING_WORD_RE.search(phrase), phrase


@pytest.mark.parametrize(
    "heading",
    [
        "<h3>Leggi anche</h3>",
        "<h3><span>L</span>eggi anche</h3>",  # a drop cap splits the word
        "<h3>Leg<span style='display: none'>xx</span>gi anche</h3>",  # hidden text inside it
        "<h3>Leg<script>var x = 1;</script>gi anche</h3>",  # invisible text inside it
        "<div class='box-title'>LEGGI   ANCHE:</div>",
    ],
)
def test_related_heading_found_whatever_its_markup(heading: str) -> None:
    tree = page(f"{ARTICLE_BODY}<div>{heading}{RELATED_CARDS}</div>")
    links = find_related_links(tree, "https://www.esempio.it/cronaca/2024/05/03/articolo")
    assert [link.url.rsplit("/", 1)[1] for link in links] == [
        "primo-articolo-correlato",
        "secondo-articolo-correlato",
    ]


def test_long_heading_text_is_no_related_heading() -> None:
    long_heading = "<h3>Leggi anche " + "e poi ancora altre parole " * 4 + "</h3>"
    tree = page(f"{ARTICLE_BODY}<div>{long_heading}{RELATED_CARDS}</div>")
    assert find_related_links(tree, "https://www.esempio.it/cronaca/2024/05/03/articolo") == []
