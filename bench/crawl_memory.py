"""Peak RSS of a big crawl: the main process and each extraction worker, sampled from /proc.

Run: uv run python bench/crawl_memory.py [--pages 10000] [--interval 0.5]

A generated site (newsarchive_testing.sitegen) of --pages pages is served on 127.0.0.1 from its own
process; `python -m newsarchive crawl` crawls all of it (politeness off, as crawl_local.py)
into a fresh database. Every --interval seconds the RSS (VmRSS) of the crawl process and of
each of its descendants (the extraction workers) is read from /proc; the peaks are printed per
process, with the goals table of issue 17 (goal 4: each under 300 MB). Linux only.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawl_local import POLITENESS_OFF, child_env

from newsarchive_testing import sitegen
from newsarchive_testing.proc_cpu import descendants

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

GOAL_RSS_MB = 300.0
TIMEOUT_S = 3600.0


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=sitegen.DEFAULT_SEED)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    site = sitegen.generate_site(args.pages, args.seed)
    depth = site.required_depth() + 1
    peaks: dict[int, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="crawl-memory-") as tmp,
        sitegen.serve_site(args.pages, args.seed, max_seconds=TIMEOUT_S) as served,
    ):
        db = Path(tmp) / "bench.db"
        cmd = [sys.executable, "-m", "newsarchive", "crawl", served.url(site.path(0))]
        cmd += ["--db", str(db), "--depth", str(depth), "--quiet"]
        # the whole site: the per-host cap on new URLs (5,000 by default) would stop it halfway
        caps = {"NEWSARCHIVE_MAX_NEW_URLS_PER_HOST": args.pages + 100}
        for key, value in {**POLITENESS_OFF, **caps}.items():
            cmd += ["-s", f"{key}={value}"]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL)
        while proc.poll() is None and time.monotonic() - started < TIMEOUT_S:
            for pid in [proc.pid, *descendants(proc.pid)]:
                value = rss_mb(pid)
                if value is not None:
                    peaks[pid] = max(peaks.get(pid, 0.0), value)
            time.sleep(args.interval)
        if proc.poll() is None:
            proc.kill()
        wall = time.monotonic() - started
        with sqlite3.connect(db) as conn:
            pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    main_peak = peaks.pop(proc.pid, 0.0)
    print(
        f"crawl of a generated site: {pages}/{args.pages} pages in {wall:.0f} s,"
        f" exit {proc.returncode}"
    )
    print(f"peak RSS: main process {main_peak:.0f} MB")
    for pid, peak in sorted(peaks.items()):
        print(f"  child {pid}: {peak:.0f} MB")
    worst_child = max(peaks.values(), default=0.0)
    print("\nGoals (issue 17)")
    print(f"{'figure':<40}{'value':>8}  goal     met")
    for name, value in (("peak RSS MB, main process", main_peak),
                        ("peak RSS MB, largest worker", worst_child)):  # fmt: skip
        met = "yes" if value < GOAL_RSS_MB else "no"
        print(f"{name:<40}{value:>8.0f}  < {GOAL_RSS_MB:.0f}    {met}")


if __name__ == "__main__":
    main()
