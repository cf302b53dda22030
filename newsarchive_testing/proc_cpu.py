"""CPU seconds of a process and of each of its descendants, sampled from /proc while it runs
(Linux), so that a bench can say where a run's CPU went: the main process or its workers.

os.wait4 gives only the sum (the process and the children it reaped); this keeps them apart.
A descendant's last sample is taken at most one interval before it ends.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

INTERVAL_S = 0.05
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: the fields after it follow the last ')'
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid: int) -> list[int]:
    """Every descendant of pid (the children of each of its threads, recursively)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(x) for x in children.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


@dataclass
class CpuSampler:
    """Sample the CPU of pid and of its descendants until stop(); the last value seen counts."""

    pid: int
    interval: float = INTERVAL_S
    main_s: float = 0.0
    children_s: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> CpuSampler:
        """Start sampling in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (call it once the process has ended)."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            main = cpu_seconds(self.pid)
            if main is not None:
                self.main_s = max(self.main_s, main)
            for child in descendants(self.pid):
                cpu = cpu_seconds(child)
                if cpu is not None:
                    self.children_s[child] = max(self.children_s.get(child, 0.0), cpu)
            self._stop.wait(self.interval)

    @property
    def workers_s(self) -> float:
        """CPU seconds of every descendant together."""
        return sum(self.children_s.values())
