"""The extraction commands: `extract` (one saved page), `parse-date` and `reextract` (the
stored raw pages again)."""

from __future__ import annotations

import json
import sys
from datetime import timezone
from pathlib import Path
from typing import Any

import click

from newsarchive.cli_options import CONTEXT_SETTINGS, READ_DB_OPTION, aware, check_tz
from newsarchive.cli_units import UNIT_OPTIONS, open_units, units_note
from newsarchive.defaults import DEFAULT_TZ

GZIP_MAGIC = b"\x1f\x8b"


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--fetched-at", metavar="ISO", help="When it was fetched (default: now, UTC).")
@click.option("--related-selector", metavar="CSS", help="CSS selector of the related block.")
@click.option(
    "--tz",
    default=DEFAULT_TZ,
    show_default=True,
    callback=check_tz,
    help="Publisher time zone.",
)
def extract(
    file: Path, url: str, fetched_at: str | None, related_selector: str | None, tz: str
) -> None:
    """Print as JSON what a crawl would store for a saved page (.html or .html.gz).

    Example: newsarchive extract saved.html --url https://www.example.it/a.html
    """
    from newsarchive.extract.article import extract_article
    from newsarchive.extract.outcomes import NOT_HTML

    body = file.read_bytes()
    if body.startswith(GZIP_MAGIC):  # saved pages and corpus files are often .html.gz
        from newsarchive.extract.discovery import gunzip_bounded

        try:
            body = gunzip_bounded(body)
        except ValueError as exc:
            raise click.ClickException(f"{file}: {exc}") from exc
    result = extract_article(
        body,
        url=url,
        fetched_at=aware(fetched_at, "--fetched-at"),
        headers=None,
        related_selector=related_selector,
        tz=tz,
    )
    if result.outcome == NOT_HTML:
        raise click.ClickException(f"{file}: not an HTML page ({result.reason})")
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


@click.command("parse-date", context_settings=CONTEXT_SETTINGS)
@click.argument("texts", nargs=-1)
@click.option(
    "--reference",
    metavar="ISO",
    help="Reference time for relative dates (default: now); without an offset, local time in --tz.",
)
@click.option(
    "--tz",
    default=DEFAULT_TZ,
    show_default=True,
    callback=check_tz,
    help="Zone of dates shown without offset.",
)
def parse_date(texts: tuple[str, ...], reference: str | None, tz: str) -> None:
    """Normalize Italian date strings to ISO 8601, one line per input.

    An empty line means "not a date". With no TEXT, reads one string per line from stdin.

    Example: newsarchive parse-date "Pubblicato il 17/11/2024 alle 11:49" "ieri alle 18:30"
    """
    from newsarchive.dates.normalize import normalize_date

    ref = aware(reference, "--reference", zone=tz)
    lines = texts or tuple(line.rstrip("\n") for line in sys.stdin)
    for text in lines:
        parsed = normalize_date(text, reference=ref, tz=tz)
        click.echo(parsed.isoformat() if parsed else "")


@click.command(context_settings=CONTEXT_SETTINGS)
@READ_DB_OPTION
@click.option(
    "--site",
    metavar="HOST",
    help="Only pages of this host, www. or not, on any port (HOST:PORT for one port).",
)
@click.option("--since", metavar="ISO", help="Only pages fetched at or after this time.")
@click.option("--url", metavar="URL", help="Only the pages of this article URL.")
@click.option("--jobs", type=click.IntRange(1), help="Worker processes (default: one per core).")
@click.option(
    "--related-selector",
    metavar="CSS",
    help="CSS selector of the related block, for every page (default: the one each page was"
    " crawled with, if any).",
)
@click.option("--dry-run", is_flag=True, help="Report what would change, write nothing.")
@UNIT_OPTIONS
@click.option("--silent", is_flag=True, help="No progress bar.")
def reextract(
    db: Path,
    site: str | None,
    since: str | None,
    url: str | None,
    jobs: int | None,
    related_selector: str | None,
    dry_run: bool,
    redis_url: str | None,
    redis_job: str | None,
    redis_lease: float,
    silent: bool,
) -> None:
    """Re-run extraction over the stored raw pages, without fetching anything.

    Rebuilds articles, links, date evidence and versions; raw pages are never modified.
    Each page is extracted as its crawl extracted it: with the related selector and the
    time zone (NEWSARCHIVE_TZ) stored with it. Running it twice with the same code changes
    nothing the second time.

    With --redis, N processes on the same archive split it in ranges of 1,000 page ids,
    one leased at a time (a killed process's range goes to another after --redis-lease
    seconds). Exit code 2 for a usage error or an unreachable --redis, 3 when Redis was lost.

    Example: newsarchive reextract --db archive.db --site example.it --dry-run

    Example (the same in 3 processes): newsarchive reextract --db archive.db --jobs 2
    --redis redis://127.0.0.1:6379/0
    """
    from newsarchive.crawl.reextract import reextract as run
    from newsarchive.urls import canonicalize_url

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    if since is not None:
        since = aware(since, "--since").astimezone(timezone.utc).isoformat(timespec="milliseconds")
    if url is not None:
        url = canonicalize_url(url) or url
    import time

    bar: dict[str, Any] = {}
    started = time.monotonic()

    def on_total(total: int) -> None:
        if not silent:
            bar["bar"] = click.progressbar(
                length=total,
                label="re-extracting",
                show_eta=True,
                show_pos=True,
                file=sys.stderr,
                item_show_func=lambda rate: f"{rate:.1f} pages/s" if rate is not None else "",
            ).__enter__()
            bar["done"] = 0

    def on_page(n: int) -> None:
        if "bar" in bar:
            bar["done"] += n
            rate = bar["done"] / max(time.monotonic() - started, 1e-6)
            bar["bar"].update(n, current_item=rate)

    units, leased = None, None
    if redis_url:
        if dry_run:
            raise click.UsageError("--dry-run cannot be shared through --redis")
        from newsarchive.distributed.units import job_name, reextract_units

        what = [str(db.resolve()), site or "", since or "", url or "", related_selector or ""]
        name = redis_job or job_name("reextract", what)
        leased = open_units(redis_url, "reextract", name, redis_lease)
        units = reextract_units(leased)
    import redis

    try:
        summary = run(
            db,
            site=site,
            since=since,
            url=url,
            jobs=jobs,
            dry_run=dry_run,
            related_selector=related_selector,
            on_page=on_page,
            on_total=on_total,
            units=units,
        )
    except redis.RedisError as exc:
        # the range in hand was not acknowledged: it goes to a worker after its lease
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
        click.echo(f"Error: Redis unavailable, re-extraction stopped: {exc}", err=True)
        sys.exit(3)
    if "bar" in bar:
        bar["bar"].__exit__(None, None, None)
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"pages read: {summary.pages_read}; articles {verb}: {summary.articles_changed}; "
        f"unchanged: {summary.unchanged}; failed: {summary.failed}"
    )
    if summary.by_field:
        fields = ", ".join(f"{k} {v}" for k, v in summary.by_field.most_common())
        click.echo(f"by field: {fields}")
    units_note(leased, idle=not summary.pages_read and not summary.interrupted, unit="range")
    if summary.interrupted:
        click.echo("interrupted: run it again to finish", err=True)
        sys.exit(130)
