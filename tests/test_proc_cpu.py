"""newsarchive_testing.proc_cpu: what the benches read from /proc about a contender."""

from __future__ import annotations

import subprocess
import sys

from conftest import wait_until

from newsarchive_testing.proc_cpu import CpuSampler, wait_measured

BALLAST_MB = 200


def test_a_childs_peak_memory_is_its_own_not_its_parents():
    """wait4's ru_maxrss of a child starts at its parent's resident size (Linux keeps it across
    the fork and the exec): the sampler reads the child's own VmHWM instead."""
    ballast = bytearray(BALLAST_MB * 1024 * 1024)
    for i in range(0, len(ballast), 4096):  # resident, page by page
        ballast[i] = 1
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    sampler = CpuSampler(child.pid, cpu=False).start()
    try:
        wait_until(lambda: child.pid in sampler.peak_rss)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        _, usage, _ = wait_measured(child.pid)
        child.returncode = 0  # reaped above
        sampler.stop()
    assert usage.ru_maxrss / 1024 > BALLAST_MB  # the parent's size, as wait4 reports it
    assert sampler.peak_rss_mb is not None and sampler.peak_rss_mb < BALLAST_MB / 2
    assert sampler.children == {}  # cpu=False: memory only
    del ballast
