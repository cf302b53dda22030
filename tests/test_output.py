"""What a crawl prints on a terminal: the progress line, and warnings on lines of their own."""

from __future__ import annotations

import io
import logging
import sys
from types import SimpleNamespace

from newsarchive import extensions
from newsarchive.extensions import Progress

CLEAR = "\r\x1b[2K"


class StillLoop:
    """A LoopingCall stand-in: no reactor needed, the test draws the line itself."""

    def __init__(self, f):
        self.running = False

    def start(self, interval, now=True):
        self.running = True

    def stop(self):
        self.running = False


def test_a_warning_starts_on_its_own_line_not_after_the_progress_line(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(extensions.task, "LoopingCall", StillLoop)
    handler = logging.StreamHandler(err)
    root = logging.getLogger()
    root.addHandler(handler)
    progress = Progress(SimpleNamespace(stats=None), 1.0)
    try:
        progress.opened()
        progress.show()
        logging.getLogger("newsarchive.test").warning("attenzione: pagina lenta")
        progress.show()
        progress.closed()
    finally:
        root.removeHandler(handler)
    line = progress.line()
    assert err.getvalue() == (
        f"{CLEAR}{line}{CLEAR}attenzione: pagina lenta\n{CLEAR}{line}{CLEAR}{line}\n"
    )
    assert handler.filters == []
