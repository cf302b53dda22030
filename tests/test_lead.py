"""newsarchive.extract.lead: the standfirst comes back only when it is unambiguous."""

from __future__ import annotations

from newsarchive.extract.article import clean_paragraphs
from newsarchive.extract.encoding import parse_html
from newsarchive.extract.lead import find_lead

LEAD = (
    "Da lunedì i bambini avranno un ingresso separato, sei ambulatori dedicati e una sala"
    " d'attesa aperta ventiquattro ore su ventiquattro."
)
BODY = (
    "Il nuovo reparto occupa il piano terra della palazzina ristrutturata accanto all'ingresso"
    " principale dell'ospedale civile."
)
TEXT = BODY + "\nI lavori sono durati diciotto mesi."


def lead_of(html: str, text: str = TEXT) -> str | None:
    tree = parse_html(f"<html><body>{html}</body></html>")
    assert tree is not None
    return find_lead(tree, text, excluded=())


def test_a_standfirst_before_the_body_comes_back() -> None:
    html = f'<h1>Titolo</h1><div class="lead">{LEAD}</div><div class="body"><p>{BODY}</p></div>'
    assert lead_of(html) == LEAD


def test_microdata_description_counts() -> None:
    html = f'<p itemprop="description">{LEAD}</p><p>{BODY}</p>'
    assert lead_of(html) == LEAD


def test_nothing_when_the_text_has_it_already() -> None:
    html = f'<p class="teaser">{LEAD}</p><p>{BODY}</p>'
    assert lead_of(html, text=LEAD + "\n" + TEXT) is None


def test_nothing_after_the_body() -> None:
    html = f'<p>{BODY}</p><p class="summary">{LEAD}</p>'
    assert lead_of(html) is None


def test_several_teasers_are_a_listing_not_a_lead() -> None:
    other = LEAD.replace("bambini", "anziani")
    html = f'<p class="teaser">{LEAD}</p><p class="teaser">{other}</p><p>{BODY}</p>'
    assert lead_of(html) is None


def test_teasers_with_links_or_in_related_blocks_are_not_leads() -> None:
    linked = f'<p class="teaser"><a href="/altro.html">{LEAD}</a></p><p>{BODY}</p>'
    related = f'<div class="correlati"><p class="teaser">{LEAD}</p></div><p>{BODY}</p>'
    assert (lead_of(linked), lead_of(related)) == (None, None)


def test_short_kicker_is_not_a_lead() -> None:
    assert lead_of(f'<p class="occhiello">Sanità</p><p>{BODY}</p>') is None


def test_a_lone_related_heading_line_is_dropped_from_text() -> None:
    text = "Primo paragrafo.\nLeggi anche:\nSecondo paragrafo che legge anche altro."
    assert clean_paragraphs(text) == "Primo paragrafo.\nSecondo paragrafo che legge anche altro."
