"""The command line: help, version, parse-date, extract, error messages and exit codes."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from conftest import run_cli

from newsarchive import __version__
from newsarchive.cli import cli
from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR


def test_version(tmp_path):
    assert run_cli("--version", cwd=tmp_path).out.strip() == f"newsarchive, version {__version__}"


def commands_of(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the CLI, subcommands of groups included."""
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += commands_of(command, (*prefix, name))
    return found


def test_every_command_has_an_example():
    commands = commands_of(cli)
    runner = CliRunner()
    missing = [c for c in commands if "Example:" not in runner.invoke(cli, [*c, "-h"]).output]
    assert len(commands) >= 5
    assert missing == []


def test_parse_date_arguments(tmp_path):
    result = run_cli(
        "parse-date",
        "Pubblicato il 17/11/2024 alle 11:49",
        "L. 241/1990",
        "ieri alle 18:30",
        "--reference",
        "2024-11-20T10:00:00+01:00",
        cwd=tmp_path,
    )
    assert result.out.splitlines() == [
        "2024-11-17T11:49:00+01:00",
        "",
        "2024-11-19T18:30:00+01:00",
    ]


def test_parse_date_stdin(tmp_path):
    result = run_cli(
        "parse-date",
        "--reference",
        "2024-07-20T10:00:00Z",
        cwd=tmp_path,
        stdin="20 novembre 2023 · 03:15\n5 luglio 2024\n",
    )
    assert result.out.splitlines() == ["2023-11-20T03:15:00+01:00", "2024-07-05"]


def test_extract_prints_article_json(tmp_path):
    page = SITE_DIR / truth.SEED_PATH.lstrip("/")
    result = run_cli(
        "extract",
        str(page),
        "--url",
        "https://www.example.it" + truth.SEED_PATH,
        "--fetched-at",
        "2024-11-26T10:00:00Z",
        cwd=tmp_path,
    )
    data = json.loads(result.out)
    assert (data["outcome"], data["article"]["title"], len(data["links"])) == (
        "article",
        truth.ARTICLES[truth.SEED_PATH]["title"],
        8,
    )


def test_extract_not_html_is_a_clear_error(tmp_path):
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = run_cli("extract", str(binary), "--url", "https://www.example.it/x", cwd=tmp_path)
    assert result.code == 1 and "not an HTML page" in result.err


def test_crawl_rejects_non_http_url(tmp_path):
    result = run_cli("crawl", "file:///etc/passwd", "--db", str(tmp_path / "a.db"), cwd=tmp_path)
    assert result.code == 2 and "not an http(s) URL" in result.err


def test_crawl_bad_setting_syntax(tmp_path):
    result = run_cli("crawl", "https://www.example.it/a", "-s", "NOEQUALS", cwd=tmp_path)
    assert result.code == 2 and "NAME=VALUE" in result.err


def test_history_unknown_url(tmp_path):
    from newsarchive.store.archive import Archive

    Archive(tmp_path / "a.db").close()
    result = run_cli(
        "history", "https://www.example.it/x", "--db", str(tmp_path / "a.db"), cwd=tmp_path
    )
    assert result.code == 1 and "no versions" in result.err


def test_parse_date_naive_reference_is_local_time_in_tz(tmp_path):
    result = run_cli(
        "parse-date",
        "adesso",
        "2014-09-01T10:30:00",
        "--reference",
        "2014-09-01T10:30:00",
        "--tz",
        "Europe/Rome",
        cwd=tmp_path,
    )
    assert result.out.splitlines() == ["2014-09-01T10:30:00+02:00", "2014-09-01T10:30:00+02:00"]


def test_an_sqlite_file_without_a_schema_yet_becomes_the_archive(tmp_path):
    """The moment another process has created the file (journal mode set, no tables yet) is
    not "another application's file": two jobs starting together on a new archive both run."""
    import sqlite3

    from newsarchive.cli_options import sound_archive

    db = tmp_path / "archive.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")  # what a creating process writes first
    conn.close()
    assert db.stat().st_size > 0
    sound_archive(db, refusal="nothing written")
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"pages", "articles", "links"} <= tables


def test_another_applications_sqlite_file_is_still_refused(tmp_path):
    import sqlite3

    from newsarchive.cli_options import sound_archive

    db = tmp_path / "other-app.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()
    from newsarchive.store.archive import NotAnArchiveError

    with pytest.raises(NotAnArchiveError, match="not a newsarchive archive"):
        sound_archive(db, refusal="nothing written")
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
    conn.close()
