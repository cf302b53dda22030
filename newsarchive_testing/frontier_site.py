"""A small local site for frontier cases: a link graph of articles, raw XML sources, traps.

Used by tests/test_faults_frontier.py and bench/reliability.py (issue 13, items 1-5). Listens
on loopback only and logs every path it serves; robots.txt is a 404 (everything allowed).

* ``graph``: article path -> the paths its related block lists (in that order);
* ``raw``: path -> (content type, body), e.g. sitemaps that list each other;
* ``trap``: a function of a path giving the related links of an article generated on the fly
  (a calendar that always has a next day), or None for a 404.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from newsarchive_testing.fault_server import article_html, slug_title

ARTICLE_DIR = "/notizie/2024/11/21/"


def article_path(name: str) -> str:
    """The path of an article named name."""
    return f"{ARTICLE_DIR}{name}.html"


class FrontierSite:
    """The site: use as a context manager; ``url(path)`` is its absolute URL."""

    def __init__(
        self,
        graph: dict[str, list[str]] | None = None,
        raw: dict[str, tuple[str, bytes]] | None = None,
        trap: Callable[[str], list[str] | None] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.graph = dict(graph or {})
        self.raw = dict(raw or {})
        self.trap = trap
        self.host = host
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def url(self, path: str) -> str:
        """Absolute URL of a root-relative path."""
        return f"http://{self.host}:{self.port}{path}"

    def body(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) served for a path."""
        if path in self.raw:
            kind, data = self.raw[path]
            return 200, kind, data
        links = self.graph.get(path)
        if links is None and self.trap is not None:
            links = self.trap(path)
        if links is None:
            return 404, "text/html", b"<html><body><h1>Pagina non trovata</h1></body></html>"
        pairs = [(href, f"Titolo lungo di un articolo correlato: {href}") for href in links]
        return 200, "text/html; charset=utf-8", article_html(slug_title(path), pairs)

    def start(self) -> FrontierSite:
        """Bind a random port and serve in a daemon thread."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet."""

            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                with site._lock:
                    site.hits[self.path] += 1
                status, kind, data = site.body(path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FrontierSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(**kwargs: object) -> Iterator[FrontierSite]:
    """A running FrontierSite (keyword arguments as FrontierSite's)."""
    site = FrontierSite(**kwargs)  # type: ignore[arg-type]
    with site:
        yield site


# --- graphs -------------------------------------------------------------------------------


def long_path_graph() -> tuple[str, dict[str, list[str]]]:
    """(seed path, graph) where x is first met through a long path when expanded depth-first:
    seed -> a1 -> a2 -> a3 -> x, and seed -> b1 -> x; then x -> y -> z -> w."""
    p = article_path
    graph = {
        p("seme"): [p("a1"), p("b1")],
        p("a1"): [p("a2")],
        p("a2"): [p("a3")],
        p("a3"): [p("x")],
        p("b1"): [p("x")],
        p("x"): [p("y")],
        p("y"): [p("z")],
        p("z"): [p("w")],
        p("w"): [],
    }
    return p("seme"), graph


def random_graph(nodes: int, seed: int, fanout: int = 3) -> tuple[str, dict[str, list[str]]]:
    """(seed path, graph): a random related-links graph of `nodes` articles, with shortcuts
    (links back to earlier articles) so that many are reachable by paths of several lengths."""
    rng = random.Random(seed)
    names = [article_path(f"n{i}") for i in range(nodes)]
    graph: dict[str, list[str]] = {name: [] for name in names}
    for i in range(1, nodes):
        # a chain-ish spanning tree (long paths) plus random links (shortcuts)
        graph[names[rng.randrange(max(0, i - 3), i)]].append(names[i])
    for name in names:
        for _ in range(rng.randrange(fanout)):
            target = names[rng.randrange(nodes)]
            if target != name and target not in graph[name]:
                graph[name].append(target)
    return names[0], graph


def depths(graph: dict[str, list[str]], seed: str, limit: int) -> dict[str, int]:
    """The shortest depth of every article within `limit` hops of seed."""
    found = {seed: 0}
    ring = [seed]
    for depth in range(1, limit + 1):
        nxt = []
        for page in ring:
            for target in graph.get(page, []):
                if target not in found:
                    found[target] = depth
                    nxt.append(target)
        ring = nxt
    return found


def leggi_anche_page(sections: int) -> bytes:
    """An article followed by `sections` heading-only "Leggi anche" sections and one real
    related list (related-block detection used to be quadratic in the sections)."""
    blocks = "".join(
        f"<section><h3>Leggi anche</h3><p>Nessun articolo {i}</p></section>"
        for i in range(sections)
    )
    related = (
        '<ul><li><a href="/notizie/2024/11/20/altro.html">Un titolo lungo di un articolo'
        "</a></li></ul>"
    )
    return article_html("Mille sezioni", extra_body=blocks + related)
