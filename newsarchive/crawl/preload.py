"""Imported once by the extraction workers' fork server (workers.PRELOAD), before it forks any
worker: the extraction stack, warmed (extract.warmup), so that every worker forked from it,
including those that replace retired workers, starts with it imported and built."""

from __future__ import annotations

from newsarchive.extract.warmup import warm_up

warm_up()
