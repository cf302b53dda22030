"""The --redis options of `import-warc` and `reextract`: work units shared by N processes
(thin, over newsarchive.distributed.units)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from newsarchive.distributed.units import LeasedSet

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2
DEFAULT_LEASE_SECONDS = 60.0


def db_option(help_text: str) -> Callable[[F], F]:
    """The --db option every command shares (file, default, NEWSARCHIVE_DB), with its help."""
    from pathlib import Path

    from newsarchive.defaults import DEFAULT_DB

    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_DB,
        show_default=True,
        envvar="NEWSARCHIVE_DB",
        help=help_text,
    )


def UNIT_OPTIONS(func: F) -> F:  # noqa: N802 - used as a decorator constant
    """--redis, --redis-job and --redis-lease."""
    options = [
        click.option(
            "--redis",
            "redis_url",
            metavar="URL",
            envvar="NEWSARCHIVE_REDIS_URL",
            help="Share the work with other processes through this Redis "
            "(redis://[:password@]host:6379/0; keys under NEWSARCHIVE_REDIS_PREFIX): each "
            "leases one unit at a time.",
        ),
        click.option(
            "--redis-job",
            metavar="NAME",
            help="Name of the shared work (default: derived from what is done); a finished "
            "job is not done again under its name.",
        ),
        click.option(
            "--redis-lease",
            type=click.FloatRange(min=1.0),
            default=DEFAULT_LEASE_SECONDS,
            show_default=True,
            metavar="SECONDS",
            help="A unit whose worker stops answering for this long goes to another one.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def open_units(url: str, kind: str, name: str, lease_seconds: float) -> LeasedSet:
    """The shared unit set, once Redis answers (else one line on stderr and exit 2)."""
    from newsarchive import settings
    from newsarchive.distributed.connection import RedisUnavailable, check
    from newsarchive.distributed.units import open_set

    try:
        check(url)
    except RedisUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    leased = open_set(
        url, settings.NEWSARCHIVE_REDIS_PREFIX, kind, name, lease_seconds=lease_seconds
    )
    click.echo(f"shared job {leased.key}, worker {leased.worker}", err=True)
    return leased


def units_note(leased: LeasedSet | None, *, idle: bool, unit: str) -> None:
    """On stderr: a worker that found nothing left to do, units given up."""
    if leased is None:
        return
    if idle:
        click.echo(
            f"nothing left to do in {leased.key}: every {unit} was taken by a worker"
            " (another --redis-job NAME does the work again)",
            err=True,
        )
    if leased.given_up:
        click.echo(
            f"warning: {leased.given_up} {unit}(s) of {leased.key} given up after"
            f" {leased.max_attempts} expired leases (see stats --redis)",
            err=True,
        )
