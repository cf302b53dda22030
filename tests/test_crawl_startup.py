"""The crawler process's start-up (issue 17, crawl speed): what it does not use, it does not
import. The extraction stack (trafilatura and friends) is imported by the workers' fork server,
on another core; the Scrapy components that a setting switches off are not imported to be asked.
"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from conftest import FAST, count_rows, run_cli
from scrapy.utils.misc import load_object

from newsarchive.crawl.runner import build_settings, loggers_at
from newsarchive.settings import UNUSED_WHEN_OFF
from newsarchive_testing.cli_runner import child_env
from newsarchive_testing.fixture_site import FixtureSite
from newsarchive_testing.site_truth import SEED_PATH

# what the crawler process must not import: the extraction stack, and what Scrapy's switched-off
# remote control (aiohttp), cookies middleware (tldextract) and telnet console (conch) import
NOT_IMPORTED = ("trafilatura", "htmldate", "justext", "aiohttp", "tldextract", "twisted.conch")


def python_run(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (what it imports is its own), as the tests' children run."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
    )


def test_the_crawler_process_imports_neither_the_extraction_stack_nor_unused_components(
    site: FixtureSite, tmp_path
):
    db = tmp_path / "archive.db"
    args = ["crawl", site.url(SEED_PATH), "--db", str(db), "--depth", "0", "--quiet", *FAST]
    code = textwrap.dedent(
        f"""
        import sys
        from newsarchive.cli import cli
        try:
            cli.main({args!r}, standalone_mode=False)
        finally:  # crawl ends with sys.exit(its exit code)
            print(sorted(m for m in {NOT_IMPORTED!r} if m in sys.modules))
        """
    )
    done = python_run(code)
    assert done.returncode == 0, done.stderr
    # the page was extracted (by a worker) and stored: the crawl did run
    assert count_rows(db, "SELECT count(*) FROM articles") == 1
    assert ast.literal_eval(done.stdout.strip().splitlines()[-1]) == []


def components(tmp_path: Path, overrides: dict[str, str]) -> set[str]:
    """The extensions and downloader middlewares a crawl with these -s overrides enables, once
    the project's add-ons have updated the settings (as Scrapy's Crawler does)."""
    settings = build_settings(tmp_path / "archive.db", overrides, quiet=True, verbose=False)
    for addon in settings.getdict("ADDONS"):
        load_object(addon)().update_settings(settings)
    return {
        str(path)
        for name in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES")
        for path, order in settings.getwithbase(name).items()
        if order is not None
    }


def test_switched_off_components_are_left_out_and_switched_on_ones_kept(tmp_path):
    left_out = {component for _, _, component in UNUSED_WHEN_OFF}
    assert components(tmp_path, {}).isdisjoint(left_out)
    switched_on = {setting: "True" for setting, _, _ in UNUSED_WHEN_OFF}
    assert left_out <= components(tmp_path, switched_on)


def test_per_page_loggers_follow_log_level_while_the_crawl_runs():
    names = ("scrapy", "newsarchive")
    before = [logging.getLogger(n).level for n in names]
    with loggers_at("WARNING", names):
        assert not logging.getLogger("newsarchive.crawl.pipelines").isEnabledFor(logging.INFO)
        assert not logging.getLogger("scrapy.core.engine").isEnabledFor(logging.DEBUG)
    assert [logging.getLogger(n).level for n in names] == before


def test_debug_lines_still_reach_the_log_when_asked_for(site: FixtureSite, tmp_path):
    db = tmp_path / "archive.db"
    args = ["crawl", site.url(SEED_PATH), "--db", str(db), "--depth", "0", *FAST]
    quiet = run_cli(*args, cwd=tmp_path)
    debug = run_cli(*args, "--recheck", "-s", "LOG_LEVEL=DEBUG", cwd=tmp_path)
    assert (quiet.code, debug.code) == (0, 0), debug.err
    assert "stored page" not in quiet.err
    assert "stored page" in debug.err and "Crawled (200)" in debug.err


def test_checking_project_settings_does_not_import_scrapy():
    code = (
        "import sys\n"
        "from newsarchive.cli_options import parse_settings\n"
        "parse_settings(('DOWNLOAD_DELAY=0', 'NEWSARCHIVE_MAX_LINKS_PER_PAGE=400'))\n"
        "print('scrapy' in sys.modules)\n"
    )
    done = python_run(code)
    assert done.stdout.strip() == "False", done.stderr


def test_crawl_starts_the_workers_before_it_opens_the_archive(monkeypatch, tmp_path):
    """The fork server imports the extraction stack while the command opens the archive and
    imports Scrapy."""
    from click.testing import CliRunner

    from newsarchive import cli_crawl
    from newsarchive.cli import cli
    from newsarchive.crawl import forks, runner

    calls: list[str] = []

    def refuse(db: Path, *, refusal: str) -> None:
        calls.append("open archive")
        raise click.ClickException("stop here")

    monkeypatch.setattr(forks, "start_server", lambda overrides: calls.append("fork server"))
    monkeypatch.setattr(runner, "prestart_workers", lambda overrides: calls.append("workers"))
    monkeypatch.setattr(cli_crawl, "sound_archive", refuse)
    args = ["crawl", "http://giornale.example/a.html", "--db", str(tmp_path / "a.db")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert calls == ["fork server", "workers", "open archive"], result.output


@pytest.mark.parametrize("command", ["crawl", "run"])
def test_the_fork_server_starts_before_the_crawl_is_imported(command, tmp_path):
    """`crawl` and `run` start the workers' fork server (which imports and warms the
    extraction stack, the longest step before the first page) before they import the worker
    pool, Scrapy or the store, which then load side by side with it."""
    not_an_archive = tmp_path / "notes.db"
    not_an_archive.write_text("not an SQLite file")
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[source]]\nname = "a"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n')
    target = "http://127.0.0.1:9/a.html" if command == "crawl" else str(jobs)
    code = textwrap.dedent(
        f"""
        import sys
        from multiprocessing import forkserver

        started = []
        real = forkserver.ensure_running

        def spy():
            if not started:
                started.append(sorted(m for m in ("pebble", "scrapy", "newsarchive.crawl.runner",
                                      "newsarchive.store.archive") if m in sys.modules))
            real()

        forkserver.ensure_running = spy
        sys.argv = ["newsarchive", {command!r}, {target!r}, "--db", {str(not_an_archive)!r}]
        from newsarchive.cli import main

        try:
            main()
        except SystemExit as exc:
            print(started, exc.code)
        """
    )
    done = python_run(code)
    assert done.stdout.split("\n")[-2] == "[[]] 1", (done.stdout, done.stderr)
    assert "not an SQLite database" in done.stderr


def test_no_fork_server_for_a_crawl_without_workers():
    code = (
        "from multiprocessing import forkserver\n"
        "from newsarchive.crawl import forks\n"
        "forks.start_server({'NEWSARCHIVE_EXTRACT_WORKERS': '0'})\n"
        "print(forkserver._forkserver._forkserver_pid)\n"
    )
    done = python_run(code)
    assert done.stdout.strip() == "None", done.stderr
