"""Crawl throughput, CPU and memory of newsarchive vs. plain Scrapy+trafilatura, on 127.0.0.1.

Run: uv run python bench/crawl_local.py [--pages N] [--repeat K]

One generated site (newsarchive_testing.sitegen, N pages of 40-80 KB linked through
"Articoli correlati" blocks) is served from a separate process, and each contender crawls all
of it from page 0 with politeness delays off:

  a. newsarchive   python -m newsarchive crawl URL0 --db tmp.db --depth D --quiet -s ...
  b. scrapy+traf   a minimal Scrapy spider (below) calling trafilatura.extract per page and
                   following `.articoli-correlati a`, same concurrency, same depth, no storage
  c. trafilatura   the trafilatura CLI over the list of the N URLs (no link discovery)

Each contender is a subprocess measured by os.wait4 (wall time, user+sys CPU) and /proc (peak RSS,
VmHWM of the process and its descendants: wait4's ru_maxrss would hold the bench's own).
"import s" is the wall time of importing what the contender imports (a floor under every
run). Then (d) the CPU per page of extraction alone, in-process, over the same pages.
Figures go to stdout as a table and to bench/out/crawl_local.json. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import platform
import shlex
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newsarchive_testing import sitegen
from newsarchive_testing.proc_cpu import CpuSampler, load_average, wait_measured

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

OUT_FILE = BENCH_DIR / "out" / "crawl_local.json"
POLITENESS_OFF = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}
RUN_TIMEOUT_S = 300.0
# extraction in (d) is read "as if" fetched at this instant, after every generated date
FETCHED_AT = datetime(2024, 11, 25, 12, 0, tzinfo=timezone.utc)
WARMUP_PAGES = 5
IMPORT_TRIES = 2
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
IMPORTS = {
    "newsarchive": "import newsarchive.cli, newsarchive.crawl.runner, newsarchive.crawl.pipelines, "
    "newsarchive.extract.article, spiders.article",
    "scrapy+trafilatura": "import scrapy, scrapy.crawler, trafilatura",
    "trafilatura CLI": "import trafilatura.cli, trafilatura.cli_utils",
}
PEERS = ("scrapy+trafilatura", "trafilatura CLI")
# what newsarchive's crawler process imports before the first page
START_UP = {
    "main": "import newsarchive.cli, newsarchive.crawl.runner, newsarchive.crawl.pipelines, "
    "spiders.article, scrapy.crawler",
}


# 1. Measuring a subprocess


@dataclass
class Measured:
    """Resource use of one finished subprocess (and its reaped children)."""

    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    # sampled from /proc (run_measured(sample=True)), else None: the process's own CPU and
    # its descendants' by kind (fork server, workers, resource tracker), their peak RSS
    own_cpu_s: float | None = None
    descendants_cpu_s: dict[str, float] | None = None
    # the bench's own CPU while it sampled (taken from the cores the contender runs on)
    sampler_cpu_s: float | None = None

    @property
    def cpu_s(self) -> float:
        """User + system CPU seconds: the process and all its descendants when sampled (the
        fork server's workers are not its children), else what os.wait4 counts (the process
        and the children it reaped)."""
        if self.own_cpu_s is None or self.descendants_cpu_s is None:
            return self.user_s + self.sys_s
        return self.own_cpu_s + sum(self.descendants_cpu_s.values())


# Where every contender's bytecode is cached when PYTHONDONTWRITEBYTECODE is set (main()
# sets it; None: as the environment says, every process compiling every module it imports).
PYCACHE: Path | None = None


def child_env() -> dict[str, str]:
    """The environment for contenders: no proxy (everything is on 127.0.0.1); bytecode cached
    in PYCACHE, for every contender alike, as an installed package has its .pyc files."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def run_measured(
    cmd: list[str], *, cwd: Path, timeout: float = RUN_TIMEOUT_S, sample: bool = False
) -> Measured:
    """Run cmd, wait for it with os.wait4 and return its wall time, CPU and peak RSS (read
    from /proc while it runs; sample: the CPU of its workers apart, read the same way)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        bench_cpu = time.process_time()
        proc = subprocess.Popen(cmd, cwd=cwd, env=child_env(), stdout=out, stderr=err)
        # every run's peak memory is sampled (proc_cpu: wait4's ru_maxrss holds the bench's);
        # its CPU, per process, only when asked
        sampler = CpuSampler(proc.pid, cpu=sample).start()
        killer = threading.Timer(timeout, lambda: os.kill(proc.pid, signal.SIGKILL))
        killer.start()
        try:
            status, usage, own = wait_measured(proc.pid)
        finally:
            killer.cancel()
            sampler.stop()
        peak = sampler.peak_rss_mb
        if peak is None:  # gone before the first sample: an upper bound
            peak = usage.ru_maxrss / 1024
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        out.seek(0)
        err.seek(0)
        return Measured(
            wall_s=wall,
            user_s=usage.ru_utime,
            sys_s=usage.ru_stime,
            peak_rss_mb=peak,  # the largest of the process and any descendant
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            own_cpu_s=own if sample else None,
            descendants_cpu_s=sampler.by_kind() if sample else None,
            sampler_cpu_s=time.process_time() - bench_cpu if sample else None,
        )


@dataclass
class Run:
    """One contender's run: pages it processed plus the subprocess figures."""

    contender: str
    pages: int
    measured: Measured
    server_requests: int
    server_cpu_s: float
    command: list[str]
    checks: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The JSON/table figures of this run."""
        m = self.measured
        return {
            "contender": self.contender,
            "pages": self.pages,
            "wall_s": m.wall_s,
            "pages_per_s": self.pages / m.wall_s if m.wall_s else 0.0,
            "cpu_s": m.cpu_s,
            "user_s": m.user_s,
            "sys_s": m.sys_s,
            "cpu_ms_per_page": 1000 * m.cpu_s / self.pages if self.pages else None,
            "main_cpu_s": m.own_cpu_s,
            "workers_cpu_s": (m.descendants_cpu_s or {}).get("worker"),
            "fork_server_cpu_s": (m.descendants_cpu_s or {}).get("fork server"),
            "sampler_cpu_s": m.sampler_cpu_s,
            "other_cpu_s": sum(
                v
                for k, v in (m.descendants_cpu_s or {}).items()
                if k not in ("worker", "fork server")
            ),
            "peak_rss_mb": m.peak_rss_mb,
            "returncode": m.returncode,
            "server_requests": self.server_requests,
            "server_cpu_s": self.server_cpu_s,
            "command": self.command,
            "checks": self.checks,
        }


# 2. Contenders


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_newsarchive(site: sitegen.Site, served: sitegen.ServedSite, depth: int, tmp: Path) -> Run:
    """(a) the newsarchive CLI into a fresh database."""
    db = tmp / f"bench-{time.monotonic_ns()}.db"
    cmd = [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        served.url(site.path(0)),
        "--db",
        str(db),
        "--depth",
        str(depth),
        "--quiet",
    ]
    for key, value in POLITENESS_OFF.items():
        cmd += ["-s", f"{key}={value}"]
    # the corpus hub lists every page: newsarchive must follow all of them, as the plain
    # spider does (its default cap, 200 related links per page, would halve the run)
    cmd += ["-s", f"NEWSARCHIVE_MAX_LINKS_PER_PAGE={max(len(site.pages), 200)}"]
    measured = run_measured(cmd, cwd=ROOT, sample=True)
    server = served.stats()
    checks: dict[str, Any] = {}
    pages = 0
    if db.exists():
        with sqlite3.connect(db) as conn:
            pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
            checks["articles"] = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            checks["links"] = conn.execute("SELECT count(*) FROM links").fetchone()[0]
            checks["links_expected"] = site.total_related()
            checks["outcomes"] = dict(
                conn.execute("SELECT outcome, count(*) FROM pages GROUP BY outcome").fetchall()
            )
        checks["db_mb"] = round(sum(p.stat().st_size for p in tmp.glob(db.name + "*")) / 2**20, 2)
    return Run(
        "newsarchive", pages, measured, int(server["requests"]), server["cpu_s"], cmd, checks
    )


def _baseline_spider_class() -> type:
    """The plain Scrapy spider of contender (b); built lazily so that scrapy is imported only
    in the subprocess that runs it."""
    from urllib.parse import urlsplit

    import scrapy
    import trafilatura

    class TrafilaturaSpider(scrapy.Spider):  # type: ignore[misc]
        """Extract every page with trafilatura.extract; follow same-host related links."""

        name = "trafilatura_baseline"

        def __init__(self, url: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed = url
            self.pages = 0
            self.extracted = 0
            self.chars = 0

        async def start(self) -> Any:
            yield scrapy.Request(self.seed, callback=self.parse)

        def parse(self, response: Any, **kwargs: Any) -> Any:
            self.pages += 1
            text = trafilatura.extract(response.text, url=response.url)
            if text:
                self.extracted += 1
                self.chars += len(text)
            host = urlsplit(response.url).netloc
            for href in response.css(".articoli-correlati a::attr(href)").getall():
                url = response.urljoin(href)
                if urlsplit(url).netloc == host:
                    yield scrapy.Request(url, callback=self.parse)

        def closed(self, reason: str) -> None:
            result = {
                "pages": self.pages,
                "extracted": self.extracted,
                "chars": self.chars,
                "reason": reason,
            }
            print(json.dumps(result), flush=True)

    return TrafilaturaSpider


def baseline_main(url: str, depth: int) -> None:
    """Subprocess entry of contender (b): crawl with the plain spider, print a JSON count."""
    from scrapy.crawler import CrawlerProcess

    settings = {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 16,  # newsarchive's value (and Scrapy's default)
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DEPTH_LIMIT": depth,
        # breadth-first, as newsarchive's settings
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "crawl-local-bench (+http://127.0.0.1/)",
    }
    process = CrawlerProcess(settings)
    process.crawl(_baseline_spider_class(), url=url)
    process.start()


def run_baseline(site: sitegen.Site, served: sitegen.ServedSite, depth: int) -> Run:
    """(b) plain Scrapy spider + trafilatura.extract, no storage."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--baseline-spider",
        served.url(site.path(0)),
        "--depth",
        str(depth),
    ]
    measured = run_measured(cmd, cwd=ROOT)
    server = served.stats()
    checks: dict[str, Any] = {}
    for line in measured.stdout.splitlines():
        if line.startswith("{"):
            checks = json.loads(line)
    pages = int(checks.get("pages", 0))
    return Run(
        "scrapy+trafilatura", pages, measured, int(server["requests"]), server["cpu_s"], cmd, checks
    )


def trafilatura_config(path: Path) -> Path:
    """trafilatura's own settings.cfg with no sleep between requests and localhost allowed."""
    import trafilatura

    config = configparser.ConfigParser()
    config.read(Path(trafilatura.__file__).with_name("settings.cfg"), encoding="utf-8")
    config["DEFAULT"]["SLEEP_TIME"] = "0"
    config["DEFAULT"]["SSRF_PROTECTION"] = "off"  # 127.0.0.1 is refused otherwise (2.3+)
    config["DEFAULT"]["DOWNLOAD_TIMEOUT"] = "30"
    with path.open("w", encoding="utf-8") as fh:
        config.write(fh)
    return path


def run_trafilatura_cli(
    site: sitegen.Site, served: sitegen.ServedSite, tmp: Path, parallel: int
) -> Run:
    """(c) the trafilatura CLI over the N URLs, one output file per extracted page."""
    stamp = time.monotonic_ns()
    urls = tmp / f"urls-{stamp}.txt"
    urls.write_text("".join(served.url(p.path) + "\n" for p in site.pages), encoding="utf-8")
    outdir = tmp / f"traf-out-{stamp}"
    config = trafilatura_config(tmp / "trafilatura.cfg")
    script = Path(sys.executable).with_name("trafilatura")
    prog = (
        [str(script)]
        if script.exists()
        else [
            sys.executable,
            "-c",
            "import sys; from trafilatura.cli import main; sys.exit(main())",
        ]
    )
    cmd = [
        *prog,
        "-i",
        str(urls),
        "--parallel",
        str(parallel),
        "--config-file",
        str(config),
        "-o",
        str(outdir),
    ]
    measured = run_measured(cmd, cwd=tmp)
    server = served.stats()
    pages = sum(1 for p in outdir.rglob("*") if p.is_file()) if outdir.exists() else 0
    checks = {"errors_logged": measured.stderr.count("No result for URL")}
    return Run(
        "trafilatura CLI", pages, measured, int(server["requests"]), server["cpu_s"], cmd, checks
    )


def import_floor(name: str, code: str | None = None) -> dict[str, float]:
    """Wall, CPU and RSS of a bare interpreter importing what a contender imports."""
    tries = []
    for _ in range(IMPORT_TRIES):
        m = run_measured([sys.executable, "-c", code or IMPORTS[name]], cwd=ROOT, timeout=60)
        if m.returncode:
            raise RuntimeError(f"import check failed for {name}: {_tail(m.stderr)}")
        tries.append(m)
    best = min(tries, key=lambda m: m.wall_s)  # the first try may pay for a cold disk cache
    return {"wall_s": best.wall_s, "cpu_s": best.cpu_s, "peak_rss_mb": best.peak_rss_mb}


# 3. Extraction alone, in-process


def time_extraction(site: sitegen.Site, base: str, limit: int, repeat: int) -> dict[str, Any]:
    """CPU ms per page of newsarchive's extract_article vs trafilatura, in this process."""
    import trafilatura

    from newsarchive.extract.article import TRAFILATURA_OPTIONS, extract_article

    headers = {"Content-Type": "text/html; charset=utf-8"}
    date_params = {
        "original_date": True,
        "extensive_search": True,
        "max_date": FETCHED_AT.strftime("%Y-%m-%d"),
    }

    def na(body: bytes, url: str) -> Any:
        return extract_article(body, url=url, fetched_at=FETCHED_AT, headers=headers)

    def traf(body: bytes, url: str) -> Any:
        return trafilatura.extract(body.decode("utf-8", "replace"), url=url)

    def traf_na(body: bytes, url: str) -> Any:
        return trafilatura.bare_extraction(
            body.decode("utf-8", "replace"),
            url=url,
            date_extraction_params=date_params,
            **TRAFILATURA_OPTIONS,
        )

    extractors = {
        "newsarchive extract_article": na,
        "trafilatura.extract": traf,
        "trafilatura.bare_extraction (newsarchive's options)": traf_na,
    }
    pages = [(base + p.path, site.files[p.path]) for p in site.pages[:limit]]
    # warm-up on another site, so that no cache holds the measured pages
    warm = sitegen.generate_site(WARMUP_PAGES, sitegen.DEFAULT_SEED + 1)
    results: dict[str, Any] = {}
    for name, fn in extractors.items():
        cold = []
        for p in warm.pages:
            t0 = time.process_time()
            fn(warm.files[p.path], base + p.path)
            cold.append(1000 * (time.process_time() - t0))
        cpu_ms: list[float] = []
        wall_ms: list[float] = []
        empty = 0
        for _ in range(repeat):
            for url, body in pages:
                w0, c0 = time.perf_counter(), time.process_time()
                out = fn(body, url)
                cpu_ms.append(1000 * (time.process_time() - c0))
                wall_ms.append(1000 * (time.perf_counter() - w0))
                if out is None or getattr(out, "outcome", "article") != "article":
                    empty += 1
        results[name] = {
            "pages": len(pages),
            "calls": len(cpu_ms),
            "cpu_ms_mean": statistics.fmean(cpu_ms),
            "cpu_ms_median": statistics.median(cpu_ms),
            "cpu_ms_p90": statistics.quantiles(cpu_ms, n=10)[-1] if len(cpu_ms) > 1 else cpu_ms[0],
            "wall_ms_mean": statistics.fmean(wall_ms),
            "first_call_ms": cold[0],
            "no_article": empty,
        }
    return results


# 4. Report


def median_row(runs: list[Run]) -> dict[str, Any]:
    """Median of each figure over a contender's repeated runs."""
    rows = [r.row() for r in runs]
    keys = (
        "pages",
        "wall_s",
        "pages_per_s",
        "cpu_s",
        "cpu_ms_per_page",
        "main_cpu_s",
        "workers_cpu_s",
        "fork_server_cpu_s",
        "sampler_cpu_s",
        "other_cpu_s",
        "peak_rss_mb",
        "server_requests",
        "server_cpu_s",
    )
    merged = {"contender": rows[0]["contender"], "runs": len(rows)}
    for key in keys:
        values = [r[key] for r in rows if r[key] is not None]
        if not values:
            merged[key] = None
        elif all(isinstance(v, int) for v in values):
            merged[key] = statistics.median_low(values)  # counts stay whole numbers
        else:
            merged[key] = statistics.median(values)
    return merged


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _line(cells: list[str], widths: list[int]) -> str:
    pairs = enumerate(zip(cells, widths, strict=True))
    padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs]
    return "  ".join(padded)


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A plain aligned text table."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(_line(headers, widths))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print(_line(r, widths))


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """newsarchive / peer for each figure (pages/s: > 1 means newsarchive is faster)."""
    na = summary["newsarchive"]
    out: dict[str, dict[str, float | None]] = {}
    for peer in PEERS:
        if peer not in summary:
            continue
        p = summary[peer]
        out[peer] = {
            key: (na[key] / p[key]) if na.get(key) and p.get(key) else None
            for key in (
                "wall_s",
                "pages_per_s",
                "pages_per_s_after_import",
                "cpu_s",
                "cpu_ms_per_page",
                "cpu_ms_per_page_after_import",
                "peak_rss_mb",
            )
        }
    return out


def cpu_ceiling(
    summary: dict[str, dict[str, Any]], extraction_ms: float, usable: int
) -> dict[str, Any]:
    """Pages/s each contender's CPU per page allows, and what 2x a peer would demand.

    newsarchive spreads its work over `usable` cores (workers + crawler); the Scrapy spider
    runs extraction in its reactor thread (one core); the trafilatura CLI extracts under one
    GIL (one core, downloads in threads).
    """
    cores = {"newsarchive": usable, "scrapy+trafilatura": 1, "trafilatura CLI": 1}
    rows = []
    for name, r in summary.items():
        cpu_ms = r.get("cpu_ms_per_page_after_import")
        measured = r.get("pages_per_s_after_import")
        if not cpu_ms:
            continue
        top = 1000 * cores.get(name, 1) / cpu_ms
        used = measured / top if measured else None
        rows.append(
            {"contender": name, "cpu_ms": cpu_ms, "cores": cores.get(name, 1),
             "ceiling": top, "measured": measured, "used": used}
        )  # fmt: skip
    for_2x = {}
    for peer in PEERS:
        measured = summary.get(peer, {}).get("pages_per_s_after_import")
        if measured:
            target = 2 * measured
            for_2x[peer] = {"target_pages_s": target, "cpu_ms": 1000 * usable / target}
    return {"rows": rows, "for_2x": for_2x, "extraction_ms": extraction_ms}


def cpu_breakdown(
    summary: dict[str, dict[str, Any]],
    extraction: dict[str, Any],
    start_up: dict[str, dict[str, float]],
) -> list[list[Any]]:
    """CPU ms per page, where it goes: newsarchive's crawler process (start-up apart), the
    fork server (it imports and warms the extraction stack once for all workers) and the extraction
    workers (extraction itself, as timed in-process over the same pages, apart from what the
    workers spend around it: IPC, pickling; more if they were spawned, each importing the
    stack), and the plain spider."""
    na = summary["newsarchive"]
    pages = na["pages"] or 1
    rows: list[list[Any]] = [["newsarchive, all processes", 1000 * na["cpu_s"] / pages]]
    if na.get("main_cpu_s") is not None:
        main_up = 1000 * start_up["main"]["cpu_s"] / pages
        extract = extraction["newsarchive extract_article"]["cpu_ms_mean"]
        workers_ms = 1000 * (na["workers_cpu_s"] or 0.0) / pages
        rows += [
            ["  crawler process", 1000 * na["main_cpu_s"] / pages],
            ["    start-up (imports)", main_up],
            ["    per page: Scrapy, pipeline, store", 1000 * na["main_cpu_s"] / pages - main_up],
            [
                "  fork server (imports, warms the extraction stack)",
                1000 * (na["fork_server_cpu_s"] or 0.0) / pages,
            ],
            ["  extraction workers", workers_ms],
            ["    extract_article (in-process figure)", extract],
            ["    rest: IPC, pickling, contention", workers_ms - extract],
            ["  other (resource tracker)", 1000 * (na["other_cpu_s"] or 0.0) / pages],
            [
                "  (the bench's /proc sampling, not counted above)",
                1000 * (na["sampler_cpu_s"] or 0.0) / pages,
            ],
        ]
    peer = summary.get("scrapy+trafilatura")
    if peer and peer["pages"]:
        traf = extraction["trafilatura.extract"]["cpu_ms_mean"]
        total = 1000 * peer["cpu_s"] / peer["pages"]
        up = 1000 * peer["import_cpu_s"] / peer["pages"]
        rows += [
            ["scrapy+trafilatura, one process", total],
            ["  trafilatura.extract (in-process figure)", traf],
            ["  start-up (imports)", up],
            ["  rest: Scrapy", total - traf - up],
        ]
    return rows


GOAL_SPEEDUP = 2.2  # issue 17: newsarchive pages/s over the plain spider's, on real pages
GOAL_RSS_MB = 300.0  # issue 17: peak RSS of the crawl (main process or any worker)


def goals_table(
    rel: dict[str, dict[str, float | None]], summary: dict[str, dict[str, Any]], *, corpus: bool
) -> None:
    """The crawl goals of issue 17: figure, goal, met or not."""
    speedup = rel.get("scrapy+trafilatura", {}).get("pages_per_s")
    rss = summary["newsarchive"].get("peak_rss_mb")
    site = "real corpus pages" if corpus else "generated pages"
    print("\nGoals (issue 17)")
    rows = [
        (f"pages/s newsarchive / plain spider ({site})", speedup, f">= {GOAL_SPEEDUP}x",
         speedup is not None and speedup >= GOAL_SPEEDUP),
        ("peak RSS MB (largest of main and workers)", rss, f"< {GOAL_RSS_MB:.0f}",
         rss is not None and rss < GOAL_RSS_MB),
    ]  # fmt: skip
    print_table(
        ["figure", "value", "goal", "met"],
        [[name, value, goal, "yes" if met else "no"] for name, value, goal, met in rows],
    )


def versions() -> dict[str, str]:
    """Versions of the software compared."""
    from importlib.metadata import version

    return {name: version(name) for name in ("newsarchive", "scrapy", "trafilatura", "lxml")}


def main() -> None:
    """Parse arguments, run every contender on one served site, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--pages",
        type=int,
        default=sitegen.DEFAULT_PAGES,
        help="pages in the generated site (default %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per contender; the table shows medians (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=sitegen.DEFAULT_SEED)
    parser.add_argument(
        "--extract-pages",
        type=int,
        default=None,
        help="pages timed in the in-process extraction part (default: all of --pages)",
    )
    parser.add_argument(
        "--no-trafilatura-cli", action="store_true", help="skip contender (c), the trafilatura CLI"
    )
    parser.add_argument(
        "--corpus",
        action="store_true",
        help="serve real pages: a hub page linking to --pages - 1 pages of the shared corpus",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="when PYTHONDONTWRITEBYTECODE is set, leave it: every process compiles its imports",
    )
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    parser.add_argument("--baseline-spider", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--depth", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_spider:
        baseline_main(args.baseline_spider, args.depth)
        return
    if args.pages < 2 or args.repeat < 1:
        parser.error("--pages must be >= 2 and --repeat >= 1")
    if args.extract_pages is None:
        args.extract_pages = args.pages

    started = time.perf_counter()
    cores = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load_start = load_average()
    print(
        f"machine: {cores} cores ({usable} usable), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}; load average {load_start}"
    )
    global PYCACHE
    pycache = tempfile.TemporaryDirectory(prefix="crawl-local-pycache-")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        if args.no_bytecode_cache:
            print("note: PYTHONDONTWRITEBYTECODE is set: every process compiles its imports")
        else:
            PYCACHE = Path(pycache.name)
            print(
                "note: PYTHONDONTWRITEBYTECODE is set: every contender's bytecode is cached in "
                f"{PYCACHE} instead (warmed by the import runs), as an install has its .pyc"
            )
    if args.corpus:
        site = sitegen.corpus_site(args.pages)
        depth = site.required_depth()  # 1: the real pages' own links lead off the site
    else:
        site = sitegen.generate_site(args.pages, args.seed)
        depth = site.required_depth() + 1  # +1: a page may first be seen one hop late
    sizes = sorted(len(b) for path, b in site.files.items() if path.endswith(".html"))
    print(
        f"site{' (real corpus pages)' if args.corpus else ''}: {args.pages} pages, "
        f"{sizes[0] / 1024:.0f}-{sizes[-1] / 1024:.0f} KB "
        f"(mean {statistics.fmean(sizes) / 1024:.0f} KB), {site.total_related()} related links, "
        f"all reachable from page 0 in {site.required_depth()} hops; crawl depth {depth}"
    )
    imports = {name: import_floor(name) for name in IMPORTS}
    start_up = {part: import_floor(part, code) for part, code in START_UP.items()}

    runs: dict[str, list[Run]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="crawl-local-") as tmpdir,
        sitegen.serve_site(args.pages, args.seed, corpus=args.corpus) as served,
    ):
        tmp = Path(tmpdir)
        if served.digest != site.digest():
            raise RuntimeError("the server generated a different site (non-deterministic sitegen)")
        served.stats()  # reset the counters
        base = served.url("")
        print(f"server: {base}/ (pid {served.process.pid}); start {served.url(site.path(0))}")
        for k in range(args.repeat):
            contenders = [
                lambda: run_newsarchive(site, served, depth, tmp),
                lambda: run_baseline(site, served, depth),
            ]
            if not args.no_trafilatura_cli:
                contenders.append(lambda: run_trafilatura_cli(site, served, tmp, min(usable, 4)))
            for contender in contenders:
                run = contender()
                runs.setdefault(run.contender, []).append(run)
                m = run.measured
                print(
                    f"  run {k + 1}/{args.repeat} {run.contender:<20} {run.pages:>5} pages "
                    f"{m.wall_s:7.2f} s  exit {m.returncode}",
                    flush=True,
                )
                if m.returncode or run.pages != args.pages:
                    print(
                        f"    ! expected {args.pages} pages and exit 0; stderr tail:\n"
                        + _tail(m.stderr),
                        flush=True,
                    )
        extraction = time_extraction(site, base, min(args.extract_pages, args.pages), args.repeat)

    summary = {name: median_row(rs) for name, rs in runs.items()}
    for name, row in summary.items():
        floor = imports[name]["wall_s"]
        row["import_s"] = floor
        row["pages_per_s_after_import"] = (
            row["pages"] / (row["wall_s"] - floor) if row["wall_s"] > floor else None
        )
        cpu_floor = imports[name]["cpu_s"]
        row["import_cpu_s"] = cpu_floor
        row["cpu_ms_per_page_after_import"] = (
            1000 * (row["cpu_s"] - cpu_floor) / row["pages"] if row["pages"] else None
        )
    rel = ratios(summary)

    print()
    print(
        f"Crawl of {args.pages} pages from 127.0.0.1 (median of {args.repeat} run(s); "
        f"DOWNLOAD_DELAY=0, AUTOTHROTTLE off, 16 concurrent requests per domain)"
    )
    print_table(
        [
            "contender",
            "pages",
            "wall s",
            "import s",
            "pages/s",
            "pages/s*",
            "CPU s",
            "CPU ms/page",
            "CPU ms/page*",
            "peak RSS MB",
            "srv req",
            "srv CPU s",
        ],
        [
            [
                r["contender"],
                r["pages"],
                r["wall_s"],
                r["import_s"],
                r["pages_per_s"],
                r["pages_per_s_after_import"],
                r["cpu_s"],
                r["cpu_ms_per_page"],
                r["cpu_ms_per_page_after_import"],
                r["peak_rss_mb"],
                r["server_requests"],
                r["server_cpu_s"],
            ]
            for r in summary.values()
        ],
    )
    print(
        "  * = without interpreter start-up: pages / (wall s - import s), "
        "(CPU s - import CPU s) / pages"
    )
    na_checks = runs["newsarchive"][-1].checks
    if na_checks:
        print(
            f"  newsarchive stored {na_checks.get('articles')} articles, "
            f"{na_checks.get('links')}/{na_checks.get('links_expected')} related links, "
            f"outcomes {na_checks.get('outcomes')}, database {na_checks.get('db_mb')} MB"
        )
    print()
    print("newsarchive / peer (wall, CPU, RSS: < 1 is better for newsarchive; pages/s: > 1)")
    print_table(
        ["peer", "wall", "pages/s", "pages/s*", "CPU s", "CPU ms/page", "CPU ms/page*", "peak RSS"],
        [
            [
                peer,
                r["wall_s"],
                r["pages_per_s"],
                r["pages_per_s_after_import"],
                r["cpu_s"],
                r["cpu_ms_per_page"],
                r["cpu_ms_per_page_after_import"],
                r["peak_rss_mb"],
            ]
            for peer, r in rel.items()
        ],
    )
    print()
    na_ms = extraction["newsarchive extract_article"]["cpu_ms_mean"]
    print(
        f"Extraction alone, in-process, CPU per page over {min(args.extract_pages, args.pages)} "
        f"pages x {args.repeat} (warm; first call of a fresh process shown apart)"
    )
    print_table(
        ["extractor", "mean ms", "median ms", "p90 ms", "first call ms", "newsarchive / this"],
        [
            [
                name,
                r["cpu_ms_mean"],
                r["cpu_ms_median"],
                r["cpu_ms_p90"],
                r["first_call_ms"],
                na_ms / r["cpu_ms_mean"],
            ]
            for name, r in extraction.items()
        ],
    )
    breakdown = cpu_breakdown(summary, extraction, start_up)
    print(
        f"\nCPU ms per page, where it goes ({args.pages} pages; crawler and workers sampled "
        "from /proc; extraction as timed in-process above; start-up = a bare interpreter's "
        "imports)"
    )
    print_table(["part", "CPU ms/page"], breakdown)
    ceiling = cpu_ceiling(summary, na_ms, usable)
    print(
        f"\nCPU ceiling on {usable} usable core(s): the most pages/s a contender's CPU per page "
        "(start-up excluded) allows, and the CPU per page newsarchive may spend to be 2x a peer"
    )
    print_table(
        ["contender", "CPU ms/page*", "cores", "ceiling pages/s", "measured pages/s*", "used"],
        [
            [r["contender"], r["cpu_ms"], r["cores"], r["ceiling"], r["measured"], r["used"]]
            for r in ceiling["rows"]
        ],
    )
    for peer, need in ceiling["for_2x"].items():
        print(
            f"  2x {peer} = {need['target_pages_s']:.0f} pages/s needs <= {need['cpu_ms']:.1f} "
            f"CPU ms/page in all; extraction alone takes {na_ms:.1f}"
        )
    goals_table(rel, summary, corpus=args.corpus)
    print("\nCommands (last run of each):")
    for name, rs in runs.items():
        print(f"  {name}: {shlex.join(rs[-1].command)}")
    elapsed = time.perf_counter() - started
    print(f"\ntotal benchmark time {elapsed:.0f} s; load average now {load_average()}")

    report = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": cores,
            "usable_cores": usable,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
            "bytecode_cached_in_temp_dir": PYCACHE is not None,
        },
        "versions": versions(),
        "site": {
            "corpus": args.corpus,
            "pages": args.pages,
            "seed": args.seed,
            "depth": depth,
            "page_kb_min": sizes[0] / 1024,
            "page_kb_max": sizes[-1] / 1024,
            "page_kb_mean": statistics.fmean(sizes) / 1024,
            "related_links": site.total_related(),
            "digest": site.digest(),
        },
        "settings": POLITENESS_OFF,
        "repeat": args.repeat,
        "imports": imports,
        "start_up": start_up,
        "cpu_breakdown_ms_per_page": {str(r[0]).strip(): r[1] for r in breakdown},
        "crawl": summary,
        "ratios_newsarchive_over_peer": rel,
        "runs": {
            name: [{**r.row(), "stderr_tail": _tail(r.measured.stderr, 5)} for r in rs]
            for name, rs in runs.items()
        },
        "extraction": extraction,
        "cpu_ceiling": ceiling,
        "elapsed_s": elapsed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")
    pycache.cleanup()


if __name__ == "__main__":
    main()
