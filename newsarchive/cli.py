"""The newsarchive command line: thin click commands over the library."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from newsarchive import __version__
from newsarchive.cli_units import UNIT_OPTIONS, db_option, open_units, units_note
from newsarchive.cli_warc import WARC_EXPORT_OPTIONS, export_warc_command, import_warc
from newsarchive.defaults import DEFAULT_DB, DEFAULT_TZ

GZIP_MAGIC = b"\x1f\x8b"
# articles columns holding JSON arrays: real arrays in JSON lines, JSON text in CSV
JSON_ARRAY_FIELDS = ("authors", "categories", "tags")
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
# days of the per-day bar chart of `stats`
STATS_DAYS = 30
DB_OPTION = db_option("SQLite archive file (created when missing).")
READ_DB_OPTION = db_option("SQLite archive file (must exist).")


REDIS_OPTION = click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    envvar="NEWSARCHIVE_REDIS_URL",
    help="Share the frontier with other workers through this Redis "
    "(redis://[:password@]host:6379/0); each worker keeps its own --db shard.",
)
EXIT_USAGE = 2


def _with_redis(redis_url: str | None, overrides: dict[str, str]) -> dict[str, str]:
    """The -s overrides, plus the Redis URL once it answers (else one line and exit 2)."""
    if not redis_url:
        return overrides
    from newsarchive.distributed.connection import RedisUnavailable, check

    try:
        check(redis_url)
    except RedisUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    return {**overrides, "NEWSARCHIVE_REDIS_URL": redis_url}


def _aware(value: str | None, name: str, zone: str | None = None) -> datetime:
    """An aware time from an ISO option; without an offset it is in zone (default UTC)."""
    if value is None:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint=name) from exc
    if parsed.tzinfo:
        return parsed
    if zone is None:
        return parsed.replace(tzinfo=timezone.utc)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return parsed.replace(tzinfo=ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--tz") from exc


def _is_loopback(host: str) -> bool:
    """True when host names this machine only (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _json_arrays(row: dict[str, Any]) -> dict[str, Any]:
    """An articles row with its JSON-array columns decoded (for JSON lines output)."""
    return {
        k: json.loads(v) if k in JSON_ARRAY_FIELDS and isinstance(v, str) else v
        for k, v in row.items()
    }


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-s")
        _check_setting(key.strip(), value)
        result[key.strip()] = value
    return result


def _check_setting(key: str, value: str) -> None:
    """A -s value must suit the setting's default (a number, a boolean, a time zone): Scrapy
    would only find out once the crawl starts, with a traceback."""
    from scrapy.settings import default_settings

    from newsarchive import settings as project

    default = getattr(project, key, getattr(default_settings, key, None))
    expected = None
    if isinstance(default, bool):
        if value.strip().lower() not in ("0", "1", "true", "false"):
            expected = "True or False"
    elif isinstance(default, (int, float)):
        try:
            float(value)
        except ValueError:
            expected = "a number"
    elif key == "NEWSARCHIVE_TZ":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            expected = "an IANA time zone, e.g. Europe/Rome"
    if expected:
        raise click.BadParameter(f"{key}={value!r}: expected {expected}", param_hint="-s")


def _check_day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--since/--until of search and export: a day, YYYY-MM-DD."""
    from datetime import date

    if value is not None:
        try:
            date.fromisoformat(value[:10])
        except ValueError as exc:
            raise click.BadParameter(f"not a day (YYYY-MM-DD): {value!r}") from exc
    return value


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


def _sound_archive(db: Path, *, refusal: str) -> None:
    """Refuse (one line, exit 1) an archive SQLite finds damaged, before anything writes to
    it; then open it normally (creating it, or applying pending migrations)."""
    from newsarchive.store.archive import Archive

    if db.exists() and db.stat().st_size > 0:
        with Archive(db, readonly=True) as archive:
            damage = archive.damage()
        if damage == "file is not a database":
            raise click.ClickException(f"{db} is not an SQLite archive: {refusal}")
        if damage:
            raise click.ClickException(
                f"archive {db} is damaged ({damage}): {refusal}; "
                f"recover a copy with: sqlite3 {db} .recover | sqlite3 recovered.db"
            )
    Archive(db).close()


def _check_tz(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--tz must name an IANA time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            f"unknown time zone {value!r} (an IANA name, e.g. Europe/Rome)"
        ) from exc
    return value


@click.group(cls=Cli, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="newsarchive")
def cli() -> None:
    """Archive news articles and their related articles into SQLite.

    Example: newsarchive crawl https://www.example.it/esteri/2024/11/21/articolo.html
    """


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("urls", nargs=-1)
@DB_OPTION
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="URL",
    help="RSS/Atom feed (or a home page with feed links) whose articles to archive.",
)
@click.option(
    "--sitemap",
    "sitemaps",
    multiple=True,
    metavar="URL",
    help="Sitemap, sitemap index or Google News sitemap (.xml or .xml.gz).",
)
@click.option(
    "--listing",
    "listings",
    multiple=True,
    metavar="URL",
    help="Home or section page whose article teasers to archive.",
)
@click.option(
    "--recheck-due",
    is_flag=True,
    help="Also re-check archived articles of these hosts whose re-check is due.",
)
@click.option(
    "--depth",
    default=1,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Related-article hops to follow: 0 = only the given URLs.",
)
@click.option(
    "--max-pages",
    default=0,
    type=click.IntRange(0),
    help="Stop after this many fetches (0 = no limit).",
)
@click.option(
    "--allow-domain",
    "allow_domains",
    multiple=True,
    metavar="HOST",
    help="Also follow links to this host (repeatable). Default: the seeds' hosts only.",
)
@click.option(
    "--related-selector",
    metavar="CSS",
    help="CSS selector of the related-articles block, for a site where detection fails.",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a Scrapy or NEWSARCHIVE_* setting for this run, e.g. -s DOWNLOAD_DELAY=2.",
)
@click.option(
    "--recheck",
    is_flag=True,
    help="Fetch the given URLs again even if archived; a changed article gets a new version.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress line, no summary; warnings only (for cron)."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Also show INFO log lines (Scrapy's start-up, stats)."
)
@REDIS_OPTION
def crawl(
    urls: tuple[str, ...],
    db: Path,
    depth: int,
    max_pages: int,
    allow_domains: tuple[str, ...],
    related_selector: str | None,
    settings: tuple[str, ...],
    recheck: bool,
    quiet: bool,
    verbose: bool,
    feeds: tuple[str, ...],
    sitemaps: tuple[str, ...],
    listings: tuple[str, ...],
    recheck_due: bool,
    redis_url: str | None,
) -> None:
    """Fetch articles (given, or listed by feeds, sitemaps and listing pages), follow
    their related articles to --depth, store everything.

    Pages already in the archive are not fetched again. Exit code: 0 when the run
    finished, 1 when a given URL could not be fetched or stored, 2 for a usage error or
    an unreachable --redis, 3 when the run aborted.

    With --redis, start the same command on several machines, each with its own --db:
    they share one frontier and fetch each URL once; `newsarchive merge` joins the shards.

    Example: newsarchive crawl https://www.example.it/esteri/2024/11/21/articolo.html --depth 2
    """
    from newsarchive.crawl.runner import run_crawl, summary
    from newsarchive.urls import canonicalize_url

    if not (urls or feeds or sitemaps or listings):
        raise click.UsageError("give article URLs, or --feed, --sitemap or --listing")
    for url in (*urls, *feeds, *sitemaps, *listings):
        if canonicalize_url(url) is None:
            raise click.BadParameter(f"not an http(s) URL: {url!r}", param_hint="URLS")
    if related_selector:
        import lxml.html

        from newsarchive.extract.links import find_related_blocks

        try:
            find_related_blocks(lxml.html.fromstring("<p></p>"), selector=related_selector)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--related-selector") from exc
    _sound_archive(db, refusal="nothing was crawled nor written")
    overrides = _with_redis(redis_url, _settings(settings))
    result = run_crawl(
        list(urls),
        db=db,
        depth=depth,
        max_pages=max_pages,
        allow_domains=list(allow_domains),
        related_selector=related_selector,
        overrides=overrides,
        command=" ".join(["newsarchive", *sys.argv[1:]]),
        recheck=recheck,
        feeds=list(feeds),
        sitemaps=list(sitemaps),
        listings=list(listings),
        recheck_due=recheck_due,
        quiet=quiet,
        verbose=verbose,
    )
    if not quiet:
        click.echo(summary(result, db))
    elif result.exit_code:
        click.echo(summary(result, db), err=True)
    sys.exit(result.exit_code)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--fetched-at", metavar="ISO", help="When it was fetched (default: now, UTC).")
@click.option("--related-selector", metavar="CSS", help="CSS selector of the related block.")
@click.option(
    "--tz",
    default=DEFAULT_TZ,
    show_default=True,
    callback=_check_tz,
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
        fetched_at=_aware(fetched_at, "--fetched-at"),
        headers=None,
        related_selector=related_selector,
        tz=tz,
    )
    if result.outcome == NOT_HTML:
        raise click.ClickException(f"{file}: not an HTML page ({result.reason})")
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


@cli.command("parse-date", context_settings=CONTEXT_SETTINGS)
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
    callback=_check_tz,
    help="Zone of dates shown without offset.",
)
def parse_date(texts: tuple[str, ...], reference: str | None, tz: str) -> None:
    """Normalize Italian date strings to ISO 8601, one line per input.

    An empty line means "not a date". With no TEXT, reads one string per line from stdin.

    Example: newsarchive parse-date "Pubblicato il 17/11/2024 alle 11:49" "ieri alle 18:30"
    """
    from newsarchive.dates.normalize import normalize_date

    ref = _aware(reference, "--reference", zone=tz)
    lines = texts or tuple(line.rstrip("\n") for line in sys.stdin)
    for text in lines:
        parsed = normalize_date(text, reference=ref, tz=tz)
        click.echo(parsed.isoformat() if parsed else "")


def main() -> None:
    """Entry point for `python -m newsarchive`."""
    cli()


@cli.command(context_settings=CONTEXT_SETTINGS)
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
        since = _aware(since, "--since").astimezone(timezone.utc).isoformat(timespec="milliseconds")
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


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("url")
@READ_DB_OPTION
def history(url: str, db: Path) -> None:
    """Show the versions of an archived article, what changed and a diff of the text.

    The text diff goes by paragraph (- removed, + added, ~ edited, with the paragraph
    number), and by word inside an edited paragraph: [-old words-]{+new words+}.

    Example: newsarchive history https://www.example.it/esteri/2024/11/21/articolo.html
    """
    from newsarchive.serve.textdiff import text_diff
    from newsarchive.store.archive import Archive
    from newsarchive.urls import canonicalize_url

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive.for_reading(db) as archive:
        versions = archive.read.versions(canonicalize_url(url) or url)
    if not versions:
        raise click.ClickException(f"no versions of {url} in {db}")
    previous: dict[str, object] | None = None
    for v in versions:
        changed = json.loads(v["changed_fields"])
        what = ", ".join(changed) if changed else "first version"
        click.echo(
            f"version {v['version']}  fetched {v['fetched_at']}  page #{v['page_id']}  ({what})"
        )
        click.echo(f"  title: {v['title']}")
        if previous is not None and "text" in changed:
            click.echo(f"  text, from version {previous['version']}:")
            for line in text_diff(str(previous["text"] or ""), v["text"]):
                click.echo("  " + line)
        previous = v


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("url")
@READ_DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="The whole article view as one JSON object.")
def show(url: str, db: Path, as_json: bool) -> None:
    """Read an archived article: text, dates with their evidence, related links both ways
    (with listed dates), versions with a diff of the text, outcome.

    Example: newsarchive show https://www.example.it/esteri/2024/11/21/articolo.html
    """
    from newsarchive.serve.show import render, version_diffs
    from newsarchive.store.archive import Archive
    from newsarchive.urls import canonicalize_url

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive(db, readonly=True) as archive:
        found = archive.read.article_url_for(canonicalize_url(url) or url)
        article = archive.read.article_view(found) if found else None
    if article is None:
        raise click.ClickException(f"no archived article {url} in {db}")
    if as_json:
        article["text_diffs"] = version_diffs(article)
        click.echo(json.dumps(article, ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(render(article)))


@cli.command(context_settings=CONTEXT_SETTINGS)
@READ_DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--metadata-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the generated Datasette metadata to this file and exit (no server).",
)
@click.option(
    "--archive-port",
    type=click.IntRange(0, 65535),
    help="Port of the archived pages (default: --port + 1; 0 = same port, /-/archived/).",
)
@click.option(
    "--shard",
    "shards",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also serve this worker's shard (--redis), as its own database (repeatable).",
)
def serve(
    db: Path,
    host: str,
    port: int,
    metadata_out: Path | None,
    archive_port: int | None,
    shards: tuple[Path, ...],
) -> None:
    """Browse, search and read the archive in Datasette (read-only).

    Opens on 127.0.0.1 unless told otherwise (another --host prints a warning). The reading
    room: /-/search (relevance, snippets, facets), /-/article?url=URL (the article, its dates,
    related links both ways, versions), and each page as archived, sandboxed, on
    --archive-port. Raw page bodies and headers are never served, not even to ?sql= queries:
    browse pages through the pages_list view. With --shard, workers' shards are served
    beside it, each a database of its own (`newsarchive merge` makes them one).

    Example: newsarchive serve --db archive.db --port 8001
    """
    import os
    import tempfile

    from newsarchive.serve.metadata import build_metadata

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    # refuse a damaged file; apply pending migrations (views) before serving read-only
    _sound_archive(db, refusal="not served")
    for shard in shards:
        if not shard.exists():
            raise click.ClickException(f"no archive at {shard}")
        _sound_archive(shard, refusal="not served")
    if not _is_loopback(host):
        click.echo(
            f"warning: --host {host} serves the archive beyond this machine: anyone who can"
            " reach it can read every article and run SQL on it",
            err=True,
        )
    from newsarchive.serve.plugin import PLUGIN, PLUGINS_DIR, TEMPLATES_DIR

    meta = build_metadata(db.stem)
    for shard in shards:
        meta["databases"].update(build_metadata(shard.stem)["databases"])
    if archive_port is None:
        archive_port = port + 1 if 0 < port < 65535 else 0
    if archive_port:
        meta.setdefault("plugins", {})[PLUGIN] = {
            "archive_port": archive_port,
            "archive_host": host,
        }
    metadata = json.dumps(meta, indent=2)
    if metadata_out:
        metadata_out.write_text(metadata)
        click.echo(f"wrote the Datasette metadata to {metadata_out}", err=True)
        return
    _check_port_free(host, port)
    handle, path = tempfile.mkstemp(prefix="newsarchive-", suffix=".json")
    with os.fdopen(handle, "w") as f:
        f.write(metadata)
    args = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db),
        *map(str, shards),
        "--metadata",
        path,
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "default_page_size",
        "50",
        "--setting",
        "facet_time_limit_ms",
        "500",
        "--setting",
        "suggest_facets",
        "off",
        "--setting",
        "sql_time_limit_ms",
        "3000",
        "--setting",
        "truncate_cells_html",
        "200",
        "--plugins-dir",
        str(PLUGINS_DIR),
        "--template-dir",
        str(TEMPLATES_DIR),
    ]
    click.echo(f"serving {db} at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    os.execv(sys.executable, args)


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line when host:port cannot be listened on (taken, or not an address)."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise click.BadParameter(f"cannot listen on {host!r}: {exc}", param_hint="--host") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as uvicorn does: a port in TIME_WAIT is free, one something listens on is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is taken: stop what uses it or pick another --port"
                ) from exc
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("query")
@READ_DB_OPTION
@click.option("--site", metavar="HOST", help="Only articles of this site.")
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    help="Published on or after this day (Rome).",
    callback=_check_day,
)
@click.option(
    "--until",
    metavar="YYYY-MM-DD",
    help="Published on or before this day (Rome).",
    callback=_check_day,
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def search(
    query: str,
    db: Path,
    site: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Full-text search of the articles, most relevant first; accents optional ("citta"
    finds "città").

    Syntax: words (all must appear), a OR b, a NOT b, (a OR b) c, prefix* ("russ*" finds
    Russia, russo), "a phrase", title:word (also description:, text:, authors:).
    A query without any word is an error.

    Example: newsarchive search "corea OR sudan" --since 2024-11-01
    """
    from newsarchive.store.archive import Archive, SearchQueryError
    from newsarchive.store.fts import SearchSyntaxError

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive.for_reading(db) as archive:
        try:
            hits = archive.search.articles(query, site=site, since=since, until=until, limit=limit)
        except (SearchSyntaxError, SearchQueryError) as exc:
            raise click.BadParameter(str(exc), param_hint="QUERY") from exc
    for hit in hits:
        if as_json:
            click.echo(json.dumps(hit, ensure_ascii=False))
        else:
            click.echo(f"{hit['date_published'] or '????-??-??'}  {hit['site']}  {hit['title']}")
            click.echo(f"    {hit['url']}")
            click.echo(f"    {hit['snippet']}")
    if not hits and not as_json:
        click.echo("no matches", err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@READ_DB_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "graphml", "warc"]),
    default="jsonl",
    show_default=True,
    help="graphml: only with --what links; warc: every stored fetch, needs --output.",
)
@click.option(
    "--what",
    type=click.Choice(["articles", "links", "versions"]),
    default="articles",
    show_default=True,
    help="links: the related-links graph; versions: every content state of every article.",
)
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    help="Published on or after this day (Rome); warc: fetched at or after this ISO time.",
    callback=_check_day,
)
@click.option("--site", metavar="HOST", help="Only articles (warc: fetches) of this site.")
@click.option("--fields", metavar="A,B,...", help="Columns to export (default: all but page_id).")
@WARC_EXPORT_OPTIONS
def export(
    db: Path,
    fmt: str,
    what: str,
    since: str | None,
    site: str | None,
    fields: str | None,
    **warc: Any,
) -> None:
    """Write articles, related links or versions to stdout as JSON lines, CSV or (links)
    GraphML, streaming (constant memory); or every stored fetch as WARC files (--format warc
    --output DIR). Lists (authors, changed_fields) are JSON arrays in JSON lines and JSON text
    in CSV.

    Example: newsarchive export --format csv --fields url,title,date_published > articles.csv

    Example: newsarchive export --what links --format graphml > related.graphml

    Example: newsarchive export --format warc --output warcs/ --since 2024-11-01
    """
    import csv
    import itertools

    from newsarchive.store.archive import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    if fmt == "warc":
        export_warc_command(db, since=since, site=site, **warc)
        return
    if fmt == "graphml" and what != "links":
        raise click.BadParameter("graphml is for --what links", param_hint="--format")
    if what != "articles":
        _export_graph_or_versions(db, fmt, what, since=since, site=site, fields=fields)
        return
    chosen = [f.strip() for f in fields.split(",")] if fields else None
    with Archive.for_reading(db) as archive:
        try:
            rows = archive.read.iter_articles(fields=chosen, site=site, since=since)
            first = next(rows, None)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--fields") from exc
        if first is None:
            return
        out = sys.stdout
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=list(first))
            writer.writeheader()
            writer.writerow(first)
            writer.writerows(rows)
        else:
            for row in itertools.chain([first], rows):
                out.write(json.dumps(_json_arrays(row), ensure_ascii=False) + "\n")


def _export_graph_or_versions(
    db: Path, fmt: str, what: str, *, since: str | None, site: str | None, fields: str | None
) -> None:
    """export --what links|versions."""
    import csv

    from newsarchive.serve.graphml import write_graphml
    from newsarchive.store.archive import Archive

    if fields:
        raise click.BadParameter("--fields is for --what articles", param_hint="--fields")
    if what == "links" and (since or site):
        raise click.BadParameter("--since and --site are for articles and versions")
    if since:
        raise click.BadParameter("--since is for --what articles", param_hint="--since")
    out = sys.stdout
    with Archive(db, readonly=True) as archive:
        if fmt == "graphml":
            write_graphml(out, archive.read.iter_graph_nodes(), archive.read.iter_links())
            return
        rows = (
            archive.read.iter_links() if what == "links" else archive.read.iter_versions(site=site)
        )
        if fmt == "jsonl":
            for row in rows:
                if "to_archived" in row:
                    row["to_archived"] = bool(row["to_archived"])
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            flat = {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                for k, v in row.items()
            }
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("jobs_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSARCHIVE_DB",
    help="SQLite archive (default: the jobs file's `db`, else archive.db).",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a Scrapy or NEWSARCHIVE_* setting for this run.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary; warnings only (for cron).")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also show INFO log lines (Scrapy's start-up, stats)."
)
@REDIS_OPTION
def run(
    jobs_file: Path,
    db: Path | None,
    settings: tuple[str, ...],
    quiet: bool,
    verbose: bool,
    redis_url: str | None,
) -> None:
    """Run every source of a jobs file (feeds, sitemaps, listings, re-checks) once.

    Meant for cron or a systemd timer; a killed run is resumed by the next one. Exit code:
    0 when every source ran (some pages may have failed), 1 when a source had nothing
    reachable, 2 for a usage error or an unreachable --redis, 3 when a run aborted.

    With --redis, the same jobs file run on several machines (each with its own --db)
    shares one frontier per source; `newsarchive merge` joins the shards.

    Example: newsarchive run jobs.example.toml --db archive.db --quiet
    """
    from newsarchive.crawl.jobs import JobsError, load_jobs
    from newsarchive.crawl.runner import run_jobs, summary

    try:
        file_db, sources = load_jobs(jobs_file)
    except JobsError as exc:
        raise click.ClickException(str(exc)) from exc
    path = db or Path(file_db or DEFAULT_DB)
    _sound_archive(path, refusal="nothing was crawled nor written")
    overrides = _with_redis(redis_url, _settings(settings))
    results = run_jobs(
        [(s.name, s.spider_args()) for s in sources],
        db=path,
        overrides=overrides,
        command=" ".join(["newsarchive", *sys.argv[1:]]),
        quiet=quiet,
        verbose=verbose,
    )
    code = max(r.exit_code for r in results)
    for source, result in zip(sources, results, strict=True):
        if not quiet or result.exit_code:
            click.echo(f"[{source.name}] " + summary(result, path), err=bool(quiet))
    sys.exit(code)


def _stats_json(db: Path, view: dict[str, Any], per_day: list[tuple[str, int]]) -> dict[str, Any]:
    """stats --json: the overview with named fields, lists as arrays of objects."""
    return {
        "archive": str(db.resolve()),
        "counts": view["counts"],
        "sites": [{"site": s, "articles": n, "last_day": d} for s, n, d in view["sites"]],
        "articles_per_day": [{"day": d, "articles": n} for d, n in per_day],
        "outcomes": {o: n for o, n in view["outcomes"]},
        "runs": [
            {"id": i, "started_at": a, "finished_at": b, "status": st, "command": c}
            for i, a, b, st, c in view["runs"]
        ],
        "problems": [
            {"url": u, "status": c, "outcome": o, "error": e} for u, c, o, e in view["errors"]
        ],
        "frontier": view["frontier"],
    }


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@READ_DB_OPTION
def snapshot(path: Path, db: Path) -> None:
    """Write a consistent copy of the archive to PATH, safe while crawls are running.

    Uses SQLite's backup API: the copy is one self-contained file, never half-written
    (a plain `cp` of a live archive can give a malformed copy). Publish or share the
    snapshot, never the live file. PATH must not exist.

    Example: newsarchive snapshot /srv/public/archive-2024-12-06.db --db archive.db
    """
    from newsarchive.store.archive import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive(db) as archive:
        archive.snapshot(path)
    click.echo(f"snapshot of {db} written to {path}", err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@READ_DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="The same figures as one JSON object.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    envvar="NEWSARCHIVE_REDIS_URL",
    help="Also show the queue shared through this Redis (queued, leased, done, per host).",
)
@click.option(
    "--redis-prefix",
    default="newsarchive",
    show_default=True,
    envvar="NEWSARCHIVE_REDIS_PREFIX",
    help="Key prefix of the shared frontier (NEWSARCHIVE_REDIS_PREFIX of the workers).",
)
def stats(db: Path, as_json: bool, redis_url: str | None, redis_prefix: str) -> None:
    """The archive at a glance: counts, sites, a bar chart of articles per day, outcomes,
    last runs, recent errors, and with --redis the shared queue of the workers.

    Example: newsarchive stats --db archive.db --redis redis://127.0.0.1:6379/0
    """
    from newsarchive.serve.charts import fill_days, text_bars
    from newsarchive.store.archive import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive.for_reading(db) as archive:
        view = archive.read.overview()
        per_day = fill_days(archive.read.articles_per_day(days=STATS_DAYS), days=STATS_DAYS)
    if as_json:
        click.echo(json.dumps(_stats_json(db, view, per_day), ensure_ascii=False, indent=2))
        return
    counts = view["counts"]
    click.echo(f"{db.resolve()}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo("articles per site (last day):")
    for site, n, last in view["sites"]:
        click.echo(f"  {site:40} {n:8}  {last or ''}")
    click.echo(f"articles per day (Rome, the {STATS_DAYS} days up to the latest):")
    for line in text_bars(per_day):
        click.echo("  " + line)
    click.echo("pages by outcome: " + ", ".join(f"{o} {n}" for o, n in view["outcomes"]))
    click.echo("last runs:")
    for run_id, started, finished, status, command in view["runs"]:
        click.echo(
            f"  #{run_id} {started} -> {finished or '(running or killed)'} {status}  {command}"
        )
    if view["errors"]:
        click.echo("recent problems:")
        for url, code, outcome, error in view["errors"]:
            click.echo(f"  {code} {outcome}: {url} {error or ''}")
    if view["empty_sources"]:
        click.echo("sources that listed no articles (they listed some before):")
        for run_id, url in view["empty_sources"]:
            click.echo(f"  run #{run_id}: {url}")
    click.echo(f"queued in the frontier: {view['frontier']}")
    if view["stuck"]:
        click.echo("queued URLs that could not be fetched (newsarchive frontier --clear):")
        for url, attempts, error in view["stuck"]:
            click.echo(f"  {url}  attempts {attempts}: {error}")
    if redis_url:
        _with_redis(redis_url, {})
        from newsarchive.distributed.connection import client
        from newsarchive.distributed.frontier import queue_status

        shared = queue_status(client(redis_url), redis_prefix)
        click.echo(
            f"shared queue {redis_prefix}: queued {shared['queued']}, leased {shared['leased']},"
            f" done {shared['done']}, given up {shared['failed']};"
            f" workers holding leases: {len(shared['workers'])}"
        )
        for job, n in shared["jobs"].items():
            click.echo(
                f"  job {job}: queued {n['queued']}, leased {n['leased']}, done {n['done']},"
                f" given up {n['failed']}"
            )
        for host, n in list(shared["hosts"].items())[:20]:
            click.echo(
                f"  {host:40} queued {n['queued']:7}  leased {n['leased']:4}  done {n['done']:8}"
                f"  given up {n['failed']}"
            )


@cli.command(context_settings=CONTEXT_SETTINGS)
@READ_DB_OPTION
@click.option(
    "--site",
    metavar="HOST",
    help="Only URLs of this host, www. or not, on any port (HOST:PORT for one port).",
)
@click.option("--all", "everything", is_flag=True, help="Every queued URL, not only failed ones.")
@click.option("--clear", is_flag=True, help="Remove the listed URLs from the queue.")
def frontier(db: Path, site: str | None, everything: bool, clear: bool) -> None:
    """List the queued URLs whose fetch failed, and why (DNS, refused, timeout, TLS, HTTP);
    --clear removes them, so that no later run tries them again.

    Example: newsarchive frontier --db archive.db --site example.it --clear
    """
    from newsarchive.store.archive import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive(db) if clear else Archive.for_reading(db) as archive:
        entries = archive.frontier.entries(site=site, failed_only=not everything)
        for e in entries:
            why = f": {e['last_error']}" if e["last_error"] else ""
            click.echo(f"{e['url']}  attempts {e['attempts']}{why}")
        if clear:
            removed = archive.frontier.clear([e["url"] for e in entries])
            click.echo(f"cleared {removed} queued URL(s)", err=True)
        elif not entries:
            click.echo("nothing queued" if everything else "no failed URLs queued", err=True)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@DB_OPTION
def merge(shards: tuple[Path, ...], db: Path) -> None:
    """Merge the shard archives of several workers (--redis) into one archive.

    Raw pages are unioned (a fetch found in two shards is kept once), crawl runs keep
    their shard of origin, articles show their newest fetch in any shard and versions are
    put in fetch order. Safe while a shard is still being written (each shard is read as
    one consistent snapshot); merging again adds only what is new.

    Example: newsarchive merge /srv/news/shard-*.db --db /srv/news/archive.db
    """
    from newsarchive.store.archive import StorageError
    from newsarchive.store.merge import merge_shards

    try:
        summaries = merge_shards(db, list(shards))
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
    for s in summaries:
        click.echo(
            f"{s.shard}: {s.pages_added} page(s) added, {s.pages_known} already merged, "
            f"{s.crawls} run(s), {s.articles_updated} article(s) updated, "
            f"{s.versions_rebuilt} version list(s) rebuilt"
        )


# --- compact (issue 17) -------------------------------------------------------------------


@cli.command(context_settings=CONTEXT_SETTINGS)
@DB_OPTION
@click.option(
    "--batch-size",
    default=50,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Bodies recompressed per transaction.",
)
@click.option("--vacuum", is_flag=True, help="Then give the freed space back to the disk.")
@click.option("--silent", is_flag=True, help="No progress line.")
def compact(db: Path, batch_size: int, vacuum: bool, silent: bool) -> None:
    """Recompress stored bodies with zstd and per-site dictionaries (old zlib bodies too).

    Each new body is decompressed and checked against the stored sha256 before it replaces
    the old one, a batch at a time: an interrupted compaction loses nothing, run it again to
    go on. The freed space is reused by later crawls; --vacuum shrinks the file now (it needs
    as much free disk as the archive and no crawl running).

    Example: newsarchive compact --db archive.db --vacuum
    """
    from newsarchive.store.archive import Archive
    from newsarchive.store.compact import compact as run_compact

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    _sound_archive(db, refusal="nothing was compacted")

    def progress(done: int, total: int) -> None:
        if not silent:
            click.echo(f"compact: {done}/{total} bodies", err=True)

    with Archive(db) as archive:
        summary = run_compact(archive, batch=batch_size, progress=progress)
        if vacuum:
            archive.db.execute("VACUUM")
    saved = summary.bytes_before - summary.bytes_after
    click.echo(
        f"compacted {db}: {summary.recompressed} bodies recompressed ({saved:,} bytes fewer),"
        f" {summary.kept} kept as they were, {summary.dictionaries} new site dictionaries"
    )


cli.add_command(import_warc)
