"""Datasette plugin loaded by `newsarchive serve --plugins-dir`: raw bodies are never served."""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl

from newsarchive.datasette_guard import guard_connection


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """Every connection Datasette opens refuses to read the raw page columns."""
    guard_connection(conn)
