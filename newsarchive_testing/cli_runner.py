"""The CLI as a real subprocess, for tests and benches: `python -m newsarchive ARGS`."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    """A finished CLI process."""

    code: int
    out: str
    err: str


def child_env() -> dict[str, str]:
    """This process's environment without NEWSARCHIVE_* settings, for a newsarchive child
    process that must run with its defaults whatever the caller's shell exports."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}


def run_cli(*args: str, cwd: Path, timeout: float = 120, stdin: str | None = None) -> Run:
    """Run `python -m newsarchive ARGS` as a real subprocess."""
    env = child_env()
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
