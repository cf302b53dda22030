"""A local news site that misbehaves on purpose, a canary that must never be called, and a
runner that measures the crawler while it meets them.

Everything listens on loopback only: the fault server on 127.0.0.1 (random port), the canary
on 127.0.0.2 (another loopback address, hence "private" to the crawler's SSRF guard). Both run
in daemon threads, log every request or connection they get, and stop by themselves after
``max_seconds`` even if nobody stops them; a handler never waits longer than
``hang_seconds``.

Routes of the fault server (``PATHS`` names them; all article-like, so that a page's related
block can link to them and the crawler meets them through related links as well as seeds):

=====================================  =====================================================
``/notizie/2024/11/21/<slug>.html``     a normal article; its related block lists the links
                                        set with ``FaultServer.set_links(path, [...])``
``/privato/2024/11/21/<slug>.html``     an article under ``Disallow: /privato/``
``/guasti/2024/11/21/http-<code>.html`` 404, 410 or 500 with an HTML error page
``/guasti/.../ra-<429|503>.html?s=N``   first hit: that status with ``Retry-After: N``,
                                        answered after ``ra_delay`` s (an overloaded server
                                        is slow); later hits: the article
``muto.html``                           accepts, reads the request, never answers
``solo-intestazioni.html``              status line and headers, then silence
``goccia.html``                         a body trickled at 1 byte/s
``troncata.html``                       Content-Length larger than the bytes sent
``enorme-cl.html`` / ``enorme.html``    50 MB, with / without Content-Length
``grande-7mb.html``                     7 MB of valid HTML (over the 5 MiB extraction cap)
``bomba-gzip|deflate|br.html``          Content-Encoding bombs (512 MB inflated)
``intestazioni-enormi.html``            a 1 MiB Set-Cookie header
``spazzatura.html``                     bytes that are not HTTP at all
``ciclo-a.html`` <-> ``ciclo-b.html``   302 redirect loop
``catena.html?n=k``                     302 to n=k+1 (n up to 1000)
``refresh-a.html`` <-> ``refresh-b``    meta-refresh loop
``verso-<target>.html``                 302 to file:, data:, ftp:, the canary in several
                                        spellings, or ``localhost`` (see ``REDIRECTS``)
``/ostili/2024/11/21/<name>.html``      hostile bodies (``HOSTILE_NAMES``): SQL, script
                                        payloads, binary, empty, 100,000 nested elements,
                                        NUL bytes and invalid UTF-8, and
                                        ``slow``: seconds of extraction
``/feed/<name>.xml``, ``/sitemap/...``  XML attacks (``xml_attacks()``), .xml.gz bomb
``/robots.txt``                         per server: ``disallow`` (default), ``503``,
                                        ``timeout``, ``huge`` (10 MB), ``over_cap``
                                        (12 MiB), ``canary`` (302 to the canary), ``none``
=====================================  =====================================================

Run ``uv run python -m newsarchive_testing.fault_server`` to browse it by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from newsarchive_testing.cli_runner import child_env

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a Scrapy extra
    brotli = None

# --- sizes and times ----------------------------------------------------------------------
MAX_SECONDS = 300.0  # a server stops by itself after this long
HANG_SECONDS = 30.0  # the longest a handler stalls (never answer, trickle, hang)
RA_DELAY = 1.5  # seconds before a 429/503 with Retry-After is answered (a slow, overloaded server)
BIG_BYTES = 50 * 1000 * 1000
MEDIUM_BYTES = 7 * 1000 * 1000
BOMB_BYTES = 512 * 1024 * 1024  # inflated size of every compression bomb
ROBOTS_HUGE_BYTES = 10 * 1000 * 1000
ROBOTS_OVER_CAP_BYTES = 12 * 1024 * 1024  # over the 10 MiB DOWNLOAD_MAXSIZE
HEADER_BOMB_BYTES = 1024 * 1024
SLOW_PARAGRAPHS = 50_000  # ~4.8 MB of HTML: several seconds of extraction, under the 5 MiB cap
TRUNCATED_DECLARED, TRUNCATED_SENT = 40_000, 10_000
TRICKLE_DECLARED = 2000
CHAIN_MAX = 1000
NESTED_DEPTH = 100_000
CHUNK = 64 * 1024

ARTICLE_DIR = "/notizie/2024/11/21/"
FAULT_DIR = "/guasti/2024/11/21/"
HOSTILE_DIR = "/ostili/2024/11/21/"
HTML = "text/html; charset=utf-8"
ROBOTS_RULES = b"User-agent: *\nDisallow: /privato/\n"
HTML_PREFIX = b"<!DOCTYPE html><html lang='it'><head><title>Grande</title></head><body><p>"

PATHS = {
    "seed": ARTICLE_DIR + "prima-pagina.html",
    "private": "/privato/2024/11/21/dossier-riservato.html",
    "404": FAULT_DIR + "http-404.html",
    "410": FAULT_DIR + "http-410.html",
    "500": FAULT_DIR + "http-500.html",
    "ra429": FAULT_DIR + "ra-429.html",
    "ra503": FAULT_DIR + "ra-503.html",
    "silent": FAULT_DIR + "muto.html",
    "headers_only": FAULT_DIR + "solo-intestazioni.html",
    "trickle": FAULT_DIR + "goccia.html",
    "truncated": FAULT_DIR + "troncata.html",
    "big_cl": FAULT_DIR + "enorme-cl.html",
    "big": FAULT_DIR + "enorme.html",
    "medium": FAULT_DIR + "grande-7mb.html",
    "bomb_gzip": FAULT_DIR + "bomba-gzip.html",
    "bomb_deflate": FAULT_DIR + "bomba-deflate.html",
    "bomb_br": FAULT_DIR + "bomba-br.html",
    "loop_a": FAULT_DIR + "ciclo-a.html",
    "loop_b": FAULT_DIR + "ciclo-b.html",
    "chain": FAULT_DIR + "catena.html?n=1",
    "header_bomb": FAULT_DIR + "intestazioni-enormi.html",
    "garbage": FAULT_DIR + "spazzatura.html",
    "refresh_a": FAULT_DIR + "refresh-a.html",
    "refresh_b": FAULT_DIR + "refresh-b.html",
    "sitemap_bomb": "/sitemap/bomba.xml.gz",
}

# Redirect targets refused by the crawler: name -> Location template ({c}: canary port,
# {p}: this server's port). Every network target is the canary, or this server under
# another name, so that a request that got through is seen.
REDIRECTS = {
    "file": "file:///etc/passwd",
    "data": "data:text/html;base64,PGgxPmRhdGE8L2gxPg==",
    "ftp": "ftp://127.0.0.2:{c}/notizie/2024/11/21/ftp.html",
    "canary": "http://127.0.0.2:{c}/notizie/2024/11/21/canary.html",
    "decimal": "http://2130706434:{c}/notizie/2024/11/21/decimale.html",
    "hex": "http://0x7f000002:{c}/notizie/2024/11/21/esadecimale.html",
    "octal": "http://0177.0.0.2:{c}/notizie/2024/11/21/ottale.html",
    "short": "http://127.2:{c}/notizie/2024/11/21/breve.html",
    "ipv6": "http://[::ffff:127.0.0.2]:{c}/notizie/2024/11/21/ipv6.html",
    "localhost": "http://localhost:{p}/notizie/2024/11/21/localhost.html",
}
for _name in REDIRECTS:
    PATHS[f"to_{_name}"] = f"{FAULT_DIR}verso-{_name}.html"

PARAGRAPHS = [
    "Il consiglio comunale ha approvato ieri sera il nuovo piano per la mobilità urbana, "
    "dopo una discussione durata oltre sei ore e numerosi emendamenti presentati dalle "
    "opposizioni, che chiedevano più risorse per le periferie e per il trasporto notturno.",
    "Secondo l'assessore, le prime misure entreranno in vigore già dal mese prossimo: nuove "
    "corsie preferenziali, parcheggi di scambio vicino alle stazioni e un abbonamento unico "
    "per autobus, tram e metropolitana a un prezzo ridotto per studenti e pensionati.",
    "I commercianti del centro storico restano cauti. Temono che la chiusura al traffico di "
    "alcune vie possa ridurre gli incassi, soprattutto nel periodo natalizio, e chiedono un "
    "tavolo permanente con l'amministrazione per verificare gli effetti delle nuove regole.",
    "Le associazioni ambientaliste parlano invece di un passo nella giusta direzione, pur "
    "ricordando che la qualità dell'aria in città resta tra le peggiori del Paese e che "
    "servono interventi più coraggiosi sul riscaldamento degli edifici pubblici e privati.",
    "Il piano prevede infine un sistema di monitoraggio con dati aperti, aggiornati ogni "
    "mese, sul numero di passeggeri, sui tempi di percorrenza e sugli incidenti stradali, "
    "così che i cittadini possano valutare da soli se le promesse saranno mantenute.",
]


# --- page builders ------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def related_block(links: Sequence[tuple[str, str]]) -> str:
    """The related-articles section listing (href, anchor text) pairs."""
    items = "".join(
        f'<li><time datetime="2024-11-20T10:00:00+01:00">20 novembre 2024 · 10:00</time>'
        f'<a href="{_escape(href)}">{_escape(text)}</a></li>'
        for href, text in links
    )
    return (
        f'<section class="articoli-correlati"><h2>Articoli correlati</h2><ul>{items}</ul></section>'
    )


def article_html(
    title: str,
    links: Sequence[tuple[str, str]] = (),
    *,
    extra_head: str = "",
    extra_body: str = "",
    paragraphs: Sequence[str] = PARAGRAPHS,
) -> bytes:
    """An Italian news article with JSON-LD, a byline and an optional related block."""
    text = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs)
    title_json = title.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '<!DOCTYPE html><html lang="it"><head><meta charset="utf-8">'
        f"<title>{_escape(title)} | La Gazzetta dei Guasti</title>"
        '<script type="application/ld+json">{"@context": "https://schema.org", '
        f'"@type": "NewsArticle", "headline": "{title_json}", '
        '"datePublished": "2024-11-21T08:30:00+01:00", '
        '"author": {"@type": "Person", "name": "Anna Verdi"}}</script>'
        f'{extra_head}</head><body><header class="testata"><a href="/">La Gazzetta</a>'
        f'</header><main><article class="articolo"><h1>{_escape(title)}</h1>'
        '<p class="firma">di Anna Verdi · <time datetime="2024-11-21T08:30:00+01:00">'
        f'21 novembre 2024 · 08:30</time></p><div class="testo-articolo">{text}</div>'
        f"{extra_body}{related_block(links) if links else ''}</article></main>"
        "<footer><p>La Gazzetta dei Guasti srl</p></footer></body></html>"
    ).encode()


def slug_title(path: str) -> str:
    """A readable headline made from a URL's last segment."""
    slug = urlsplit(path).path.rsplit("/", 1)[-1].removesuffix(".html")
    return "Notizia di prova: " + slug.replace("-", " ")


def _nested_page() -> bytes:
    head, _, tail = article_html("Pagina con centomila elementi annidati").partition(b"</main>")
    return head + b"<div>" * NESTED_DEPTH + b"fondo" + b"</div>" * NESTED_DEPTH + b"</main>" + tail


SQL_TITLE = "Robert'); DROP TABLE articles;-- <script>alert('xss')</script>"
SQL_PARAGRAPHS = [
    '\'; DELETE FROM pages WHERE 1=1; -- e poi " OR "1"="1 restano testo da archiviare. '
    + PARAGRAPHS[0],
    "<script>alert(document.cookie)</script> scritto come testo, non come codice. " + PARAGRAPHS[1],
    *PARAGRAPHS[2:],
]


def _hostile_bodies(canary_port: int) -> dict[str, bytes]:
    rng = random.Random(20241121)
    script = (
        f'<script>fetch("http://127.0.0.2:{canary_port}/xss");'
        f"document.location='http://127.0.0.2:{canary_port}/xss2'</script>"
        f'<img src="http://127.0.0.2:{canary_port}/img.png" onerror="alert(1)">'
    )
    nul = article_html("Titolo con NUL e byte non validi").replace(
        b"<p>Il consiglio",
        b"<p>Byte \x00 nulli \x00\x00, UTF-8 non valido \xff\xfe\xc3( e \xed\xa0\x80. Il consiglio",
        1,
    )
    return {
        "sql": article_html(SQL_TITLE, paragraphs=SQL_PARAGRAPHS, extra_body=script),
        "binary": bytes(rng.getrandbits(8) for _ in range(64 * 1024)),
        "empty": b"",
        "nested": _nested_page(),
        "nul": nul,
        "slow": slow_page(),
    }


def slow_page() -> bytes:
    """A valid article whose extraction takes seconds (SLOW_PARAGRAPHS short paragraphs)."""
    paragraphs = [
        f"Paragrafo numero {i} sulla mobilità urbana e sul consiglio comunale di prova."
        for i in range(SLOW_PARAGRAPHS)
    ]
    return article_html("Pagina lentissima da estrarre", paragraphs=paragraphs)


HOSTILE_NAMES = ("sql", "binary", "empty", "nested", "nul", "slow")
for _name in HOSTILE_NAMES:
    PATHS[f"hostile_{_name}"] = f"{HOSTILE_DIR}{_name}.html"


def _laughs(root: str, document: str) -> bytes:
    """Billion laughs: nine levels of ten entity references each, used where {x} stands."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]>{document}'.replace(
        "{x}", "&lol9;"
    ).encode()


def xml_attacks(base: str, canary: str) -> dict[str, tuple[str, bytes]]:
    """name -> (path, body) of feeds and sitemaps that attack the XML parser."""
    item = "<item><title>{x}</title><link>" + base + ARTICLE_DIR + "dal-feed.html</link></item>"
    rss = '<rss version="2.0"><channel><title>Feed</title>{items}</channel></rss>'
    url = "<url><loc>" + base + ARTICLE_DIR + "dalla-sitemap.html</loc><lastmod>{x}</lastmod></url>"
    urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    return {
        "feed_laughs": ("/feed/risate.xml", _laughs("rss", rss.format(items=item))),
        "feed_xxe": (
            "/feed/xxe.xml",
            (
                f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{canary}/xxe">]>'
                + rss.format(items=item.format(x="&xxe;"))
            ).encode(),
        ),
        "feed_param": (
            "/feed/parametro.xml",
            (
                f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{canary}/p.dtd"> %p;]>'
                + rss.format(items=item.format(x="parametro"))
            ).encode(),
        ),
        "feed_dtd": (
            "/feed/dtd-esterna.xml",
            (
                f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{canary}/esterna.dtd">'
                + rss.format(items=item.format(x="&esterna;"))
            ).encode(),
        ),
        "sitemap_laughs": (
            "/sitemap/risate.xml",
            _laughs("urlset", urlset.format(urls=url)),
        ),
        "sitemap_dtd": (
            "/sitemap/dtd-esterna.xml",
            (
                f'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "{canary}/esterna.dtd">'
                + urlset.format(urls=url.format(x="2024-11-21"))
            ).encode(),
        ),
        "sitemap_xinclude": (
            "/sitemap/xinclude.xml",
            (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
                ' xmlns:xi="http://www.w3.org/2001/XInclude">'
                f'<xi:include href="{canary}/incluso.xml" parse="xml"/>'
                + url.format(x="2024-11-21")
                + "</urlset>"
            ).encode(),
        ),
    }


def streamed_body(size: int) -> Iterator[bytes]:
    """The chunks of a large HTML body of exactly size bytes (big and 7 MB routes)."""
    filler = b"<p>" + b"riempitivo " * (CHUNK // 11) + b"</p>\n"
    block = (filler * (CHUNK // len(filler) + 1))[:CHUNK]
    yield HTML_PREFIX
    sent = len(HTML_PREFIX)
    while sent < size:
        part = block[: size - sent]
        yield part
        sent += len(part)


# --- compression bombs (built once per process, streamed through the compressor) ------------

_BOMBS: dict[str, bytes] = {}
_BOMB_LOCK = threading.Lock()


def _deflate_stream(wbits: int, prefix: bytes, size: int, fill: bytes = b" ") -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = fill * CHUNK * 16
    out = [comp.compress(prefix)]
    for _ in range(size // len(block)):
        out.append(comp.compress(block))
    out.append(comp.flush())
    return b"".join(out)


def bomb(kind: str) -> bytes:
    """A small body that inflates to BOMB_BYTES: gzip, deflate (zlib), br, or sitemap_gz."""
    with _BOMB_LOCK:
        if kind not in _BOMBS:
            if kind == "gzip":
                _BOMBS[kind] = _deflate_stream(16 + zlib.MAX_WBITS, HTML_PREFIX, BOMB_BYTES)
            elif kind == "deflate":
                _BOMBS[kind] = _deflate_stream(zlib.MAX_WBITS, HTML_PREFIX, BOMB_BYTES)
            elif kind == "br":
                if brotli is None:
                    raise RuntimeError("the brotli module is not installed")
                comp = brotli.Compressor(quality=5)
                block = b" " * CHUNK * 16
                parts = [comp.process(HTML_PREFIX)]
                parts += [comp.process(block) for _ in range(BOMB_BYTES // len(block))]
                parts.append(comp.finish())
                _BOMBS[kind] = b"".join(parts)
            elif kind == "sitemap_gz":
                prefix = (
                    b'<?xml version="1.0"?>'
                    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                )
                _BOMBS[kind] = _deflate_stream(16 + zlib.MAX_WBITS, prefix, BOMB_BYTES)
            else:
                raise ValueError(f"unknown bomb {kind!r}")
        return _BOMBS[kind]


BOMB_ENCODINGS = {"bomb_gzip": "gzip", "bomb_deflate": "deflate", "bomb_br": "br"}


# --- request log ----------------------------------------------------------------------------


@dataclass
class Hit:
    """One request received: when (time.monotonic), what, and how much was sent back."""

    method: str
    path: str
    host: str
    arrived: float
    finished: float | None = None
    sent: int = 0
    header_bytes: int = 0
    status: int | None = None
    note: str = ""

    @property
    def route(self) -> str:
        """The path without its query string."""
        return urlsplit(self.path).path


@dataclass
class _Log:
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, hit: Hit) -> Hit:
        with self.lock:
            self.hits.append(hit)
        return hit

    def snapshot(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)


class _Stopped(Exception):
    """The server is stopping: end the handler now."""


# --- the fault server ----------------------------------------------------------------------

ROBOTS_VARIANTS = ("disallow", "503", "timeout", "huge", "over_cap", "canary", "none")


class FaultServer:
    """A misbehaving news site on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        canary_port: int,
        *,
        robots: str = "disallow",
        host: str = "127.0.0.1",
        max_seconds: float = MAX_SECONDS,
        hang_seconds: float = HANG_SECONDS,
        ra_delay: float = RA_DELAY,
    ) -> None:
        if robots not in ROBOTS_VARIANTS:
            raise ValueError(f"unknown robots variant {robots!r}")
        self.canary_port = canary_port
        self.robots = robots
        self.host = host
        self.max_seconds = max_seconds
        self.hang_seconds = hang_seconds
        self.ra_delay = ra_delay
        self.stopping = threading.Event()
        self.log = _Log()
        self._links: dict[str, list[tuple[str, str]]] = {}
        self._counts: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.port = 0
        self.hostile = _hostile_bodies(canary_port)
        self.xml: dict[str, tuple[str, bytes]] = {}

    # -- lifecycle

    def start(self) -> FaultServer:
        """Bind, serve in a daemon thread, arm the stop-by-itself timer."""
        server = _Server((self.host, 0), _handler(self))
        self._server = server
        self.port = server.server_address[1]
        self.xml = xml_attacks(self.base_url, f"http://127.0.0.2:{self.canary_port}")
        serve = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        timer = threading.Timer(self.max_seconds, self.stop)
        timer.daemon = True
        self._threads = [serve]
        serve.start()
        timer.start()
        self._timer = timer
        return self

    def stop(self) -> None:
        """Stop serving and release every stalled handler."""
        self.stopping.set()
        if self._server is not None:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()
        self._timer.cancel()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- public API

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self.host}:{self.port}"

    def url(self, name_or_path: str) -> str:
        """Absolute URL of a PATHS name, an XML attack name, or a root-relative path."""
        if name_or_path in PATHS:
            path = PATHS[name_or_path]
        elif name_or_path in self.xml:
            path = self.xml[name_or_path][0]
        else:
            path = name_or_path
        return self.base_url + path

    def set_links(self, path: str, links: Sequence[tuple[str, str]]) -> None:
        """Make the article at path list these (href, anchor text) related links."""
        self._links[urlsplit(path).path] = list(links)

    def link_all(self, path: str, names: Sequence[str]) -> list[tuple[str, str]]:
        """Make the article at path link to the routes named (PATHS names or paths)."""
        links = [
            (PATHS.get(n, n), f"Titolo lungo di un articolo correlato numero {i}")
            for i, n in enumerate(names, start=1)
        ]
        self.set_links(path, links)
        return links

    @property
    def hits(self) -> list[Hit]:
        """Requests received so far (a snapshot)."""
        return self.log.snapshot()

    def hits_for(self, name_or_path: str) -> list[Hit]:
        """Requests for a PATHS name or a path (query strings ignored)."""
        path = urlsplit(PATHS.get(name_or_path, name_or_path)).path
        return [h for h in self.hits if h.route == path]

    def bytes_sent(self, name_or_path: str) -> int:
        """Body and header bytes the server managed to send for a route."""
        return sum(h.sent for h in self.hits_for(name_or_path))

    def body_bytes_sent(self, name_or_path: str) -> list[int]:
        """Body bytes sent for a route, per request."""
        return [h.sent - h.header_bytes for h in self.hits_for(name_or_path)]

    # -- responses (called by the handler thread)

    def count(self, key: str) -> int:
        """How many times key was served before (and count this one)."""
        with self.log.lock:
            n = self._counts.get(key, 0)
            self._counts[key] = n + 1
            return n

    def sleep(self, seconds: float) -> None:
        """Sleep, unless the server stops first."""
        if self.stopping.wait(seconds):
            raise _Stopped


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up and the server stopping are expected here."""
        if isinstance(sys.exc_info()[1], ConnectionError | _Stopped | TimeoutError | OSError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler(fs: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Guasti/1.0"
        timeout = HANG_SECONDS + 5

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: tests read the request log."""

        def do_HEAD(self) -> None:  # noqa: N802
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802
            self.close_connection = True
            hit = fs.log.add(
                Hit(self.command, self.path, self.headers.get("Host", ""), time.monotonic())
            )
            self.hit = hit
            try:
                self.route(urlsplit(self.path).path, parse_qs(urlsplit(self.path).query))
            except (_Stopped, ConnectionError, TimeoutError, OSError) as exc:
                hit.note = hit.note or type(exc).__name__
            finally:
                hit.finished = time.monotonic()

        # -- low-level writers that count bytes

        def write(self, data: bytes) -> None:
            if fs.stopping.is_set():
                raise _Stopped
            self.wfile.write(data)
            self.wfile.flush()
            self.hit.sent += len(data)

        def head(self, status: int, headers: dict[str, str], length: int | None) -> None:
            self.hit.status = status
            lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            if length is not None:
                lines.append(f"Content-Length: {length}")
            lines.append("Connection: close")
            data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            self.write(data)
            self.hit.header_bytes = len(data)

        def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.head(status, {"Content-Type": HTML, **(headers or {})}, len(body))
            if self.command != "HEAD":
                for i in range(0, len(body), CHUNK):
                    self.write(body[i : i + CHUNK])

        def stream(self, size: int, *, declare: bool) -> None:
            self.head(200, {"Content-Type": HTML}, size if declare else None)
            for part in streamed_body(size):
                self.write(part)

        # -- routing

        def route(self, path: str, query: dict[str, list[str]]) -> None:
            if path == "/robots.txt":
                return self.robots()
            if path.startswith(("/notizie/", "/privato/")):
                links = fs._links.get(path, [])
                return self.send(200, article_html(slug_title(path), links))
            if path.startswith(HOSTILE_DIR):
                name = path.removeprefix(HOSTILE_DIR).removesuffix(".html")
                if name in fs.hostile:
                    return self.send(200, fs.hostile[name])
            for name, (xml_path, body) in fs.xml.items():
                if path == xml_path:
                    kind = "application/rss+xml" if name.startswith("feed") else "application/xml"
                    return self.send(200, body, {"Content-Type": kind})
            if path == PATHS["sitemap_bomb"]:
                return self.send(200, bomb("sitemap_gz"), {"Content-Type": "application/x-gzip"})
            if path.startswith(FAULT_DIR):
                return self.fault(path.removeprefix(FAULT_DIR).removesuffix(".html"), query)
            return self.send(404, b"<html><body><h1>Pagina non trovata</h1></body></html>")

        def robots(self) -> None:
            mode = fs.robots
            if mode == "503":
                return self.send(503, b"Servizio non disponibile", {"Content-Type": "text/plain"})
            if mode == "timeout":
                return fs.sleep(fs.hang_seconds)
            if mode == "canary":
                target = f"http://127.0.0.2:{fs.canary_port}/robots.txt"
                return self.send(302, b"", {"Location": target})
            if mode == "none":
                return self.send(404, b"")
            if mode in ("huge", "over_cap"):
                size = ROBOTS_HUGE_BYTES if mode == "huge" else ROBOTS_OVER_CAP_BYTES
                self.head(200, {"Content-Type": "text/plain"}, size)
                self.write(ROBOTS_RULES)
                sent = len(ROBOTS_RULES)
                line = b"# " + b"riga di riempimento del robots.txt " * 3 + b"\n"
                block = line * (CHUNK // len(line))
                while sent < size:
                    part = block[: size - sent]
                    self.write(part)
                    sent += len(part)
                return None
            return self.send(200, ROBOTS_RULES, {"Content-Type": "text/plain"})

        def fault(self, name: str, query: dict[str, list[str]]) -> None:
            if name.startswith("http-"):
                code = int(name.removeprefix("http-"))
                body = f"<html><body><h1>Errore {code}</h1></body></html>".encode()
                return self.send(code, body)
            if name in ("ra-429", "ra-503"):
                wait = query.get("s", ["2"])[0]
                if fs.count(self.path) == 0:
                    fs.sleep(fs.ra_delay)
                    return self.send(int(name[3:]), b"Riprova piu' tardi", {"Retry-After": wait})
                return self.send(200, article_html(slug_title(name)))
            if name == "muto":
                return fs.sleep(fs.hang_seconds)
            if name == "solo-intestazioni":
                self.head(200, {"Content-Type": HTML}, 10_000)
                return fs.sleep(fs.hang_seconds)
            if name == "goccia":
                self.head(200, {"Content-Type": HTML}, TRICKLE_DECLARED)
                body = article_html("Goccia").ljust(TRICKLE_DECLARED)[:TRICKLE_DECLARED]
                deadline = time.monotonic() + fs.hang_seconds
                for byte in body:
                    if time.monotonic() > deadline:
                        break
                    self.write(bytes([byte]))
                    fs.sleep(1.0)
                return None
            if name == "troncata":
                self.head(200, {"Content-Type": HTML}, TRUNCATED_DECLARED)
                return self.write(article_html("Troncata").ljust(TRUNCATED_SENT)[:TRUNCATED_SENT])
            if name == "enorme-cl":
                return self.stream(BIG_BYTES, declare=True)
            if name == "enorme":
                return self.stream(BIG_BYTES, declare=False)
            if name == "grande-7mb":
                return self.stream(MEDIUM_BYTES, declare=True)
            if name == "intestazioni-enormi":
                cookie = "x" * HEADER_BOMB_BYTES
                return self.send(200, article_html("Intestazioni enormi"), {"Set-Cookie": cookie})
            if name == "spazzatura":
                return self.write(b"\x00\x01NON-HTTP garbage\r\n" * 64)
            if name.startswith("bomba-"):
                encoding = name.removeprefix("bomba-")
                body = bomb(encoding)
                return self.send(200, body, {"Content-Encoding": encoding})
            if name == "ciclo-a":
                return self.send(302, b"", {"Location": FAULT_DIR + "ciclo-b.html"})
            if name == "ciclo-b":
                return self.send(302, b"", {"Location": FAULT_DIR + "ciclo-a.html"})
            if name == "catena":
                n = int(query.get("n", ["1"])[0])
                if n >= CHAIN_MAX:
                    return self.send(200, article_html("Fine della catena"))
                return self.send(302, b"", {"Location": f"{FAULT_DIR}catena.html?n={n + 1}"})
            if name in ("refresh-a", "refresh-b"):
                other = "refresh-b" if name == "refresh-a" else "refresh-a"
                tag = f'<meta http-equiv="refresh" content="0; url={FAULT_DIR}{other}.html">'
                return self.send(200, article_html(f"Refresh {name}", extra_head=tag))
            if name.startswith("verso-"):
                template = REDIRECTS[name.removeprefix("verso-")]
                target = template.format(c=fs.canary_port, p=fs.port)
                return self.send(302, b"", {"Location": target})
            return self.send(404, b"<html><body><h1>Guasto sconosciuto</h1></body></html>")

    return Handler


# --- the canary ---------------------------------------------------------------------------


@dataclass
class Contact:
    """One connection the canary accepted, with the first bytes it received."""

    peer: str
    at: float
    data: bytes


class Canary:
    """A TCP listener on 127.0.0.2 that records every connection; a test fails if any came."""

    def __init__(self, host: str = "127.0.0.2", max_seconds: float = MAX_SECONDS) -> None:
        self.host = host
        self.max_seconds = max_seconds
        self.contacts: list[Contact] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        """http://127.0.0.2:PORT"""
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, peer = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1.0)
                data = b""
                with suppress(OSError):
                    data = conn.recv(65536)
                with self._lock:
                    self.contacts.append(Contact(f"{peer[0]}:{peer[1]}", time.monotonic(), data))
                with suppress(OSError):
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\ncanary")
        self._sock.close()

    @property
    def hits(self) -> int:
        """Connections received so far."""
        with self._lock:
            return len(self.contacts)

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def serve_faults(robots: str = "disallow", **kwargs: float) -> Iterator[tuple[FaultServer, Canary]]:
    """A canary on 127.0.0.2 and a fault server on 127.0.0.1 that points at it."""
    with Canary() as canary, FaultServer(canary.port, robots=robots, **kwargs) as server:
        yield server, canary


# --- driving the crawler ------------------------------------------------------------------


@dataclass
class Measured:
    """A finished CLI process with its wall time and peak memory (os.wait4)."""

    code: int
    out: str
    err: str
    seconds: float
    maxrss_mb: float


def run_measured(
    *args: str, cwd: Path, timeout: float = 180, env: dict[str, str] | None = None
) -> Measured:
    """Run `python -m newsarchive ARGS` like tests/conftest.run_cli, measuring time and memory.

    Memory is the peak resident size (VmHWM) of the crawler or of any of its child processes
    (the extraction workers), whichever is largest, sampled from /proc every 50 ms. Not
    ru_maxrss: on Linux a child inherits the peak RSS of the process that forked it, so every
    crawl started from a large pytest process would report pytest's size.
    """
    if env is None:
        env = child_env()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        status, usage, peak_kb = 0, None, 0
        while True:
            peak_kb = max(peak_kb, _tree_hwm_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                proc.send_signal(signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            peak_kb / 1024,
        )


def _tree_hwm_kb(pid: int) -> int:
    """Largest VmHWM (kB) of a process and its children, 0 when gone."""
    peak = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except OSError:
            continue
    return peak


def main(argv: list[str] | None = None) -> int:
    """Serve the fault site until Ctrl-C (or max_seconds), printing its routes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robots", default="disallow")
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    with serve_faults(args.robots, max_seconds=args.seconds) as (server, canary):
        server.link_all(PATHS["seed"], [n for n in PATHS if n != "seed"])
        print(f"fault server {server.base_url}   canary {canary.base_url}", flush=True)
        for name in PATHS:
            print(f"  {name:14} {server.url(name)}", flush=True)
        for name in server.xml:
            print(f"  {name:14} {server.url(name)}", flush=True)
        with suppress(KeyboardInterrupt):
            server.stopping.wait(args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
