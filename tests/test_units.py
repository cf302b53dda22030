"""`import-warc --redis` and `reextract --redis`: work units shared through a real
redis-server (one WARC file, or one page-id range, per unit), shards merged."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import count_rows, run_cli, wait_until
from test_warc_import import PAGES, _body, _ctype, response
from warcio.warcwriter import WARCWriter

from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.redis_server import redis_server

WAIT_S = 120.0
LEASE_S = "2"

ARTICLES = (
    "SELECT url, site, title, authors, date_published, date_published_raw, date_modified,"
    " description, text, language FROM articles ORDER BY url"
)
LINKS = "SELECT from_url, to_url, kind, anchor_text, position FROM links ORDER BY 1, 2, 3, 5"
PAGE_ROWS = "SELECT url, fetched_at, warc_record_id, outcome FROM pages ORDER BY url, fetched_at"
EVIDENCE = (
    "SELECT article_url, field, source, raw, value, precision, chosen FROM date_evidence"
    " ORDER BY 1, 2, 3, 4, 5, 6, 7"
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def warc_file(path: Path, tag: str, records: int) -> Path:
    """A WARC of `records` article pages, each on its own host (tag + number)."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(records):
            page = PAGES[n % len(PAGES)]
            url = f"https://{tag}{n}.example.it{page}"
            response(writer, url, _body(page), ctype=_ctype(page))
    return path


def worker(tmp: Path, db: Path, redis: str, *args: str, job: str = "test") -> subprocess.Popen[str]:
    """Start `newsarchive import-warc --redis` (in-process extraction) in its own session."""
    log = (tmp / f"{db.stem}.log").open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "import-warc", *args, "--db", str(db),
         "--silent", "--jobs", "0", "--redis", redis, "--redis-job", job,
         "--redis-lease", LEASE_S],
        cwd=tmp, env=child_env(), stdout=log, stderr=log, text=True, start_new_session=True,
    )  # fmt: skip


def finished(proc: subprocess.Popen[str], tmp: Path, db: Path) -> None:
    assert proc.wait(timeout=WAIT_S) == 0, (tmp / f"{db.stem}.log").read_text()[-3000:]


def merge(tmp: Path, target: Path, *shards: Path) -> None:
    result = run_cli("merge", *map(str, shards), "--db", str(target), cwd=tmp)
    assert result.code == 0, result.err


def imported_files(db: Path) -> set[str]:
    return {r[0] for r in rows(db, "SELECT source FROM warc_imports WHERE finished_at IS NOT NULL")}


def same_archive(a: Path, b: Path) -> None:
    for sql in (PAGE_ROWS, ARTICLES, LINKS, EVIDENCE):
        assert rows(a, sql) == rows(b, sql), sql


def test_two_workers_split_four_warc_files_and_merge_equals_one_process(tmp_path, redis_url):
    files = [str(warc_file(tmp_path / f"f{i}.warc.gz", f"w{i}-", 6)) for i in range(4)]
    a, b = tmp_path / "shard-a.db", tmp_path / "shard-b.db"
    workers = [worker(tmp_path, db, redis_url, *files, job="split") for db in (a, b)]
    for proc, db in zip(workers, (a, b), strict=True):
        finished(proc, tmp_path, db)
    # each file imported by exactly one worker
    in_a, in_b = imported_files(a), imported_files(b)
    assert (in_a & in_b, in_a | in_b) == (set(), set(files))
    merged = tmp_path / "merged.db"
    merge(tmp_path, merged, a, b)
    single = tmp_path / "single.db"
    result = run_cli("import-warc", *files, "--db", str(single), "--silent", "--jobs", "0",
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    assert count_rows(merged, "SELECT count(*) FROM pages") == 24
    same_archive(merged, single)
    # a worker started after the job is done has nothing to do
    late = tmp_path / "shard-c.db"
    finished(worker(tmp_path, late, redis_url, *files, job="split"), tmp_path, late)
    assert count_rows(late, "SELECT count(*) FROM pages") == 0
    assert "nothing left to do in" in (tmp_path / "shard-c.log").read_text()
    stats = run_cli("stats", "--db", str(merged), "--redis", redis_url, cwd=tmp_path)
    assert (stats.code, "job warc:split: queued 0, leased 0, done 4" in stats.out) == (0, True), (
        stats.out + stats.err
    )


def test_killed_worker_file_is_finished_by_another_worker(tmp_path, redis_url):
    total = 200
    big = str(warc_file(tmp_path / "big.warc.gz", "big", total))
    a, b = tmp_path / "shard-a.db", tmp_path / "shard-b.db"
    first = worker(tmp_path, a, redis_url, big, job="kill")
    stored = lambda: count_rows(a, "SELECT count(*) FROM pages") >= 10  # noqa: E731
    wait_until(stored, timeout=WAIT_S, what="worker A stores pages")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert count_rows(a, "SELECT count(*) FROM pages") < total
    # B waits for A's lease to expire, then imports the file into its own shard
    finished(worker(tmp_path, b, redis_url, big, job="kill"), tmp_path, b)
    assert imported_files(b) == {big}
    assert count_rows(b, "SELECT count(DISTINCT warc_record_id) FROM pages") == total
    merged = tmp_path / "merged.db"
    merge(tmp_path, merged, a, b)
    assert rows(merged, "SELECT count(*), count(DISTINCT warc_record_id) FROM pages") == [
        (total, total)
    ]


def test_killed_worker_restarted_on_its_shard_resumes_from_its_log(tmp_path, redis_url):
    total = 200
    big = str(warc_file(tmp_path / "big.warc.gz", "again", total))
    a = tmp_path / "shard-a.db"
    first = worker(tmp_path, a, redis_url, big, job="restart")
    stored = lambda: count_rows(a, "SELECT count(*) FROM articles") >= 10  # noqa: E731
    wait_until(stored, timeout=WAIT_S, what="worker A stores pages")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    before = dict(rows(a, "SELECT url, extracted_at FROM articles"))
    assert 10 <= len(before) < total
    # the restart (a new worker name) takes the file once A's lease has expired
    finished(worker(tmp_path, a, redis_url, big, job="restart"), tmp_path, a)
    assert rows(a, "SELECT count(*), count(DISTINCT warc_record_id) FROM pages") == [(total, total)]
    after = dict(rows(a, "SELECT url, extracted_at FROM articles"))
    assert {u: after[u] for u in before} == before  # what was committed is not redone


def test_unreachable_redis_is_one_line_and_exit_2(tmp_path):
    from newsarchive_testing.redis_server import free_port

    warc = warc_file(tmp_path / "one.warc.gz", "x", 1)
    url = f"redis://127.0.0.1:{free_port()}/0"
    for args in (["import-warc", str(warc)], ["reextract"]):
        (tmp_path / "archive.db").touch()
        result = run_cli(*args, "--db", str(tmp_path / "archive.db"), "--redis", url,
                         cwd=tmp_path)  # fmt: skip
        assert (result.code, "Traceback" in result.err) == (2, False), result.err
        assert result.err.strip().count("\n") == 0, result.err


def test_leased_set_gives_each_unit_to_one_worker_and_takes_back_expired_ones(redis_url):
    from newsarchive.distributed.units import open_set

    one = open_set(redis_url, "t", "warc", "unit", lease_seconds=1)
    two = open_set(redis_url, "t", "warc", "unit", lease_seconds=1)
    assert (one.seed(["x", "y"]), two.seed(["x", "y"])) == (2, -1)
    got_one, got_two = one.lease(), two.lease()
    assert got_one is not None and got_two is not None
    assert {got_one[1], got_two[1]} == {"x", "y"}
    assert two.lease() is None and two.pending() == 2
    two.ack(got_two[0])
    # one "dies" holding x: its lease expires and two takes the unit over
    one.held.clear()

    def back() -> bool:
        got = two.lease()
        return got is not None and got[1] == got_one[1] and two.ack(got[0]) == 1

    wait_until(back, timeout=WAIT_S, what="the expired unit to come back")
    assert (two.pending(), two.done()) == (0, 2)


def test_two_reextract_workers_split_the_ranges_and_equal_one_process(tmp_path, redis_url):
    from newsarchive.crawl.reextract import reextract
    from newsarchive.distributed.units import open_set, page_ranges, reextract_units

    warc = warc_file(tmp_path / "re.warc.gz", "re", 30)
    base = tmp_path / "base.db"
    result = run_cli("import-warc", str(warc), "--db", str(base), "--silent", "--jobs", "0",
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    shared, single = tmp_path / "shared.db", tmp_path / "single.db"
    shutil.copy(base, shared)
    shutil.copy(base, single)
    for db in (shared, single):  # a stale derived state that re-extraction must rebuild
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE articles SET title = 'stale'")
    alone = reextract(single, jobs=1)
    ids = [r[0] for r in rows(shared, "SELECT id FROM pages ORDER BY id")]
    size = 4
    summaries = []

    def run() -> None:
        leased = open_set(redis_url, "t", "reextract", "split", lease_seconds=5)
        summaries.append(reextract(shared, jobs=1, units=reextract_units(leased, size)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_S)
    assert len(summaries) == 2
    # each page re-extracted once: by one worker, in one range
    assert sum(s.pages_read for s in summaries) == alone.pages_read == len(ids) == 30
    assert sum(s.articles_changed for s in summaries) == alone.articles_changed > 0
    leased = open_set(redis_url, "t", "reextract", "split")
    assert (leased.done(), leased.pending()) == (len(page_ranges(ids, size)), 0)
    same_archive(shared, single)


VERSIONS = (
    "SELECT article_url, version, page_id, fetched_at, title, text, content_hash, changed_fields"
    " FROM article_versions ORDER BY 1, 2"
)


def test_reextract_units_keep_an_articles_fetches_together_in_fetch_order(tmp_path, redis_url):
    """An article fetched first (page 1) and again, edited, much later (page 12): whatever
    order the ranges are leased in, its versions are rebuilt as one process does."""
    from newsarchive.crawl.reextract import reextract
    from newsarchive.distributed.units import open_set, reextract_units

    page = PAGES[0]
    url = f"https://again.example.it{page}"
    body = _body(page)
    warc = tmp_path / "versions.warc.gz"
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        response(writer, url, body, ctype=_ctype(page), date="2024-11-18T09:00:00Z")
        for n in range(10):
            other = PAGES[1 + n % (len(PAGES) - 1)]  # other articles only
            response(writer, f"https://o{n}.example.it{other}", _body(other), ctype=_ctype(other))
        edited = body.replace(b"contro l'Occidente</h1>", b"contro la NATO</h1>", 1)
        assert edited != body
        response(writer, url, edited, ctype=_ctype(page), date="2024-11-19T12:00:00Z")
    base = tmp_path / "base.db"
    result = run_cli("import-warc", str(warc), "--db", str(base), "--silent", "--jobs", "0",
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    assert rows(base, "SELECT max(version) FROM article_versions") == [(2,)]
    shared, single = tmp_path / "shared.db", tmp_path / "single.db"
    shutil.copy(base, shared)
    shutil.copy(base, single)
    reextract(single, jobs=1)
    leased = open_set(redis_url, "t", "reextract", "versions", lease_seconds=5)
    # the ranges of 4 ids leased last first: [9, 12], then [5, 8], then [1, 4]
    assert leased.seed(["[9, 12]", "[5, 8]", "[1, 4]"]) == 3
    reextract(shared, jobs=1, units=reextract_units(leased, 4))
    assert (leased.done(), leased.pending()) == (3, 0)
    assert rows(shared, VERSIONS) == rows(single, VERSIONS)
    same_archive(shared, single)


def test_reextract_cli_workers_share_one_job(tmp_path, redis_url):
    """Two `reextract --redis` processes on one archive: each page read by one of them."""
    warc = warc_file(tmp_path / "cli.warc.gz", "cli", 8)
    db = tmp_path / "archive.db"
    result = run_cli("import-warc", str(warc), "--db", str(db), "--silent", "--jobs", "0",
                     cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    args = [sys.executable, "-m", "newsarchive", "reextract", "--db", str(db), "--silent",
            "--jobs", "1", "--redis", redis_url]  # fmt: skip
    procs = [
        subprocess.Popen(
            args,
            cwd=tmp_path,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=WAIT_S) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    read = [int(out.split("pages read: ")[1].split(";")[0]) for out, _ in outputs]
    assert sorted(read) == [0, 8], outputs  # one range of 1,000 ids: one worker does it
    assert all("shared job newsarchive:q:reextract:reextract-" in err for _, err in outputs)
