"""Shared fixtures: the local fixture site, a CLI runner that spawns real processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsarchive_testing.cli_runner import Run as Run
from newsarchive_testing.cli_runner import run_cli as run_cli
from newsarchive_testing.fixture_site import FixtureSite, serve_site

# the checks shared with bench/ assert in the testing package: pytest explains their failures
pytest.register_assert_rewrite("newsarchive_testing.integrity")

# Politeness delays off in tests: the fixture site is ours and local.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def count_rows(db: Path, sql: str) -> int:
    """The single number a query returns, 0 while the archive or its table does not exist yet."""
    import sqlite3

    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0] or 0)
        finally:
            conn.close()
    except sqlite3.OperationalError:  # no such table yet, or busy: not there yet
        return 0


def wait_until(condition: Callable[[], object], *, timeout: float = 120, what: str = "") -> object:
    """Poll condition until it is truthy (returned) or timeout seconds pass (AssertionError):
    tests wait for what they need to observe, never a fixed time."""
    import time

    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        time.sleep(0.05)
    return value


def descendants(pid: int) -> list[int]:
    """Live descendant processes of pid, read from /proc (Linux)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tasks:
        try:
            kids = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found += [kid, *descendants(kid)]
    return found


def spawned_workers(pid: int) -> list[int]:
    """Descendants of pid that are multiprocessing workers: spawned (`spawn_main`), or forked
    by the fork server (its command line; the fork server itself, pid's child, is not one)."""
    found = []
    for kid in descendants(pid):
        try:
            cmdline = Path(f"/proc/{kid}/cmdline").read_bytes()
            stat = Path(f"/proc/{kid}/stat").read_text()
            forked = b"multiprocessing.forkserver" in cmdline
            if b"spawn_main" in cmdline or (
                forked and int(stat.rsplit(")", 1)[1].split()[1]) != pid
            ):
                found.append(kid)
        except OSError:
            pass
    return found


def is_alive(pid: int) -> bool:
    """Whether pid is a running process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    """The fixture news site on a random 127.0.0.1 port."""
    with serve_site() as running:
        yield running
