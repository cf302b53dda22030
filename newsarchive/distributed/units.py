"""Work units shared through Redis: N processes split `import-warc` (one WARC file per unit)
or `reextract` (one page-id range per unit).

A unit set lives under ``P:q:<kind>:<name>`` (P is NEWSARCHIVE_REDIS_PREFIX) with the very
layout and Lua scripts of the shared frontier (frontier.py, lua.py): the first worker queues
every unit at once (SEED: the set is seeded only once, so workers that start together queue
nothing twice); each worker leases one unit, does it, acknowledges it once its --db has
committed it, and takes the next. A background thread extends the lease of the unit in hand
(a long WARC file stays with its live worker); the lease of a killed worker expires and the
next lease of any worker returns the unit to the queue. A worker leaves once no unit is
queued or leased; while other workers hold leases it waits (their units may come back).

``newsarchive stats --redis`` lists a unit set as one more job. A finished set is not done
again under its name: another ``--redis-job NAME`` starts a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from newsarchive.distributed.connection import (
    DEFAULT_RETRY_SECONDS,
    Heartbeat,
    LeaseHolder,
    client,
    retrying,
)
from newsarchive.distributed.frontier import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    queue_key,
    worker_name,
)
from newsarchive.distributed.lua import POP, SEED

if TYPE_CHECKING:
    from newsarchive.store.archive import Archive

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
RANGE_SIZE = 1000  # page ids per reextract unit
NAME_HASH = 12


def job_name(kind: str, parts: Iterable[str]) -> str:
    """The default name of a unit set: its kind and a hash of what defines it (the WARC
    source list; the archive and the page selection of a reextract)."""
    digest = hashlib.sha1("\n".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"{kind}-{digest[:NAME_HASH]}"


class LeasedSet(LeaseHolder):
    """A set of work units in Redis, each leased by one worker at a time."""

    def __init__(
        self,
        server: Any,
        key: str,
        *,
        label: str,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("the lease must last more than 0 seconds")
        self.server = server
        self.key = key
        self.label = label
        self.lease_ms = int(lease_seconds * 1000)
        self.max_attempts = max_attempts
        self.run = retrying(retry_seconds)
        self.worker = worker_name()
        self.reclaimed = 0
        self.given_up = 0
        self._seed = server.register_script(SEED)
        self.hold_leases(server, key)
        self._pop = server.register_script(POP)

    def seed(self, units: list[str]) -> int:
        """Queue every unit unless the set was seeded before: how many were queued (-1: the
        set existed already, nothing queued)."""
        return int(self.run(lambda: self._seed(keys=[self.key], args=[self.label, *units])))

    def lease(self) -> tuple[str, str] | None:
        """Lease the next queued unit, (lease id, unit), after returning expired leases to
        the queue; None when nothing is queued."""
        result = self.run(
            lambda: self._pop(keys=[self.key], args=[self.lease_ms, self.worker, self.max_attempts])
        )
        self.reclaimed += int(result[0])
        self.given_up += int(result[1])
        if int(result[0]):
            logger.warning("%d expired unit lease(s) returned to %s", result[0], self.key)
        if int(result[1]):
            logger.error("%d unit(s) of %s given up after repeated expiries", result[1], self.key)
        if len(result) < 4:
            return None
        lease = result[2].decode() if isinstance(result[2], bytes) else str(result[2])
        unit = result[3].decode() if isinstance(result[3], bytes) else str(result[3])
        self.hold(lease)
        return lease, unit

    def pending(self) -> int:
        """Units queued or leased by any worker: the work is over when this is 0."""

        def count() -> int:
            pipe = self.server.pipeline(transaction=False)
            pipe.zcard(f"{self.key}:queue")
            pipe.zcard(f"{self.key}:leased")
            return int(sum(pipe.execute()))

        return int(self.run(count))

    def done(self) -> int:
        """Units acknowledged so far, by all workers."""
        return int(self.run(lambda: self.server.get(f"{self.key}:done")) or 0)

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Extend the held leases every third of a lease while the block runs."""
        beat = Heartbeat(self.extend, self.lease_ms / 1000 / 3, "newsarchive-unit-leases")
        try:
            yield
        finally:
            beat.stop()

    def units(self, poll: Callable[[], None] | None = None) -> Iterator[str]:
        """Lease units one at a time; each is acknowledged when the caller asks for the next
        (it has committed the one it had). Ends when nothing is queued or leased anywhere;
        a stop before that (error, interrupt, close) hands the unit in hand back."""
        wait = poll or (lambda: time.sleep(POLL_SECONDS))
        with self.heartbeat():
            try:
                while True:
                    got = self.lease()
                    if got is None:
                        if self.pending() == 0:
                            return
                        wait()  # others hold leases: their units come back if they die
                        continue
                    lease, unit = got
                    yield unit
                    if self.ack(lease) == 2:
                        logger.warning("unit %s had expired before its ack (done here)", unit)
            finally:
                try:
                    released = self.release()
                except Exception as exc:  # noqa: BLE001 - they come back when their leases expire
                    logger.warning("cannot hand back units (they return after the lease): %s", exc)
                    released = 0
                if released:
                    logger.info("%d unfinished unit(s) handed back to %s", released, self.key)


def open_set(
    url: str,
    prefix: str,
    kind: str,
    name: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> LeasedSet:
    """The unit set `name` of this kind ("warc", "reextract") under the Redis prefix."""
    return LeasedSet(
        client(url),
        queue_key(prefix, f"{kind}:{name}"),
        label=kind,
        lease_seconds=lease_seconds,
    )


def warc_units(leased: LeasedSet, sources: list[str]) -> Iterator[str]:
    """The WARC sources this worker imports: one file per unit, each acknowledged once the
    next is asked for (import_warcs asks after the file's import log says finished)."""
    seeded = leased.seed(sources)
    if seeded >= 0:
        logger.info("%s: %d WARC source(s) queued", leased.key, seeded)
    yield from leased.units()


def page_ranges(page_ids: Iterable[int], size: int = RANGE_SIZE) -> list[tuple[int, int]]:
    """The id ranges [lo, hi] of `size` ids holding at least one of page_ids, in id order."""
    starts = sorted({(i - 1) // size for i in page_ids})
    return [(s * size + 1, (s + 1) * size) for s in starts]


def reextract_units(
    leased: LeasedSet, size: int = RANGE_SIZE
) -> Callable[[Archive, list[int]], Iterator[list[int]]]:
    """For reextract(units=...): the selected pages, one leased range of ids at a time, in
    the order given (fetch order); each range acknowledged when the next is asked for (its
    batches are committed). A page goes with the first page of its final URL, so that the
    fetches of one article are re-extracted by one worker, in fetch order."""

    def split(archive: Archive, page_ids: list[int]) -> Iterator[list[int]]:
        from newsarchive.store.units import url_groups

        groups = url_groups(archive, page_ids)
        seeded = leased.seed([json.dumps(r) for r in page_ranges(groups.values(), size)])
        if seeded >= 0:
            logger.info("%s: %d page-id range(s) queued", leased.key, seeded)
        by_range: dict[int, list[int]] = {}
        for page in page_ids:
            by_range.setdefault((groups[page] - 1) // size, []).append(page)
        for unit in leased.units():
            lo, _ = json.loads(unit)
            yield by_range.get((lo - 1) // size, [])

    return split
