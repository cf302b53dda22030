"""A deterministic, invented Italian news site for benchmarks, served from memory on 127.0.0.1.

``generate_site(n, seed)`` builds n article pages of 40-80 KB each (header with a nav menu,
inline CSS/JS boilerplate, a JSON-LD NewsArticle, 6-12 paragraphs of Italian-like text, a
"più letti" sidebar, a related block, a big footer) plus ``/robots.txt``. Every page lists
4-6 related articles in ``<section class="articoli-correlati">``: page i links first to its
children 4i+1..4i+4 (a 4-ary tree, so a crawl from page 0 reaches every page in ~log4(n)
hops), then to random other pages up to its 4-6 links.

``serve_site(n, seed)`` runs a ThreadingHTTPServer in a separate process (spawned, so its CPU
never shares a GIL with the crawler under test) that regenerates the same site from the same
seed, and stops when the context exits, when the parent dies, or after ``max_seconds``.

    uv run python -m newsarchive_testing.sitegen --pages 50     # serve it by hand until Ctrl-C
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import random
import re
import signal
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection

DEFAULT_PAGES = 300
DEFAULT_SEED = 20241120
BRANCHING = 4
MIN_LINKS, MAX_LINKS = 4, 6
SITE_NAME = "La Gazzetta di Prova"
ROME_WINTER = timezone(timedelta(hours=1))
FIRST_DATE = datetime(2024, 11, 1, 6, 0, tzinfo=ROME_WINTER)
MAX_SERVER_SECONDS = 900.0

SECTIONS = ["cronaca", "politica", "esteri", "economia", "cultura", "sport", "tecnologia"]
MONTHS_IT = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]
FIRST_NAMES = ["Mario", "Laura", "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Paolo"]
LAST_NAMES = ["Rossi", "Bianchi", "Conti", "Ferrari", "Esposito", "Romano", "Greco", "Gallo"]
CITIES = ["Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze", "Palermo", "Genova", "Bari"]
SUBJECTS = [
    "il governo",
    "la regione",
    "il sindaco",
    "la procura",
    "il ministero",
    "l'azienda",
    "il consiglio comunale",
    "la commissione europea",
    "il sindacato",
    "la polizia locale",
    "l'università",
    "la società",
    "il tribunale",
    "l'assessore",
    "la protezione civile",
]
VERBS = [
    "ha annunciato",
    "ha confermato",
    "ha presentato",
    "ha smentito",
    "ha approvato",
    "ha chiesto",
    "ha avviato",
    "ha respinto",
    "ha rinviato",
    "ha illustrato",
    "ha denunciato",
]
OBJECTS = [
    "un nuovo piano per i trasporti",
    "la riforma delle pensioni",
    "i fondi per la sanità",
    "il bilancio di previsione",
    "un'indagine sui rifiuti",
    "il progetto del nuovo stadio",
    "le misure contro il caro energia",
    "il calendario dei lavori",
    "l'accordo con i fornitori",
    "la proposta di legge sulla scuola",
    "un piano di assunzioni",
    "i risultati del trimestre",
]
TAILS = [
    "nel corso di una conferenza stampa",
    "dopo settimane di trattative",
    "secondo quanto riferito da fonti vicine al dossier",
    "in attesa del voto finale",
    "tra le proteste dell'opposizione",
    "con un comunicato diffuso in serata",
    "al termine di un lungo incontro",
    "come previsto dal regolamento",
    "entro la fine dell'anno",
    "nonostante le critiche delle associazioni",
    "per far fronte all'emergenza",
]
FILLERS = [
    "Secondo gli esperti",
    "In base ai dati diffusi",
    "Come spiegato dai tecnici",
    "Stando alle prime ricostruzioni",
    "A quanto si apprende",
    "Nel frattempo",
    "Intanto",
    "Tuttavia",
    "Inoltre",
    "D'altra parte",
    "Non a caso",
    "In ogni caso",
]
CLAUSES = [
    "la situazione resta complessa e richiede interventi rapidi",
    "i cittadini chiedono risposte chiare sui tempi e sui costi",
    "le risorse disponibili non sarebbero sufficienti a coprire tutte le spese",
    "il confronto con le parti sociali proseguirà nei prossimi giorni",
    "l'obiettivo è ridurre i ritardi accumulati negli ultimi anni",
    "i numeri confermano una tendenza già osservata nei mesi scorsi",
    "la decisione potrebbe avere conseguenze anche sul piano nazionale",
    "gli operatori del settore guardano con preoccupazione alle nuove regole",
    "la maggioranza si dice pronta a modificare alcuni punti del testo",
    "le associazioni dei consumatori annunciano un ricorso al tribunale amministrativo",
    "il dossier sarà esaminato dalla commissione competente entro la prossima settimana",
    "i dettagli dell'operazione verranno resi noti soltanto dopo la firma definitiva",
]
TOPIC_WORDS = [
    "trasporti",
    "sanità",
    "scuola",
    "energia",
    "bilancio",
    "ambiente",
    "lavoro",
    "casa",
    "turismo",
    "sicurezza",
    "cultura",
    "innovazione",
    "infrastrutture",
    "agricoltura",
]
MENU = [
    "Home",
    "Cronaca",
    "Politica",
    "Esteri",
    "Economia",
    "Cultura",
    "Spettacoli",
    "Sport",
    "Tecnologia",
    "Salute",
    "Scienze",
    "Motori",
    "Viaggi",
    "Cucina",
    "Moda",
    "Video",
    "Foto",
    "Podcast",
    "Meteo",
    "Oroscopo",
    "Lettere",
    "Opinioni",
    "Inchieste",
    "Dataroom",
]


@dataclass(frozen=True)
class Page:
    """One generated article: its path, title, dates and related pages (by index)."""

    index: int
    path: str
    title: str
    section: str
    published: datetime
    modified: datetime
    related: tuple[int, ...]


@dataclass
class Site:
    """The generated site: pages by index and the bytes served for each path."""

    pages: list[Page]
    files: dict[str, bytes] = field(default_factory=dict)

    def path(self, index: int) -> str:
        """The URL path of page `index`."""
        return self.pages[index].path

    def digest(self) -> str:
        """A short hash of every served path and body (to check two generations match)."""
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode())
            h.update(self.files[path])
        return h.hexdigest()[:16]

    def required_depth(self, start: int = 0) -> int:
        """Related-link hops from page `start` to the farthest page (BFS eccentricity)."""
        dist = {start: 0}
        queue = deque([start])
        while queue:
            i = queue.popleft()
            for j in self.pages[i].related:
                if j not in dist:
                    dist[j] = dist[i] + 1
                    queue.append(j)
        if len(dist) != len(self.pages):
            raise ValueError(f"only {len(dist)} of {len(self.pages)} pages reachable")
        return max(dist.values())

    def total_related(self) -> int:
        """Related links over all pages."""
        return sum(len(p.related) for p in self.pages)


# 1. Text


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:70].strip("-")


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
    else:
        s = f"{rng.choice(FILLERS)}, {rng.choice(CLAUSES)}"
        if rng.random() < 0.5:
            s += f", mentre {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    return s[0].upper() + s[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(4, 8)))


def _title(rng: random.Random, index: int) -> str:
    city = rng.choice(CITIES)
    subject = rng.choice(SUBJECTS)
    obj = rng.choice(OBJECTS)
    return f"{city}, {subject} {rng.choice(VERBS)} {obj} (n. {index})"


def italian_date(dt: datetime) -> str:
    """'20 novembre 2024 · 03:15' as news sites print it."""
    return f"{dt.day} {MONTHS_IT[dt.month - 1]} {dt.year} · {dt:%H:%M}"


# 2. Graph and pages


def _related(rng: random.Random, index: int, n: int) -> tuple[int, ...]:
    wanted = rng.randint(MIN_LINKS, MAX_LINKS)
    links = [c for c in range(BRANCHING * index + 1, BRANCHING * index + BRANCHING + 1) if c < n]
    while len(links) < min(wanted, n - 1):
        other = rng.randrange(n)
        if other != index and other not in links:
            links.append(other)
    return tuple(links)


def _pages(n: int, rng: random.Random) -> list[Page]:
    pages = []
    for i in range(n):
        section = SECTIONS[i % len(SECTIONS)]
        title = _title(rng, i)
        # page 0 is the newest; later pages were published earlier (related lists look back)
        published = FIRST_DATE + timedelta(days=21) - timedelta(minutes=97 * i + rng.randint(0, 60))
        modified = published + timedelta(minutes=rng.randint(5, 300))
        path = f"/{section}/{published:%Y/%m/%d}/{_slug(title)}-{i}.html"
        pages.append(Page(i, path, title, section, published, modified, _related(rng, i, n)))
    return pages


def _css(rng: random.Random) -> str:
    rules = []
    for k in range(rng.randint(40, 330)):
        rules.append(
            f".c{k}-{rng.randint(100, 999)}{{margin:{rng.randint(0, 24)}px {rng.randint(0, 24)}px;"
            f"padding:{rng.randint(0, 16)}px;color:#{rng.randint(0, 0xFFFFFF):06x};"
            f"font:{rng.randint(12, 22)}px/1.{rng.randint(2, 8)} Georgia,serif}}"
        )
    return "".join(rules)


def _script(rng: random.Random, page: Page) -> str:
    config = {
        "site": SITE_NAME,
        "section": page.section,
        "articleId": page.index,
        "adSlots": [
            {"id": f"slot-{k}", "sizes": [[300, 250], [728, 90]], "refresh": rng.randint(30, 90)}
            for k in range(rng.randint(30, 80))
        ],
        "experiments": {f"exp_{k}": rng.choice(["a", "b", "c"]) for k in range(40)},
    }
    return "window.__CONFIG__=" + json.dumps(config, separators=(",", ":")) + ";"


def _jsonld(page: Page, base: str, author: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": page.title,
        "datePublished": page.published.isoformat(),
        "dateModified": page.modified.isoformat(),
        "author": [{"@type": "Person", "name": author}],
        "publisher": {"@type": "Organization", "name": SITE_NAME},
        "inLanguage": "it-IT",
        "articleSection": page.section.capitalize(),
        "keywords": ", ".join(TOPIC_WORDS[(page.index + k) % len(TOPIC_WORDS)] for k in range(3)),
        "image": f"{base}/img/{page.index}.jpg",
        "mainEntityOfPage": f"{base}{page.path}",
    }
    return json.dumps(data, ensure_ascii=False)


def _nav() -> str:
    items = []
    for m in MENU:
        sub = "".join(
            f'<li><a href="/{_slug(m)}/{_slug(t)}/">{t.capitalize()}</a></li>'
            for t in TOPIC_WORDS[:6]
        )
        head = f'<a href="/{_slug(m)}/">{m}</a>'
        items.append(f'<li class="menu-item">{head}<ul class="sub-menu">{sub}</ul></li>')
    return f'<nav class="main-menu" aria-label="Menu principale"><ul>{"".join(items)}</ul></nav>'


def _footer() -> str:
    cols = []
    for m in MENU:
        links = "".join(
            f'<li><a href="/{_slug(m)}/{_slug(t)}/">{t.capitalize()}</a></li>' for t in TOPIC_WORDS
        )
        cols.append(f'<div class="footer-col"><h4>{m}</h4><ul>{links}</ul></div>')
    legal = (
        f"<p>© 2024 {SITE_NAME} S.p.A. – P.IVA 01234567890 – Registrazione al Tribunale di Roma "
        "n. 123/2020. Tutti i diritti riservati. È vietata la riproduzione, anche parziale, dei "
        "contenuti senza autorizzazione.</p>"
        '<p><a href="/privacy/">Privacy</a> · <a href="/cookie-policy/">Cookie policy</a> · '
        '<a href="/note-legali/">Note legali</a> · <a href="/contatti/">Contatti</a></p>'
    )
    return f'<footer class="site-footer">{"".join(cols)}{legal}</footer>'


def _render(page: Page, pages: list[Page], rng: random.Random, popular: list[int]) -> bytes:
    base = ""
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    paragraphs = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(6, 12)))
    related = "".join(
        f'<li><time datetime="{pages[j].published.isoformat()}">'
        f"{italian_date(pages[j].published)}</time>"
        f'<a href="{pages[j].path}">{pages[j].title}</a></li>'
        for j in page.related
    )
    most_read = "".join(f'<li><a href="{pages[j].path}">{pages[j].title}</a></li>' for j in popular)
    share = "".join(
        f'<a class="share-{s}" href="https://www.{s}.com/share?u={page.path}">{s}</a>'
        for s in ("facebook", "twitter", "whatsapp", "linkedin")
    )
    html = f"""<!DOCTYPE html>
<html lang="it">
<head>
<meta charset="utf-8">
<title>{page.title} - {SITE_NAME}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{CLAUSES[page.index % len(CLAUSES)].capitalize()}.">
<meta property="og:title" content="{page.title}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="article:published_time" content="{page.published.isoformat()}">
<link rel="canonical" href="{page.path}">
<style>{_css(rng)}</style>
<script type="application/ld+json">{_jsonld(page, base, author)}</script>
<script>{_script(rng, page)}</script>
</head>
<body class="article-page">
<header class="site-header"><div class="topbar"><a href="/abbonati/">Abbonati</a>
<a href="/accedi/">Accedi</a></div><a class="logo" href="/">{SITE_NAME}</a>{_nav()}</header>
<div class="breadcrumb"><a href="/">Home</a> › <a href="/{page.section}/">{page.section.capitalize()}</a></div>
<main>
<article class="articolo">
<h1>{page.title}</h1>
<p class="sommario">{_sentence(rng)}</p>
<div class="byline">di <span class="autore">{author}</span> ·
<time class="data-pubblicazione">{italian_date(page.published)}</time></div>
<div class="share-bar">{share}</div>
<div class="testo">{paragraphs}</div>
</article>
<section class="articoli-correlati"><h2>Articoli correlati</h2><ul>{related}</ul></section>
<div class="newsletter-box"><h3>Iscriviti alla newsletter</h3><p>Ogni mattina le notizie più
importanti nella tua casella di posta.</p><form><input type="email"><button>Iscriviti</button></form></div>
</main>
<aside class="piu-letti"><h3>I più letti</h3><ol>{most_read}</ol></aside>
{_footer()}
<script>(function(){{var s=document.createElement('script');s.src='/js/app.{page.index % 7}.js';document.body.appendChild(s);}})();</script>
</body>
</html>
"""  # noqa: E501
    return html.encode("utf-8")


def generate_site(n: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED) -> Site:
    """The same n-page site for the same (n, seed), with /robots.txt allowing everything."""
    if n < 2:
        raise ValueError(f"a site needs at least 2 pages, not {n}")
    rng = random.Random(seed)
    pages = _pages(n, rng)
    popular = rng.sample(range(n), min(5, n))
    site = Site(pages)
    site.files["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    for page in pages:
        site.files[page.path] = _render(page, pages, rng, popular)
    return site


def corpus_site(n: int) -> Site:
    """A site of real pages (issue 17): page 0 is a generated hub whose "Articoli correlati"
    block links to n - 1 pages of the shared evaluation corpus (newsarchive_testing.corpus, in its
    order), served as they were saved. Their own links point to the internet: not followed."""
    from newsarchive_testing import corpus  # the shared corpus, read in place

    real = corpus.load()[: n - 1]
    if len(real) < n - 1:
        raise ValueError(f"the corpus has {len(real)} pages, not {n - 1}")
    when = datetime(2024, 11, 21, 8, 30, tzinfo=timezone.utc)
    pages = [
        Page(
            0,
            "/notizie/2024/11/21/indice-pagine-reali.html",
            "Pagine reali",
            "indice",
            when,
            when,
            tuple(range(1, n)),
        )
    ]
    pages += [
        Page(i, f"/notizie/2024/11/20/pagina-reale-{i:05d}.html", "", "corpus", when, when, ())
        for i in range(1, n)
    ]
    links = "".join(f'<li><a href="{p.path}">Pagina reale {p.index}</a></li>' for p in pages[1:])
    hub = (
        "<!doctype html><html lang=it><head><meta charset=utf-8><title>Pagine reali</title>"
        "</head><body><article><h1>Pagine reali</h1><p>Un indice delle pagine del corpus,"
        " servite come furono salvate.</p></article>"
        f'<section class="articoli-correlati"><h2>Articoli correlati</h2><ul>{links}</ul>'
        "</section></body></html>"
    )
    site = Site(pages)
    site.files["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    site.files[pages[0].path] = hub.encode()
    for page, source in zip(pages[1:], real, strict=True):
        site.files[page.path] = source.body()
    return site


# 3. Server (in its own process)


def _handler(
    files: dict[str, bytes], hits: list[int], html_type: str = "text/html; charset=utf-8"
) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        # headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK
        # would stall every keep-alive response by ~40 ms
        disable_nagle_algorithm = True

        def _send(self, head_only: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            body = files.get(path)
            with lock:
                hits[0] += 1
            if body is None:
                status, body, ctype = 404, b"not found\n", "text/plain; charset=utf-8"
            else:
                status = 200
                ctype = "text/plain" if path.endswith(".txt") else html_type
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._send(head_only=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._send(head_only=True)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 16+ concurrent connects must not hit SYN retries


def _serve(n: int, seed: int, conn: Connection, max_seconds: float, corpus: bool = False) -> None:
    """Child process: serve the site until told to stop, the parent goes, or time runs out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    site = corpus_site(n) if corpus else generate_site(n, seed)
    hits = [0]
    # corpus pages are in many encodings: no charset, the page's own declaration decides
    html_type = "text/html" if corpus else "text/html; charset=utf-8"
    server = _Server(("127.0.0.1", 0), _handler(site.files, hits, html_type))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    conn.send({"port": server.server_address[1], "digest": site.digest()})
    deadline = time.monotonic() + max_seconds
    last_cpu = 0.0
    try:
        while time.monotonic() < deadline:
            if not conn.poll(0.5):
                continue
            try:
                message = conn.recv()
            except EOFError:
                break  # the parent is gone
            if message == "stats":
                usage = os.times()
                cpu = usage.user + usage.system
                conn.send({"requests": hits[0], "cpu_s": cpu - last_cpu})
                hits[0], last_cpu = 0, cpu
            elif message == "stop":
                break
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class ServedSite:
    """Handle on the running server process."""

    port: int
    digest: str
    conn: Connection
    process: mp.process.BaseProcess

    def url(self, path: str) -> str:
        """Absolute URL of a path on the server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict[str, float]:
        """Requests served and server CPU seconds since the previous call."""
        self.conn.send("stats")
        data: dict[str, float] = self.conn.recv()
        return data


@contextmanager
def serve_site(
    n: int = DEFAULT_PAGES,
    seed: int = DEFAULT_SEED,
    *,
    max_seconds: float = MAX_SERVER_SECONDS,
    corpus: bool = False,
) -> Iterator[ServedSite]:
    """Serve generate_site(n, seed) (corpus: corpus_site(n)) on 127.0.0.1 from a spawned
    process; stop on exit."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(n, seed, child, max_seconds, corpus), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(60):
            raise RuntimeError("the site server did not start within 60 s")
        hello = parent.recv()
        yield ServedSite(hello["port"], hello["digest"], parent, process)
    finally:
        with suppress(BrokenPipeError, OSError):
            parent.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        parent.close()


def main() -> None:
    """Serve the site by hand."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    site = generate_site(args.pages, args.seed)
    sizes = sorted(len(b) for p, b in site.files.items() if p.endswith(".html"))
    with serve_site(args.pages, args.seed) as served:
        print(
            f"{len(sizes)} pages, {sizes[0] // 1024}-{sizes[-1] // 1024} KB, depth "
            f"{site.required_depth()}; start at {served.url(site.path(0))}  (Ctrl-C to stop)"
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
