"""Shared fixtures: the local fixture site, a CLI runner that spawns real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture_site import FixtureSite, serve_site  # noqa: E402

# Politeness delays off in tests: the fixture site is ours and local.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


@dataclass
class Run:
    """A finished CLI process."""

    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path, timeout: float = 120, stdin: str | None = None) -> Run:
    """Run `python -m newsarchive ARGS` as a real subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    """The fixture news site on a random 127.0.0.1 port."""
    with serve_site() as running:
        yield running
