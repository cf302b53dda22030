"""Issue 13 items 6-11 for bench/reliability.py: the archive's own integrity.

Each case is one function returning True when newsarchive handles it; they reuse the builders
and checks of newsarchive_testing.integrity (the same cases as tests/test_faults_integrity.py)
and run the real CLI where the user would. ``cases(root)`` runs them all: {case name: handled}.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from newsarchive.crawl.reextract import reextract
from newsarchive.store.archive import Archive
from newsarchive_testing import integrity as t
from newsarchive_testing.cli_runner import run_cli
from newsarchive_testing.redis_server import free_port

CASES: dict[str, Callable[[Path], bool]] = {}


def case(name: str) -> Callable[[Callable[[Path], bool]], Callable[[Path], bool]]:
    def register(fn: Callable[[Path], bool]) -> Callable[[Path], bool]:
        CASES[name] = fn
        return fn

    return register


@case("13.8 another app's SQLite file refused, untouched")
def foreign(tmp: Path) -> bool:
    db = t.foreign_db(tmp / "other-app.sqlite")
    before = db.read_bytes()
    result = run_cli("stats", "--db", str(db), cwd=tmp)
    return t.one_line_error(result) and db.read_bytes() == before


@case("13.8/13.11 --db of a non-SQLite file: one line, no traceback")
def not_sqlite(tmp: Path) -> bool:
    db = tmp / "passwd"
    db.write_text("root:x:0:0:root:/root:/bin/bash\n" * 50)
    return all(
        t.one_line_error(run_cli(cmd, *args, "--db", str(db), cwd=tmp))
        for cmd, args in (("stats", ()), ("search", ("citta",)), ("reextract", ("--silent",)))
    )


@case("13.8 archive from a newer newsarchive refused")
def newer(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.build_archive(db)
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('newsarchive', 'm999_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    result = run_cli("stats", "--db", str(db), cwd=tmp)
    return t.one_line_error(result) and "newer newsarchive" in result.err


@case("13.8 corrupt / unknown-compression bodies: reextract goes on")
def bodies(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.build_archive(db)
    t.add_raw_page(db, b"\x00garbage", "zlib", "http://www.corriere-di-prova.it/x/c.html")
    t.add_raw_page(db, b"\x01\x02", "zstd-future", "http://www.corriere-di-prova.it/x/z.html")
    summary = reextract(db, jobs=1)
    return (summary.pages_read, summary.failed) == (3, 2)


@case("13.8 archives without the immutability triggers get them")
def triggers(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.build_archive(db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER pages_raw_immutable")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_triggers_and_credentials'")
    conn.commit()
    conn.close()
    with Archive(db) as archive:
        try:
            archive.db.execute("UPDATE pages SET body = x'00'")
        except sqlite3.IntegrityError:
            return True
    return False


@case("13.6 credentials never stored (crawls.command, seeds)")
def credentials(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.build_archive(db)
    stored = sqlite3.connect(db).execute("SELECT command || seeds FROM crawls").fetchone()[0]
    return t.SECRET not in stored


@case("13.6 Datasette ?sql= cannot read raw bodies; views work")
def datasette(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.build_archive(db)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", str(port)],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        refused = all(
            t.sql(base, q)[0] >= 400 for q in ("select hex(body) from pages", "select * from pages")
        )
        code, payload = t.fetch(f"{base}/archive/pages_list.json?_shape=objects")
        return refused and code == 200 and len(payload["rows"]) == 1
    finally:
        proc.terminate()
        proc.wait(10)


@case("13.10 a finished run is in the database file itself")
def durable(tmp: Path) -> bool:
    try:
        t.check_a_finished_run_is_in_the_database_file_not_only_in_the_wal(tmp)
    except AssertionError:
        return False
    return True


@case("13.10 snapshot of a live archive: complete, one file")
def snapshot(tmp: Path) -> bool:
    return _passes(t.check_snapshot_of_a_live_archive_is_complete_and_self_contained, tmp)


@case("13.11 search '\"' and '': usage error, no traceback")
def search(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.build_archive(db)
    results = [run_cli("search", q, "--db", str(db), cwd=tmp) for q in ('"', "")]
    return all(r.code == 2 and "Traceback" not in r.err for r in results)


@case("13.11 reextract twice is a no-op (edited article)")
def reextract_twice(tmp: Path) -> bool:
    db = tmp / "archive.db"
    t.edited_archive(db)
    before = t.derived_rows(db)
    changed = reextract(db, jobs=1).articles_changed + reextract(db, jobs=1).articles_changed
    return changed == 0 and t.derived_rows(db) == before


def _passes(test: Callable[..., None], *args: object) -> bool:
    try:
        test(*args)
    except AssertionError as exc:
        print(f"    {test.__name__}: {exc!r}"[:2000], flush=True)
        return False
    return True


@case("13.11 a 1 MB <title> is capped")
def title(tmp: Path) -> bool:
    return _passes(t.check_huge_metadata_is_capped_before_it_is_stored, tmp)


@case("13.11 pre-1970 dates kept as evidence, never chosen")
def pre_1970(tmp: Path) -> bool:
    return _passes(t.check_pre_1970_dates_are_kept_as_evidence_but_never_chosen, tmp)


@case("13.11 UTF-7 declared page decoded as browsers do")
def utf7(tmp: Path) -> bool:
    return _passes(t.check_a_utf7_declared_page_is_decoded_as_browsers_do, "header")


@case("13.7 canonical pointing at another article: no hijack")
def hijack(tmp: Path) -> bool:
    return _passes(
        t.check_a_canonical_pointing_at_another_archived_article_does_not_replace_it, tmp
    )


@case("13.7 two pages canonical to each other: no swap")
def swap(tmp: Path) -> bool:
    return _passes(t.check_two_pages_pointing_at_each_other_keep_their_own_contents, tmp)


def cases(root: Path) -> dict[str, bool]:
    """Run every case in its own directory: {name: handled}."""
    results = {}
    for i, (name, fn) in enumerate(CASES.items()):
        tmp = root / f"integrity-{i}"
        tmp.mkdir(parents=True, exist_ok=True)
        try:
            results[name] = bool(fn(tmp))
        except Exception as exc:  # noqa: BLE001 - a crash is a case not handled
            print(f"    {name}: {type(exc).__name__}: {exc}", flush=True)
            results[name] = False
    return results


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        print(json.dumps(cases(Path(work)), indent=2))
