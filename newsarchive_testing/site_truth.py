"""Hand-written expected values for the fixture site in tests/fixtures/site/.

Everything here was typed by reading the pages, NOT computed by code: tests compare the
crawler, extractor and date normalizer against it. ``tests/test_fixture_site.py`` only checks
that these values agree with the HTML (titles present, listed dates present, ...).

Site map (depth = shortest number of related-link hops from the seed):

    depth 0  A  /esteri/2024/11/21/corea-russia-alleanza.html      seed, 8 related links
    depth 1  A  /esteri/2024/11/20/missili-usa-escalation.html     linked with ?utm_...#top
    depth 1  B  /esteri/2024/11/19/onu-sudan-risoluzione.html      no related block at all
    depth 1  C  /esteri/2024/11/17/guerra-giorno-mille.html        "Ieri alle 18:30" card
    depth 1  -  /esteri/2024/11/10/articolo-rimosso.html           404
    depth 1  B  /vecchio/ucraina-negoziati.html                    301 -> /esteri/2024/11/15/...
    depth 1  -  /privato/dossier-riservato.html                    robots.txt Disallow
    depth 1  -  https://www.altro-giornale.it/...                  other host
    depth 1  C  /economia/2024/11/12/prezzi-energia-citta.html     windows-1252
    depth 2  A  /esteri/2024/11/05/elezioni-usa-risultati.html
    depth 2  B  /esteri/2024/11/03/kiev-blackout.html
    depth 2  C  /economia/2024/12/03/caro-bollette-dicembre.html   date-only publication
    depth 3  A  /esteri/2024/11/01/sondaggi-usa-testa-a-testa.html never fetched at depth <= 2

Templates: A "classic" (JSON-LD NewsArticle, <section class="articoli-correlati">),
B "magazine" (article:published_time meta, "Leggi anche" + <div class="lista"> cards),
C "blog" (dates only in visible text, <aside class="potrebbe-interessarti">).
All times are Europe/Rome; in November 2024 that is +01:00.
"""

from __future__ import annotations

from typing import TypedDict

SITE_NAME = "Il Corriere di Prova"
#: The header clock printed on every page: a date that must never become an article date.
HEADER_CLOCK = "Giovedì 26 novembre 2026 - 08:15"

SEED_PATH = "/esteri/2024/11/21/corea-russia-alleanza.html"
#: The seed's first related href, verbatim (entities decoded): must canonicalize to TRACKING_TO.
TRACKING_HREF = (
    "/esteri/2024/11/20/missili-usa-escalation.html?utm_source=correlati&utm_medium=web#top"
)
TRACKING_TO = "/esteri/2024/11/20/missili-usa-escalation.html"
NOT_FOUND_PATH = "/esteri/2024/11/10/articolo-rimosso.html"
REDIRECT_FROM = "/vecchio/ucraina-negoziati.html"
REDIRECT_TO = "/esteri/2024/11/15/ucraina-negoziati.html"
DISALLOWED_PATH = "/privato/dossier-riservato.html"
EXTERNAL_URL = "https://www.altro-giornale.it/esteri/2024/11/18/nato-vertice.html"
CP1252_PATH = "/economia/2024/11/12/prezzi-energia-citta.html"
NO_RELATED_PATH = "/esteri/2024/11/19/onu-sudan-risoluzione.html"
DATE_ONLY_PATH = "/economia/2024/12/03/caro-bollette-dicembre.html"

#: Marker used as listed_date for the one relative card ("Ieri alle 18:30"): the expected
#: value is (fetched_at in Europe/Rome).date() - 1 day, at 18:30, Europe/Rome offset.
RELATIVE = "RELATIVE"
RELATIVE_FROM_PATH = "/esteri/2024/11/17/guerra-giorno-mille.html"
RELATIVE_TO_PATH = "/esteri/2024/11/19/onu-sudan-risoluzione.html"
RELATIVE_RAW = "Ieri alle 18:30"

#: Canonical paths of the articles stored when crawling the seed with depth 1.
DEPTH1_PATHS = [
    "/esteri/2024/11/20/missili-usa-escalation.html",
    "/esteri/2024/11/19/onu-sudan-risoluzione.html",
    "/esteri/2024/11/17/guerra-giorno-mille.html",
    "/esteri/2024/11/15/ucraina-negoziati.html",
    "/economia/2024/11/12/prezzi-energia-citta.html",
]
#: Added by depth 2 (linked only from depth-1 pages).
DEPTH2_PATHS = [
    "/esteri/2024/11/05/elezioni-usa-risultati.html",
    "/esteri/2024/11/03/kiev-blackout.html",
    "/economia/2024/12/03/caro-bollette-dicembre.html",
]
#: Linked only from depth-2 pages: recorded as a link at depth 2, fetched only at depth 3.
DEPTH3_PATHS = [
    "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html",
]

#: Chrome links (nav, sections, tags, authors, footer, widgets). None exists: a crawler that
#: follows them gets 404s, and it should never request them at all.
NEVER_FETCHED_PATHS = [
    "/",
    "/esteri/",
    "/politica/",
    "/economia/",
    "/cronaca/",
    "/sport/",
    "/tag/corea-del-nord/",
    "/tag/russia/",
    "/tag/ucraina/",
    "/tag/nato/",
    "/tag/stati-uniti/",
    "/tag/elezioni-usa-2024/",
    "/tag/donald-trump/",
    "/tag/kamala-harris/",
    "/tag/sondaggi/",
    "/tag/onu/",
    "/tag/sudan/",
    "/tag/negoziati/",
    "/tag/energia/",
    "/tag/donbass/",
    "/tag/bollette/",
    "/tag/gas/",
    "/autore/mario-rossi/",
    "/autore/laura-conti/",
    "/autore/andrea-colombo/",
    "/autore/federica-greco/",
    "/autore/giulia-bianchi/",
    "/autore/paolo-marino/",
    "/chi-siamo/",
    "/privacy/",
    "/contatti/",
    "/newsletter/",
    "/abbonamenti/",
    "/archivio/2024/10/",
    "/archivio/2024/11/",
    "/archivio/2024/12/",
    # "I più letti" box of template A: dated-looking article URLs that are not related links.
    "/cronaca/2024/11/20/tangenziale-incidente-code.html",
    "/sport/2024/11/20/nazionale-convocati.html",
    "/politica/2024/11/19/manovra-emendamenti.html",
]
#: Images, CSS and similar referenced by the pages; none exists and none should be fetched.
NEVER_FETCHED_PREFIXES = ("/img/", "/media/", "/static/", "/assets/", "/wp-content/")

# Link outcomes when the crawler follows a related link.
ARTICLE = "article"  # 200, becomes an article row
NOT_FOUND = "not_found"  # 404
REDIRECT = "redirect"  # 301 to an article; final_path is the article
DISALLOWED = "disallowed"  # robots.txt forbids it; must not be requested
EXTERNAL = "external"  # other host; recorded, never requested


class RelatedLink(TypedDict):
    """One entry of a page's related-articles block, in page order."""

    href: str  # the attribute as written (HTML entities decoded)
    to_path: str  # canonical link target: root-relative path, or full URL for another host
    anchor_text: str  # whitespace-normalized
    listed_date_raw: str  # as displayed, whitespace-normalized
    listed_date: str  # ISO 8601 with offset, "YYYY-MM-DD" for a bare day, or RELATIVE
    outcome: str  # ARTICLE, NOT_FOUND, REDIRECT, DISALLOWED or EXTERNAL
    final_path: str | None  # canonical path of the article row it leads to, if any


class ArticleTruth(TypedDict):
    """Expected extraction results for one article page."""

    path: str
    template: str  # "A" classic, "B" magazine, "C" blog
    depth: int  # shortest related-link distance from the seed
    charset: str  # the charset the page is really encoded in
    canonical: str | None  # <link rel="canonical"> href, None when the page has none
    title: str  # the headline, without " | Il Corriere di Prova"
    authors: list[str]
    date_published: str  # ISO 8601 with offset, or "YYYY-MM-DD" when only a day is given
    date_modified: str | None
    language: str
    text_snippets: list[str]  # must appear in the extracted text
    not_in_text: list[str]  # chrome: must not appear in the extracted text
    related: list[RelatedLink]


# Chrome strings present on every article page, never part of the article text.
_CHROME = [
    HEADER_CLOCK,
    "Chi siamo",
    "Tutti i diritti riservati",
    "P.IVA 01234567890",
    "Condividi",
    "Home",
    "Cronaca",
    "Sport",
]

ARTICLE_LIST: list[ArticleTruth] = [
    # ------------------------------------------------------------------ depth 0, template A
    {
        "path": "/esteri/2024/11/21/corea-russia-alleanza.html",
        "template": "A",
        "depth": 0,
        "charset": "utf-8",
        "canonical": "/esteri/2024/11/21/corea-russia-alleanza.html",
        "title": "Alleanza Corea del Nord-Russia: soldati in Ucraina contro l'Occidente",
        "authors": ["Mario Rossi"],
        "date_published": "2024-11-21T08:30:00+01:00",
        "date_modified": "2024-11-21T10:05:00+01:00",
        "language": "it",
        "text_snippets": [
            "migliaia di soldati nordcoreani sarebbero stati trasferiti in Russia",
            "In cambio offre ciò che Mosca cerca con più urgenza: uomini e munizioni.",
            "il coinvolgimento di Pyongyang «un'escalation pericolosa»",
            "dopo la fine della Guerra fredda.",
        ],
        "not_in_text": [
            *_CHROME,
            "I più letti",
            "Tangenziale, tamponamento a catena",
            "Iscriviti alla newsletter",
            "Leggi i 48 commenti",
        ],
        "related": [
            {
                "href": TRACKING_HREF,
                "to_path": "/esteri/2024/11/20/missili-usa-escalation.html",
                "anchor_text": "Missili USA in gioco: escalation Russia-Ucraina e reazioni globali",
                "listed_date_raw": "20 novembre 2024 · 03:15",
                "listed_date": "2024-11-20T03:15:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/20/missili-usa-escalation.html",
            },
            {
                "href": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
                "to_path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
                "anchor_text": "La Russia blocca risoluzione ONU: la situazione in Sudan peggiora",
                "listed_date_raw": "19 novembre 2024 · 01:15",
                "listed_date": "2024-11-19T01:15:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
            },
            {
                "href": "/esteri/2024/11/17/guerra-giorno-mille.html",
                "to_path": "/esteri/2024/11/17/guerra-giorno-mille.html",
                "anchor_text": "La Russia avanza in Ucraina: la guerra entra nel giorno 1.000",
                "listed_date_raw": "17 novembre 2024 · 11:49",
                "listed_date": "2024-11-17T11:49:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/17/guerra-giorno-mille.html",
            },
            {
                "href": "/esteri/2024/11/10/articolo-rimosso.html",
                "to_path": "/esteri/2024/11/10/articolo-rimosso.html",
                "anchor_text": "Scambio di prigionieri tra Mosca e Kiev: liberati 90 soldati",
                "listed_date_raw": "10 novembre 2024 · 09:00",
                "listed_date": "2024-11-10T09:00:00+01:00",
                "outcome": NOT_FOUND,
                "final_path": None,
            },
            {
                "href": "/vecchio/ucraina-negoziati.html",
                # The link as written; the 301 is only known after fetching (see final_path).
                "to_path": "/vecchio/ucraina-negoziati.html",
                "anchor_text": "Negoziati per l'Ucraina: Kiev apre a un cessate il fuoco parziale",
                "listed_date_raw": "15 novembre 2024 · 18:40",
                "listed_date": "2024-11-15T18:40:00+01:00",
                "outcome": REDIRECT,
                "final_path": "/esteri/2024/11/15/ucraina-negoziati.html",
            },
            {
                "href": "/privato/dossier-riservato.html",
                "to_path": "/privato/dossier-riservato.html",
                "anchor_text": "Il dossier riservato sulle forniture di armi a Kiev",
                "listed_date_raw": "14 novembre 2024 · 07:30",
                "listed_date": "2024-11-14T07:30:00+01:00",
                "outcome": DISALLOWED,
                "final_path": None,
            },
            {
                "href": EXTERNAL_URL,
                "to_path": EXTERNAL_URL,
                "anchor_text": "Vertice NATO, gli alleati discutono il sostegno all'Ucraina",
                "listed_date_raw": "18 novembre 2024 · 12:00",
                "listed_date": "2024-11-18T12:00:00+01:00",
                "outcome": EXTERNAL,
                "final_path": None,
            },
            {
                "href": "/economia/2024/11/12/prezzi-energia-citta.html",
                "to_path": "/economia/2024/11/12/prezzi-energia-citta.html",
                "anchor_text": "Caro energia, perché in città la bolletta pesa di più",
                "listed_date_raw": "12 novembre 2024 · 16:20",
                "listed_date": "2024-11-12T16:20:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/economia/2024/11/12/prezzi-energia-citta.html",
            },
        ],
    },
    # ------------------------------------------------------------------ depth 1, template A
    {
        "path": "/esteri/2024/11/20/missili-usa-escalation.html",
        "template": "A",
        "depth": 1,
        "charset": "utf-8",
        "canonical": "/esteri/2024/11/20/missili-usa-escalation.html",
        "title": "Missili USA in gioco: escalation Russia-Ucraina e reazioni globali",
        "authors": ["Mario Rossi", "Laura Conti"],
        "date_published": "2024-11-20T03:15:00+01:00",
        "date_modified": "2024-11-20T07:40:00+01:00",
        "language": "it",
        "text_snippets": [
            "la Casa Bianca ha autorizzato le forze ucraine a impiegare i missili a lungo raggio",
            "Il Cremlino ha parlato di «un coinvolgimento diretto» di Washington nel conflitto",
            "Berlino ha ribadito che non intende consegnare a Kiev i propri missili da crociera.",
        ],
        "not_in_text": [
            *_CHROME,
            "I più letti",
            "Iscriviti alla newsletter",
            "Leggi i 112 commenti",
        ],
        "related": [
            {
                "href": "/esteri/2024/11/05/elezioni-usa-risultati.html",
                "to_path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
                "anchor_text": "Elezioni USA, i risultati: Trump avanti negli Stati in bilico",
                "listed_date_raw": "5 novembre 2024 · 23:40",
                "listed_date": "2024-11-05T23:40:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
            },
            {
                "href": "/esteri/2024/11/21/corea-russia-alleanza.html",
                "to_path": "/esteri/2024/11/21/corea-russia-alleanza.html",
                "anchor_text": (
                    "Alleanza Corea del Nord-Russia: soldati in Ucraina contro l'Occidente"
                ),
                "listed_date_raw": "21 novembre 2024 · 08:30",
                "listed_date": "2024-11-21T08:30:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/21/corea-russia-alleanza.html",
            },
            {
                "href": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
                "to_path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
                "anchor_text": "La Russia blocca risoluzione ONU: la situazione in Sudan peggiora",
                "listed_date_raw": "19 novembre 2024 · 01:15",
                "listed_date": "2024-11-19T01:15:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
            },
        ],
    },
    # ------------------------------------------------------------------ depth 1, template B
    {
        "path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
        "template": "B",
        "depth": 1,
        "charset": "utf-8",
        "canonical": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
        "title": "La Russia blocca risoluzione ONU: la situazione in Sudan peggiora",
        "authors": ["Andrea Colombo"],
        "date_published": "2024-11-19T01:15:00+01:00",
        "date_modified": None,
        "language": "it",
        "text_snippets": [
            "aveva raccolto quattordici voti favorevoli, ma il veto della Russia lo ha fatto"
            " decadere.",
            "gli sfollati hanno superato gli undici milioni.",
            "limitato all'accesso umanitario.",
        ],
        "not_in_text": [*_CHROME, "Abbonati", "I commenti sono chiusi."],
        # No related block on this page at all.
        "related": [],
    },
    # ------------------------------------------------------------------ depth 1, template C
    {
        "path": "/esteri/2024/11/17/guerra-giorno-mille.html",
        "template": "C",
        "depth": 1,
        "charset": "utf-8",
        "canonical": None,
        "title": "La Russia avanza in Ucraina: la guerra entra nel giorno 1.000",
        "authors": ["Giulia Bianchi"],
        "date_published": "2024-11-17T11:49:00+01:00",
        # "Aggiornato alle 16:01": a time only, on the publication day.
        "date_modified": "2024-11-17T16:01:00+01:00",
        "language": "it",
        "text_snippets": [
            "Mille giorni fa le colonne corazzate russe attraversavano il confine",
            "premono da sud sulla città di Pokrovsk",
            "Le Nazioni Unite hanno verificato la morte di oltre dodicimila civili",
        ],
        "not_in_text": [
            *_CHROME,
            "Il blog della redazione esteri",
            "Archivio",
            "Ottobre 2024",
            "Accedi per leggere e scrivere commenti.",
        ],
        "related": [
            {
                "href": "/esteri/2024/11/03/kiev-blackout.html",
                "to_path": "/esteri/2024/11/03/kiev-blackout.html",
                "anchor_text": (
                    "Kiev al buio dopo l'attacco alle centrali: la capitale resiste al freddo"
                ),
                "listed_date_raw": "3 nov 2024, 21:10",
                "listed_date": "2024-11-03T21:10:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/03/kiev-blackout.html",
            },
            {
                "href": "/esteri/2024/11/15/ucraina-negoziati.html",
                "to_path": "/esteri/2024/11/15/ucraina-negoziati.html",
                "anchor_text": "Negoziati per l'Ucraina: Kiev apre a un cessate il fuoco parziale",
                "listed_date_raw": "15 nov 2024, 18:40",
                "listed_date": "2024-11-15T18:40:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/15/ucraina-negoziati.html",
            },
            {
                "href": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
                "to_path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
                "anchor_text": "La Russia blocca risoluzione ONU: la situazione in Sudan peggiora",
                "listed_date_raw": "Ieri alle 18:30",
                # Relative to the fetch: (fetched_at in Europe/Rome).date() - 1 day, 18:30.
                "listed_date": RELATIVE,
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/19/onu-sudan-risoluzione.html",
            },
        ],
    },
    # ------------------------------------ depth 1 (reached through the 301), template B
    {
        "path": "/esteri/2024/11/15/ucraina-negoziati.html",
        "template": "B",
        "depth": 1,
        "charset": "utf-8",
        "canonical": "/esteri/2024/11/15/ucraina-negoziati.html",
        "title": "Negoziati per l'Ucraina: Kiev apre a un cessate il fuoco parziale",
        "authors": ["Federica Greco"],
        "date_published": "2024-11-15T18:40:00+01:00",
        "date_modified": "2024-11-16T09:00:00+01:00",
        "language": "it",
        "text_snippets": [
            "il presidente ucraino Volodymyr Zelensky ha lasciato intendere",
            "«Non rinunceremo a nessun pezzo del nostro territorio», ha precisato Zelensky",
            "potrebbe diventare il primo passo verso un negoziato vero e proprio.",
        ],
        "not_in_text": [*_CHROME, "Abbonati", "I commenti sono chiusi."],
        "related": [
            {
                "href": "/esteri/2024/11/03/kiev-blackout.html",
                "to_path": "/esteri/2024/11/03/kiev-blackout.html",
                "anchor_text": (
                    "Kiev al buio dopo l'attacco alle centrali: la capitale resiste al freddo"
                ),
                # In the HTML the date is split over two lines.
                "listed_date_raw": "03/11/2024 alle 21:10",
                "listed_date": "2024-11-03T21:10:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/03/kiev-blackout.html",
            },
            {
                "href": "/esteri/2024/11/05/elezioni-usa-risultati.html",
                "to_path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
                "anchor_text": "Elezioni USA, i risultati: Trump avanti negli Stati in bilico",
                "listed_date_raw": "05/11/2024 alle 23:40",
                "listed_date": "2024-11-05T23:40:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
            },
        ],
    },
    # ----------------------------------------------- depth 1, template C, windows-1252
    {
        "path": "/economia/2024/11/12/prezzi-energia-citta.html",
        "template": "C",
        "depth": 1,
        "charset": "windows-1252",
        "canonical": None,
        "title": "Caro energia, perché in città la bolletta pesa di più",
        "authors": ["Paolo Marino"],
        "date_published": "2024-11-12T16:20:00+01:00",
        "date_modified": None,
        "language": "it",
        "text_snippets": [
            "Chi vive in un grande centro urbano paga l’energia più di chi abita in provincia.",
            "“Il problema non è solo il prezzo della materia prima”",
            "può arrivare a € 12,50 al mese",
            "perché nascosta tra le voci della bolletta.",
        ],
        "not_in_text": [
            *_CHROME,
            "Il blog della redazione economia",
            "Archivio",
            "Ottobre 2024",
            "Accedi per leggere e scrivere commenti.",
        ],
        "related": [
            {
                "href": "/economia/2024/12/03/caro-bollette-dicembre.html",
                "to_path": "/economia/2024/12/03/caro-bollette-dicembre.html",
                "anchor_text": "Bollette di dicembre, che cosa cambierà per le famiglie",
                "listed_date_raw": "3 dicembre 2024",
                "listed_date": "2024-12-03",
                "outcome": ARTICLE,
                "final_path": "/economia/2024/12/03/caro-bollette-dicembre.html",
            },
            {
                "href": "/esteri/2024/11/17/guerra-giorno-mille.html",
                "to_path": "/esteri/2024/11/17/guerra-giorno-mille.html",
                "anchor_text": "La Russia avanza in Ucraina: la guerra entra nel giorno 1.000",
                "listed_date_raw": "17 nov 2024, 11:49",
                "listed_date": "2024-11-17T11:49:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/17/guerra-giorno-mille.html",
            },
        ],
    },
    # ------------------------------------------------------------------ depth 2, template A
    {
        "path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
        "template": "A",
        "depth": 2,
        "charset": "utf-8",
        "canonical": "/esteri/2024/11/05/elezioni-usa-risultati.html",
        "title": "Elezioni USA, i risultati: Trump avanti negli Stati in bilico",
        "authors": ["Laura Conti"],
        "date_published": "2024-11-05T23:40:00+01:00",
        # Modified the next day.
        "date_modified": "2024-11-06T08:10:00+01:00",
        "language": "it",
        "text_snippets": [
            "l'attenzione si è concentrata sui sette Stati in bilico",
            "ha invitato ad aspettare «che ogni voto sia contato».",
            "il repubblicano potrebbe superare la soglia dei 270 grandi elettori",
        ],
        "not_in_text": [
            *_CHROME,
            "I più letti",
            "Iscriviti alla newsletter",
            "Leggi i 230 commenti",
        ],
        "related": [
            {
                "href": "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html",
                "to_path": "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html",
                "anchor_text": (
                    "Sondaggi USA, Trump e Harris testa a testa a quattro giorni dal voto"
                ),
                "listed_date_raw": "1 novembre 2024 · 19:00",
                "listed_date": "2024-11-01T19:00:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html",
            },
            {
                "href": "/esteri/2024/11/20/missili-usa-escalation.html",
                "to_path": "/esteri/2024/11/20/missili-usa-escalation.html",
                "anchor_text": "Missili USA in gioco: escalation Russia-Ucraina e reazioni globali",
                "listed_date_raw": "20 novembre 2024 · 03:15",
                "listed_date": "2024-11-20T03:15:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/20/missili-usa-escalation.html",
            },
        ],
    },
    # ------------------------------------------------------------------ depth 2, template B
    {
        "path": "/esteri/2024/11/03/kiev-blackout.html",
        "template": "B",
        "depth": 2,
        "charset": "utf-8",
        "canonical": None,
        "title": "Kiev al buio dopo l'attacco alle centrali: la capitale resiste al freddo",
        "authors": ["Federica Greco"],
        "date_published": "2024-11-03T21:10:00+01:00",
        "date_modified": None,
        "language": "it",
        "text_snippets": [
            "Alle sei del mattino le sirene hanno cominciato a suonare in tutta la capitale.",
            "blackout programmati a rotazione, fino a otto ore al giorno",
            "«Abbiamo imparato a vivere così», racconta una commessa del centro",
        ],
        "not_in_text": [*_CHROME, "Abbonati", "I commenti sono chiusi."],
        "related": [
            {
                "href": "/esteri/2024/11/17/guerra-giorno-mille.html",
                "to_path": "/esteri/2024/11/17/guerra-giorno-mille.html",
                "anchor_text": "La Russia avanza in Ucraina: la guerra entra nel giorno 1.000",
                "listed_date_raw": "17/11/2024 alle 11:49",
                "listed_date": "2024-11-17T11:49:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/17/guerra-giorno-mille.html",
            },
            {
                "href": "/esteri/2024/11/15/ucraina-negoziati.html",
                "to_path": "/esteri/2024/11/15/ucraina-negoziati.html",
                "anchor_text": "Negoziati per l'Ucraina: Kiev apre a un cessate il fuoco parziale",
                "listed_date_raw": "15/11/2024 alle 18:40",
                "listed_date": "2024-11-15T18:40:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/15/ucraina-negoziati.html",
            },
        ],
    },
    # ------------------------------------------- depth 2, template C, date-only byline
    {
        "path": "/economia/2024/12/03/caro-bollette-dicembre.html",
        "template": "C",
        "depth": 2,
        "charset": "utf-8",
        "canonical": None,
        "title": "Bollette di dicembre, che cosa cambierà per le famiglie",
        "authors": ["Paolo Marino"],
        # "Pubblicato il 3 dicembre 2024": a day, no time.
        "date_published": "2024-12-03",
        "date_modified": None,
        "language": "it",
        "text_snippets": [
            "molte offerte a prezzo fisso sottoscritte un anno fa stanno per scadere.",
            "I fornitori sono tenuti a comunicare le nuove condizioni",
            "Bastano pochi minuti per scoprire se si sta pagando troppo.",
        ],
        "not_in_text": [
            *_CHROME,
            "Il blog della redazione economia",
            "Archivio",
            "Dicembre 2024",
            "Accedi per leggere e scrivere commenti.",
        ],
        "related": [
            {
                "href": "/economia/2024/11/12/prezzi-energia-citta.html",
                "to_path": "/economia/2024/11/12/prezzi-energia-citta.html",
                "anchor_text": "Caro energia, perché in città la bolletta pesa di più",
                "listed_date_raw": "12 nov 2024, 16:20",
                "listed_date": "2024-11-12T16:20:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/economia/2024/11/12/prezzi-energia-citta.html",
            },
            {
                "href": "/esteri/2024/11/21/corea-russia-alleanza.html",
                "to_path": "/esteri/2024/11/21/corea-russia-alleanza.html",
                "anchor_text": (
                    "Alleanza Corea del Nord-Russia: soldati in Ucraina contro l'Occidente"
                ),
                "listed_date_raw": "21 nov 2024, 08:30",
                "listed_date": "2024-11-21T08:30:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/21/corea-russia-alleanza.html",
            },
        ],
    },
    # ------------------------------------------------------------------ depth 3, template A
    {
        "path": "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html",
        "template": "A",
        "depth": 3,
        "charset": "utf-8",
        "canonical": None,
        "title": "Sondaggi USA, Trump e Harris testa a testa a quattro giorni dal voto",
        "authors": ["Laura Conti"],
        "date_published": "2024-11-01T19:00:00+01:00",
        "date_modified": "2024-11-01T19:00:00+01:00",
        "language": "it",
        "text_snippets": [
            "la corsa per la presidenza degli Stati Uniti resta apertissima.",
            "Il voto anticipato ha già superato i sessanta milioni di schede",
            "non arriverà prima di mercoledì mattina.",
        ],
        "not_in_text": [*_CHROME, "Leggi i 35 commenti"],
        "related": [
            {
                "href": "/esteri/2024/11/05/elezioni-usa-risultati.html",
                "to_path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
                "anchor_text": "Elezioni USA, i risultati: Trump avanti negli Stati in bilico",
                "listed_date_raw": "5 novembre 2024 · 23:40",
                "listed_date": "2024-11-05T23:40:00+01:00",
                "outcome": ARTICLE,
                "final_path": "/esteri/2024/11/05/elezioni-usa-risultati.html",
            },
        ],
    },
]

#: The same records keyed by canonical path.
ARTICLES: dict[str, ArticleTruth] = {a["path"]: a for a in ARTICLE_LIST}
