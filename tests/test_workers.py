"""Extraction isolation: worker processes with a hard timeout and a size cap; the crawl goes on."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest
from conftest import FAST, descendants, is_alive, run_cli, spawned_workers, wait_until

from newsarchive.crawl.workers import PIPE_BYTES, ExtractionPool, pipe_fds
from newsarchive.extract.outcomes import ARTICLE, EXTRACTION_FAILED, TOO_LARGE
from newsarchive_testing import site_truth as truth
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fixture_site import SITE_DIR

FETCHED_AT = datetime(2024, 12, 6, 9, 0, tzinfo=timezone.utc)
SLOW_PAGE_PATH = "/esteri/2024/11/17/guerra-giorno-mille.html"


def slow_page(cards: int = 30_000) -> bytes:
    """A 5 MB page whose related block has 30,000 cards: several seconds of extraction."""
    rows = "".join(
        f'<li class="card"><time>2{i % 9} novembre 2024 · 03:15</time>'
        f'<a href="/esteri/2024/11/{i % 28 + 1:02d}/notizia-numero-{i}.html">'
        f"Titolo della notizia numero {i} con parole</a></li>"
        for i in range(cards)
    )
    return (
        "<html><body><article><h1>Titolo</h1><p>" + "testo " * 200 + "</p></article>"
        "<section class='articoli-correlati'><h2>Articoli correlati</h2><ul>"
        f"{rows}</ul></section></body></html>"
    ).encode()


def kwargs(url: str) -> dict:
    return {
        "url": url,
        "status": 200,
        "fetched_at": FETCHED_AT,
        "headers": {},
        "related_selector": None,
        "tz": "Europe/Rome",
    }


# Room for an ordinary page in a fresh worker on a busy machine; the slow page takes far longer.
POOL_TIMEOUT = 5.0
SLOWER_CARDS = 100_000


@pytest.fixture(scope="module")
def pool():
    running = ExtractionPool(1, timeout=POOL_TIMEOUT, max_html_bytes=64 * 1024 * 1024)
    yield running
    running.close()


def test_slow_page_times_out(pool):
    future = pool.submit(slow_page(SLOWER_CARDS), **kwargs("http://x.it/slow.html"))
    extraction, outcome, reason = pool.result(future, "http://x.it/slow.html")
    assert (extraction, outcome, reason.split(":")[0]) == (None, EXTRACTION_FAILED, "timeout")


def test_pool_recovers_after_a_timeout(pool):
    pool.result(pool.submit(slow_page(SLOWER_CARDS), **kwargs("http://x.it/slow.html")), "slow")
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    _, outcome, _ = pool.result(pool.submit(body, **kwargs("http://x.it/a.html")), "a")
    assert outcome == ARTICLE


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_pool_pipes_hold_many_pages(pool):
    """The pool's task and result pipes hold many 60 KB pages (issue 15: with 64 KiB, one page
    filled the task pipe and workers waited for the busy main process to send the next)."""
    sizes = [fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) for fd in pipe_fds(pool.pool)]
    assert sizes == [PIPE_BYTES, PIPE_BYTES]


def test_pebble_looks_at_the_pool_often_enough_to_stop_it_at_once():
    """Stopping a pool waits for pebble's threads' next look at its state (every
    CONSTS.sleep_unit seconds, 0.1 s by default): the end of every crawl waited for it."""
    from pebble.common.types import CONSTS

    from newsarchive.crawl import workers

    assert workers.PEBBLE_CONSTS is CONSTS and CONSTS.sleep_unit <= 0.02


def test_size_cap():
    capped = ExtractionPool(0, max_html_bytes=1000)
    assert capped.too_large(b"x" * 1001)[1:] == (TOO_LARGE, "1001 bytes > cap of 1000")


@pytest.mark.e2e
def test_crawl_goes_on_past_a_slow_page(site, tmp_path):
    # a timeout with room for an ordinary page on a busy machine (the first page of a fresh
    # worker took over 1 s at a load of 17 on 2 cores), and a page far slower than that
    body = slow_page(100_000)
    site.set_override(SLOW_PAGE_PATH, 200, {"Content-Type": "text/html; charset=utf-8"}, body)
    db = tmp_path / "archive.db"
    result = run_cli(
        "crawl",
        site.url(truth.SEED_PATH),
        "--db",
        str(db),
        *FAST,
        "-s",
        "NEWSARCHIVE_EXTRACT_TIMEOUT=5",
        "-s",
        f"NEWSARCHIVE_MAX_HTML_BYTES={2 * len(body)}",
        "-s",
        f"DOWNLOAD_MAXSIZE={2 * len(body)}",
        "-s",
        f"DOWNLOAD_WARNSIZE={2 * len(body)}",
        cwd=tmp_path,
    )
    conn = sqlite3.connect(db)
    slow = conn.execute(
        "SELECT outcome, error FROM pages WHERE url = ?", (site.url(SLOW_PAGE_PATH),)
    ).fetchone()
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert result.code == 0, result.err
    assert (slow[0], slow[1].startswith("timeout"), articles) == (EXTRACTION_FAILED, True, 5)


# A spawned worker spends 0.2-1 s importing trafilatura, lxml and dateparser before its first
# page; one forked from the preloaded fork server, a few milliseconds.
FORKED_WORKER_CPU_S = 0.15
WORKER_CPU = """
import time
from newsarchive.crawl.workers import ExtractionPool

started = ExtractionPool(2, memory_mb=0)
futures = [started.pool.schedule(time.process_time) for _ in range(2)]
print(max(f.result(timeout=120) for f in futures))
started.close()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server")
def test_workers_do_not_each_import_the_extraction_stack(tmp_path):
    """Workers fork from a server that imported the extraction stack once: a new worker has
    used next to no CPU by its first task (time.process_time, which imports nothing). In a
    process of its own: under pytest a worker would import pytest's modules."""
    out = subprocess.run(
        [sys.executable, "-c", WORKER_CPU], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) < FORKED_WORKER_CPU_S


# What a worker finds built at its first task: jusText's stoplist and dateparser's time-zone
# regexes (each an lru cache: its size is 1 once built, 0 before).
WARM_PROBE = """
from dateparser.timezone_parser import _build_tz_regexes
from newsarchive.extract.justext_run import stoplist


def built():
    return [stoplist.cache_info().currsize, _build_tz_regexes.cache_info().currsize]
"""
WARM_WORKER = """
from warm_probe import built
from newsarchive.crawl.workers import ExtractionPool

started = ExtractionPool(1, memory_mb=0)
print(started.pool.schedule(built).result(timeout=120))
started.close()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server")
def test_workers_start_warm(tmp_path):
    """The fork server builds what extraction builds at a process's first pages (extract.warmup)
    before it forks: each worker finds it built instead of building it again."""
    (tmp_path / "warm_probe.py").write_text(WARM_PROBE)
    out = subprocess.run(
        [sys.executable, "-c", WARM_WORKER], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1, 1]"


def test_a_pool_adopts_prestarted_workers():
    from newsarchive.crawl import workers

    workers.prestart(1, memory_mb=512)
    prestarted = workers._PRESTARTED[(1, 512)].result(timeout=120)
    adopting = ExtractionPool(1, memory_mb=512)
    try:
        assert (adopting.pool is prestarted, (1, 512) in workers._PRESTARTED) == (True, False)
    finally:
        adopting.close()
        workers.discard_prestarted()


def test_prestart_returns_before_the_workers_have_started(monkeypatch):
    """Starting a worker waits for the fork server's imports: prestart leaves that to a thread,
    and the pool that adopts the workers waits for them."""
    from newsarchive.crawl import workers

    release = threading.Event()
    started: list[tuple[int, int]] = []
    real_spawn = workers._spawn_pool

    def slow_spawn(count: int, memory_mb: int) -> object:
        release.wait(timeout=120)
        started.append((count, memory_mb))
        return real_spawn(count, memory_mb)

    monkeypatch.setattr(workers, "_spawn_pool", slow_spawn)
    workers.prestart(1, memory_mb=256)  # returns while the spawn waits
    try:
        assert (started, workers._PRESTARTED[(1, 256)].done()) == ([], False)
        release.set()
        adopting = ExtractionPool(1, memory_mb=256)
        try:
            assert started == [(1, 256)] and adopting.pool is not None
            assert adopting.pool.schedule(os.getpid).result(timeout=120) != os.getpid()
        finally:
            adopting.close()
    finally:
        release.set()
        workers.discard_prestarted()


# A page that never ends: the worker writes its pid to `path` once it is inside the task.
# It blocks with no time limit: the test kills it once every worker has written its pid, and
# a worker left over dies with its crawler (BUSY_POOL ends when its stdin closes).
BUSY_TASK = """
import os
import threading


def stuck_page(path):
    with open(path + ".tmp", "w") as fh:
        fh.write(str(os.getpid()))
    os.replace(path + ".tmp", path)
    threading.Event().wait()  # busy until killed
"""

BUSY_POOL = """
import sys
from busy_task import stuck_page
from newsarchive.crawl import workers

workers.prestart(2, memory_mb=0)
pool = workers._PRESTARTED[(2, 0)].result(timeout=120)
futures = [pool.schedule(stuck_page, args=(f"busy-{n}",)) for n in range(2)]
sys.stdin.read()  # runs until killed
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_busy_workers_die_with_a_killed_crawler(tmp_path):
    """kill -9 of the crawler while its workers are in the middle of a page: none survive."""
    (tmp_path / "busy_task.py").write_text(BUSY_TASK)
    path = [str(tmp_path), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
    proc = subprocess.Popen(
        [sys.executable, "-c", BUSY_POOL], cwd=tmp_path, env=env, stdin=subprocess.PIPE
    )
    marks = [tmp_path / f"busy-{n}" for n in range(2)]
    try:
        # both workers are inside a page: each wrote its pid from within the task
        wait_until(lambda: all(m.exists() for m in marks), timeout=120, what="two busy workers")
        busy = {int(m.read_text()) for m in marks}
        workers = descendants(proc.pid)
        assert len(busy) == 2 and busy <= set(workers)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    try:
        wait_until(lambda: not any(map(is_alive, workers)), timeout=30, what="workers gone")
    finally:
        for pid in filter(is_alive, workers):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_crawl_leaves_no_worker_behind(tmp_path):
    """kill -9 of `newsarchive crawl` (waiting on a server that never answers): its
    extraction workers end with it."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)  # accepts, never answers: the crawl stays alive
        url = f"http://127.0.0.1:{server.getsockname()[1]}/esteri/articolo.html"
        env = child_env()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsarchive",
                "crawl",
                url,
                "--db",
                str(tmp_path / "a.db"),
                "-s",
                "NEWSARCHIVE_EXTRACT_WORKERS=2",
                "-s",
                "ROBOTSTXT_OBEY=False",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        try:
            started = wait_until(
                lambda: len(w := spawned_workers(proc.pid)) >= 2 and w,
                timeout=120,
                what="two extraction workers",
            )
            every = descendants(proc.pid)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    try:
        wait_until(lambda: not any(map(is_alive, every)), timeout=30, what="workers gone")
    finally:
        for pid in filter(is_alive, every):
            os.kill(pid, signal.SIGKILL)
    assert len(started) >= 2
