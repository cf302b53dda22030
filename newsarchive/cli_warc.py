"""The WARC commands of the CLI: `export --format warc` and `import-warc` (thin, over
newsarchive.warc)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
EXIT_BAD_INPUT = 1
EXIT_ABORTED = 3


def _utc(value: str | None, name: str) -> str | None:
    """An ISO 8601 time as UTC with milliseconds (as pages.fetched_at), or None."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint=name) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def WARC_EXPORT_OPTIONS(func: F) -> F:  # noqa: N802 - used as a decorator constant
    """The options `export` takes for --format warc."""
    options = [
        click.option(
            "--output",
            "output",
            type=click.Path(file_okay=False, path_type=Path),
            help="warc: directory of the WARC files (created when missing).",
        ),
        click.option("--until", metavar="ISO", help="warc: fetched before this time."),
        click.option(
            "--warc-version",
            type=click.Choice(["1.0", "1.1"]),
            default="1.0",
            show_default=True,
            help="warc: WARC format version.",
        ),
        click.option(
            "--max-size",
            type=click.IntRange(1),
            default=1_000_000_000,
            show_default=True,
            metavar="BYTES",
            help="warc: start a new file once one reaches this size.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def export_warc_command(
    db: Path,
    *,
    since: str | None,
    site: str | None,
    output: Path | None,
    until: str | None,
    warc_version: str,
    max_size: int,
) -> None:
    """`export --format warc`: write the WARC files and say what was written (on stderr)."""
    from newsarchive.store import Archive, StorageError
    from newsarchive.warc.export import ExportError, export_warc

    if output is None:
        raise click.UsageError("--format warc needs --output DIR")
    try:
        with Archive(db) as archive:
            summary = export_warc(
                archive,
                output,
                since=_utc(since, "--since"),
                until=_utc(until, "--until"),
                site=site,
                version=warc_version,
                max_size=max_size,
            )
    except (ExportError, StorageError) as exc:
        raise click.ClickException(str(exc)) from exc
    records = ", ".join(f"{k} {v}" for k, v in sorted(summary.records.items()))
    click.echo(
        f"{summary.pages} fetches in {len(summary.files)} WARC file(s) in {output}: {records}",
        err=True,
    )
    for path in summary.files:
        click.echo(str(path))


@click.command("import-warc", context_settings=CONTEXT_SETTINGS)
def import_warc() -> None:
    """Import pages from WARC files."""
    sys.exit(2)
