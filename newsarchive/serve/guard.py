"""What Datasette may never read: the raw page bodies and headers, whatever SQL asks for them.

A table's `allow: false` in Datasette's metadata hides the table page but not `?sql=` queries
(`select hex(body) from pages`). `newsarchive serve` loads a plugin (datasette_plugins/) whose
prepare_connection hook installs raw_column_guard as the SQLite authorizer of every connection:
SQLite then refuses to compile any statement that reads a denied column, views included.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# (table, column) pairs no served query may read: bodies, headers (Set-Cookie, tokens), and
# the zstd dictionaries (made of raw bodies)
DENIED_COLUMNS = frozenset({("pages", "body"), ("pages", "headers"), ("zstd_dictionaries", "data")})
# virtual tables that would read the database file's raw bytes
DENIED_TABLES = frozenset({"sqlite_dbpage"})
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"


def raw_column_guard(
    action: int, arg1: str | None, arg2: str | None, dbname: str | None, source: str | None
) -> int:
    """SQLite authorizer: deny reads of the raw columns, raw-file tables and ATTACH."""
    if action == sqlite3.SQLITE_READ:
        table = (arg1 or "").lower()
        if table in DENIED_TABLES or (table, (arg2 or "").lower()) in DENIED_COLUMNS:
            return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_ATTACH:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def guard_connection(conn: sqlite3.Connection) -> None:
    """Install raw_column_guard on a connection (Datasette's prepare_connection hook)."""
    conn.set_authorizer(raw_column_guard)
