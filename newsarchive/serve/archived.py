"""Archived pages as fetched, sandboxed: the body bytes with a strict Content-Security-Policy.

Served by the reading room at /-/archived/ID and by a small second HTTP server (another port,
so another origin than the Datasette UI). Bodies are read through the store, never through
SQL that Datasette users can write.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newsarchive.store.archive import Archive

logger = logging.getLogger(__name__)

# sandbox: no scripts, no forms, no popups, an opaque origin; nothing loads but images,
# styles, fonts and media; no <base> rewriting, not frameable
ARCHIVED_CSP = (
    "sandbox; default-src 'none'; img-src * data:; style-src * 'unsafe-inline'; "
    "font-src * data:; media-src *; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def archived_response(path: Path, page_id: int) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a stored page served as fetched, sandboxed."""
    with Archive(path, readonly=True) as archive:
        found = archive.pages.archived(page_id)
    headers = {
        "Content-Security-Policy": ARCHIVED_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "private, max-age=3600",
    }
    if found is None:
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return 404, headers, b"no such page"
    page, content_type, encoding = found
    if "html" in content_type.lower() or not content_type:
        headers["Content-Type"] = f"text/html; charset={encoding or 'utf-8'}"
    else:
        headers["Content-Type"] = "text/plain; charset=" + (encoding or "utf-8")
    return 200, headers, page.body


def start_archive_server(path: Path, host: str, port: int) -> int | None:
    """Serve /page/ID (archived pages, sandboxed) on host:port in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            prefix, _, rest = self.path.partition("/page/")
            if prefix or not rest.isdigit():
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            else:
                status, headers, body = archived_response(path, int(rest))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            logger.debug("archived pages: " + format, *args)

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        logger.warning(
            "archived pages: cannot listen on %s:%s (%s); serving them at /-/archived/ instead",
            host,
            port,
            exc,
        )
        return None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="newsarchive-archived", daemon=True).start()
    return int(server.server_address[1])
