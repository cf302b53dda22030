"""The crawl commands: `crawl` and `run` (thin, over newsarchive.crawl.runner)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsarchive.cli_options import (
    CONTEXT_SETTINGS,
    DB_OPTION,
    REDIS_OPTION,
    VERBOSE_OPTION,
    parse_settings,
    settings_option,
    sound_archive,
    with_redis,
)
from newsarchive.defaults import DEFAULT_DB


@click.command(context_settings=CONTEXT_SETTINGS)
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
@settings_option("Set a Scrapy or NEWSARCHIVE_* setting for this run, e.g. -s DOWNLOAD_DELAY=2.")
@click.option(
    "--recheck",
    is_flag=True,
    help="Fetch the given URLs again even if archived; a changed article gets a new version.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress line, no summary; warnings only (for cron)."
)
@VERBOSE_OPTION
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
    from newsarchive.crawl import forks

    overrides = parse_settings(settings)
    forks.start_server(overrides)  # it imports the extraction stack while this process goes on
    from newsarchive.crawl.runner import prestart_workers, run_crawl, summary
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
    overrides = with_redis(redis_url, overrides)
    prestart_workers(overrides)
    sound_archive(db, refusal="nothing was crawled nor written")
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


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("jobs_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSARCHIVE_DB",
    help="SQLite archive (default: the jobs file's `db`, else archive.db).",
)
@settings_option("Set a Scrapy or NEWSARCHIVE_* setting for this run.")
@click.option("-q", "--quiet", is_flag=True, help="No summary; warnings only (for cron).")
@VERBOSE_OPTION
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
    from newsarchive.crawl import forks

    overrides = parse_settings(settings)
    forks.start_server(overrides)  # it imports the extraction stack while this process goes on
    from newsarchive.crawl.jobs import JobsError, load_jobs
    from newsarchive.crawl.runner import prestart_workers, run_jobs, summary

    try:
        file_db, sources = load_jobs(jobs_file)
    except JobsError as exc:
        raise click.ClickException(str(exc)) from exc
    path = db or Path(file_db or DEFAULT_DB)
    overrides = with_redis(redis_url, overrides)
    prestart_workers(overrides)
    sound_archive(path, refusal="nothing was crawled nor written")
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
