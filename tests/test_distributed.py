"""The shared frontier's components against a real redis-server, and `merge` of shards."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime
from types import SimpleNamespace

import pytest
from conftest import wait_until
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from newsarchive.distributed import serializer
from newsarchive.distributed.connection import client, masked
from newsarchive.distributed.frontier import LEASE_META, LeasedQueue
from newsarchive.distributed.seen import SeenFilter
from newsarchive.extract.article import extract_article
from newsarchive.store.archive import Archive
from newsarchive.store.merge import merge_shards
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_pages import BASE, raw_page
from newsarchive_testing.fixture_site import SITE_DIR
from newsarchive_testing.redis_server import redis_server

WAIT_S = 30.0


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def spider(**settings: object) -> SimpleNamespace:
    """What the queue needs of a spider: a name and settings."""
    return SimpleNamespace(name="article", settings=Settings(settings))


def queue(url: str, prefix: str, **settings: object) -> LeasedQueue:
    return LeasedQueue(client(url), spider(**settings), prefix, serializer=serializer)


def wait_pop(q: LeasedQueue) -> Request:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        request = q.pop()
        if request is not None:
            return request
        time.sleep(0.05)
    raise AssertionError("nothing came back to the queue")


def test_requests_are_json_with_bytes_kept():
    request = Request(
        "https://www.example.it/a.html",
        method="POST",
        body=b"\x00\xffbody",
        headers={"If-None-Match": '"v1"'},
        meta={"na_depth": 2, "redirect_urls": ["https://example.it/a"]},
    )
    data = serializer.dumps(request.to_dict())
    back = serializer.loads(data)
    assert json.loads(data)["url"] == "https://www.example.it/a.html"  # plain JSON text
    assert back["body"] == b"\x00\xffbody"
    assert back["meta"] == {"na_depth": 2, "redirect_urls": ["https://example.it/a"]}
    assert back["headers"][b"If-None-Match".decode()] == [b'"v1"']


def test_serializer_refuses_what_json_cannot_hold():
    with pytest.raises(TypeError):
        serializer.dumps(Request("https://a.it/", meta={"x": {1, 2}}).to_dict())


def test_queue_refuses_pickle(redis_url):
    with pytest.raises(ValueError, match="never pickle"):
        LeasedQueue(client(redis_url), spider(), "p0", serializer=None)


def test_a_lease_not_acknowledged_comes_back_to_another_worker(redis_url):
    killed = queue(redis_url, "lease1", NEWSARCHIVE_REDIS_LEASE_SECONDS=0.5)
    other = queue(redis_url, "lease1", NEWSARCHIVE_REDIS_LEASE_SECONDS=0.5)
    killed.push(Request("https://www.example.it/a.html", meta={"na_depth": 1}))
    popped = killed.pop()
    assert popped is not None and other.pop() is None  # leased: nobody else gets it
    again = wait_pop(other)  # the first worker never acknowledges it (killed)
    assert again.url == popped.url and again.meta["na_depth"] == 1
    assert other.reclaimed == 1
    assert other.ack(again.meta[LEASE_META]) == 1
    assert other.pending() == 0


def test_an_acknowledged_lease_never_comes_back(redis_url):
    q = queue(redis_url, "lease2", NEWSARCHIVE_REDIS_LEASE_SECONDS=0.2)
    q.push(Request("https://www.example.it/a.html"))
    popped = q.pop()
    assert popped is not None and q.ack(popped.meta[LEASE_META]) == 1
    assert q.pending() == 0 and q.pop() is None


def test_a_closing_worker_hands_back_its_leases_at_once(redis_url):
    closing = queue(redis_url, "lease3", NEWSARCHIVE_REDIS_LEASE_SECONDS=3600)
    other = queue(redis_url, "lease3", NEWSARCHIVE_REDIS_LEASE_SECONDS=3600)
    closing.push(Request("https://www.example.it/a.html"))
    assert closing.pop() is not None
    assert closing.release() == 1
    assert other.pop() is not None


def test_a_request_whose_lease_keeps_expiring_is_given_up(redis_url):
    settings = {"NEWSARCHIVE_REDIS_LEASE_SECONDS": 0.1, "NEWSARCHIVE_REDIS_MAX_ATTEMPTS": 2}
    q = queue(redis_url, "lease4", **settings)
    q.push(Request("https://www.example.it/poison.html"))
    assert q.pop() is not None
    assert wait_pop(q) is not None  # second attempt
    deadline = time.monotonic() + WAIT_S
    while q.given_up == 0 and time.monotonic() < deadline:
        assert q.pop() is None
        time.sleep(0.05)
    assert q.given_up == 1 and q.pending() == 0
    assert client(redis_url).zcard("lease4:failed") == 1


def test_higher_priority_first_then_fifo(redis_url):
    q = queue(redis_url, "prio")
    for name, priority in (("a", 0), ("b", 0), ("c", 5)):
        q.push(Request(f"https://www.example.it/{name}.html", priority=priority))
    assert [q.pop().url[-6:] for _ in range(3)] == ["c.html", "a.html", "b.html"]  # type: ignore[union-attr]


def seen_filter(url: str, prefix: str, days: int = 30) -> SeenFilter:
    crawler = get_crawler(settings_dict={"REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7"})
    return SeenFilter(client(url), prefix, crawler=crawler, days=days)


def test_seen_by_one_worker_is_seen_by_all(redis_url):
    one, two = seen_filter(redis_url, "seen1"), seen_filter(redis_url, "seen1")
    request = Request("https://www.example.it/a.html")
    assert one.request_seen(request) is False
    assert two.request_seen(Request("https://www.example.it/a.html")) is True
    assert two.request_seen(Request("https://www.example.it/b.html")) is False


def test_the_seen_set_forgets_after_its_window(redis_url):
    f = seen_filter(redis_url, "seen2", days=3)
    request = Request("https://www.example.it/old.html")
    server = client(redis_url)
    today = int(server.time()[0]) // 86400
    server.sadd(f"seen2:seen:{today - 3}", f.request_fingerprint(request))  # 3 days ago
    assert f.request_seen(request) is False  # outside the window: new again
    assert 0 < server.ttl(f"seen2:seen:{today}") <= 4 * 86400


def test_masked_hides_the_password():
    assert masked("redis://:s3cret@db.lan:6379/0") == "redis://:***@db.lan:6379/0"
    assert masked("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


# --- merge ---------------------------------------------------------------------------------


def store(db, body: bytes, fetched_at: str, path: str = truth.SEED_PATH) -> None:
    page = raw_page(path, body=body, fetched_at=fetched_at)
    ex = extract_article(body, url=page.final_url, fetched_at=datetime.fromisoformat(fetched_at))
    with Archive(db) as archive:
        crawl_id = archive.runs.start(command="test", seeds=[], started_at=fetched_at)
        archive.pages.record_fetch(
            page, ex, outcome=ex.outcome, error=None, crawl_id=crawl_id, extracted_at=fetched_at
        )
        archive.runs.finish(crawl_id, finished_at=fetched_at, stats={}, status="finished")


def q(db, sql):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_merge_orders_versions_by_fetch_time_across_shards_and_is_idempotent(tmp_path):
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    edited = body.replace(b"soldati in Ucraina contro l'Occidente", b"truppe in Ucraina")
    a, b, merged = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "merged.db"
    store(a, body, "2024-12-06T09:00:00.000+00:00")
    store(b, edited, "2024-12-07T09:00:00.000+00:00")
    store(a, body, "2024-12-08T09:00:00.000+00:00")  # edited back, seen by the other shard
    first = merge_shards(merged, [a, b])
    again = merge_shards(merged, [b, a])
    versions = q(
        merged,
        "SELECT version, fetched_at, changed_fields FROM article_versions ORDER BY version",
    )
    assert [(s.pages_added, s.crawls) for s in first] == [(2, 2), (1, 1)]
    assert [(s.pages_added, s.articles_updated, s.crawls) for s in again] == [(0, 0, 0)] * 2
    assert q(merged, "SELECT count(*) FROM pages") == [(3,)]
    assert versions == [
        (1, "2024-12-06T09:00:00.000+00:00", "[]"),
        (2, "2024-12-07T09:00:00.000+00:00", '["title"]'),
        (3, "2024-12-08T09:00:00.000+00:00", '["title"]'),
    ]
    # the article shows the newest fetch in any shard, crawls keep their shard of origin
    (title,) = q(merged, "SELECT title FROM articles")[0]
    assert "soldati in Ucraina" in title
    origins = q(merged, "SELECT shard, shard_crawl_id FROM crawls ORDER BY shard, shard_crawl_id")
    assert origins == [(str(a.resolve()), 1), (str(a.resolve()), 2), (str(b.resolve()), 1)]
    assert q(merged, "PRAGMA foreign_key_check") == []


def test_merge_of_a_missing_shard_is_one_line(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "newsarchive", "merge", str(tmp_path / "nope.db"),
         "--db", str(tmp_path / "m.db")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: no archive at {tmp_path / 'nope.db'}"


def test_stats_shows_the_shared_queue(redis_url, tmp_path):
    import subprocess
    import sys

    q = queue(redis_url, "statsq:q:crawl")
    for name in ("a", "b", "c"):
        q.push(Request(f"https://www.example.it/{name}.html"))
    done = q.pop()
    assert done is not None and q.ack(done.meta[LEASE_META]) == 1
    assert q.pop() is not None  # one leased
    Archive(tmp_path / "a.db").close()
    shown = subprocess.run(
        [sys.executable, "-m", "newsarchive", "stats", "--db", str(tmp_path / "a.db"),
         "--redis", redis_url, "--redis-prefix", "statsq"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "shared queue statsq: queued 1, leased 1, done 1, given up 0;" in shown.stdout
    assert "workers holding leases: 1" in shown.stdout
    assert "  job crawl: queued 1, leased 1, done 1, given up 0" in shown.stdout
    line = next(x for x in shown.stdout.splitlines() if "www.example.it" in x)
    assert line.split() == ["www.example.it", "queued", "1", "leased", "1", "done", "1"] + [
        "given",
        "up",
        "0",
    ]


def test_a_lost_connection_is_waited_for_then_the_call_goes_through(tmp_path):
    """Redis goes away and comes back on the same port: the push waits (tenacity) and is
    not lost; without Redis for longer than NEWSARCHIVE_REDIS_RETRY_SECONDS it raises."""
    import logging
    import threading

    import redis

    from newsarchive_testing.redis_server import free_port

    port = free_port()
    retrying = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            retrying.set()

    watcher = Seen()
    logging.getLogger("newsarchive.distributed.connection").addHandler(watcher)
    try:
        with redis_server(tmp_path / "first", port=port) as url:
            q = queue(url, "lost", NEWSARCHIVE_REDIS_RETRY_SECONDS=60)
            q.push(Request("https://www.example.it/before.html"))
        # the server is gone; it comes back once the worker is seen retrying
        back = threading.Event()
        stop = threading.Event()

        def restart() -> None:
            if retrying.wait(WAIT_S):
                with redis_server(tmp_path / "second", port=port):
                    back.set()
                    stop.wait(WAIT_S)

        thread = threading.Thread(target=restart, daemon=True)
        thread.start()
        q.push(Request("https://www.example.it/after.html"))
        assert back.is_set()
        popped = q.pop()
        assert popped is not None and popped.url.endswith("/after.html")
        stop.set()
        thread.join(WAIT_S)
        impatient = queue(url, "lost", NEWSARCHIVE_REDIS_RETRY_SECONDS=0.3)
        with pytest.raises(redis.ConnectionError):
            impatient.push(Request("https://www.example.it/never.html"))
    finally:
        logging.getLogger("newsarchive.distributed.connection").removeHandler(watcher)


def test_a_redirect_or_retry_takes_its_own_host_slot(redis_url):
    """A request copied from one that held a slot (Scrapy's redirect/retry copy the meta)
    must still take a slot of its own: the per-host limit holds for it too."""
    import asyncio

    from scrapy.http import Response

    from newsarchive.distributed.politeness import HostLeaseMiddleware

    settings = {
        "NEWSARCHIVE_REDIS_URL": redis_url,
        "NEWSARCHIVE_REDIS_PREFIX": "slots1",
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0,
    }
    middleware = HostLeaseMiddleware.from_crawler(get_crawler(settings_dict=settings))
    slots = "slots1:slots:www.example.it"
    first = Request("https://www.example.it/old.html")
    asyncio.run(middleware.process_request(first))
    assert client(redis_url).zcard(slots) == 1
    redirected = first.replace(url="https://www.example.it/new.html")  # meta copied
    middleware.process_response(first, Response(first.url, status=301))
    assert client(redis_url).zcard(slots) == 0
    asyncio.run(middleware.process_request(redirected))
    assert client(redis_url).zcard(slots) == 1
    middleware.process_exception(redirected, OSError("reset"))
    assert client(redis_url).zcard(slots) == 0
    middleware.close()


def test_merge_reads_a_shard_being_written_as_one_snapshot(tmp_path):
    """A worker in the middle of a write transaction: merge neither waits for it nor sees
    its uncommitted rows; the next merge takes them."""
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    shard, merged = tmp_path / "a.db", tmp_path / "merged.db"
    store(shard, body, "2024-12-06T09:00:00.000+00:00")
    writer = sqlite3.connect(shard, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO pages (url, final_url, status, fetched_at, sha256, outcome)"
        " VALUES ('http://x.it/a', 'http://x.it/a', 404, '2024-12-07T00:00:00+00:00', 'h', 'error')"
    )
    try:
        (during,) = merge_shards(merged, [shard])
    finally:
        writer.execute("COMMIT")
        writer.close()
    (after,) = merge_shards(merged, [shard])
    assert (during.pages_added, after.pages_added, after.pages_known) == (1, 1, 1)
    assert q(merged, "SELECT count(*) FROM pages") == [(2,)]


@pytest.mark.parametrize(("redis", "pending"), [(False, True), (True, False)])
def test_with_a_shared_frontier_a_seed_is_not_this_workers_to_report(tmp_path, redis, pending):
    """Another worker may fetch the seed this one queued (or queued it first): the one that
    fetches it reports its failure; the others must not call it lost (exit code 1)."""
    from spiders.article import ArticleSpider

    settings = {"NEWSARCHIVE_DB": str(tmp_path / "a.db")}
    if redis:
        from newsarchive.distributed import redis_settings

        settings.update(redis_settings("redis://127.0.0.1:1/0", "x"))  # never connected here
    crawler = get_crawler(ArticleSpider, settings_dict=settings)
    seed = "https://www.example.it/a.html"
    spider = ArticleSpider.from_crawler(crawler, url=seed)
    try:
        requests = list(spider.follow_url(seed, depth=0, via=None, seed=True))
    finally:
        spider.frontier.close()
    assert [r.url for r in requests] == [seed]
    assert (seed in spider.seed_pending) is pending


def test_shallower_first_across_workers(redis_url):
    """Breadth-first across all workers: a depth-1 request queued after a depth-2 one is
    popped first (as one process would fetch it), so depth is counted by the shortest path."""
    q = queue(redis_url, "bfs")
    for name, depth in (("deep", 2), ("near", 1), ("seed", 0), ("near2", 1)):
        q.push(Request(f"https://www.example.it/{name}.html", meta={"na_depth": depth}))
    popped = [q.pop() for _ in range(4)]
    assert [r.url.rsplit("/", 1)[1] for r in popped if r] == [
        "seed.html",
        "near.html",
        "near2.html",
        "deep.html",
    ]


def test_serve_opens_shards_beside_the_archive(tmp_path):
    """`serve --shard`: each worker's shard is a database of its own, bodies still hidden."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from newsarchive_testing.redis_server import free_port

    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    shard, merged = tmp_path / "shard-a.db", tmp_path / "archive.db"
    store(shard, body, "2024-12-06T09:00:00.000+00:00")
    merge_shards(merged, [shard])
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(merged),
         "--shard", str(shard), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""

    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                get("/-/versions.json")
                break
            except OSError:
                time.sleep(0.1)
        databases = json.loads(get("/-/databases.json")[1])
        code, found = get("/shard-a/articles.json?_shape=array")
        hidden, _ = get("/shard-a/pages.json")
    finally:
        proc.terminate()
        proc.wait(10)
    assert sorted(d["name"] for d in databases) == ["archive", "shard-a"]
    assert code == 200 and len(json.loads(found)) == 1
    assert hidden == 403


def test_retry_after_seen_by_one_worker_holds_every_worker_off_the_host(redis_url):
    from scrapy.http import Response

    from newsarchive.distributed.politeness import HostLeaseMiddleware

    settings = {
        "NEWSARCHIVE_REDIS_URL": redis_url,
        "NEWSARCHIVE_REDIS_PREFIX": "retryafter",
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0,
    }
    one, other = (
        HostLeaseMiddleware.from_crawler(get_crawler(settings_dict=settings)) for _ in range(2)
    )
    request = Request("https://www.example.it/a.html")
    one.process_response(request, Response(request.url, status=429, headers={"Retry-After": "120"}))
    wait_ms = other._acquire(keys=["retryafter"], args=["www.example.it", "token", 4, 0, 60_000])
    free_ms = other._acquire(keys=["retryafter"], args=["other.it", "token", 4, 0, 60_000])
    for middleware in (one, other):
        middleware.close()
    assert 110_000 < int(wait_ms) <= 120_000
    assert int(free_ms) == 0


def test_merge_reads_a_version_text_stored_once_in_the_article(tmp_path):
    """Where a shard keeps the newest version's text only in articles.text (NULL in the
    version), a merge that makes it an older version gives it its text back."""
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    edited = body.replace(b"soldati in Ucraina contro l'Occidente", b"truppe in Ucraina")
    a, b, merged = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "merged.db"
    store(a, body, "2024-12-06T09:00:00.000+00:00")
    store(b, edited, "2024-12-07T09:00:00.000+00:00")
    with sqlite3.connect(a) as conn:
        (article_text,) = conn.execute("SELECT text FROM articles").fetchone()
        conn.execute("UPDATE article_versions SET text = NULL")  # (what m011 does, if there)
    full = " ".join(article_text.split())
    merge_shards(merged, [a, b])
    texts = q(merged, "SELECT version, text FROM article_versions ORDER BY version")
    assert texts[0] == (1, full)
    from newsarchive.store import migrations
    from newsarchive.store.merge import TEXT_ONCE_MIGRATION

    names = {m.name for m in migrations.migrations._migrations}
    # the newest version: its text once, in articles.text, where the schema says so (m011)
    assert (texts[1][1] is None) is (TEXT_ONCE_MIGRATION in names)


def test_a_request_its_shard_committed_before_a_kill_is_not_fetched_again(redis_url, tmp_path):
    """A worker killed after its shard committed a page but before it acknowledged the lease:
    when the lease comes back, the restarted worker (same shard) acknowledges it instead of
    fetching the page a second time; other requests are fetched as usual."""
    from newsarchive.distributed import redis_settings
    from newsarchive.distributed.frontier import LeasedScheduler

    db = tmp_path / "shard.db"
    store(db, (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes(), "2024-11-21T08:30:00+00:00")
    lease = {"NEWSARCHIVE_REDIS_LEASE_SECONDS": 0.5}
    killed = queue(redis_url, "commit1", **lease)
    killed.push(Request(BASE + truth.SEED_PATH))
    assert killed.pop() is not None  # committed by the shard, never acknowledged: killed
    crawler = get_crawler(
        settings_dict={**redis_settings(redis_url, "commit1"), "NEWSARCHIVE_DB": str(db), **lease}
    )
    restarted = LeasedScheduler.from_crawler(crawler)
    restarted.queue = queue(redis_url, "commit1", **lease)
    restarted.queue.push(Request(BASE + "/other.html"))
    fetched: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while restarted.queue.pending() and time.monotonic() < deadline:
        request = restarted.next_request()
        if request is None:
            time.sleep(0.05)
            continue
        fetched.append(request.url)
        restarted.done(request)
    assert fetched == [BASE + "/other.html"]
    assert restarted.queue.pending() == 0
    assert crawler.stats.get_value("newsarchive/redis/committed_before_ack") == 1
    restarted.shard.close()


# --- leases of a live worker whose reactor is busy; slots through Scrapy's chain -------------


def redis_ms(server) -> int:  # noqa: ANN001
    """Redis' clock in ms (the clock of every lease deadline)."""
    seconds, micros = server.time()
    return int(seconds) * 1000 + int(micros) // 1000


def slot_middlewares(redis_url: str, prefix: str, n: int, **settings: object) -> list:
    from newsarchive.distributed.politeness import HostLeaseMiddleware

    settings = {
        "NEWSARCHIVE_REDIS_URL": redis_url,
        "NEWSARCHIVE_REDIS_PREFIX": prefix,
        "DOWNLOAD_DELAY": 0,
        **settings,
    }
    return [HostLeaseMiddleware.from_crawler(get_crawler(settings_dict=settings)) for _ in range(n)]


def test_a_busy_workers_host_slot_is_not_given_to_another_worker(redis_url):
    """A live worker whose reactor is busy (a long extraction, a starved CPU; here no reactor
    runs at all) keeps the slot of its request still out past the hold time: no other worker
    gets one beyond the limit. (Renewed on a reactor timer, the slot expired and was taken:
    3 requests at once to the host with a limit of 2 in the e2e kill test.)"""
    import asyncio

    from scrapy.http import Response

    busy, other = slot_middlewares(
        redis_url,
        "busy1",
        2,
        NEWSARCHIVE_REDIS_LEASE_SECONDS=1,
        CONCURRENT_REQUESTS_PER_DOMAIN=1,
    )
    server = client(redis_url)
    request = Request("https://www.example.it/slow.html")
    args = ["www.example.it", "other-worker", 1, 0, 1000]
    try:
        asyncio.run(busy.process_request(request))
        token = request.meta["na_host_slot"]
        first_deadline = int(server.zscore("busy1:slots:www.example.it", token))
        wait_until(lambda: redis_ms(server) > first_deadline + 1000, what="twice the hold time")
        assert other._acquire(keys=["busy1"], args=args) == -1  # still busy
        busy.process_response(request, Response(request.url, status=200))
        assert other._acquire(keys=["busy1"], args=args) == 0
    finally:
        for middleware in (busy, other):
            middleware.close()


def test_a_busy_workers_request_lease_does_not_come_back_to_another_worker(redis_url, tmp_path):
    """The same for the lease of a popped request: a busy worker keeps it (on a reactor
    timer it expired and another worker fetched the page a second time)."""
    from newsarchive.distributed import redis_settings
    from newsarchive.distributed.frontier import LeasedScheduler

    lease = {"NEWSARCHIVE_REDIS_LEASE_SECONDS": 1}
    crawler = get_crawler(
        settings_dict={
            **redis_settings(redis_url, "busy2"),
            "NEWSARCHIVE_DB": str(tmp_path / "shard.db"),
            **lease,
        }
    )
    busy = LeasedScheduler.from_crawler(crawler)
    busy.open(SimpleNamespace(name="article", settings=crawler.settings, crawler=crawler))
    server = client(redis_url)
    try:
        busy.queue.push(Request("https://www.example.it/a.html"))
        request = busy.next_request()
        assert request is not None
        first_deadline = int(server.zscore("busy2:q:article:leased", request.meta[LEASE_META]))
        wait_until(lambda: redis_ms(server) > first_deadline + 1000, what="twice the lease")
        other = queue(redis_url, "busy2:q:article", **lease)
        assert other.pop() is None and other.reclaimed == 0
        busy.done(request)
        assert other.pending() == 0
    finally:
        busy.close("finished")


def test_a_redirect_or_retry_frees_its_slot_in_scrapys_middleware_chain(redis_url):
    """Through Scrapy's downloader middleware chain, where RedirectMiddleware and
    RetryMiddleware answer a new request and the chain stops there: the slot of the download
    they replace is freed (it was held, renewed, until the worker stopped: a few redirects
    and the host had no slot left for any worker)."""
    import asyncio

    from scrapy import Spider
    from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
    from scrapy.http import Response

    from newsarchive.distributed import redis_settings
    from newsarchive.distributed.politeness import HostLeaseMiddleware

    lease_mw = "newsarchive.distributed.politeness.HostLeaseMiddleware"
    configured = redis_settings(redis_url, "chain")
    settings = {
        **configured,
        # Scrapy's redirect and retry, and the slots where --redis puts them
        "DOWNLOADER_MIDDLEWARES_BASE": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
        },
        "DOWNLOADER_MIDDLEWARES": {lease_mw: configured["DOWNLOADER_MIDDLEWARES"][lease_mw]},
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0,
        "RETRY_TIMES": 2,
    }
    crawler = get_crawler(Spider, settings_dict=settings)
    crawler.spider = Spider.from_crawler(crawler, name="chain")  # RetryMiddleware reads it
    manager = DownloaderMiddlewareManager.from_crawler(crawler)
    url = "https://www.example.it/a.html"
    answers = [
        Response(url, status=301, headers={"Location": "https://www.example.it/b.html"}),
        Response(url, status=503),
        TimeoutError("took too long"),
        Response(url, status=200),
    ]

    async def download(request: Request) -> Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    server = client(redis_url)
    try:
        for expected in (Request, Request, Request, Response):
            result = asyncio.run(manager.download_async(download, Request(url)))
            assert isinstance(result, expected)
            assert server.zcard("chain:slots:www.example.it") == 0
    finally:
        for mw in manager.middlewares:
            if isinstance(mw, HostLeaseMiddleware):
                mw.close()
