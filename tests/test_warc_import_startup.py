"""import-warc's start-up (issue 15, speed): the extraction workers are started first, so that
the fork server imports the extraction stack on another core while the command imports the
store; what the command does not use (the Redis client) is not imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from click.testing import CliRunner
from test_warc_import import site_warc

from newsarchive.cli import cli
from newsarchive.crawl import workers
from newsarchive_testing.cli_runner import child_env


def test_importing_the_worker_pool_does_not_import_the_extraction_stack():
    code = "import sys, newsarchive.crawl.workers; print('trafilatura' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
    )
    assert done.stdout.strip() == "False", done.stderr


def test_import_warc_prestarts_its_workers(tmp_path, monkeypatch):
    started: list[int] = []
    monkeypatch.setattr(workers, "prestart", lambda n, **_: started.append(n))
    warc = site_warc(tmp_path / "site.warc.gz")
    db = tmp_path / "archive.db"
    result = CliRunner().invoke(cli, ["import-warc", str(warc), "--db", str(db), "--jobs", "0"])
    assert (result.exit_code, started) == (0, [0]), result.output


def test_import_warc_without_redis_does_not_import_its_client(tmp_path):
    warc = site_warc(tmp_path / "site.warc.gz")
    code = textwrap.dedent(
        f"""
        import sys
        from newsarchive.cli import cli
        cli.main(["import-warc", {str(warc)!r}, "--db", {str(tmp_path / "a.db")!r},
                  "--jobs", "0", "--silent"], standalone_mode=False)
        print("redis" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
    )
    assert done.stdout.strip().splitlines()[-1:] == ["False"], done.stderr
