"""Authors and titles from Italian bylines and headlines, on small hand-written pages."""

from __future__ import annotations

from datetime import datetime, timezone

from newsarchive.bylines import is_organization, split_byline
from newsarchive.extraction import Article, extract_article

FETCHED_AT = datetime(2024, 12, 10, 12, 0, tzinfo=timezone.utc)
URL = "https://www.giornale-di-prova.it/cronaca/notizia-senza-data-nell-url.html"
BODY_TEXT = " ".join(
    f"Il consiglio comunale ha discusso a lungo il punto numero {n} del bilancio, con molti"
    " interventi dei consiglieri di maggioranza e di opposizione sulla spesa per le scuole."
    for n in range(12)
)


def article(byline: str, head: str = "", url: str = URL) -> Article:
    html = f"""<!doctype html><html lang="it"><head><meta charset="utf-8">{head}
    <title>Bilancio approvato in consiglio</title></head><body>
    <article><h1>Bilancio approvato in consiglio</h1>
    {byline}
    <p>{BODY_TEXT}</p><p>{BODY_TEXT}</p></article></body></html>"""
    ex = extract_article(html.encode(), url=url, fetched_at=FETCHED_AT)
    assert ex.article is not None
    return ex.article


def test_byline_date_after_the_name_is_not_an_author() -> None:
    got = article(
        '<div class="byline">di Marco Rossi · Pubblicato il 21 novembre 2024 alle 08:30</div>'
    )
    assert got.authors == ("Marco Rossi",)


def test_byline_yearless_date_after_the_name_is_not_an_author() -> None:
    got = article('<div class="byline">di Sara Blu · 20 novembre, ore 18:30</div>')
    assert got.authors == ("Sara Blu",)


def test_desk_byline_drops_dateline_and_date() -> None:
    got = article(
        '<div class="byline">Redazione Esteri · Roma · Pubblicato il 21 novembre 2024</div>'
    )
    assert got.authors == ("Redazione Esteri",)


def test_role_after_a_comma_is_not_a_second_author() -> None:
    got = article('<div class="byline">Di Sabina Montevergine, Web Editor</div>')
    assert got.authors == ("Sabina Montevergine",)


def test_person_in_byline_beats_publisher_company_in_meta_author() -> None:
    got = article(
        '<div class="firma">di ROBERTO MANIA</div>',
        head='<meta name="author" content="Elemedia">'
        '<meta property="og:site_name" content="la Repubblica">',
        url="https://www.repubblica.it/economia/2024/11/20/news/manovra-123/",
    )
    assert got.authors == ("ROBERTO MANIA",)


def test_organization_in_meta_stays_when_the_byline_has_no_person() -> None:
    got = article(
        "<p>Testo senza firma.</p>",
        head='<meta name="author" content="Elemedia">',
        url="https://www.repubblica.it/economia/2024/11/20/news/manovra-123/",
    )
    assert got.authors == ("Elemedia",)


def test_split_byline_keeps_two_people() -> None:
    assert split_byline("di Mario Rossi e Laura Conti") == ["Mario Rossi", "Laura Conti"]


def test_split_byline_keeps_a_second_person_field() -> None:
    assert split_byline("Mario Rossi | Laura Conti") == ["Mario Rossi", "Laura Conti"]


def test_split_byline_desk_alone_is_an_author() -> None:
    assert split_byline("Redazione Cronaca") == ["Redazione Cronaca"]


def test_split_byline_drops_trafilatura_leftovers() -> None:
    assert split_byline("Di Sara Blu · ; Ore") == ["Sara Blu"]


def test_is_organization_company_word() -> None:
    assert is_organization("Elemedia", [])


def test_is_organization_site_name() -> None:
    assert is_organization("la Repubblica", ["La Repubblica"])


def test_a_person_is_not_an_organization() -> None:
    assert not is_organization("Roberto Mania", ["la Repubblica", "repubblica.it"])


def titled(head: str, url: str = URL) -> Article:
    html = f"""<!doctype html><html lang="it"><head><meta charset="utf-8">{head}
    </head><body><article><h1>Un titolo qualsiasi</h1>
    <p>{BODY_TEXT}</p><p>{BODY_TEXT}</p></article></body></html>"""
    ex = extract_article(html.encode(), url=url, fetched_at=FETCHED_AT)
    assert ex.article is not None
    return ex.article


FULL_TITLE = "Manovra, il governo tratta con i sindacati sulle Tredicesime"


def test_truncated_jsonld_headline_loses_to_the_full_og_title() -> None:
    got = titled(
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Manovra, il governo tratta con i sindacati sulle Tre…"}</script>'
        f'<meta property="og:title" content="{FULL_TITLE}">'
    )
    assert got.title == FULL_TITLE


def test_truncated_headline_with_three_dots_loses_too() -> None:
    got = titled(
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Manovra, il governo tratta con i sindacati..."}</script>'
        f'<meta property="og:title" content="{FULL_TITLE}">'
    )
    assert got.title == FULL_TITLE


def test_headline_ending_in_an_ellipsis_of_its_own_stays() -> None:
    got = titled(
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "E poi..."}</script>'
        '<meta property="og:title" content="Tutt\'altro titolo">'
    )
    assert got.title == "E poi..."


def test_site_suffix_spelled_like_the_host_is_stripped() -> None:
    got = titled(
        f'<meta property="og:title" content="{FULL_TITLE} - La Stampa">',
        url="https://www.lastampa.it/politica/2024/11/20/news/manovra-123/",
    )
    assert got.title == FULL_TITLE


def test_a_suffix_that_is_not_the_site_stays() -> None:
    got = titled(
        f'<meta property="og:title" content="{FULL_TITLE} - La Stampa">',
        url="https://www.giornale-di-prova.it/politica/manovra-123/",
    )
    assert got.title == f"{FULL_TITLE} - La Stampa"


def test_sitename_that_is_the_headline_is_not_a_sitename() -> None:
    got = titled(
        f'<meta property="og:title" content="{FULL_TITLE}">'
        f'<meta property="og:site_name" content="{FULL_TITLE}">'
    )
    assert got.sitename is None


def test_sitename_from_og_site_name() -> None:
    got = titled(
        f'<meta property="og:title" content="{FULL_TITLE}">'
        '<meta property="og:site_name" content="Giornale di Prova">'
    )
    assert got.sitename == "Giornale di Prova"
