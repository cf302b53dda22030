"""Scale-out: pages/s with 1, 2 and 3 `crawl --redis` workers on this machine, and what the
coordination through Redis costs.

Run: uv run python bench/scale_out.py [--pages N] [--workers 1,2,3]

One generated site (newsarchive_testing.sitegen) is served from a separate process; a real
redis-server (Debian's, on 127.0.0.1, a free port, no persistence) is started by the script. Then:

  a. baseline   one `newsarchive crawl` without Redis (the SQLite frontier);
  b. k workers  k `newsarchive crawl --redis` processes side by side, each with its own shard,
                for k in --workers; a fresh key prefix per run.

Politeness delays are off (DOWNLOAD_DELAY=0, AutoThrottle off, 16 per host), extraction in
each crawler process (NEWSARCHIVE_EXTRACT_WORKERS=0: k workers = k processes, so k=2 uses
both cores). Per run: wall time until the last worker exits, pages stored in all shards,
pages/s, user+sys CPU of the workers (os.wait4) and of redis-server (INFO cpu), Redis commands
(INFO stats) per page, and the coordination CPU per page: (worker CPU per page with Redis -
baseline CPU per page) + redis-server CPU per page. Figures to stdout and to
bench/out/scale_out.json. Nothing leaves 127.0.0.1.

"cmds/page" counts every Redis command, those run inside our Lua scripts included (the
seen-set check alone is one SISMEMBER per day of its window); "scripts/page" counts the
script calls, i.e. about the round trips a page costs (plus a few pipelined ZCARDs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from newsarchive_testing import sitegen
from newsarchive_testing.cli_runner import child_env

BENCH_DIR = Path(__file__).resolve().parent

OUT_FILE = BENCH_DIR / "out" / "scale_out.json"
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s", "NEWSARCHIVE_EXTRACT_WORKERS=0",
    "-s", "NEWSARCHIVE_PROGRESS_ENABLED=False",
]  # fmt: skip
RUN_TIMEOUT_S = 600.0


@dataclass
class Run:
    """One measured run (baseline or k workers)."""

    label: str
    workers: int
    wall_s: float
    pages: int
    pages_per_s: float
    worker_cpu_s: float
    cpu_ms_per_page: float
    redis_commands: int = 0
    redis_cpu_s: float = 0.0
    commands_per_page: float = 0.0
    script_calls_per_page: float = 0.0
    coordination_cpu_ms_per_page: float = 0.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """redis-server on a free port of 127.0.0.1, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("redis-server did not start")


def redis_figures(url: str) -> tuple[int, int, float]:
    """(commands processed, including those run inside scripts; script calls; server CPU
    seconds) so far."""
    from newsarchive.distributed.connection import client

    server = client(url)
    stats, cpu = server.info("stats"), server.info("cpu")
    scripts = server.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    return (
        int(stats["total_commands_processed"]),
        int(scripts),
        float(cpu["used_cpu_user"] + cpu["used_cpu_sys"]),
    )


def pages_in(db: Path) -> int:
    """Pages stored in an archive (robots.txt is not stored)."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM pages").fetchone()[0])


def crawl(
    seed: str, dbs: list[Path], depth: int, redis: str | None, prefix: str
) -> tuple[float, float]:
    """Run one crawl process per db side by side; (wall s, user+sys CPU s of them all)."""
    env = child_env()
    started = time.monotonic()
    procs = []
    for db in dbs:
        args = [sys.executable, "-m", "newsarchive", "crawl", seed, "--db", str(db),
                "--depth", str(depth), "--quiet", *FAST]  # fmt: skip
        if redis:
            args += ["--redis", redis, "-s", f"NEWSARCHIVE_REDIS_PREFIX={prefix}"]
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL))
    cpu = 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"a crawl exited with {proc.returncode}")
        cpu += usage.ru_utime + usage.ru_stime
    return time.monotonic() - started, cpu


def main() -> None:
    """Measure and print."""
    first_paragraph = __doc__.split("\n\n", 1)[0].replace("\n", " ")
    parser = argparse.ArgumentParser(description=first_paragraph)
    parser.add_argument(
        "--pages",
        type=int,
        default=sitegen.DEFAULT_PAGES,
        help=f"pages of the generated site (default {sitegen.DEFAULT_PAGES})",
    )
    parser.add_argument(
        "--workers", default="1,2,3", help="worker counts to measure, comma-separated (1,2,3)"
    )
    args = parser.parse_args()
    counts = [int(k) for k in args.workers.split(",")]
    site = sitegen.generate_site(args.pages, sitegen.DEFAULT_SEED)
    depth = site.required_depth() + 1
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmpdir, sitegen.serve_site(args.pages) as served:
        tmp = Path(tmpdir)
        seed = served.url(site.path(0))
        redis_proc, redis_url = start_redis(tmp)
        try:
            wall, cpu = crawl(seed, [tmp / "baseline.db"], depth, None, "")
            pages = pages_in(tmp / "baseline.db")
            base = Run("baseline (no Redis)", 1, wall, pages, pages / wall, cpu, 1000 * cpu / pages)
            runs.append(base)
            for k in counts:
                dbs = [tmp / f"k{k}-w{i}.db" for i in range(k)]
                commands0, scripts0, rcpu0 = redis_figures(redis_url)
                wall, cpu = crawl(seed, dbs, depth, redis_url, f"bench{k}")
                commands1, scripts1, rcpu1 = redis_figures(redis_url)
                pages = sum(pages_in(db) for db in dbs)
                per_page_ms = 1000 * cpu / pages
                redis_cpu = rcpu1 - rcpu0
                runs.append(
                    Run(
                        f"{k} worker(s) + Redis",
                        k,
                        wall,
                        pages,
                        pages / wall,
                        cpu,
                        per_page_ms,
                        commands1 - commands0,
                        redis_cpu,
                        (commands1 - commands0) / pages,
                        (scripts1 - scripts0) / pages,
                        per_page_ms - base.cpu_ms_per_page + 1000 * redis_cpu / pages,
                    )
                )
        finally:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    header = (
        f"{'run':22} {'pages':>5} {'wall s':>7} {'pages/s':>8} {'CPU ms/page':>11}"
        f" {'cmds/page':>9} {'scripts/page':>12} {'Redis CPU s':>11} {'coord. CPU ms/page':>18}"
    )
    print(header)
    for r in runs:
        redis_cols = (
            f"{r.commands_per_page:9.1f} {r.script_calls_per_page:12.1f}"
            f" {r.redis_cpu_s:11.2f} {r.coordination_cpu_ms_per_page:18.1f}"
            if r.redis_commands
            else f"{'-':>9} {'-':>12} {'-':>11} {'-':>18}"
        )
        print(
            f"{r.label:22} {r.pages:5} {r.wall_s:7.1f} {r.pages_per_s:8.1f}"
            f" {r.cpu_ms_per_page:11.1f} {redis_cols}"
        )
    report: dict[str, Any] = {
        "pages": args.pages,
        "depth": depth,
        "cores": os.cpu_count(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "runs": [asdict(r) for r in runs],
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(report, indent=2))
    print(f"(load average at the end: {os.getloadavg()[0]:.1f}; figures in {OUT_FILE})")


if __name__ == "__main__":
    main()
