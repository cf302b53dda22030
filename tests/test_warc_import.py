"""`newsarchive import-warc`: WARC files built here with warcio's writer, imported through the
crawl's store path, from files and from a local HTTP server (CC-NEWS-shaped tree)."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from conftest import count_rows, run_cli, wait_until
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.crawl import workers
from newsarchive.store.archive import Archive
from newsarchive.warc import import_ as warc_import
from newsarchive.warc.sources import Filters
from newsarchive_testing import site_truth as truth
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fixture_site import SITE_DIR

HOST = "https://www.example.it"
# the fetch time the WARC says: "Ieri alle 18:30" on a page fetched then is 17 November
WARC_DATE = "2024-11-18T09:00:00Z"
PAGES = [truth.SEED_PATH, *truth.DEPTH1_PATHS]


def _body(path: str) -> bytes:
    return (SITE_DIR / path.lstrip("/")).read_bytes()


def _ctype(path: str) -> str:
    charset = "windows-1252" if path == truth.CP1252_PATH else "utf-8"
    return f"text/html; charset={charset}"


def response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    *,
    date: str = WARC_DATE,
    ctype: str = "text/html; charset=utf-8",
    status: str = "200 OK",
) -> None:
    """Write one response record (warcio computes the digests and lengths)."""
    http = StatusAndHeaders(
        status, [("Content-Type", ctype), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
    )
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)


def site_warc(
    path: Path, *, gzip_records: bool = True, version: str = "1.0", paths: list[str] = PAGES
) -> Path:
    """A WARC of the fixture site's articles (with a warcinfo and a request record)."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip_records, warc_version=version)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for page in paths:
            response(writer, HOST + page, _body(page), ctype=_ctype(page))
        http = StatusAndHeaders(
            "GET / HTTP/1.1", [("Host", "www.example.it")], is_http_request=True
        )
        writer.write_record(writer.create_warc_record(HOST + "/", "request", http_headers=http))
    return path


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def import_warc(tmp_path: Path, *args: str, timeout: float = 180):
    return run_cli(
        "import-warc",
        "--db",
        str(tmp_path / "archive.db"),
        "--silent",
        *args,
        cwd=tmp_path,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("import")
    warc = site_warc(tmp_path / "site.warc.gz")
    result = import_warc(tmp_path, str(warc), "--jobs", "1")
    assert result.code == 0, result.err
    return tmp_path, warc, result


def test_import_stores_every_response_as_a_page_with_provenance(imported):
    tmp_path, warc, _ = imported
    pages = rows(
        tmp_path / "archive.db",
        "SELECT url, fetched_at, warc_file, warc_offset, warc_length, warc_record_id,"
        " outcome FROM pages ORDER BY id",
    )
    assert [p[0] for p in pages] == [HOST + p for p in PAGES]
    assert {(p[1], p[2], p[6]) for p in pages} == {
        ("2024-11-18T09:00:00.000+00:00", str(warc), "article")
    }
    assert all(p[3] > 0 and p[4] > 0 and p[5].startswith("<urn:uuid:") for p in pages)


def test_provenance_offset_and_length_point_at_the_record(imported):
    tmp_path, warc, _ = imported
    from warcio.archiveiterator import ArchiveIterator

    offset, length, rid = rows(
        tmp_path / "archive.db",
        "SELECT warc_offset, warc_length, warc_record_id FROM pages WHERE url = ?",
        (HOST + truth.SEED_PATH,),
    )[0]
    with warc.open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(io.BytesIO(fh.read(length)))))
        assert (
            record.rec_headers.get_header("WARC-Record-ID"),
            record.content_stream().read(),
        ) == (rid, _body(truth.SEED_PATH))


def test_imported_articles_match_the_truth(imported):
    tmp_path, _, _ = imported
    got = dict(rows(tmp_path / "archive.db", "SELECT url, title FROM articles"))
    assert got == {HOST + p: truth.ARTICLES[p]["title"] for p in PAGES}


def test_relative_listed_date_is_read_against_the_warc_date(imported):
    tmp_path, _, _ = imported
    listed = rows(
        tmp_path / "archive.db",
        "SELECT listed_date FROM links WHERE from_url = ? AND to_url = ?",
        (HOST + truth.RELATIVE_FROM_PATH, HOST + truth.RELATIVE_TO_PATH),
    )
    assert listed == [("2024-11-17T18:30:00+01:00",)]


def test_related_links_are_recorded_and_nothing_is_queued_or_fetched(imported):
    tmp_path, _, _ = imported
    links = rows(
        tmp_path / "archive.db",
        "SELECT count(*) FROM links WHERE from_url = ?",
        (HOST + truth.SEED_PATH,),
    )[0][0]
    assert links == len(truth.ARTICLES[truth.SEED_PATH]["related"])


def test_importing_twice_adds_nothing(imported, tmp_path):
    src, warc, _ = imported
    db = tmp_path / "archive.db"
    db.write_bytes((src / "archive.db").read_bytes())
    before = rows(db, "SELECT count(*) FROM pages")[0][0]
    again = import_warc(tmp_path, str(warc))
    copy = tmp_path / "copy.warc.gz"
    copy.write_bytes(warc.read_bytes())
    under_another_name = import_warc(tmp_path, str(copy), "--jobs", "1")
    assert (
        again.code,
        "1 imported before" in again.out,
        under_another_name.code,
        "already imported: 6" in under_another_name.out,
        rows(db, "SELECT count(*) FROM pages")[0][0],
    ) == (0, True, 0, True, before)


@pytest.mark.parametrize("form", ["plain", "whole-gzip", "warc-1.1"])
def test_plain_whole_gzip_and_warc_1_1_are_read(tmp_path, form):
    if form == "plain":
        warc = site_warc(tmp_path / "site.warc", gzip_records=False)
    elif form == "warc-1.1":
        warc = site_warc(tmp_path / "site.warc.gz", version="1.1")
    else:
        plain = site_warc(tmp_path / "site.warc", gzip_records=False)
        warc = tmp_path / "whole.warc.gz"
        warc.write_bytes(gzip.compress(plain.read_bytes()))
    result = import_warc(tmp_path, str(warc), "--jobs", "0")
    articles = rows(tmp_path / "archive.db", "SELECT count(*) FROM articles")[0][0]
    assert (result.code, articles) == (0, len(PAGES)), result.err


def test_filters_site_suffix_and_language(tmp_path):
    warc = tmp_path / "mixed.warc.gz"
    english = b'<html lang="en"><head><title>News</title></head><body><p>Hello</p></body></html>'
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        response(writer, HOST + truth.SEED_PATH, _body(truth.SEED_PATH))
        response(writer, "https://www.example.com/x.html", _body(truth.SEED_PATH))
        response(writer, "https://altro.it/y.html", _body(truth.SEED_PATH))
        response(writer, "https://www.fruit/z.html", _body(truth.SEED_PATH))
        response(writer, HOST + "/en.html", english)
        response(writer, HOST + "/logo.png", b"\x89PNG" + b"\0" * 100, ctype="image/png")
    result = import_warc(
        tmp_path,
        str(warc),
        "--jobs",
        "0",
        "--host-suffix",
        ".it",
        "--site",
        "example.it",
        "--lang",
        "it",
    )
    urls = [r[0] for r in rows(tmp_path / "archive.db", "SELECT url FROM pages")]
    assert (result.code, urls) == (0, [HOST + truth.SEED_PATH]), result.out


def test_bad_records_are_counted_named_and_skipped(tmp_path):
    warc = tmp_path / "bad.warc.gz"
    good = _body(truth.SEED_PATH)
    with warc.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        response(writer, HOST + "/first.html", good)
    # a truncated gzip member
    member = io.BytesIO()
    response(WARCWriter(member, gzip=True), HOST + "/truncated.html", good)
    truncated_at = warc.stat().st_size
    with warc.open("ab") as fh:
        fh.write(member.getvalue()[: len(member.getvalue()) // 2])
    # a record whose Content-Length says more than its block has
    lying = io.BytesIO()
    response(WARCWriter(lying, gzip=False), HOST + "/lying.html", good)
    raw = lying.getvalue()
    head, _, rest = raw.partition(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    head = head.replace(
        f"Content-Length: {length}".encode(), f"Content-Length: {length - 400}".encode()
    )
    with warc.open("ab") as fh:
        fh.write(gzip.compress(head + b"\r\n\r\n" + rest))
        # invalid WARC headers
        fh.write(gzip.compress(b"WARC/1.0\r\nthis is not a header line\r\n\r\n\r\n\r\n"))
        # not an HTTP payload in a response record
        payload = b"just some text, no status line\r\n"
        fh.write(
            gzip.compress(
                b"WARC/1.0\r\nWARC-Type: response\r\n"
                b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
                b"WARC-Date: 2024-11-18T09:00:00Z\r\n"
                + f"WARC-Target-URI: {HOST}/notes.html\r\n".encode()
                + b"Content-Type: application/http; msgtype=response\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
                + b"\r\n\r\n"
            )
        )
        # a 5 MB binary
        blob = io.BytesIO()
        response(
            WARCWriter(blob, gzip=True),
            HOST + "/video.bin",
            os.urandom(5_000_000),
            ctype="application/octet-stream",
        )
        fh.write(blob.getvalue())
        last = io.BytesIO()
        response(WARCWriter(last, gzip=True), HOST + "/last.html", good)
        fh.write(last.getvalue())
    result = import_warc(tmp_path, str(warc), "--jobs", "0")
    urls = [r[0] for r in rows(tmp_path / "archive.db", "SELECT url FROM pages ORDER BY id")]
    bad_lines = [line for line in result.err.splitlines() if line.startswith("bad record:")]
    assert (result.code, urls) == (1, [HOST + "/first.html", HOST + "/last.html"]), result.err
    assert len(bad_lines) == 4, result.err  # truncated, lying, invalid headers, not HTTP
    assert f"{warc} @ {truncated_at}:" in result.err
    assert "Traceback" not in result.err
    assert "not_html 1" in result.out


def _serve(root: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(handler.func):  # type: ignore[misc,name-defined]
        def log_message(self, *args, **kwargs):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cc_news_mirror(tmp_path):
    """A CC-NEWS-shaped tree: crawl-data/CC-NEWS/2024/11/{warc.paths.gz, two WARC files}."""
    root = tmp_path / "mirror"
    month = root / "crawl-data" / "CC-NEWS" / "2024" / "11"
    month.mkdir(parents=True)
    names = ["CC-NEWS-20241118090000-00000.warc.gz", "CC-NEWS-20241118100000-00001.warc.gz"]
    site_warc(month / names[0], paths=PAGES[:3])
    site_warc(month / names[1], paths=PAGES[3:])
    listing = "".join(f"crawl-data/CC-NEWS/2024/11/{n}\n" for n in names)
    (month / "warc.paths.gz").write_bytes(gzip.compress(listing.encode()))
    yield from _serve(root)


def test_import_from_an_http_url(cc_news_mirror, tmp_path):
    url = f"{cc_news_mirror}/crawl-data/CC-NEWS/2024/11/CC-NEWS-20241118090000-00000.warc.gz"
    result = import_warc(tmp_path, url, "--jobs", "0")
    files = rows(tmp_path / "archive.db", "SELECT DISTINCT warc_file FROM pages")
    assert (result.code, files) == (0, [(url,)]), result.err


def test_cc_news_month_imports_the_listed_files_in_order_and_resumes(cc_news_mirror, tmp_path):
    first = import_warc(
        tmp_path, "--cc-news", "2024/11", "--base-url", cc_news_mirror, "--jobs", "1"
    )
    again = import_warc(tmp_path, "--cc-news", "2024/11", "--base-url", cc_news_mirror)
    logged = rows(
        tmp_path / "archive.db",
        "SELECT source, pages_stored, finished_at IS NOT NULL FROM warc_imports ORDER BY rowid",
    )
    assert (first.code, again.code, "2 imported before" in again.out) == (0, 0, True), first.err
    assert [(s.rsplit("/", 1)[1], n, done) for s, n, done in logged] == [
        ("CC-NEWS-20241118090000-00000.warc.gz", 3, 1),
        ("CC-NEWS-20241118100000-00001.warc.gz", 3, 1),
    ]
    assert rows(tmp_path / "archive.db", "SELECT count(*) FROM pages")[0][0] == len(PAGES)


def test_cc_news_month_must_be_yyyy_mm(tmp_path):
    result = import_warc(tmp_path, "--cc-news", "2024-11")
    assert (result.code, "YYYY/MM" in result.err, "Traceback" in result.err) == (2, True, False)


@pytest.mark.slow
def test_kill_9_mid_file_then_the_same_command_finishes_it(tmp_path):
    """Nothing duplicated, nothing missing, nothing committed extracted again."""
    total = 300
    warc = _many_pages(tmp_path / "big.warc.gz", total)
    db = tmp_path / "archive.db"
    env = child_env()
    cmd = [
        sys.executable,
        "-m",
        "newsarchive",
        "import-warc",
        str(warc),
        "--db",
        str(db),
        "--silent",
        "--jobs",
        "1",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # kill once 20 pages are stored (observed), never after a fixed time
    wait_until(
        lambda: count_rows(db, "SELECT count(*) FROM pages") >= 20,
        timeout=120,
        what="20 pages stored before the kill",
    )
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    first = {r[0]: r[1] for r in rows(db, "SELECT url, extracted_at FROM articles")}
    assert 20 <= len(first) < total
    result = run_cli(
        "import-warc",
        str(warc),
        "--db",
        str(db),
        "--silent",
        "--jobs",
        "1",
        cwd=tmp_path,
        timeout=300,
    )
    pages = rows(db, "SELECT count(*), count(DISTINCT warc_record_id) FROM pages")[0]
    after = {r[0]: r[1] for r in rows(db, "SELECT url, extracted_at FROM articles")}
    assert (result.code, pages, len(after)) == (0, (total, total), total), result.err
    assert {u: after[u] for u in first} == first


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.example.it/a.html", True),
        ("https://notizie.example.it/a.html", True),
        ("https://www.fruit/a.html", False),
        ("https://www.example.com/a.html", False),
    ],
)
def test_host_suffix_matches_whole_labels(url, kept):
    from newsarchive.warc.sources import Filters

    assert Filters(host_suffixes=(".it",)).host_ok(url) is kept


@pytest.mark.parametrize(
    ("head", "kept"),
    [
        (b'<html lang="it-IT"><head>', True),
        (b'<html class="x" lang=en><head>', False),
        (b'<html><head><meta property="og:locale" content="it_IT">', True),
        (b"<html><head><title>x</title>", True),  # declares nothing: extraction decides
    ],
)
def test_language_check_reads_what_the_page_declares(head, kept):
    from newsarchive.warc.sources import Filters

    assert Filters(lang="it").lang_ok(head, {}) is kept


def test_unusable_archive_is_one_line_and_exit_3(tmp_path):
    (tmp_path / "archive.db").write_bytes(b"this is not a SQLite database" * 100)
    warc = site_warc(tmp_path / "site.warc.gz", paths=PAGES[:1])
    result = import_warc(tmp_path, str(warc), "--jobs", "0")
    assert (result.code, "Traceback" in result.err, "storage error" in result.err) == (
        3,
        False,
        True,
    ), result.err


def test_import_commits_many_pages_per_transaction_with_its_log(tmp_path, monkeypatch):
    """The pages of many records go in one transaction, with the import log that covers them
    (issue 15: one commit per page cost more than the rest of the storing)."""
    # no flush by the clock: only the record count and the end of the file commit
    monkeypatch.setattr(warc_import, "LOG_SECONDS", 3600.0)
    monkeypatch.setattr(warc_import, "COMMIT_WAIT", 3600.0, raising=False)
    total = 40
    warc = _many_pages(tmp_path / "many.warc.gz", total)
    statements: list[str] = []
    with Archive(tmp_path / "archive.db") as archive:
        archive.db.conn.set_trace_callback(statements.append)
        summary = warc_import.import_warcs(archive, [str(warc)], filters=Filters(), jobs=1)
        archive.db.conn.set_trace_callback(None)
    commits = sum(s.strip().upper() == "COMMIT" for s in statements)
    log = rows(
        tmp_path / "archive.db", "SELECT pages_stored, finished_at IS NOT NULL FROM warc_imports"
    )
    assert (summary.stored, log) == (total, [(total, 1)])
    assert commits <= 6, commits  # run start, import start, the pages + log, finished, run end


class _HeldPool:
    """An extraction pool whose pages are extracted (in-process) only when their result is
    asked for: how many were submitted and not yet collected is then the importer's doing."""

    def __init__(self, workers: int, **_limits) -> None:
        self.workers = workers
        self.outstanding: dict[Future, tuple[bytes, dict]] = {}
        self.most = 0
        self.most_bytes = 0

    def too_large(self, body: bytes):
        return None

    def submit(self, body: bytes, **kwargs) -> Future:
        future: Future = Future()
        self.outstanding[future] = (body, kwargs)
        self.most = max(self.most, len(self.outstanding))
        held = sum(len(body) for body, _ in self.outstanding.values())
        self.most_bytes = max(self.most_bytes, held)
        return future

    def submit_packed(self, body: bytes, codec, **kwargs) -> Future:
        return self.submit(body, codec=codec, **kwargs)

    def packed_result(self, future: Future, url: str):
        body, kwargs = self.outstanding.pop(future)
        return workers._extract_packed(body, **kwargs)

    def close(self) -> None:
        pass


def _many_pages(path: Path, total: int) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(total):
            page = PAGES[n % len(PAGES)]
            response(writer, f"https://www{n}.example.it{page}", _body(page), ctype=_ctype(page))
    return path


def _held_import(tmp_path: Path, monkeypatch, total: int, jobs: int) -> _HeldPool:
    pools: list[_HeldPool] = []
    monkeypatch.setattr(
        warc_import, "ExtractionPool", lambda n, **kw: pools.append(_HeldPool(n)) or pools[-1]
    )
    monkeypatch.setattr(warc_import, "COMMIT_WAIT", 0.0)
    warc = _many_pages(tmp_path / "many.warc.gz", total)
    with Archive(tmp_path / "archive.db") as archive:
        summary = warc_import.import_warcs(archive, [str(warc)], filters=Filters(), jobs=jobs)
    assert summary.stored == total
    return pools[0]


def test_import_keeps_many_pages_per_worker_in_flight(tmp_path, monkeypatch):
    """While the main process stores a page, each worker has many more waiting (issue 15:
    with 4 per worker, workers sat idle a third of the time on 2 cores)."""
    pool = _held_import(tmp_path, monkeypatch, total=60, jobs=2)
    assert pool.most >= 2 * 16


def test_import_read_ahead_is_capped_in_bytes(tmp_path, monkeypatch):
    """Large pages: no more body bytes wait for extraction than the cap (and one page)."""
    biggest = max(len(_body(page)) for page in PAGES)
    monkeypatch.setattr(warc_import, "WINDOW_BYTES", 3 * biggest)
    pool = _held_import(tmp_path, monkeypatch, total=30, jobs=2)
    assert (pool.most < 2 * warc_import.WINDOW_PER_WORKER, pool.most_bytes <= 4 * biggest) == (
        True,
        True,
    ), (pool.most, pool.most_bytes)
