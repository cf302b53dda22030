"""The WARC commands of the CLI: `export --format warc` and `import-warc` (thin, over
newsarchive.warc)."""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, closing, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from newsarchive.cli_units import UNIT_OPTIONS, db_option, open_units, units_note

if TYPE_CHECKING:
    from newsarchive.distributed.units import LeasedSet

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
    from newsarchive.store.archive import Archive, StorageError
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
    if summary.unreadable:
        ids = ", ".join(str(i) for i in summary.unreadable[:10])
        more = f" and {len(summary.unreadable) - 10} more" if len(summary.unreadable) > 10 else ""
        click.echo(
            f"error: {len(summary.unreadable)} stored page(s) have an unreadable body and were"
            f" not written (pages.id {ids}{more})",
            err=True,
        )
        sys.exit(1)


CC_NEWS_BASE = "https://data.commoncrawl.org"
CC_NEWS_MONTH = re.compile(r"^(\d{4})/(\d{2})$")


def cc_news_sources(month: str, base_url: str) -> list[str]:
    """The WARC URLs of a CC-NEWS month, in the order warc.paths.gz lists them."""
    from newsarchive.warc.sources import iter_lines

    match = CC_NEWS_MONTH.match(month)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise click.BadParameter(f"expected YYYY/MM, got {month!r}", param_hint="--cc-news")
    base = base_url.rstrip("/")
    listing = f"{base}/crawl-data/CC-NEWS/{match.group(1)}/{match.group(2)}/warc.paths.gz"
    return [f"{base}/{path.lstrip('/')}" for path in iter_lines(listing)]


@click.command("import-warc", context_settings=CONTEXT_SETTINGS)
@click.argument("sources", nargs=-1, metavar="PATH_OR_URL...")
@db_option("SQLite archive file (created when missing).")
@click.option("--lang", metavar="CODE", help="Keep pages that do not declare another language.")
@click.option(
    "--host-suffix",
    "host_suffixes",
    multiple=True,
    metavar="SUFFIX",
    help="Only hosts ending in this suffix, e.g. .it (repeat).",
)
@click.option("--site", "sites", multiple=True, metavar="HOST", help="Only this host (repeat).")
@click.option(
    "--jobs",
    type=click.IntRange(0),
    help="Extraction workers (default: one per core; 0: in-process).",
)
@click.option("--cc-news", "cc_news", metavar="YYYY/MM", help="Import a month of CC-NEWS.")
@click.option(
    "--base-url",
    default=CC_NEWS_BASE,
    show_default=True,
    help="Where --cc-news reads crawl-data/CC-NEWS/ (a mirror).",
)
@UNIT_OPTIONS
@click.option("--silent", is_flag=True, help="No progress bar.")
def import_warc(
    sources: tuple[str, ...],
    db: Path,
    lang: str | None,
    host_suffixes: tuple[str, ...],
    sites: tuple[str, ...],
    jobs: int | None,
    cc_news: str | None,
    base_url: str,
    redis_url: str | None,
    redis_job: str | None,
    redis_lease: float,
    silent: bool,
) -> None:
    """Import HTML pages from WARC files (paths or http(s) URLs) as if they had been crawled.

    Reads WARC 1.0/1.1, gzipped per record, as one gzip stream or plain, streaming. Each kept
    response record becomes a raw page (WARC-Date as its fetch time, with the WARC file,
    offset, length and record id), then the crawl's extraction stores its article, related
    links and dates. Importing a file again adds nothing; an interrupted import resumes.
    Nothing is fetched from the live web. Exit code 1 when a record or a source was bad,
    2 for a usage error or an unreachable --redis, 3 when the import stopped (storage
    error, Redis lost, interrupted).

    With --redis, the same command on several machines (each with its own --db) splits the
    sources: one WARC file at a time per worker, a killed worker's file taken over by
    another after --redis-lease seconds; `newsarchive merge` then joins the shards.

    Example: newsarchive import-warc CC-NEWS-20241101011209-00000.warc.gz --lang it

    Example: newsarchive import-warc --cc-news 2024/11 --host-suffix .it --lang it

    Example: newsarchive import-warc --cc-news 2024/11 --lang it --db shard-a.db
    --redis redis://10.0.0.5:6379/0
    """
    import time

    from newsarchive.crawl import forks, workers

    if sources or cc_news:
        # the fork server imports the extraction stack on another core while this process
        # imports the store and reads the first records (the importer's pool adopts them)
        workers.prestart(forks.worker_count(-1 if jobs is None else jobs))
    from newsarchive.store.archive import Archive, StorageError
    from newsarchive.warc.import_ import ImportSummary, import_warcs
    from newsarchive.warc.sources import Filters

    todo = list(sources)
    if cc_news:
        from newsarchive.warc.sources import WarcSourceError

        try:
            todo += cc_news_sources(cc_news, base_url)
        except (OSError, WarcSourceError) as exc:
            raise click.ClickException(f"cannot read the CC-NEWS listing: {exc}") from exc
    if not todo:
        raise click.UsageError("give WARC paths or URLs, or --cc-news YYYY/MM")
    filters = Filters(sites=sites, host_suffixes=host_suffixes, lang=lang)
    work: Iterable[str] = todo
    guard: AbstractContextManager[Any] = nullcontext()
    leased: LeasedSet | None = None
    if redis_url:
        from newsarchive.distributed.units import job_name, warc_units

        leased = open_units(redis_url, "warc", redis_job or job_name("warc", todo), redis_lease)
        shared = warc_units(leased, todo)
        work, guard = shared, closing(shared)  # closed: the file in hand is handed back
    started = time.monotonic()
    bar: Any = None
    if not silent:
        bar = click.progressbar(
            length=len(todo),
            label="importing",
            show_eta=True,
            show_pos=True,
            file=sys.stderr,
            item_show_func=lambda text: text or "",
        ).__enter__()
    state = {"files": 0}

    def on_source(source: str) -> None:
        if bar is not None and state["files"]:
            bar.update(1)
        state["files"] += 1

    def on_record(summary: ImportSummary) -> None:
        if bar is not None:
            rate = summary.stored / max(time.monotonic() - started, 1e-6)
            bar.update(
                0,
                current_item=f"records {summary.records}, kept {summary.kept}, "
                f"stored {summary.stored}, {rate:.1f} pages/s",
            )

    command = " ".join(["newsarchive", "import-warc", *sys.argv[2:]])
    redis_errors: tuple[type[Exception], ...] = ()
    if redis_url:  # (the redis client takes a while to import: only when it is used)
        import redis

        redis_errors = (redis.RedisError,)
    try:
        with Archive(db) as archive, guard:
            summary = import_warcs(
                archive,
                work,
                filters=filters,
                jobs=jobs,
                command=command,
                on_source=on_source,
                on_record=on_record,
            )
    except (StorageError, sqlite3.Error, OSError) as exc:
        # the archive cannot be written (disk full, locked for too long...): the import log
        # holds what was committed, and the same command resumes
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None
        click.echo(f"Error: storage error, import stopped: {exc}", err=True)
        sys.exit(EXIT_ABORTED)
    except redis_errors as exc:
        # the file in hand was not acknowledged: it goes to a worker after its lease
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None
        click.echo(f"Error: Redis unavailable, import stopped: {exc}", err=True)
        sys.exit(EXIT_ABORTED)
    except KeyboardInterrupt:
        click.echo("interrupted: run the same command again to finish", err=True)
        sys.exit(EXIT_ABORTED)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    elapsed = max(time.monotonic() - started, 1e-6)
    skipped = ", ".join(f"{k} {v}" for k, v in summary.skipped.most_common()) or "none"
    outcomes = ", ".join(f"{k} {v}" for k, v in summary.outcomes.most_common()) or "none"
    click.echo(
        f"WARC sources: {summary.sources} ({summary.sources_done_before} imported before)\n"
        f"  records read:     {summary.records}\n"
        f"  pages kept:       {summary.kept}\n"
        f"  pages stored:     {summary.stored} ({summary.stored / elapsed:.1f} pages/s)\n"
        f"  already imported: {summary.already}\n"
        f"  skipped:          {skipped}\n"
        f"  outcomes:         {outcomes}\n"
        f"  bad records:      {len(summary.bad)}\n"
        f"  archive:          {db.resolve()}"
    )
    units_note(leased, idle=not summary.sources, unit="file")
    for bad in summary.bad:
        click.echo(f"bad record: {bad}", err=True)
    for failed in summary.failed_sources:
        click.echo(f"source failed: {failed}", err=True)
    if summary.bad or summary.failed_sources:
        sys.exit(EXIT_BAD_INPUT)
