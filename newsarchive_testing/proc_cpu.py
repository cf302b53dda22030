"""CPU seconds of a process and of each of its descendants, read from /proc while it runs
(Linux), so that a bench can say where a run's CPU went: the main process, the fork server,
the extraction workers.

os.wait4 cannot: it counts only the children a process reaped itself, and workers forked by
multiprocessing's fork server are reaped by the fork server, which outlives the process.
The main process's own CPU is read once it has exited, before it is reaped (a zombie keeps
its figures); a descendant's last sample is taken at most one interval before it ends.

Peak memory is read the same way (VmHWM, of the process and of each descendant), never from
os.wait4's ru_maxrss: on Linux a child's ru_maxrss starts at its parent's resident size at the
fork (execve keeps the larger of it and the new program's), so a child of a bench holding
1,000 corpus pages reports the bench's 220 MB even for /usr/bin/true. VmHWM is the new
program's own.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

# Each sample reads /proc for every descendant: at 0.02 s the sampler took ~3 % of a core, out of
# the 2 cores the sampled crawl uses (the plain spider it is compared with runs unsampled); at
# 0.05 s about 1 %. A descendant's CPU in its last interval before it ends is not counted.
INTERVAL_S = 0.05
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
FORK_SERVER = b"multiprocessing.forkserver"
RESOURCE_TRACKER = b"multiprocessing.resource_tracker"
SPAWNED = b"spawn_main"


def load_average() -> str:
    """The 1/5/15-minute load averages, for a bench's figures (other processes skew them)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/pid/stat after the command name (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: the fields after it follow the last ')'
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, its children not included (None once it is gone)."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident set size of a live process (VmHWM), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


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


def kind_of(pid: int, root: int) -> str:
    """What a descendant of root is: "fork server", "resource tracker", "worker" (spawned,
    or forked by the fork server) or "other"."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "other"
    fields = _stat(pid)
    parent = int(fields[1]) if fields else -1
    if RESOURCE_TRACKER in cmdline:
        return "resource tracker"
    if FORK_SERVER in cmdline:
        return "fork server" if parent == root else "worker"
    return "worker" if SPAWNED in cmdline else "other"


@dataclass
class CpuSampler:
    """Sample the CPU of pid's descendants until stop(), the last value seen counting, and the
    peak memory of pid and its descendants (cpu=False: the memory only)."""

    pid: int
    interval: float = INTERVAL_S
    cpu: bool = True
    children: dict[int, tuple[str, float]] = field(default_factory=dict)
    peak_rss: dict[int, float] = field(default_factory=dict)

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
        while True:
            self._sample_rss(self.pid)
            for child in descendants(self.pid):
                if self.cpu:
                    cpu = cpu_seconds(child)
                    if cpu is None:
                        continue
                    kind, before = self.children.get(child, ("other", 0.0))
                    if kind == "other":  # a child has its parent's command line until it execs
                        kind = kind_of(child, self.pid)
                    self.children[child] = (kind, max(before, cpu))
                self._sample_rss(child)
            if self._stop.wait(self.interval):
                return

    def _sample_rss(self, pid: int) -> None:
        rss = peak_rss_mb(pid)
        if rss is not None:
            self.peak_rss[pid] = max(self.peak_rss.get(pid, 0.0), rss)

    @property
    def peak_rss_mb(self) -> float | None:
        """The largest peak resident size seen, of the process and its descendants."""
        return max(self.peak_rss.values(), default=None)

    def by_kind(self) -> dict[str, float]:
        """CPU seconds of the descendants, summed by kind."""
        totals: dict[str, float] = {}
        for kind, cpu in self.children.values():
            totals[kind] = totals.get(kind, 0.0) + cpu
        return totals

    @property
    def descendants_s(self) -> float:
        """CPU seconds of every descendant together."""
        return sum(cpu for _, cpu in self.children.values())


def wait_measured(pid: int) -> tuple[int, os.struct_rusage, float]:
    """Wait for child pid to end and reap it: (wait status, its rusage from os.wait4, its own
    CPU seconds, read before it was reaped: without the children it reaped)."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    own = cpu_seconds(pid) or 0.0
    _, status, usage = os.wait4(pid, 0)
    return status, usage, own
