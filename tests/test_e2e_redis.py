"""Several workers sharing one frontier in a real redis-server, one killed, shards merged.

The workers are real `newsarchive crawl --redis` processes against a generated site on
127.0.0.1; the site's own log is the judge of what was fetched, when and by whom.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import count_rows, wait_until

from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.logged_site import max_overlap, serve_generated
from newsarchive_testing.redis_server import free_port, redis_server

PAGES = 320
SEED = 16
PER_HOST = 2
LEASE_S = 8  # short, for a quick reclaim; renewed from a thread, a busy reactor cannot lose it
DEPTH = 10
WAIT_S = 150.0
PROGRESS_PAGES = 25
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_HOST}",
    "-s", "NEWSARCHIVE_EXTRACT_WORKERS=0",
    "-s", "NEWSARCHIVE_PROGRESS_ENABLED=False",
]  # fmt: skip


def worker(
    name: str, seed: str, db: Path, redis_url: str, cwd: Path, *extra: str
) -> subprocess.Popen[str]:
    """Start `newsarchive crawl --redis` as worker `name` (named in its User-Agent)."""
    args = [
        sys.executable, "-m", "newsarchive", "crawl", seed,
        "--db", str(db), "--depth", str(DEPTH), "--redis", redis_url, "--quiet",
        *FAST,
        "-s", f"NEWSARCHIVE_REDIS_LEASE_SECONDS={LEASE_S}",
        "-s", f"USER_AGENT=newsarchive-test worker-{name}",
        *extra,
    ]  # fmt: skip
    log = open(cwd / f"worker-{name}.log", "a")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(args, cwd=cwd, env=child_env(), stdout=log, stderr=log, text=True)


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    """All rows of a query, read-only."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


ARTICLES = (
    "SELECT url, site, title, authors, date_published, date_published_raw, date_modified,"
    " date_modified_raw, description, text, language, sitename, categories, tags, image,"
    " published_day, published_spread_days FROM articles ORDER BY url"
)
LINKS = (
    "SELECT from_url, to_url, kind, anchor_text, position, listed_date, listed_date_raw"
    " FROM links ORDER BY from_url, to_url"
)
EVIDENCE = (
    "SELECT article_url, field, source, raw, value, precision, chosen FROM date_evidence"
    " ORDER BY 1, 2, 3, 4, 5, 6, 7"
)


def site_only(values: list[tuple[object, ...]], base: str) -> list[tuple[object, ...]]:
    """Rows with the site's base URL taken out (two servers, two ports)."""
    return [tuple(v.replace(base, "") if isinstance(v, str) else v for v in r) for r in values]


@contextmanager
def one_process_crawl(tmp: Path) -> Iterator[Callable[[], tuple[Path, str]]]:
    """The reference: the same site crawled by one process without Redis, from its own
    server, alongside the workers; the function yielded waits for it."""
    db = tmp / "single.db"
    with serve_generated(PAGES, SEED) as (site, generated):
        seed = site.url(generated.path(0))
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", "crawl", seed, "--db", str(db),
             "--depth", str(DEPTH), "--quiet", *FAST],
            cwd=tmp, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

        def finished() -> tuple[Path, str]:
            _, err = proc.communicate(timeout=WAIT_S)
            assert proc.returncode == 0, err[-3000:]
            return db, site.base_url

        try:
            yield finished
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def committed_urls(db: Path) -> set[str]:
    """URLs whose page a shard has committed."""
    return {str(r[0]) for r in rows(db, "SELECT url FROM pages")}


def leased_urls(redis_url: str) -> set[str]:
    """URLs of the requests some worker holds under a lease, in every job's queue."""
    import redis

    from newsarchive.distributed import serializer

    server = redis.Redis.from_url(redis_url)
    urls = set()
    for key in server.scan_iter(match="*:leased"):
        if server.type(key) != b"zset":
            continue  # the per-host counters are hashes
        prefix = key.decode().removesuffix(":leased")
        for lease in server.zrange(key, 0, -1):
            raw = server.hget(f"{prefix}:requests", lease)
            if raw is not None:
                urls.add(str(serializer.loads(raw)["url"]))
    server.close()
    return urls


@pytest.mark.e2e
@pytest.mark.slow
def test_three_workers_one_killed_then_merged_equal_one_process(tmp_path):
    """Three workers, B killed with SIGKILL midway and restarted; the merged archive equals a
    one-process crawl; no URL answered twice; per-host concurrency within the limit."""
    with (
        one_process_crawl(tmp_path) as reference,
        redis_server(tmp_path / "redis") as redis_url,
        serve_generated(PAGES, SEED) as (site, generated),
    ):
        seed = site.url(generated.path(0))
        shards = {name: tmp_path / f"shard-{name}.db" for name in "ABC"}
        procs = {n: worker(n, seed, shards[n], redis_url, tmp_path) for n in "ABC"}
        # 1. B has made progress: then its gate closes and it is drained of what it answered
        pages_of_b = "SELECT count(*) FROM pages WHERE url NOT LIKE '%/robots.txt'"
        progress = lambda: count_rows(shards["B"], pages_of_b) >= PROGRESS_PAGES  # noqa: E731
        wait_until(progress, timeout=WAIT_S, what="progress of B")
        site.close_gate("B")
        answered_b = lambda: [h for h in site.done("B") if h.path != "/robots.txt"]  # noqa: E731
        wait_until(
            lambda: (
                site.held("B")
                and not site.in_flight("B")
                and count_rows(shards["B"], pages_of_b) == len(answered_b())
                # and acknowledged: a page committed but still leased when B dies is fetched
                # again by another worker (at least once, by design), which is not this test
                and not (committed_urls(shards["B"]) & leased_urls(redis_url))
            ),
            timeout=WAIT_S,
            what="B to commit and acknowledge every page it was answered, with requests out",
        )
        # 2. SIGKILL: what B had leased (held at the gate, queued in it) must come back
        held = {h.path for h in site.held("B")}
        procs["B"].send_signal(signal.SIGKILL)
        procs["B"].wait()
        killed_at = time.monotonic()
        site.open_gate("B")
        procs["B"] = worker("B", seed, shards["B"], redis_url, tmp_path)
        codes = {n: p.wait(timeout=WAIT_S) for n, p in procs.items()}
        logs = {n: (tmp_path / f"worker-{n}.log").read_text()[-3000:] for n in "ABC"}
        assert codes == {"A": 0, "B": 0, "C": 0}, logs

        # 3. the site's log: every page answered once, robots.txt once, held ones re-fetched
        answered = Counter(h.path for h in site.done())
        twice = {p for p, c in answered.items() if c > 1}
        assert twice == set(), [
            (h.path, h.worker, h.start - killed_at) for h in site.done() if h.path in twice
        ]
        assert answered["/robots.txt"] == 1
        assert set(answered) == set(generated.files)
        assert held <= set(answered)
        intervals = [(h.start, h.end if h.end is not None else killed_at) for h in site.hits]
        assert max_overlap(intervals) <= PER_HOST
        reclaimed = sum(
            count_rows(db, "SELECT coalesce(sum(json_extract(stats, '$.\"newsarchive/redis/"
                  "reclaimed\"')), 0) FROM crawls")
            for db in shards.values()
        )  # fmt: skip
        assert reclaimed >= len(held)

        # 4. merge, twice: the second adds nothing
        merged = tmp_path / "merged.db"
        cli = [sys.executable, "-m", "newsarchive", "merge", *map(str, shards.values())]
        first = subprocess.run([*cli, "--db", str(merged)], capture_output=True, text=True)
        again = subprocess.run([*cli, "--db", str(merged)], capture_output=True, text=True)
        base = site.base_url
        single, single_base = reference()
    assert first.returncode == 0, first.stderr[-3000:]
    assert again.returncode == 0 and again.stdout.count(" 0 page(s) added") == 3, again.stdout
    assert count_rows(merged, "SELECT count(*) FROM articles") == PAGES
    assert count_rows(merged, "SELECT count(*) FROM crawls WHERE shard IS NOT NULL") == 4
    for query in (ARTICLES, LINKS, EVIDENCE):
        assert site_only(rows(merged, query), base) == site_only(rows(single, query), single_base)


def test_unreachable_redis_is_one_line_and_exit_2(tmp_path):
    """Nothing listens on the port: one line on stderr, no traceback, exit code 2."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [sys.executable, "-m", "newsarchive", "crawl", "http://127.0.0.1:9/a.html",
         "--db", str(tmp_path / "a.db"), "--redis", url],
        cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "cannot reach Redis at redis://127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_password_url_works_and_a_wrong_one_is_refused_without_echo(tmp_path):
    """redis://:password@ connects; a wrong password is one line, exit 2, password masked."""
    from newsarchive.distributed.connection import RedisUnavailable, check

    with redis_server(tmp_path / "redis", password="s3cret") as url:
        check(url)  # no exception
        wrong = url.replace("s3cret", "nope")
        done = subprocess.run(
            [sys.executable, "-m", "newsarchive", "crawl", "http://127.0.0.1:9/a.html",
             "--db", str(tmp_path / "a.db")],
            cwd=tmp_path, env={**child_env(), "NEWSARCHIVE_REDIS_URL": wrong},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        with pytest.raises(RedisUnavailable):
            check(wrong)
    assert done.returncode == 2, done.stderr
    assert "nope" not in done.stderr and ":***@" in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr


FAR_PATH = "/esteri/2024/11/01/sondaggi-usa-testa-a-testa.html"  # 3 hops from the seed


@pytest.mark.e2e
def test_run_jobs_file_with_two_workers_shares_each_jobs_queue(site, tmp_path):
    """`run --redis` by two workers: each job keeps its own depth; nothing fetched twice."""
    from newsarchive_testing import site_truth as truth

    jobs = tmp_path / "jobs.toml"
    jobs.write_text(
        f'[[source]]\nname = "deep"\nurls = ["{site.url(truth.SEED_PATH)}"]\ndepth = 2\n'
        f'[[source]]\nname = "far"\nurls = ["{site.url(FAR_PATH)}"]\ndepth = 0\n'
    )
    with redis_server(tmp_path / "redis") as redis_url:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "newsarchive",
                    "run",
                    str(jobs),
                    "--db",
                    str(tmp_path / f"shard-{i}.db"),
                    "--redis",
                    redis_url,
                    "--quiet",
                    *FAST,
                ],
                cwd=tmp_path,
                env=child_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for i in range(2)
        ]
        outputs = [p.communicate(timeout=WAIT_S) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    articles = sorted(
        url.replace(site.base_url, "")
        for i in range(2)
        for (url,) in rows(tmp_path / f"shard-{i}.db", "SELECT url FROM articles")
    )
    requested = Counter(site.requests)
    assert {p: n for p, n in requested.items() if n > 1} == {}
    assert articles == sorted([truth.SEED_PATH, *truth.DEPTH1_PATHS, *truth.DEPTH2_PATHS, FAR_PATH])


@pytest.mark.e2e
def test_redis_lost_for_good_mid_crawl_stops_the_worker_with_exit_3(tmp_path):
    """Redis goes away mid-crawl: the worker retries for NEWSARCHIVE_REDIS_RETRY_SECONDS,
    then stops cleanly (run recorded as aborted, exit code 3), not hanging nor crashing."""
    from newsarchive_testing.redis_server import redis_server_binary, wait_port

    port = free_port()
    redis = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port)
        with serve_generated(120, SEED) as (site, generated):
            db = tmp_path / "shard.db"
            proc = worker(
                "A",
                site.url(generated.path(0)),
                db,
                f"redis://127.0.0.1:{port}/0",
                tmp_path,
                "-s", "NEWSARCHIVE_REDIS_RETRY_SECONDS=2",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            )  # fmt: skip
            progress = lambda: count_rows(db, "SELECT count(*) FROM pages") >= 5  # noqa: E731
            wait_until(progress, timeout=WAIT_S, what="progress")
            redis.kill()
            redis.wait()
            code = proc.wait(timeout=WAIT_S)
    finally:
        if redis.poll() is None:
            redis.kill()
            redis.wait()
    log = (tmp_path / "worker-A.log").read_text()
    status = rows(db, "SELECT status FROM crawls")
    assert code == 3, log[-3000:]
    assert status == [("aborted:redis_unavailable",)]
    assert "Traceback" not in log, log[-3000:]
