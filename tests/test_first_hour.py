"""Issue 12, "right the first hour": what a new user meets first (errors, exit codes, feeds
served as XML, re-extraction of sources, unreachable seeds, serve, export, extract)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import socket

import site_truth as truth
from click.testing import CliRunner
from fixture_site import SITE_DIR
from test_store import BASE, raw_page, store

from newsarchive.cli import cli
from newsarchive.store import Archive


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# --- item 17: extract .html.gz, JSON lines with real arrays ---------------------------------


def test_extract_accepts_html_gz(tmp_path):
    page = SITE_DIR / truth.SEED_PATH.lstrip("/")
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(page.read_bytes()))
    url = "https://www.example.it" + truth.SEED_PATH
    result = invoke("extract", str(packed), "--url", url, "--fetched-at", "2024-11-26T10:00:00Z")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["article"]["title"] == truth.ARTICLES[truth.SEED_PATH]["title"]


def test_export_jsonl_authors_are_a_list(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        store(archive, raw_page(truth.SEED_PATH))
    result = invoke("export", "--db", str(db), "--fields", "url,authors,tags")
    row = json.loads(result.output.splitlines()[0])
    assert row["url"] == BASE + truth.SEED_PATH
    assert isinstance(row["authors"], list) and isinstance(row["tags"], list)


# --- item 3: --site matches a host on any port --------------------------------------------


def _store_at(archive: Archive, base: str, path: str = truth.SEED_PATH) -> int:
    page = raw_page(path)
    page = dataclasses.replace(page, url=base + path, final_url=base + path)
    return store(archive, page)


def test_reextract_site_matches_host_with_a_port(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        _store_at(archive, "http://127.0.0.1:8765")
        _store_at(archive, "http://127.0.0.1:9999", truth.CP1252_PATH)
        assert len(archive.pages_for_reextract(site="127.0.0.1")) == 2
        assert len(archive.pages_for_reextract(site="127.0.0.1:8765")) == 1
        assert archive.pages_for_reextract(site="127.0.0.2") == []
    result = invoke("reextract", "--db", str(db), "--site", "127.0.0.1", "--jobs", "1", "--silent")
    assert result.output.startswith("pages read: 2;")


# --- item 14: serve ------------------------------------------------------------------------


def _no_exec(monkeypatch):
    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, args: calls.append(args))
    return calls


def test_serve_on_a_busy_port_is_one_line_and_non_zero(tmp_path, monkeypatch):
    calls = _no_exec(monkeypatch)
    Archive(tmp_path / "a.db").close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["serve", "--db", str(tmp_path / "a.db"), "--port", str(port)]
        )
    assert calls == []
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is taken" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_serve_metadata_out_only_writes_the_file(tmp_path, monkeypatch):
    calls = _no_exec(monkeypatch)
    Archive(tmp_path / "a.db").close()
    out = tmp_path / "metadata.json"
    result = invoke("serve", "--db", str(tmp_path / "a.db"), "--metadata-out", str(out))
    assert result.exit_code == 0 and calls == []
    assert "databases" in json.loads(out.read_text())


def test_read_only_commands_do_not_promise_to_create_the_archive():
    for command in ("reextract", "history", "serve", "search", "export", "stats"):
        assert "created when missing" not in invoke(command, "-h").output, command
    assert "created when missing" in invoke("crawl", "-h").output
