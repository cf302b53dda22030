"""The archive: the connection, its schema check and migrations, and the write lock; the work
is done by its parts, one per responsibility, each in its own module of newsarchive.store:

    archive.pages         raw pages (immutable) and what was extracted from them   pages.py
    archive.bodies        body compression, per-site zstd dictionaries             bodies.py
    archive.derived       articles, related links, date evidence, versions         derived.py
    archive.frontier      queued URLs, claims, failures, discoveries, re-checks    frontier.py
    archive.runs          crawl runs                                               runs.py
    archive.reextraction  re-extraction of stored pages                            reextraction.py
    archive.read          read-only queries: overview, article page, exports       read.py
    archive.search        full-text search                                         search.py

Raw pages are inserted once and never rewritten; articles, links and date evidence are derived
and can be rebuilt from them. Every write takes the write lock up front (BEGIN IMMEDIATE) and is
retried a bounded number of times if another process holds the database.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from sqlite_utils import Database

from newsarchive.store import migrations
from newsarchive.store.base import (
    BodyError,
    NotAnArchiveError,
    SchemaTooNewError,
    SearchQueryError,
    StorageError,
    retry_locked,
)
from newsarchive.store.bodies import BODY_SHA256_SQL, Bodies, sql_body_sha256
from newsarchive.store.derived import Derived
from newsarchive.store.frontier import Frontier
from newsarchive.store.pages import Pages
from newsarchive.store.read import Read
from newsarchive.store.reextraction import Reextraction
from newsarchive.store.runs import Runs
from newsarchive.store.search import Search

__all__ = [  # the errors live in store.base; the archive's callers catch them from here
    "Archive",
    "BodyError",
    "NotAnArchiveError",
    "SchemaTooNewError",
    "SearchQueryError",
    "StorageError",
]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
DAMAGE_LINES, DAMAGE_CHARS = 3, 300  # how much of quick_check's report to show


class Archive:
    """An archive.db: open it, apply pending migrations, read and write through its parts."""

    # Archive.shared(): the open archives of this process, by resolved path
    _shared: ClassVar[dict[Path, Archive]] = {}

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self._users = 1
        self._shared_key: Path | None = None
        self._writing = 0  # write() depth: 0 outside a transaction
        try:
            if readonly:
                uri = f"file:{self.path.resolve()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
            else:
                conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
            self.db = Database(conn)
            conn.create_function(BODY_SHA256_SQL, 3, sql_body_sha256, deterministic=True)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        try:
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self._check_schema(readonly=readonly)
                if not readonly:
                    self._init()
            except BaseException:
                conn.close()  # a refused or unreadable file is not kept open
                raise
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot open archive {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise NotAnArchiveError(
                f"cannot open archive {self.path}: not a newsarchive archive"
                f" (not an SQLite database: {exc})"
            ) from exc
        self.runs = Runs(self)
        self.bodies = Bodies(self)
        self.frontier = Frontier(self)
        self.derived = Derived()
        self.pages = Pages(self)
        self.read = Read(self)
        self.search = Search(self)
        self.reextraction = Reextraction(self)

    def _check_schema(self, *, readonly: bool) -> None:
        """Refuse another application's SQLite file and an archive from a newer newsarchive.

        Runs before anything is written (no WAL switch, no migration): only an empty file
        becomes a new archive.
        """
        conn = self.db.conn
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
        if not tables and not readonly:
            return  # a new (or empty) file: the migrations create the archive
        applied: set[str] = set()
        if migrations.MIGRATIONS_TABLE in tables:
            applied = migrations.applied(self.db)
        if not applied:
            raise NotAnArchiveError(
                f"cannot open archive {self.path}: not a newsarchive archive (an SQLite file"
                " of another application), left unchanged"
            )
        unknown = migrations.unknown(applied)
        if unknown:
            raise SchemaTooNewError(
                f"cannot open archive {self.path}: written by a newer newsarchive (unknown"
                f" migration {', '.join(unknown)}); upgrade newsarchive to open it"
            )

    @retry_locked
    def _init(self) -> None:
        conn = self.db.conn
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrations.pending(self.db):
            # Under the write lock, so that two jobs starting together migrate once.
            with self.write():
                migrations.apply(self.db)

    @classmethod
    def for_reading(cls, path: str | Path) -> Archive:
        """The archive for a command that only reads it: opened read-only when the file
        cannot be written (a snapshot, another user's file) and its schema is current."""
        try:
            return cls(path)
        except StorageError as exc:
            if "readonly" not in str(exc):
                raise
        archive = cls(path, readonly=True)
        if migrations.pending(archive.db):
            archive.close()
            raise StorageError(f"archive {path} is read-only and needs a schema upgrade")
        return archive

    def damage(self) -> str | None:
        """What SQLite's quick_check finds wrong with the file (None when it is sound)."""
        try:
            rows = self.db.conn.execute(f"PRAGMA quick_check({DAMAGE_LINES})").fetchall()
        except sqlite3.DatabaseError as exc:
            return str(exc)
        problems = [str(r[0]) for r in rows if r[0] != "ok"]
        return "; ".join(problems)[:DAMAGE_CHARS] or None

    @classmethod
    def shared(cls, path: str | Path) -> Archive:
        """The process's open archive of path, opened if need be; close() it when done.

        A crawl's spider and pipeline (and the jobs of `newsarchive run`) all run on the
        reactor thread: one connection for all of them keeps its page cache warm, where each
        write through a second connection would make the first one drop its cache.
        """
        key = Path(path).resolve()
        archive = cls._shared.get(key)
        if archive is not None and archive._users > 0:
            archive._users += 1
            return archive
        archive = cls(path)
        archive._shared_key = key
        cls._shared[key] = archive
        return archive

    def close(self) -> None:
        """Close the connection (a shared archive: once its last user has closed it)."""
        self._users -= 1
        if self._users > 0:
            return
        if self._shared_key is not None and self._shared.get(self._shared_key) is self:
            del self._shared[self._shared_key]
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that takes the write lock before it reads anything.

        Inside another write() (a batch, e.g. of import-warc) it is a savepoint: its changes
        are undone alone if it fails, and committed with the outer transaction.
        """
        conn = self.db.conn
        if self._writing:
            name = f"w{self._writing}"
            conn.execute(f"SAVEPOINT {name}")
            self._writing += 1
            try:
                yield conn
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                raise
            finally:
                self._writing -= 1
                conn.execute(f"RELEASE {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        self._writing = 1
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            self.bodies.forget()  # a dictionary made in the transaction is gone with it
            raise
        finally:
            self._writing = 0
        conn.execute("COMMIT")

    def checkpoint(self) -> None:
        """Sync the WAL and copy it into the database file (never waits for readers)."""
        self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def snapshot(self, dest: Path) -> None:
        """Write a consistent, self-contained copy of the archive to dest (SQLite backup API).

        Safe while crawls write (a copy with `cp` of a live WAL archive can be malformed).
        The copy is written beside dest and renamed at the end: dest is never half-written.
        """
        if dest.exists():
            raise StorageError(f"{dest} exists: refusing to overwrite it")
        partial = dest.with_name(dest.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            target = sqlite3.connect(str(partial))
            try:
                self.db.conn.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
                if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise StorageError(f"snapshot of {self.path} failed its integrity check")
            finally:
                target.close()
            os.replace(partial, dest)
        except (sqlite3.Error, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise StorageError(f"cannot write snapshot {dest}: {exc}") from exc
        except StorageError:
            partial.unlink(missing_ok=True)
            raise
