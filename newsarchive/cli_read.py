"""The reading commands: `history`, `show`, `search`, `export` and `stats` (thin, over
Archive.read and Archive.search)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from newsarchive.cli_options import CONTEXT_SETTINGS, READ_DB_OPTION, check_day, with_redis
from newsarchive.cli_warc import WARC_EXPORT_OPTIONS, export_warc_command

# articles columns holding JSON arrays: real arrays in JSON lines, JSON text in CSV
JSON_ARRAY_FIELDS = ("authors", "categories", "tags")
# days of the per-day bar chart of `stats`
STATS_DAYS = 30


def _json_arrays(row: dict[str, Any]) -> dict[str, Any]:
    """An articles row with its JSON-array columns decoded (for JSON lines output)."""
    return {
        k: json.loads(v) if k in JSON_ARRAY_FIELDS and isinstance(v, str) else v
        for k, v in row.items()
    }


@click.command(context_settings=CONTEXT_SETTINGS)
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


@click.command(context_settings=CONTEXT_SETTINGS)
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


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("query")
@READ_DB_OPTION
@click.option("--site", metavar="HOST", help="Only articles of this site.")
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    help="Published on or after this day (Rome).",
    callback=check_day,
)
@click.option(
    "--until",
    metavar="YYYY-MM-DD",
    help="Published on or before this day (Rome).",
    callback=check_day,
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


@click.command(context_settings=CONTEXT_SETTINGS)
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
    callback=check_day,
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


@click.command(context_settings=CONTEXT_SETTINGS)
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
        with_redis(redis_url, {})
        from newsarchive.distributed.connection import client
        from newsarchive.distributed.status import queue_status

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
