"""What the CLI's commands share: context settings, the --db and --redis options, and the
checks of option values (times, days, time zones, -s settings, a sound archive)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import click

from newsarchive.cli_units import F, db_option

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
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


VERBOSE_OPTION = click.option(
    "-v", "--verbose", is_flag=True, help="Also show INFO log lines (Scrapy's start-up, stats)."
)


def settings_option(help: str) -> Callable[[F], F]:
    """The -s/--set NAME=VALUE option (repeatable) of the commands that run Scrapy."""
    return click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help=help)


def with_redis(redis_url: str | None, overrides: dict[str, str]) -> dict[str, str]:
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


def aware(value: str | None, name: str, zone: str | None = None) -> datetime:
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


def parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
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
    from newsarchive import settings as project

    if hasattr(project, key):
        default = getattr(project, key)
    else:
        from scrapy.settings import default_settings  # imports Scrapy: only when needed

        default = getattr(default_settings, key, None)
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


def check_day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--since/--until of search and export: a day, YYYY-MM-DD."""
    from datetime import date

    if value is not None:
        try:
            date.fromisoformat(value[:10])
        except ValueError as exc:
            raise click.BadParameter(f"not a day (YYYY-MM-DD): {value!r}") from exc
    return value


def sound_archive(db: Path, *, refusal: str) -> None:
    """Refuse (one line, exit 1) an archive SQLite finds damaged, before anything writes to
    it; then open it normally (creating it, or applying pending migrations)."""
    from newsarchive.store.archive import Archive, NotAnArchiveError

    if db.exists() and db.stat().st_size > 0:
        try:
            with Archive(db, readonly=True) as archive:
                damage = archive.damage()
        except NotAnArchiveError:
            # no schema yet (another process is creating the archive this very moment, or an
            # empty SQLite file) or another application's file: the writable open below
            # creates the first and refuses the second, with the same one-line message
            damage = None
        if damage == "file is not a database":
            raise click.ClickException(f"{db} is not an SQLite archive: {refusal}")
        if damage:
            raise click.ClickException(
                f"archive {db} is damaged ({damage}): {refusal}; "
                f"recover a copy with: sqlite3 {db} .recover | sqlite3 recovered.db"
            )
    Archive(db).close()


def check_tz(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--tz must name an IANA time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            f"unknown time zone {value!r} (an IANA name, e.g. Europe/Rome)"
        ) from exc
    return value
