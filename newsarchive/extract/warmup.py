"""warm_up(): the one-off work a process does on its first pages, done ahead of them. Pure.

Measured over the 400 corpus pages in one fresh process, work done once and then reused:
jusText's stoplist (the union of all its languages, ~40 ms, at the first page that reaches
jusText), dateparser's time-zone regexes and Italian locale (~150 ms, at the first date the
grammar leaves to dateparser), charset_normalizer's imports (~40 ms, at the first page with no
usable charset). The crawl's fork server runs warm_up() once, before it forks any extraction
worker (crawl/forks.PRELOAD), so that the workers start with all of it built instead of each
building it again at its first pages.

Not warmed: htmldate's dateparser, which compiles each of its ~200 locales at the first string
that locale is tried on (1.4 s for all of them). Warmed in the fork server, it made the first
page wait for the workers 1.4 s longer, more than the workers then saved: a 400-page crawl of
the corpus took 7.2 s instead of 5.9 s (median of 5).
"""

from __future__ import annotations

from newsarchive.dates.normalize import warm_up_dateparser
from newsarchive.extract.encoding import decode_body
from newsarchive.extract.justext_run import stoplist

# not UTF-8 and no charset declared: decode_body asks charset_normalizer
UNDECLARED_LATIN1 = "<p>Città, perché è così: caffè.</p>".encode("latin-1")


def warm_up() -> None:
    """Build what extraction otherwise builds at a process's first pages (see above)."""
    stoplist(None)  # the stoplist try_justext uses: trafilatura passes no language
    warm_up_dateparser()
    decode_body(UNDECLARED_LATIN1)
