"""`newsarchive export --format warc`: real crawls of the fixture site written as WARC and
read back with the real tools (warcio check, cdxj-indexer, pywb)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import FAST, run_cli
from warcio.archiveiterator import ArchiveIterator

from newsarchive.model import RawPage
from newsarchive.store.archive import Archive
from newsarchive.warc.export import export_warc, payload_digest
from newsarchive.warc.records import response_headers
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR

PYWB = "pywb==2.10.0"
TOOL_ENV = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}


def warcio_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    """The real `warcio check -v` (the venv's console script)."""
    exe = Path(sys.executable).with_name("warcio")
    return subprocess.run(
        [str(exe), "check", "-v", *map(str, paths)], capture_output=True, text=True, timeout=120
    )


def _site_body(path: str) -> bytes:
    return (SITE_DIR / path.lstrip("/")).read_bytes()


def records(path: Path) -> list:
    """(rec_type, WARC headers dict, http headers, content) of every record of a file."""
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            headers = dict(record.rec_headers.headers)
            out.append(
                (record.rec_type, headers, record.http_headers, record.content_stream().read())
            )
    return out


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The fixture site crawled at depth 1, then the seed re-checked (an identical body)."""
    from newsarchive_testing.fixture_site import serve_site

    tmp_path = tmp_path_factory.mktemp("warc")
    db = tmp_path / "archive.db"
    with serve_site() as site:
        # one page arrives gzip-encoded: Scrapy decodes it and deletes Content-Encoding
        site.set_override(
            truth.NO_RELATED_PATH,
            200,
            {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
            gzip.compress(_site_body(truth.NO_RELATED_PATH)),
        )
        first = run_cli("crawl", site.url(truth.SEED_PATH), "--db", str(db), *FAST, cwd=tmp_path)
        assert first.code == 0, first.err
        again = run_cli(
            "crawl",
            site.url(truth.SEED_PATH),
            "--db",
            str(db),
            "--recheck",
            "--depth",
            "0",
            *FAST,
            cwd=tmp_path,
        )
        assert again.code == 0, again.err
        seed = site.url(truth.SEED_PATH)
    out = tmp_path / "warcs"
    result = run_cli(
        "export", "--db", str(db), "--format", "warc", "--output", str(out), cwd=tmp_path
    )
    assert result.code == 0, result.err
    files = sorted(out.glob("*.warc.gz"))
    return tmp_path, db, files, seed


@pytest.mark.e2e
def test_export_passes_warcio_check(crawled):
    _, _, files, _ = crawled
    check = warcio_check(*files)
    assert (check.returncode, check.stdout.count("digest pass") > 20) == (0, True), check.stdout


@pytest.mark.e2e
def test_export_starts_with_warcinfo_and_has_every_record_type(crawled):
    _, _, files, _ = crawled
    recs = records(files[0])
    types = {r[0] for r in recs}
    assert (recs[0][0], types) == (
        "warcinfo",
        {"warcinfo", "response", "request", "revisit", "metadata"},
    )


@pytest.mark.e2e
def test_response_is_the_archived_bytes_with_fetch_time(crawled):
    _, db, files, seed = crawled
    rec = next(
        r for r in records(files[0]) if r[0] == "response" and r[1]["WARC-Target-URI"] == seed
    )
    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    with Archive(db) as archive:
        first = archive.db.conn.execute(
            "SELECT fetched_at FROM pages WHERE url = ? ORDER BY id LIMIT 1", (seed,)
        ).fetchone()[0]
    assert (rec[3], rec[1]["WARC-Date"], rec[1]["WARC-Payload-Digest"]) == (
        body,
        first[:19] + "Z",
        payload_digest(body),
    )


@pytest.mark.e2e
def test_request_record_has_the_headers_sent_and_is_concurrent_to_its_response(crawled):
    _, _, files, seed = crawled
    recs = records(files[0])
    response = next(r for r in recs if r[0] == "response" and r[1]["WARC-Target-URI"] == seed)
    request = next(
        r
        for r in recs
        if r[0] == "request" and r[1]["WARC-Concurrent-To"] == response[1]["WARC-Record-ID"]
    )
    assert (
        request[2].protocol,
        request[2].get_header("User-Agent").startswith("newsarchive/"),
    ) == ("GET", True)


@pytest.mark.e2e
def test_identical_refetch_is_a_revisit_of_the_first_capture(crawled):
    _, _, files, seed = crawled
    recs = records(files[0])
    response = next(r for r in recs if r[0] == "response" and r[1]["WARC-Target-URI"] == seed)
    revisit = next(r for r in recs if r[0] == "revisit")
    assert (
        revisit[1]["WARC-Refers-To"],
        revisit[1]["WARC-Refers-To-Target-URI"],
        revisit[1]["WARC-Payload-Digest"],
        revisit[1]["WARC-Profile"].endswith("/revisit/identical-payload-digest"),
    ) == (
        response[1]["WARC-Record-ID"],
        seed,
        response[1]["WARC-Payload-Digest"],
        True,
    )


@pytest.mark.e2e
def test_metadata_record_has_the_extraction(crawled):
    _, _, files, seed = crawled
    recs = records(files[0])
    response = next(r for r in recs if r[0] == "response" and r[1]["WARC-Target-URI"] == seed)
    meta = next(
        r
        for r in recs
        if r[0] == "metadata" and r[1]["WARC-Refers-To"] == response[1]["WARC-Record-ID"]
    )
    data = json.loads(meta[3])
    expected = truth.ARTICLES[truth.SEED_PATH]
    assert (
        data["outcome"],
        data["title"],
        len(data["related_links"]) > 0,
        data["date_published_raw"] is not None,
        meta[1]["Content-Type"],
    ) == ("article", expected["title"], True, True, "application/json")


@pytest.mark.e2e
def test_redirect_is_its_own_record(crawled):
    _, _, files, _ = crawled
    recs = records(files[0])
    redirect = [
        r
        for r in recs
        if r[0] == "response" and r[1]["WARC-Target-URI"].endswith(truth.REDIRECT_FROM)
    ]
    assert [r[2].get_header("Location").endswith(truth.REDIRECT_TO) for r in redirect] == [True]


@pytest.mark.e2e
def test_cdxj_indexer_indexes_the_export(crawled):
    _, _, files, seed = crawled
    exe = Path(sys.executable).with_name("cdxj-indexer")
    index = subprocess.run(
        [str(exe), *map(str, files)], capture_output=True, text=True, timeout=120
    )
    lines = [json.loads(line.split(" ", 2)[2]) for line in index.stdout.splitlines()]
    assert (
        index.returncode,
        any(x["url"] == seed and x.get("status") == "200" for x in lines),
    ) == (0, True), index.stderr


@pytest.mark.e2e
def test_crawled_gzip_page_is_written_decoded_with_the_encoding_renamed(crawled):
    _, _, files, seed = crawled
    url = seed.replace(truth.SEED_PATH, truth.NO_RELATED_PATH)
    rec = next(
        r for r in records(files[0]) if r[0] == "response" and r[1]["WARC-Target-URI"] == url
    )
    body = _site_body(truth.NO_RELATED_PATH)
    assert (
        rec[2].get_header("Content-Encoding"),
        rec[2].get_header("X-Crawler-Content-Encoding"),
        rec[2].get_header("Content-Length"),
        rec[3],
    ) == (None, "gzip", str(len(body)), body)


def _page(url: str, body: bytes, headers: dict[str, str], fetched_at: str) -> RawPage:
    return RawPage(
        url=url, final_url=url, status=200, fetched_at=fetched_at, headers=headers, body=body
    )


def test_decoded_body_renames_encoding_headers_and_states_the_true_length(tmp_path):
    body = "<html><body><p>città</p></body></html>".encode()
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Encoding": "gzip",
        "Content-Length": "17",
        "Transfer-Encoding": "chunked",
    }
    with Archive(tmp_path / "a.db") as archive:
        archive.pages.record_fetch(
            _page("https://www.example.it/a.html", body, headers, "2024-11-21T08:30:00.000+00:00"),
            None,
            outcome="article",
            error=None,
            crawl_id=None,
            extracted_at="2024-11-21T08:30:00.000+00:00",
        )
        summary = export_warc(archive, tmp_path / "out")
    check = warcio_check(*summary.files)
    response = next(r for r in records(summary.files[0]) if r[0] == "response")
    http = dict(response[2].headers)
    assert (
        check.returncode,
        http.get("Content-Encoding"),
        http["X-Crawler-Content-Encoding"],
        http["X-Crawler-Transfer-Encoding"],
        http["Content-Length"],
        http["X-Crawler-Content-Length"],
        response[3],
    ) == (0, None, "gzip", "chunked", str(len(body)), "17", body), check.stdout


def test_response_headers_keep_a_true_content_length_as_is():
    assert response_headers({"Content-Length": "5", "X": "y"}, 5) == [
        ("X", "y"),
        ("Content-Length", "5"),
    ]


def test_files_rotate_at_max_size_with_cc_style_names(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        for n in range(6):
            body = os.urandom(3000)  # incompressible: each page makes a file pass 4 kB
            archive.pages.record_fetch(
                _page(
                    f"https://www.example.it/{n}.html",
                    body,
                    {"Content-Type": "text/html"},
                    f"2024-11-21T08:3{n}:00.000+00:00",
                ),
                None,
                outcome="article",
                error=None,
                crawl_id=None,
                extracted_at="2024-11-21T08:30:00.000+00:00",
            )
        summary = export_warc(archive, tmp_path / "out", max_size=4000, version="1.1")
    names = [p.name for p in summary.files]
    firsts = [records(p)[0][0] for p in summary.files]
    check = warcio_check(*summary.files)
    assert (
        names[:2],
        set(firsts),
        check.returncode,
        records(summary.files[0])[0][1]["WARC-Type"],
    ) == (
        ["NEWSARCHIVE-20241121083000-00000.warc.gz", "NEWSARCHIVE-20241121083100-00001.warc.gz"],
        {"warcinfo"},
        0,
        "warcinfo",
    )
    assert len(summary.files) == 6


def test_export_without_output_is_a_usage_error(tmp_path):
    Archive(tmp_path / "a.db").close()
    result = run_cli("export", "--db", str(tmp_path / "a.db"), "--format", "warc", cwd=tmp_path)
    assert (result.code, "--output" in result.err, "Traceback" in result.err) == (2, True, False)


# --- replay in pywb -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pywb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv")
    assert uv is not None
    return subprocess.run(
        [uv, "tool", "run", "--from", PYWB, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=TOOL_ENV,
    )


@pytest.mark.e2e
@pytest.mark.slow
def test_pywb_replays_the_seed_with_the_archived_bytes(crawled, tmp_path):
    """pywb runs from its own tool environment (it pins old redis/werkzeug)."""
    if shutil.which("uv") is None:
        pytest.skip("uv is not on PATH: cannot install pywb's tool environment")
    _, _, files, seed = crawled
    probe = _pywb("wb-manager", "--help", cwd=tmp_path)
    if probe.returncode != 0:
        pytest.skip(f"pywb could not be installed in a tool environment: {probe.stderr[-300:]}")
    init = _pywb("wb-manager", "init", "news", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    add = _pywb("wb-manager", "add", "news", *map(str, files), cwd=tmp_path)
    assert add.returncode == 0, add.stderr
    response = next(
        r for r in records(files[0]) if r[0] == "response" and r[1]["WARC-Target-URI"] == seed
    )
    stamp = "".join(ch for ch in response[1]["WARC-Date"] if ch.isdigit())[:14]
    port = _free_port()
    uv = shutil.which("uv")
    server = subprocess.Popen(
        [str(uv), "tool", "run", "--from", PYWB, "wayback", "-b", "127.0.0.1", "-p", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=TOOL_ENV,
    )
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/news/{stamp}id_/{seed}", timeout=10
                ) as answer:
                    body = answer.read()
                break
            except OSError:
                time.sleep(0.2)  # polling for the port to open, with a deadline
        assert body == (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _store(archive: Archive, url: str, fetched_at: str) -> None:
    archive.pages.record_fetch(
        _page(
            url,
            f"<html><body><p>{url}</p></body></html>".encode(),
            {"Content-Type": "text/html"},
            fetched_at,
        ),
        None,
        outcome="article",
        error=None,
        crawl_id=None,
        extracted_at=fetched_at,
    )


def test_since_until_and_site_select_fetches(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        _store(archive, "https://www.example.it/old.html", "2024-10-01T08:00:00.000+00:00")
        _store(archive, "https://www.example.it/mid.html", "2024-11-10T08:00:00.000+00:00")
        _store(archive, "https://altro.it/mid.html", "2024-11-10T09:00:00.000+00:00")
        _store(archive, "https://www.example.it/new.html", "2024-12-10T08:00:00.000+00:00")
        summary = export_warc(
            archive,
            tmp_path / "out",
            since="2024-11-01T00:00:00.000+00:00",
            until="2024-12-01T00:00:00.000+00:00",
            site="example.it",
        )
    targets = [r[1]["WARC-Target-URI"] for r in records(summary.files[0]) if r[0] == "response"]
    assert targets == ["https://www.example.it/mid.html"]


def test_request_of_a_fetch_without_recorded_headers_says_so(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        _store(archive, "https://www.example.it/a.html?x=1", "2024-11-10T08:00:00.000+00:00")
        summary = export_warc(archive, tmp_path / "out")
    request = next(r for r in records(summary.files[0]) if r[0] == "request")
    assert (
        request[2].protocol,
        request[2].statusline,
        dict(request[2].headers),
        "not recorded" in request[1]["Newsarchive-Note"],
    ) == ("GET", "/a.html?x=1 HTTP/1.1", {"Host": "www.example.it"}, True)


def test_an_unreadable_body_is_named_and_skipped_and_the_export_goes_on(tmp_path):
    """A body stored with an unknown compression fails its page only: the other fetches are
    written (warcio check passes), the page is named, and the CLI exits 1."""
    import sqlite3

    db = tmp_path / "a.db"
    body = b"<html><body><p>ok</p></body></html>"
    with Archive(db) as archive:
        archive.pages.record_fetch(
            _page("https://www.example.it/ok.html", body, {}, "2024-11-21T08:30:00.000+00:00"),
            None,
            outcome="article",
            error=None,
            crawl_id=None,
            extracted_at="2024-11-21T08:30:00.000+00:00",
        )
    conn = sqlite3.connect(db)
    conn.execute(
        """INSERT INTO pages (url, final_url, status, fetched_at, headers, body, compression,
               body_size, sha256)
           VALUES (?, ?, 200, ?, '{}', ?, 'zstd-from-the-future', 10, 'x')""",
        ("https://www.example.it/bad.html",) * 2 + ("2024-11-21T09:00:00.000+00:00", b"\x00?"),
    )
    conn.commit()
    bad_id = conn.execute("SELECT max(id) FROM pages").fetchone()[0]
    conn.close()
    with Archive(db) as archive:
        summary = export_warc(archive, tmp_path / "out")
    assert (summary.pages, summary.unreadable) == (1, [bad_id])
    assert warcio_check(*summary.files).returncode == 0
    result = run_cli(
        "export",
        "--format",
        "warc",
        "--output",
        str(tmp_path / "cli"),
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert result.code == 1 and f"pages.id {bad_id}" in result.err, result.err
    assert "Traceback" not in result.err
