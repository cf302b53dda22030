"""The Redis client of a worker: start-up check, masked URLs in messages, bounded retries.

A connection lost during a crawl makes the worker wait and retry (tenacity, exponential
back-off, at most NEWSARCHIVE_REDIS_RETRY_SECONDS in all); requests are never dropped on the
way: what was leased stays leased and comes back to the queue if the worker gives up.

Leases (popped requests, host slots, work units) are renewed by a Heartbeat, a thread of its
own: a timer of Twisted's reactor fires only once the reactor is free, and a long extraction,
a GC pause or a starved CPU can hold it past a deadline; a live worker's lease would then
expire with its request still out (another worker takes the host's slot: more requests at
once than the limit; or the request: fetched twice). A killed worker's thread dies with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 120.0
CONNECT_TIMEOUT_S = 5.0
SOCKET_TIMEOUT_S = 30.0
MIN_REDIS_VERSION = (5, 0)
HEARTBEAT_STOP_WAIT_S = 1.0

T = TypeVar("T")


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached (or refuses the credentials) at the given URL."""


def masked(url: str) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def client(url: str) -> Any:
    """A redis-py client for url (redis://[user:password@]host:port/db, rediss://, unix://)."""
    import redis

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )


def check(url: str) -> None:
    """Raise RedisUnavailable with a one-line reason unless url answers PING (version >= 5.0)."""
    import redis

    try:
        server = client(url)
        server.ping()
        version = str(server.info("server").get("redis_version", "0"))
    except ValueError as exc:  # a malformed URL
        raise RedisUnavailable(f"not a Redis URL: {masked(url)} ({exc})") from exc
    except redis.AuthenticationError as exc:
        raise RedisUnavailable(f"Redis at {masked(url)} refused the credentials: {exc}") from exc
    except redis.RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {masked(url)}: {exc}") from exc
    numbers = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if numbers < MIN_REDIS_VERSION:
        raise RedisUnavailable(f"Redis at {masked(url)} is {version}; 5.0 or later is needed")


class _Outage:
    """Whether a call of this process has given up on Redis: the next calls then try once,
    without waiting, until one succeeds (a worker stopping must not wait again per call)."""

    given_up = False


class Runner(Protocol):
    """What retrying() returns: run a Redis call, retrying lost connections."""

    def __call__(self, call: Callable[[], T]) -> T: ...


def retrying(seconds: float) -> Runner:
    """Run a Redis call, retrying lost connections with back-off for at most `seconds`."""
    import redis

    lost = (redis.ConnectionError, redis.TimeoutError)

    def run(call: Callable[[], T]) -> T:
        if _Outage.given_up:
            result = call()
            _Outage.given_up = False
            return result
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(lost),
                stop=stop_after_delay(seconds),
                wait=wait_exponential(multiplier=0.2, max=10),
                before_sleep=before_sleep_log(logger, logging.WARNING),
                reraise=True,
            ):
                with attempt:
                    return call()
        except lost:
            _Outage.given_up = True
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    return run


class Heartbeat:
    """Call `beat` every `every` seconds on a daemon thread, whatever the reactor is doing,
    until stopped; a failed beat is logged and tried again at the next one."""

    def __init__(self, beat: Callable[[], object], every: float, name: str) -> None:
        self.beat = beat
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 - the next beat tries again
                logger.warning("%s: cannot renew leases in Redis: %s", self._thread.name, exc)

    def stop(self) -> None:
        """Stop beating; wait a moment for a beat in progress (a late one is harmless: it
        extends only what is still leased)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=HEARTBEAT_STOP_WAIT_S)


class LeaseHolder:
    """The leases one worker holds under one Redis key (its pop script took them): each
    acknowledged when done, all extended from the Heartbeat's thread, handed back on close.
    Shared by the request queue (frontier.LeasedQueue) and the work units (units.LeasedSet)."""

    lease_key: str
    lease_ms: int
    run: Runner

    def hold_leases(self, server: Any, key: str) -> None:
        """Set up under key (call from __init__, after lease_ms and run)."""
        from newsarchive.distributed.lua import ACK, EXTEND, RELEASE

        self.lease_key = key
        self.held: set[str] = set()
        self._lock = threading.Lock()  # held is extended from the Heartbeat's thread
        self._ack = server.register_script(ACK)
        self._release = server.register_script(RELEASE)
        self._extend = server.register_script(EXTEND)

    def hold(self, lease: str) -> None:
        """A lease this worker's pop took."""
        with self._lock:
            self.held.add(lease)

    def ack(self, lease: str) -> int:
        """The work of this lease is done (committed, or given up for good): 1, 2 when the
        lease had expired meanwhile."""
        with self._lock:
            self.held.discard(lease)
        return int(self.run(lambda: self._ack(keys=[self.lease_key], args=[lease])))

    def extend(self) -> None:
        """Push back the deadline of every lease this worker holds."""
        with self._lock:
            held = sorted(self.held)
        if held:
            self.run(lambda: self._extend(keys=[self.lease_key], args=[self.lease_ms, *held]))

    def release(self) -> int:
        """Hand back every lease this worker holds (stopping before it could finish them)."""
        with self._lock:
            held = sorted(self.held)
            self.held.clear()
        if not held:
            return 0
        return int(self.run(lambda: self._release(keys=[self.lease_key], args=held)))
