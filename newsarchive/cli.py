"""The newsarchive command line: thin click commands over the library."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from newsarchive import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
DB_OPTION = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    default="archive.db",
    show_default=True,
    envvar="NEWSARCHIVE_DB",
    help="SQLite archive file (created when missing).",
)


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


def _aware(value: str | None, name: str) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint=name) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-s")
        result[key.strip()] = value
    return result


@click.group(context_settings=CONTEXT_SETTINGS)
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
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's own log lines too.")
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
    from newsarchive.crawl import run_crawl, summary
    from newsarchive.urls import canonicalize_url

    if not (urls or feeds or sitemaps or listings):
        raise click.UsageError("give article URLs, or --feed, --sitemap or --listing")
    for url in (*urls, *feeds, *sitemaps, *listings):
        if canonicalize_url(url) is None:
            raise click.BadParameter(f"not an http(s) URL: {url!r}", param_hint="URLS")
    if related_selector:
        import lxml.html

        from newsarchive.links import find_related_blocks

        try:
            find_related_blocks(lxml.html.fromstring("<p></p>"), selector=related_selector)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--related-selector") from exc
    from newsarchive.store import Archive, StorageError

    try:
        Archive(db).close()
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
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
@click.option("--tz", default="Europe/Rome", show_default=True, help="Publisher time zone.")
def extract(
    file: Path, url: str, fetched_at: str | None, related_selector: str | None, tz: str
) -> None:
    """Print as JSON what a crawl would store for a saved page.

    Example: newsarchive extract saved.html --url https://www.example.it/a.html
    """
    from newsarchive.extraction import extract_article
    from newsarchive.outcomes import NOT_HTML

    body = file.read_bytes()
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
    "--reference", metavar="ISO", help="Reference time for relative dates (default: now)."
)
@click.option(
    "--tz", default="Europe/Rome", show_default=True, help="Zone of dates shown without offset."
)
def parse_date(texts: tuple[str, ...], reference: str | None, tz: str) -> None:
    """Normalize Italian date strings to ISO 8601, one line per input.

    An empty line means "not a date". With no TEXT, reads one string per line from stdin.

    Example: newsarchive parse-date "Pubblicato il 17/11/2024 alle 11:49" "ieri alle 18:30"
    """
    from newsarchive.dates import normalize_date

    ref = _aware(reference, "--reference")
    lines = texts or tuple(line.rstrip("\n") for line in sys.stdin)
    for text in lines:
        parsed = normalize_date(text, reference=ref, tz=tz)
        click.echo(parsed.isoformat() if parsed else "")


def main() -> None:
    """Entry point for `python -m newsarchive`."""
    cli()


@cli.command(context_settings=CONTEXT_SETTINGS)
@DB_OPTION
@click.option("--site", metavar="HOST", help="Only pages of this host.")
@click.option("--since", metavar="ISO", help="Only pages fetched at or after this time.")
@click.option("--url", metavar="URL", help="Only the pages of this article URL.")
@click.option("--jobs", type=click.IntRange(1), help="Worker processes (default: one per core).")
@click.option("--related-selector", metavar="CSS", help="CSS selector of the related block.")
@click.option("--dry-run", is_flag=True, help="Report what would change, write nothing.")
@click.option("--silent", is_flag=True, help="No progress bar.")
def reextract(
    db: Path,
    site: str | None,
    since: str | None,
    url: str | None,
    jobs: int | None,
    related_selector: str | None,
    dry_run: bool,
    silent: bool,
) -> None:
    """Re-run extraction over the stored raw pages, without fetching anything.

    Rebuilds articles, links, date evidence and versions; raw pages are never modified.
    Running it twice with the same code changes nothing the second time.

    Example: newsarchive reextract --db archive.db --site example.it --dry-run
    """
    from newsarchive.reextract import reextract as run
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
    )
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
    if summary.interrupted:
        click.echo("interrupted: run it again to finish", err=True)
        sys.exit(130)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("url")
@DB_OPTION
def history(url: str, db: Path) -> None:
    """Show the versions of an archived article, what changed and a diff of the text.

    Example: newsarchive history https://www.example.it/esteri/2024/11/21/articolo.html
    """
    import difflib

    from newsarchive.store import Archive
    from newsarchive.urls import canonicalize_url

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive(db) as archive:
        versions = archive.versions(canonicalize_url(url) or url)
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
            diff = difflib.unified_diff(
                str(previous["text"] or "").splitlines(),
                str(v["text"] or "").splitlines(),
                fromfile=f"version {previous['version']}",
                tofile=f"version {v['version']}",
                lineterm="",
            )
            for line in diff:
                click.echo("  " + line)
        previous = v


@cli.command(context_settings=CONTEXT_SETTINGS)
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--metadata-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the generated Datasette metadata to this file.",
)
@click.option(
    "--shard",
    "shards",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also serve this worker's shard (--redis), as its own database (repeatable).",
)
def serve(
    db: Path, host: str, port: int, metadata_out: Path | None, shards: tuple[Path, ...]
) -> None:
    """Browse and search the archive in Datasette (read-only).

    Opens on 127.0.0.1 unless told otherwise. Raw page bodies are not served: browse
    pages through the pages_list view. With --shard, workers' shards are served beside it
    (each a database of its own; `newsarchive merge` makes them one).

    Example: newsarchive serve --db archive.db --port 8001
    """
    import os
    import tempfile

    from newsarchive.datasette_metadata import build_metadata
    from newsarchive.store import Archive

    for file in (db, *shards):
        if not file.exists():
            raise click.ClickException(f"no archive at {file}")
        Archive(file).close()  # apply pending migrations (views) before serving read-only
    described = build_metadata(db.stem)
    for shard in shards:
        described["databases"].update(build_metadata(shard.stem)["databases"])
    metadata = json.dumps(described, indent=2)
    if metadata_out:
        metadata_out.write_text(metadata)
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
    ]
    click.echo(f"serving {db} at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    os.execv(sys.executable, args)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("query")
@DB_OPTION
@click.option("--site", metavar="HOST", help="Only articles of this site.")
@click.option("--since", metavar="YYYY-MM-DD", help="Published on or after this day (Rome).")
@click.option("--until", metavar="YYYY-MM-DD", help="Published on or before this day (Rome).")
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
    """Full-text search of the articles; accents optional ("citta" finds "città").

    Example: newsarchive search "città accoglienza" --since 2024-11-01
    """
    from newsarchive.store import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive(db) as archive:
        hits = archive.search(query, site=site, since=since, until=until, limit=limit)
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
@DB_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--since", metavar="YYYY-MM-DD", help="Published on or after this day (Rome).")
@click.option("--site", metavar="HOST", help="Only articles of this site.")
@click.option("--fields", metavar="A,B,...", help="Columns to export (default: all but page_id).")
def export(db: Path, fmt: str, since: str | None, site: str | None, fields: str | None) -> None:
    """Write articles to stdout as JSON lines or CSV, streaming (constant memory).

    Example: newsarchive export --format csv --fields url,title,date_published > articles.csv
    """
    import csv

    from newsarchive.store import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    chosen = [f.strip() for f in fields.split(",")] if fields else None
    with Archive(db) as archive:
        try:
            rows = archive.iter_articles(fields=chosen, site=site, since=since)
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
            out.write(json.dumps(first, ensure_ascii=False) + "\n")
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


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
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's own log lines too.")
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
    from newsarchive.crawl import run_jobs, summary
    from newsarchive.jobs import JobsError, load_jobs

    try:
        file_db, sources = load_jobs(jobs_file)
    except JobsError as exc:
        raise click.ClickException(str(exc)) from exc
    path = db or Path(file_db or "archive.db")
    from newsarchive.store import Archive, StorageError

    try:
        Archive(path).close()
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
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


@cli.command(context_settings=CONTEXT_SETTINGS)
@DB_OPTION
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
def stats(db: Path, redis_url: str | None, redis_prefix: str) -> None:
    """The archive at a glance: counts, sites, days, outcomes, last runs, recent errors,
    and with --redis the shared queue of the workers.

    Example: newsarchive stats --db archive.db --redis redis://127.0.0.1:6379/0
    """
    from newsarchive.store import Archive

    if not db.exists():
        raise click.ClickException(f"no archive at {db}")
    with Archive(db) as archive:
        view = archive.overview()
    counts = view["counts"]
    click.echo(f"{db.resolve()}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo("articles per site (last day):")
    for site, n, last in view["sites"]:
        click.echo(f"  {site:40} {n:8}  {last or ''}")
    click.echo("articles per day:")
    for day, n in view["days"]:
        click.echo(f"  {day}  {n}")
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
    click.echo(f"queued in the frontier: {view['frontier']}")
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
    from newsarchive.store import StorageError
    from newsarchive.store_merge import merge_shards

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
