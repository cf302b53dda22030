"""The newsarchive command line: thin click commands over the library. This module holds the
group (error handling, --version) and `main`; the commands live beside it by family:
cli_crawl (crawl, run), cli_extract (extract, parse-date, reextract), cli_read (history,
show, search, export, stats), cli_admin (serve, snapshot, frontier, merge, compact) and
cli_warc (import-warc, export --format warc), with the shared options in cli_options."""

from __future__ import annotations

import atexit
import gc
import sys
from typing import Any

import click

from newsarchive import __version__
from newsarchive.cli_admin import compact, frontier, merge, serve, snapshot
from newsarchive.cli_crawl import crawl, run
from newsarchive.cli_extract import extract, parse_date, reextract
from newsarchive.cli_options import CONTEXT_SETTINGS
from newsarchive.cli_read import export, history, search, show, stats
from newsarchive.cli_warc import import_warc


def _one_line(exc: Exception) -> str | None:
    """The one-line message of an error the CLI reports without a traceback (None: a bug)."""
    import sqlite3

    from newsarchive.store.archive import StorageError

    if isinstance(exc, StorageError):
        return str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            return f"the archive is read-only ({text})"
        return f"the archive cannot be used: {text}"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return None


class Cli(click.Group):
    """The command group: known errors become one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; archive and file errors become a ClickException (no traceback)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # `newsarchive export | head`: the reader left, which is not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            message = _one_line(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(cls=Cli, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="newsarchive")
def cli() -> None:
    """Archive news articles and their related articles into SQLite.

    Example: newsarchive crawl https://www.example.it/esteri/2024/11/21/articolo.html
    """


def main() -> None:
    """Entry point for `python -m newsarchive`."""
    # Run last at exit, before the interpreter's final garbage collection, which would walk
    # every object a crawl leaves behind (~0.1 s after 400 pages) to free memory the process
    # is giving back anyway: frozen objects are not walked.
    atexit.register(gc.freeze)
    cli()


COMMANDS: tuple[click.Command, ...] = (crawl, run, extract, parse_date, reextract, history)
COMMANDS += (show, search, export, stats, serve, snapshot, frontier, merge, compact, import_warc)
for command in COMMANDS:
    cli.add_command(command)
