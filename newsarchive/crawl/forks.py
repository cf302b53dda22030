"""The extraction workers' fork server, started first thing by the commands that crawl.

The fork server imports and warms the extraction stack (PRELOAD) before it forks the first
worker: about 0.4 s, the longest step before a crawl's first page is extracted. The crawl
command starts it before it imports anything else of the crawl (the worker pool, Scrapy, the
store: also about 0.4 s), so that both run side by side. This module imports nothing but
multiprocessing for that reason; the worker pool (crawl/workers.py) forks its workers from
the server started here, or starts it itself when nothing did.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from multiprocessing.context import BaseContext

# What the fork server imports once, before it forks the first worker: the main module too
# (the `newsarchive` script), which a worker would otherwise import again, as spawn does, the
# body compression import-warc's workers do (store.bodies.pack), and the extraction stack,
# warmed (crawl/preload.py).
PRELOAD = [
    "__main__",
    "newsarchive.crawl.workers",
    "newsarchive.extract.article",
    "newsarchive.store.bodies",
    "newsarchive.crawl.preload",
]
# _limit_memory(parent=FORK_PARENT): the worker's parent is the fork server, whoever it is.
FORK_PARENT = 0


def context() -> tuple[BaseContext, int]:
    """The start method of the workers (the fork server, preloaded; else spawn) and the
    parent pid they must die with."""
    # never a plain fork: the crawler process has threads and open SQLite handles
    if "forkserver" in multiprocessing.get_all_start_methods():
        forking = multiprocessing.get_context("forkserver")
        forking.set_forkserver_preload(PRELOAD)
        return forking, FORK_PARENT
    return multiprocessing.get_context("spawn"), os.getpid()


def worker_count(setting: int) -> int:
    """The number of workers a NEWSARCHIVE_EXTRACT_WORKERS value means (-1: one per core)."""
    return (os.cpu_count() or 1) if setting < 0 else setting


def pool_shape(overrides: Mapping[str, str]) -> tuple[int, int] | None:
    """(workers, memory_mb) of the crawl's extraction pool, as the project settings and the -s
    overrides give them; None when a value is not a number (the pipeline reports it through
    Scrapy's settings)."""
    from newsarchive import settings as project

    try:
        count = int(
            overrides.get("NEWSARCHIVE_EXTRACT_WORKERS", project.NEWSARCHIVE_EXTRACT_WORKERS)
        )
        memory_mb = int(
            overrides.get("NEWSARCHIVE_EXTRACT_MEMORY_MB", project.NEWSARCHIVE_EXTRACT_MEMORY_MB)
        )
    except ValueError:
        return None
    return worker_count(count), memory_mb


def start_server(overrides: Mapping[str, str]) -> None:
    """Start the fork server now when the crawl will extract in workers (it returns at once:
    the server imports and warms the extraction stack in its own process meanwhile)."""
    shape = pool_shape(overrides)
    if shape is None or shape[0] <= 0:
        return
    forking, _ = context()
    if forking.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
