"""The crawls table: one row per run (`archive.runs`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from newsarchive.store.base import retry_locked, to_json
from newsarchive.urls import strip_credentials

if TYPE_CHECKING:
    from newsarchive.store.archive import Archive


class Runs:
    """Crawl runs: started, finished with their stats and status, read back."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    @retry_locked
    def start(self, *, command: str, seeds: list[str], started_at: str) -> int:
        """Record the start of a crawl run and return its id."""
        with self._archive.write() as conn:
            cur = conn.execute(
                "INSERT INTO crawls (started_at, command, seeds, stats, status)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    started_at,
                    strip_credentials(command),
                    to_json([strip_credentials(s) for s in seeds]),
                    to_json({"pid": os.getpid()}),
                    "running",
                ),
            )
            return int(cur.lastrowid or 0)

    @retry_locked
    def finish(
        self, crawl_id: int, *, finished_at: str, stats: dict[str, Any], status: str
    ) -> None:
        """Record the end of a crawl run, its stats and its status, durably.

        Under WAL with synchronous=NORMAL a commit reaches the disk only at the next
        checkpoint: a power loss could roll back a run reported as finished. The finishing
        commit is synced (synchronous=FULL syncs the WAL, with every earlier commit of the
        run in it) and then checkpointed into the database file.
        """
        conn = self._archive.db.conn
        conn.execute("PRAGMA synchronous = FULL")
        try:
            with self._archive.write():
                conn.execute(
                    "UPDATE crawls SET finished_at = ?, stats = ?, status = ? WHERE id = ?",
                    (finished_at, to_json(stats), status, crawl_id),
                )
        finally:
            conn.execute("PRAGMA synchronous = NORMAL")
        self._archive.checkpoint()

    def get(self, crawl_id: int) -> dict[str, Any] | None:
        """One crawls row."""
        rows = list(self._archive.db.query("SELECT * FROM crawls WHERE id = ?", [crawl_id]))
        return rows[0] if rows else None
