"""Raw bodies in zstd with per-site dictionaries; old zlib bodies readable; `compact` is safe."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from conftest import run_cli

from newsarchive.model import RawPage
from newsarchive.store.archive import Archive, BodyError
from newsarchive.store.bodies import DICT_MIN_PAGES, body_sha256, decompress, stored_dictionary
from newsarchive.store.compact import compact
from newsarchive_testing.cli_runner import child_env

FETCHED_AT = "2024-12-06T09:00:00.000+00:00"
TEMPLATE = (
    "<html><head><title>{n}</title><link rel=stylesheet href=/static/site.css></head><body>"
    + "".join(f"<nav><a href='/sezione/{i}'>Sezione {i}</a></nav>" for i in range(60))
    + "<article><h1>Articolo {n}</h1><p>{text}</p></article>"
    + "".join(f"<footer><p>Redazione, via Roma {i}, P.IVA 0{i}</p></footer>" for i in range(40))
    + "</body></html>"
)


def body(n: int) -> bytes:
    text = " ".join(f"parola{(n * 7919 + i * 104729) % 100003}" for i in range(150))
    return TEMPLATE.format(n=n, text=text).encode()


def raw(url: str, data: bytes) -> RawPage:
    return RawPage(
        url=url,
        final_url=url,
        status=200,
        fetched_at=FETCHED_AT,
        headers={"Content-Type": "text/html"},
        body=data,
    )


def record(archive: Archive, url: str, data: bytes) -> int:
    return archive.pages.record_fetch(
        raw(url, data), None, outcome="article", error=None, crawl_id=None, extracted_at=FETCHED_AT
    )


def stored(archive: Archive, page_id: int) -> tuple[bytes, str]:
    row = archive.db.conn.execute(
        "SELECT body, compression FROM pages WHERE id = ?", (page_id,)
    ).fetchone()
    return bytes(row[0]), str(row[1])


def add_zlib_pages(db: Path, count: int, site: str = "www.vecchio.it") -> None:
    """Pages as newsarchive stored them before zstd: zlib bodies."""
    conn = sqlite3.connect(db)
    rows = []
    for n in range(count):
        url, data = f"http://{site}/a/{n}.html", body(n)
        rows.append((url, url, FETCHED_AT, zlib.compress(data, 6), len(data), body_sha256(data)))
    conn.executemany(
        """INSERT INTO pages (url, final_url, status, fetched_at, headers, body, compression,
               body_size, sha256) VALUES (?, ?, 200, ?, '{}', ?, 'zlib', ?, ?)""",
        rows,
    )
    conn.commit()
    conn.close()


@pytest.fixture
def archive(tmp_path: Path):
    with Archive(tmp_path / "archive.db") as a:
        yield a


def test_a_new_site_starts_without_a_dictionary(archive: Archive) -> None:
    page_id = record(archive, "https://www.nuovo.it/a/0.html", body(0))
    blob, compression = stored(archive, page_id)
    assert (compression, decompress(blob, compression)) == ("zstd", body(0))


def test_a_site_gets_its_dictionary_once_it_has_enough_pages(archive: Archive) -> None:
    ids = [
        record(archive, f"https://www.sito.it/a/{n}.html", body(n))
        for n in range(DICT_MIN_PAGES + 2)
    ]
    kinds = [stored(archive, i)[1] for i in ids]
    assert kinds[:DICT_MIN_PAGES] == ["zstd"] * DICT_MIN_PAGES
    assert kinds[DICT_MIN_PAGES:] == ["zstd:dict:1"] * 2
    assert archive.db.conn.execute("SELECT site FROM zstd_dictionaries").fetchall() == [
        ("sito.it",)
    ]


def test_a_dictionary_body_is_smaller_and_reads_back(archive: Archive) -> None:
    for n in range(DICT_MIN_PAGES + 1):
        last = record(archive, f"https://www.sito.it/a/{n}.html", body(n))
    plain = len(zlib.compress(body(DICT_MIN_PAGES), 6))
    blob, compression = stored(archive, last)
    page = archive.pages.get(last)
    assert page is not None
    assert (page.body, compression, len(blob) < plain / 2) == (
        body(DICT_MIN_PAGES),
        "zstd:dict:1",
        True,
    )


def test_another_site_does_not_use_the_dictionary(archive: Archive) -> None:
    for n in range(DICT_MIN_PAGES + 1):
        record(archive, f"https://www.sito.it/a/{n}.html", body(n))
    other = record(archive, "https://altro.it/x.html", body(99))
    assert stored(archive, other)[1] == "zstd"


def test_old_zlib_bodies_stay_readable(tmp_path: Path) -> None:
    Archive(tmp_path / "archive.db").close()
    add_zlib_pages(tmp_path / "archive.db", 1)
    with Archive(tmp_path / "archive.db") as archive:
        page = archive.pages.get(1)
    assert page is not None and page.body == body(0)


def test_a_body_with_a_missing_dictionary_is_a_body_error(archive: Archive) -> None:
    with pytest.raises(BodyError, match="dictionary"):
        archive.bodies.read(b"\x28\xb5\x2f\xfd", "zstd:dict:42")


def test_a_body_cannot_be_replaced_by_other_bytes(archive: Archive) -> None:
    page_id = record(archive, "https://www.sito.it/a/0.html", body(0))
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute(
            "UPDATE pages SET body = ?, compression = 'zstd' WHERE id = ?",
            (stored(archive, record(archive, "https://www.sito.it/a/1.html", body(1)))[0], page_id),
        )
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute("UPDATE pages SET body = NULL WHERE id = ?", (page_id,))
    assert archive.pages.get(page_id).body == body(0)  # type: ignore[union-attr]


def test_a_body_can_be_recompressed_to_the_same_bytes(archive: Archive) -> None:
    page_id = record(archive, "https://www.sito.it/a/0.html", body(0))
    archive.db.conn.execute(
        "UPDATE pages SET body = ?, compression = 'zlib' WHERE id = ?",
        (zlib.compress(body(0)), page_id),
    )
    assert archive.pages.get(page_id).body == body(0)  # type: ignore[union-attr]


def test_another_sqlite_client_cannot_change_a_body(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.db") as archive:
        record(archive, "https://www.sito.it/a/0.html", body(0))
    conn = sqlite3.connect(tmp_path / "archive.db")
    with pytest.raises(sqlite3.OperationalError, match="newsarchive_body_sha256"):
        conn.execute("UPDATE pages SET body = x'00', compression = 'identity'")
    conn.execute("UPDATE pages SET outcome = 'article'")  # derived columns still can
    conn.close()


def test_dictionaries_cannot_change(archive: Archive) -> None:
    for n in range(DICT_MIN_PAGES + 1):
        record(archive, f"https://www.sito.it/a/{n}.html", body(n))
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute("UPDATE zstd_dictionaries SET data = x'00'")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        archive.db.conn.execute("DELETE FROM zstd_dictionaries")


def test_compact_recompresses_zlib_bodies_with_a_site_dictionary(tmp_path: Path) -> None:
    Archive(tmp_path / "archive.db").close()
    add_zlib_pages(tmp_path / "archive.db", 10)
    add_zlib_pages(tmp_path / "archive.db", 1, site="solo.it")
    with Archive(tmp_path / "archive.db") as archive:
        before = sum(len(stored(archive, i)[0]) for i in range(1, 12))
        summary = compact(archive, batch=3)
        kinds = {stored(archive, i)[1] for i in range(1, 11)}
        bodies = [archive.pages.get(i).body for i in range(1, 12)]  # type: ignore[union-attr]
        after = sum(len(stored(archive, i)[0]) for i in range(1, 12))
        solo = stored(archive, 11)[1]
    assert (summary.dictionaries, summary.recompressed, kinds, solo) == (
        1,
        11,
        {"zstd:dict:1"},
        "zstd",
    )
    assert bodies == [body(n) for n in range(10)] + [body(0)]
    assert after < before / 2


def test_compact_twice_changes_nothing_more(tmp_path: Path) -> None:
    Archive(tmp_path / "archive.db").close()
    add_zlib_pages(tmp_path / "archive.db", 6)
    with Archive(tmp_path / "archive.db") as archive:
        compact(archive)
        again = compact(archive)
    assert (again.dictionaries, again.recompressed) == (0, 0)


def test_compact_cli(tmp_path: Path) -> None:
    Archive(tmp_path / "archive.db").close()
    add_zlib_pages(tmp_path / "archive.db", 6)
    result = run_cli("compact", "--db", str(tmp_path / "archive.db"), "--vacuum", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "6 bodies recompressed" in result.out
    assert "1 new site dictionaries" in result.out


def test_compact_kill_9_loses_nothing(tmp_path: Path) -> None:
    """A compaction killed mid-way leaves every body readable, byte for byte."""
    db = tmp_path / "archive.db"
    Archive(db).close()
    total = 3000  # enough work that the kill lands in the middle, even on a loaded machine
    add_zlib_pages(db, total)
    env = child_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "compact", "--db", str(db), "--batch-size", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = sqlite3.connect(db, timeout=30)
    deadline = time.monotonic() + 120
    done = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = watcher.execute(
                "SELECT count(*) FROM pages WHERE compression != 'zlib'"
            ).fetchone()[0]
            if done >= 20:  # progress observed: kill it in the middle of its work
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        watcher.close()
    assert 20 <= done < total, "the compaction was not caught in the middle"
    with Archive(db) as archive:
        rows = archive.db.conn.execute(
            "SELECT id, body, compression, sha256 FROM pages ORDER BY id"
        ).fetchall()
        assert all(body_sha256(archive.bodies.read(b, c)) == sha for _, b, c, sha in rows)
        kinds = {c for _, _, c, _ in rows}
        assert "zlib" in kinds and "zstd:dict:1" in kinds  # killed half-way
        compact(archive)  # the next run goes on
        rows = archive.db.conn.execute("SELECT body, compression, sha256 FROM pages").fetchall()
    assert {c for _, c, _ in rows} == {"zstd:dict:1"}
    assert all(
        body_sha256(decompress(b, c, None if c == "zstd" else _dict(db))) == s for b, c, s in rows
    )


def _dict(db: Path) -> bytes:
    conn = sqlite3.connect(db)
    try:
        data = conn.execute("SELECT data FROM zstd_dictionaries WHERE id = 1").fetchone()[0]
        return stored_dictionary(bytes(data))
    finally:
        conn.close()


def test_served_queries_cannot_read_the_dictionaries(tmp_path: Path) -> None:
    from newsarchive.serve.guard import guard_connection

    with Archive(tmp_path / "archive.db") as archive:
        for n in range(DICT_MIN_PAGES + 1):
            record(archive, f"https://www.sito.it/a/{n}.html", body(n))
    conn = sqlite3.connect(tmp_path / "archive.db")
    guard_connection(conn)
    assert conn.execute("SELECT site FROM zstd_dictionaries").fetchall() == [("sito.it",)]
    with pytest.raises(sqlite3.DatabaseError, match="prohibited|not authorized"):
        conn.execute("SELECT hex(data) FROM zstd_dictionaries")
    conn.close()


def test_a_site_dictionary_takes_www_and_bare_host_but_not_another_port(archive: Archive) -> None:
    record(archive, "http://sito.it:8080/a/x.html", body(50))
    urls = ["https://www.sito.it/a/0.html", "http://sito.it/a/1.html"]
    urls += [f"https://sito.it/a/{n}.html" for n in range(2, DICT_MIN_PAGES)]
    for n, url in enumerate(urls):
        record(archive, url, body(n))
    assert archive.bodies.train_dictionary("sito.it") == 1
    pages, data = archive.db.conn.execute("SELECT pages, data FROM zstd_dictionaries").fetchone()
    raw = stored_dictionary(data)
    assert (pages, body(0) in raw, body(50) in raw) == (DICT_MIN_PAGES, True, False)


def test_feeds_do_not_make_a_site_dictionary(archive: Archive) -> None:
    from dataclasses import replace

    for n in range(DICT_MIN_PAGES + 2):
        page = replace(raw(f"https://www.sito.it/feed/{n}.xml", body(n)), kind="feed")
        archive.pages.record_fetch(
            page, None, outcome="feed", error=None, crawl_id=None, extracted_at=FETCHED_AT
        )
    assert archive.bodies.train_dictionary("sito.it") is None
    assert archive.db.conn.execute("SELECT count(*) FROM zstd_dictionaries").fetchone() == (0,)


def test_merged_shards_keep_bodies_readable_whatever_their_dictionaries(tmp_path: Path) -> None:
    """Each shard numbers its own dictionaries: a merged body is readable in the target
    (the same bytes as stored in its shard), not read with the target's dictionary 1."""
    from newsarchive.store.merge import merge_shards

    expected: dict[str, bytes] = {}
    for shard, site in (("a.db", "www.sito.it"), ("b.db", "www.altro.it")):
        with Archive(tmp_path / shard) as a:
            for n in range(DICT_MIN_PAGES + 2):
                url, data = f"https://{site}/a/{n}.html", body(n + len(site))
                record(a, url, data)
                expected[url] = data
            assert stored(a, a.db.conn.execute("SELECT max(id) FROM pages").fetchone()[0])[
                1
            ].startswith("zstd:dict:")
    merge_shards(tmp_path / "merged.db", [tmp_path / "a.db", tmp_path / "b.db"])
    with Archive(tmp_path / "merged.db") as merged:
        ids = [r[0] for r in merged.db.conn.execute("SELECT id FROM pages ORDER BY id")]
        pages = [merged.pages.get(i) for i in ids]
    assert {p.url: p.body for p in pages if p is not None} == expected


def test_few_dictionary_compressors_are_kept_whatever_the_number_of_sites(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compressor that has used a 1 MB dictionary holds ~6 MB (~21 MB at level 9): a crawl
    over many sites with dictionaries must not keep one per site (it kept 64, 1.3 GB)."""
    import threading

    import zstandard

    from newsarchive.store import bodies

    alive: list[int] = [0]
    most: list[int] = [0]

    class Counted:
        """A compressor, counted while alive (zstandard's C type cannot be subclassed)."""

        def __init__(self, compressor: zstandard.ZstdCompressor) -> None:
            self.compressor = compressor
            alive[0] += 1
            most[0] = max(most[0], alive[0])

        def compress(self, data: bytes) -> bytes:
            return bytes(self.compressor.compress(data))

        def __del__(self) -> None:
            alive[0] -= 1

    class Zstandard:
        """The zstandard module as bodies sees it, its compressors counted."""

        def __getattr__(self, name: str) -> object:
            return getattr(zstandard, name)

        def ZstdCompressor(self, *args: object, **kwargs: object) -> Counted:  # noqa: N802
            return Counted(zstandard.ZstdCompressor(*args, **kwargs))

    monkeypatch.setattr(bodies, "_CODECS", threading.local())  # this test's caches only
    monkeypatch.setattr(bodies, "zstandard", Zstandard())
    sites = bodies.COMPRESSORS_KEPT + 4
    ids: list[tuple[int, bytes]] = []
    for round_ in range(DICT_MIN_PAGES + 2):  # every site gets its dictionary, then uses it
        for site in range(sites):
            data = body(round_ * 100 + site)
            ids.append((record(archive, f"http://www.sito{site}.it/a/{round_}.html", data), data))
    with_dictionary = archive.db.conn.execute(
        "SELECT count(DISTINCT compression) FROM pages WHERE compression LIKE 'zstd:dict:%'"
    ).fetchone()[0]
    assert with_dictionary == sites
    assert 0 < most[0] <= bodies.COMPRESSORS_KEPT
    for page_id, data in ids:  # an evicted compressor's bodies still read back
        page = archive.pages.get(page_id)
        assert page is not None and page.body == data
