"""Build once, in a parent process, what the extraction stack builds lazily on a process's
first pages; importing this module does it. Pure: it changes no page's result.

The extraction workers fork from a fork server that imports this module
(crawl/workers.py PRELOAD): each worker then starts with this state (shared copy-on-write)
instead of building it itself on its first pages. Measured on corpus pages 200-399 in a fresh
process: 5.9 s of CPU, 4.5 s after warm() (which takes 1.5 s). Two builds are that costly:

1. htmldate's dateparser (extractors.get_external_parser: every locale, no language given)
   compiles a locale's dictionary the first time a string is checked against it; the first
   strings htmldate hands it on a worker's pages meet most of the ~200 locales: 1.4 s. A string
   no locale reads is checked against every one of them.
2. jusText's stoplist, the union of all its languages lower-cased (justext_run.stoplist):
   0.13 s, on the first page that reaches jusText.

Both are caches of constant data (dateparser's htmldate parser is built without
try_previous_locales, so what it parsed before never changes what it answers).
"""

from __future__ import annotations

import logging

from htmldate.extractors import get_external_parser

from newsarchive.extract.justext_run import stoplist

logger = logging.getLogger(__name__)

# Read as a date in no dateparser locale: every locale's dictionary is compiled to find that out.
NO_LOCALE_DATE = "qwzx 31 qwzx"


def warm() -> None:
    """Build htmldate's dateparser with every locale's dictionary, and jusText's stoplist."""
    get_external_parser().get_date_data(NO_LOCALE_DATE)
    stoplist(None)  # trafilatura hands jusText no language (body.TRAFILATURA_OPTIONS)


def warm_quietly() -> None:
    """warm(), logging what goes wrong instead of raising it: the fork server imports this
    module, and an error there would keep every worker from starting (a failed warm-up only
    leaves the workers to build these caches themselves)."""
    try:
        warm()
    except Exception:  # noqa: BLE001 - see above
        logger.warning("the extraction warm-up failed; workers build their caches", exc_info=True)


warm_quietly()
