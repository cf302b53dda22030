"""The keeping commands: `serve` (Datasette), `snapshot`, `frontier`, `merge` and `compact`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from newsarchive.cli_options import CONTEXT_SETTINGS, DB_OPTION, READ_DB_OPTION, sound_archive


def _is_loopback(host: str) -> bool:
    """True when host names this machine only (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command(context_settings=CONTEXT_SETTINGS)
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
    sound_archive(db, refusal="not served")
    for shard in shards:
        if not shard.exists():
            raise click.ClickException(f"no archive at {shard}")
        sound_archive(shard, refusal="not served")
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


@click.command(context_settings=CONTEXT_SETTINGS)
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


@click.command(context_settings=CONTEXT_SETTINGS)
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


@click.command(context_settings=CONTEXT_SETTINGS)
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


@click.command(context_settings=CONTEXT_SETTINGS)
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
    sound_archive(db, refusal="nothing was compacted")

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
