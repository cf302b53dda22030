"""Imported once by the extraction workers' fork server (forks.PRELOAD), before it forks any
worker: the extraction stack, warmed (extract.warmup), so that every worker forked from it,
including those that replace retired workers, starts with it imported and built."""

from __future__ import annotations

import logging

from newsarchive.extract.warmup import warm_up

try:
    warm_up()
except Exception:  # noqa: BLE001 - only a head start: a worker builds the rest at its first pages
    # (an exception here would stop the fork server, and with it every worker)
    logging.getLogger(__name__).warning("extraction warm-up failed", exc_info=True)
