"""bench/sitegen's generated site, served in a thread with a request log for the tests.

Each request is logged with the worker that sent it (``worker-X`` in its User-Agent), when
it arrived and when its response was written. A worker's gate can be closed: its requests
are then held unanswered (and never count as fetched) until the server stops.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from newsarchive_testing import sitegen

WORKER_RE = re.compile(r"worker-(\w+)")
RESPONSE_DELAY_S = 0.01  # a little server time, so that requests would overlap


@dataclass
class Hit:
    """One request as the server saw it."""

    path: str
    worker: str
    start: float
    end: float | None = None  # None: being answered, or held
    held: bool = False  # arrived at a closed gate: never answered


@dataclass
class LoggedSite:
    """The served site, its log and its gates."""

    files: dict[str, bytes]
    base_url: str = ""
    hits: list[Hit] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        """Absolute URL of a path."""
        return self.base_url + path

    def done(self, worker: str | None = None) -> list[Hit]:
        """Answered requests (of one worker)."""
        with self.lock:
            return [h for h in self.hits if h.end is not None and worker in (None, h.worker)]

    def held(self, worker: str) -> list[Hit]:
        """Requests of a worker held at its closed gate."""
        with self.lock:
            return [h for h in self.hits if h.held and h.worker == worker]

    def in_flight(self, worker: str) -> list[Hit]:
        """Requests of a worker being answered right now."""
        with self.lock:
            return [h for h in self.hits if h.end is None and not h.held and h.worker == worker]

    def close_gate(self, worker: str) -> None:
        """Hold every further request of this worker unanswered."""
        with self.lock:
            self.closed.add(worker)

    def open_gate(self, worker: str) -> None:
        """Answer this worker's new requests again (held ones stay held)."""
        with self.lock:
            self.closed.discard(worker)


def _handler(site: LoggedSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            found = WORKER_RE.search(self.headers.get("User-Agent", ""))
            hit = Hit(path, found.group(1) if found else "?", time.monotonic())
            with site.lock:
                site.hits.append(hit)
                hit.held = gated = hit.worker in site.closed
            if gated:
                site.stop.wait()  # held until the server stops; then dropped unanswered
                self.close_connection = True
                return
            body = site.files.get(path)
            time.sleep(RESPONSE_DELAY_S)
            status = 200 if body is not None else 404
            body = body if body is not None else b"not found\n"
            ctype = "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with site.lock:
                hit.end = time.monotonic()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a killed worker's connection


@contextmanager
def serve_generated(n: int, seed: int) -> Iterator[tuple[LoggedSite, sitegen.Site]]:
    """Serve generate_site(n, seed) on 127.0.0.1 (random port) until the context exits."""
    generated = sitegen.generate_site(n, seed)
    site = LoggedSite(dict(generated.files))
    server = _Server(("127.0.0.1", 0), _handler(site))
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield site, generated
    finally:
        site.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one instant."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    current = peak = 0
    for _, step in events:  # at equal times, ends (-1) sort before starts
        current += step
        peak = max(peak, current)
    return peak
