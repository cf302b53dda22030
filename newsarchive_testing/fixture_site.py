"""A local HTTP server for the invented news site "Il Corriere di Prova".

The pages live under ``tests/fixtures/site/`` and are served at the same path
(``site/esteri/2024/11/21/x.html`` -> ``/esteri/2024/11/21/x.html``). The expected
values for every page are hand-written in ``newsarchive_testing/site_truth.py``.

Usage in a test::

    with serve_site() as site:
        crawl(site.url("/esteri/2024/11/21/corea-russia-alleanza.html"))
        assert site.hits("/privato/dossier-riservato.html") == 0

Run ``uv run python -m newsarchive_testing.fixture_site`` to browse the site by hand.
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "site"

#: path -> (status, Location). Locations are root-relative, as the port is random.
REDIRECTS: dict[str, tuple[int, str]] = {
    "/vecchio/ucraina-negoziati.html": (301, "/esteri/2024/11/15/ucraina-negoziati.html"),
}

#: Per-path response headers that replace the defaults (e.g. a page not in UTF-8).
PAGE_HEADERS: dict[str, dict[str, str]] = {
    "/economia/2024/11/12/prezzi-energia-citta.html": {
        "Content-Type": "text/html; charset=windows-1252",
    },
}

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
}

NOT_FOUND_BODY = (
    '<!DOCTYPE html>\n<html lang="it"><head><meta charset="utf-8">'
    "<title>Pagina non trovata - Il Corriere di Prova</title></head>\n"
    "<body><h1>Pagina non trovata</h1>"
    "<p>La pagina che cercavi non esiste o è stata rimossa.</p>"
    '<p><a href="/">Torna alla home</a></p></body></html>\n'
).encode()

#: (status, headers, body) served instead of whatever the path would normally give.
Override = tuple[int, Mapping[str, str], bytes]


@dataclass(frozen=True)
class RequestRecord:
    """One request received by the fixture server."""

    method: str
    path: str
    headers: dict[str, str]


class FixtureSite:
    """Handle on a running fixture server: its URL, the requests it saw, its overrides."""

    def __init__(self, root: Path, overrides: Mapping[str, Override] | None = None) -> None:
        self.root = Path(root).resolve()
        self.base_url = ""
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._overrides: dict[str, Override] = {}
        for path, (status, headers, body) in (overrides or {}).items():
            self.set_override(path, status, headers, body)

    # -- public API ---------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL on this server for a root-relative path."""
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    @property
    def requests(self) -> list[str]:
        """Request paths received so far, in order, query strings included (a snapshot)."""
        with self._lock:
            return [r.path for r in self._records]

    @property
    def records(self) -> list[RequestRecord]:
        """Requests received so far with method and headers (a snapshot)."""
        with self._lock:
            return list(self._records)

    def hits(self, path: str) -> int:
        """Count requests for ``path``; without a ``?`` in it, any query string matches."""
        if "?" in path:
            return sum(1 for p in self.requests if p == path)
        return sum(1 for p in self.requests if _path_only(p) == path)

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._records.clear()

    def set_override(
        self,
        path: str,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: bytes | str = b"",
    ) -> None:
        """Serve (status, headers, body) at ``path`` from now on; safe while running."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        with self._lock:
            self._overrides[path] = (status, dict(headers or {}), body)

    def clear_override(self, path: str) -> None:
        """Go back to serving ``path`` from disk."""
        with self._lock:
            self._overrides.pop(path, None)

    # -- used by the request handler ----------------------------------------------

    def _record(self, method: str, raw_path: str, headers: Mapping[str, str]) -> None:
        with self._lock:
            self._records.append(RequestRecord(method, raw_path, dict(headers)))

    def respond(self, raw_path: str) -> Override:
        """Resolve a request path to (status, headers, body), before HEAD strips the body."""
        path = _path_only(raw_path)
        with self._lock:
            override = self._overrides.get(raw_path) or self._overrides.get(path)
        if override is not None:
            return override
        if path in REDIRECTS:
            status, location = REDIRECTS[path]
            body = f'<html><body><a href="{location}">Spostato qui</a></body></html>'.encode()
            return status, {"Location": location, "Content-Type": CONTENT_TYPES[".html"]}, body
        file = self._file_for(path)
        if file is None:
            return 404, {"Content-Type": CONTENT_TYPES[".html"]}, NOT_FOUND_BODY
        content_type = CONTENT_TYPES.get(file.suffix) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        headers = {"Content-Type": content_type, **PAGE_HEADERS.get(path, {})}
        return 200, headers, file.read_bytes()

    def _file_for(self, path: str) -> Path | None:
        if path.endswith("/"):  # no directory indexes: section pages do not exist
            return None
        candidate = (self.root / unquote(path).lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


def _path_only(raw_path: str) -> str:
    """The path part of a request target, without query string or fragment."""
    return urlsplit(raw_path).path or "/"


def _make_handler(site: FixtureSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "CorriereDiProva/1.0"

        def version_string(self) -> str:
            return self.server_version

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._serve(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(send_body=False)

        def _serve(self, *, send_body: bool) -> None:
            site._record(self.command, self.path, dict(self.headers.items()))
            status, headers, body = site.respond(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if not any(name.lower() == "content-length" for name in headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Stay quiet: tests read ``site.requests`` instead of stderr."""

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients that hang up early; report anything else as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve_site(
    root: Path = SITE_DIR,
    host: str = "127.0.0.1",
    *,
    port: int = 0,
    overrides: Mapping[str, Override] | None = None,
) -> Iterator[FixtureSite]:
    """Serve ``root`` on ``host`` (random port by default) in a daemon thread."""
    site = FixtureSite(root, overrides)
    server = _QuietServer((host, port), _make_handler(site))
    site.base_url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="fixture-site",
        daemon=True,
    )
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    """Serve the fixture site until Ctrl-C, printing its base URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    args = parser.parse_args(argv)
    with serve_site(host=args.host, port=args.port) as site:
        print(site.base_url, flush=True)
        for file in sorted(SITE_DIR.rglob("*.html")):
            print("  " + site.url("/" + file.relative_to(SITE_DIR).as_posix()), flush=True)
        print("Ctrl-C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
