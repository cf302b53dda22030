"""Extraction in worker processes: off the reactor thread, on every core, with hard limits.

A page that takes longer than the timeout, exhausts the memory limit or kills its worker
becomes ``extraction_failed`` with the reason; the pool replaces the worker and goes on.
Pages larger than the size cap are not extracted at all (``too_large``); their raw bytes are
stored all the same.

Workers fork from multiprocessing's fork server, which imports the extraction stack
(trafilatura, lxml, dateparser...) once, before the first worker: a worker then starts in
milliseconds instead of importing it again (a spawned worker did, each one, and each
replacement after a timeout). Where there is no fork server, workers are spawned. `prestart`
lets the crawl start them while Scrapy itself is being imported and set up, and the
pipeline's pool adopts them.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import fcntl
import logging
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pebble import ProcessExpired, ProcessPool
from pebble.common.types import CONSTS as PEBBLE_CONSTS

from newsarchive.crawl import forks
from newsarchive.extract.outcomes import EXTRACTION_FAILED, TOO_LARGE

if TYPE_CHECKING:
    from newsarchive.extract.article import Extraction
    from newsarchive.store.bodies import Codec, Packed

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_HTML_BYTES = 5 * 1024 * 1024
DEFAULT_MEMORY_MB = 1024
# Replace each worker after this many pages, so that slow leaks cannot accumulate.
MAX_TASKS_PER_WORKER = 2000
# prctl(2) option: the signal a process gets when the thread that created it ends (Linux).
PR_SET_PDEATHSIG = 1
# Where no parent-death signal exists, how often a worker checks that its parent lives.
PARENT_POLL_SECONDS = 1.0
# Capacity asked for the pool's two pipes (Linux; unprivileged maximum by default): with the
# default 64 KiB, one 60 KB page fills the task pipe, and a worker that finishes waits for the
# pool's feeder thread, which needs the GIL of a busy main process, to send it the next one.
PIPE_BYTES = 1024 * 1024

Result = tuple["Extraction | None", str, "str | None"]
# submit_packed: the result, and the body compressed in the worker (None: not compressed)
PackedResult = tuple[Result, "Packed | None"]


# How often pebble's threads look at the pool's state (its default: 0.1 s). Stopping the pool
# waits for that look: the end of every crawl waited up to 0.1 s (0.05 s on average) for it,
# while the look itself costs some microseconds.
PEBBLE_CONSTS.sleep_unit = 0.02

# Pools started ahead of need by prestart(), by (workers, memory_mb), until a pool adopts one
# (each a future: it starts in a thread).
_PRESTARTED: dict[tuple[int, int], Future[ProcessPool]] = {}


def _extract(body: bytes, **kwargs: Any) -> Result:
    """extract_page, imported where it runs: in the workers, not in the crawler process."""
    from newsarchive.extract.article import extract_page

    return extract_page(body, **kwargs)


def _extract_packed(body: bytes, codec: Codec, **kwargs: Any) -> PackedResult:
    """extract_page, then the body compressed for storage as codec says, in the worker: the
    main process, which stores pages one at a time, then only checks and writes the blob."""
    from newsarchive.store.bodies import pack

    return _extract(body, **kwargs), pack(body, codec)


def _watch_parent(parent: int) -> None:
    """Worker thread (no prctl): end this worker once its parent process is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """In a worker: make sure it ends when its parent (pid `parent`) dies, even by SIGKILL
    and even in the middle of a page (a busy worker reads no pipe and would live on).

    On Linux the kernel sends SIGKILL (PR_SET_PDEATHSIG) when the thread that started the
    worker ends: the fork server's only thread, which ends when the process it serves ends
    (it reads EOF on a pipe from it); for a spawned worker, the main thread of `reextract` or
    pebble's pool-manager thread for replaced crawl workers, which ends only when the pool
    stops (and stops its workers anyway). Elsewhere a daemon thread polls getppid()."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # the parent died before the signal was armed
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _release_fork_server() -> None:
    """In a forked worker: close its copy of the fork server's "alive" pipe (multiprocessing
    hands one to every child), so that the fork server ends when the crawler does, and a
    busy worker with it, instead of each keeping the other alive."""
    from multiprocessing import forkserver

    server = forkserver._forkserver
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        setattr(server, "_forkserver_alive_fd", None)  # noqa: B010 - private to multiprocessing
        with contextlib.suppress(OSError):
            os.close(fd)


def _limit_memory(memory_mb: int, parent: int | None = None) -> None:
    """Worker initializer: die with the crawler, cap the address space so a memory bomb
    raises MemoryError, and import the extraction stack once, before the first page."""
    if parent == forks.FORK_PARENT:
        # a forked worker's parent is the fork server, which ends when the crawler does
        _release_fork_server()
        die_with_parent(os.getppid())
    elif parent is not None:
        die_with_parent(parent)
    import newsarchive.extract.article  # noqa: F401 - preloaded by the fork server

    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _ready() -> None:
    """A no-op task: scheduling it makes pebble start its workers now rather than later."""


def _spawn_pool(workers: int, memory_mb: int) -> ProcessPool:
    """A pebble pool of extraction workers, started at once."""
    context, parent = forks.context()
    pool = ProcessPool(
        max_workers=workers,
        max_tasks=MAX_TASKS_PER_WORKER,
        initializer=_limit_memory,
        initargs=(memory_mb, parent),
        context=context,
    )
    pool.schedule(_ready)  # pebble starts its workers at the first task, not before
    _widen_pipes(pool)
    return pool


def pipe_fds(pool: ProcessPool) -> list[int]:
    """The file descriptors of a started pool's task and result pipes (pebble's own)."""
    manager = getattr(getattr(pool, "_pool_manager", None), "worker_manager", None)
    channel = getattr(manager, "pool_channel", None)
    if channel is None:
        return []
    return [channel.writer.fileno(), channel.reader.fileno()]


def _widen_pipes(pool: ProcessPool) -> None:
    """Let the task pipe hold many pages, and the result pipe many results, so that workers
    are fed (and send) without waiting for the main process's threads (Linux only; where the
    size cannot be set, the pipes stay as they are)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    for fd in pipe_fds(pool):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, set_size, PIPE_BYTES)


def prestart(workers: int, *, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
    """Start extraction workers ahead of the first page (an ExtractionPool of the same shape
    adopts them); those never adopted are stopped by discard_prestarted() or at exit.

    Returns at once: the pool starts in a thread. Starting a worker waits until the fork
    server has imported and warmed the extraction stack (about half a second), which the
    caller spends meanwhile importing and setting up its own part (Scrapy, the store)."""
    if workers > 0 and (workers, memory_mb) not in _PRESTARTED:
        starting: Future[ProcessPool] = Future()

        def start() -> None:
            try:
                starting.set_result(_spawn_pool(workers, memory_mb))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever adopts the pool
                starting.set_exception(exc)

        threading.Thread(target=start, name="newsarchive-prestart", daemon=True).start()
        _PRESTARTED[(workers, memory_mb)] = starting


def adopt_prestarted(workers: int, memory_mb: int) -> ProcessPool | None:
    """The pre-started pool of this shape, once started (None: there is none, or it could not
    start, or it broke since)."""
    starting = _PRESTARTED.pop((workers, memory_mb), None)
    if starting is None:
        return None
    try:
        pool = starting.result()
    except Exception:  # noqa: BLE001 - the caller starts a pool of its own
        logger.warning("pre-started extraction workers failed to start", exc_info=True)
        return None
    if pool.active:
        return pool
    pool.stop()  # type: ignore[no-untyped-call]
    return None


@atexit.register
def discard_prestarted() -> None:
    """Stop the pre-started workers no pool has adopted."""
    for workers, memory_mb in list(_PRESTARTED):
        pool = adopt_prestarted(workers, memory_mb)
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]
            pool.join(timeout=10)


class ExtractionPool:
    """Run extract_page in worker processes (or in-process when workers == 0)."""

    def __init__(
        self,
        workers: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_html_bytes: int = DEFAULT_MAX_HTML_BYTES,
        memory_mb: int = DEFAULT_MEMORY_MB,
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.max_html_bytes = max_html_bytes
        self.memory_mb = memory_mb
        self.pool: ProcessPool | None = self._new_pool() if workers > 0 else None

    def _new_pool(self) -> ProcessPool:
        """Adopt the pre-started workers of this shape, or start new ones now."""
        adopted = adopt_prestarted(self.workers, self.memory_mb)
        return adopted if adopted is not None else _spawn_pool(self.workers, self.memory_mb)

    def too_large(self, body: bytes) -> Result | None:
        """The too_large result for a body over the cap, else None."""
        if self.max_html_bytes and len(body) > self.max_html_bytes:
            return None, TOO_LARGE, f"{len(body)} bytes > cap of {self.max_html_bytes}"
        return None

    def submit(self, body: bytes, **kwargs: Any) -> Future[Result]:
        """Schedule one page; the future's result is (extraction, outcome, error)."""
        return self._schedule(_extract, (body,), kwargs)

    def _schedule(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Future[Any]:
        """pool.schedule(task) with the pool's timeout, on a fresh pool if this one broke; with
        no workers, task run here and now."""
        if self.pool is None:
            done: Future[Any] = Future()
            done.set_result(task(*args, **kwargs))
            return done
        try:
            return self.pool.schedule(task, args=args, kwargs=kwargs, timeout=self.timeout)
        except RuntimeError as exc:
            # pebble puts a pool in an error state when replacing a worker fails (seen after
            # a timeout on a loaded machine): start a fresh pool rather than failing every page
            logger.warning("extraction pool unusable (%s): starting a new one", exc)
            self.pool.stop()  # type: ignore[no-untyped-call]
            self.pool = self._new_pool()
            return self.pool.schedule(task, args=args, kwargs=kwargs, timeout=self.timeout)

    def submit_packed(self, body: bytes, codec: Codec, **kwargs: Any) -> Future[PackedResult]:
        """Schedule one page, to be extracted and compressed (store.bodies.pack); the future's
        result is ((extraction, outcome, error), packed body or None)."""
        return self._schedule(_extract_packed, (body, codec), kwargs)

    def packed_result(self, future: Future[PackedResult], url: str) -> PackedResult:
        """The result of submit_packed, with failures turned into outcomes (and no body)."""
        try:
            return future.result()
        except BaseException as exc:  # noqa: BLE001 - every failure is an outcome, not a crash
            return self.failure(exc, url), None

    def result(self, future: Future[Result], url: str) -> Result:
        """The future's result, with timeouts and dead workers turned into outcomes."""
        try:
            return future.result()
        except BaseException as exc:  # noqa: BLE001 - every failure is an outcome, not a crash
            return self.failure(exc, url)

    def failure(self, exc: BaseException, url: str) -> Result:
        """(None, extraction_failed, reason) for an exception raised by a worker."""
        if isinstance(exc, FutureTimeout):
            reason = f"timeout: extraction took longer than {self.timeout:g} s"
        elif isinstance(exc, ProcessExpired):
            reason = f"worker died: exit code {exc.exitcode}"
        elif isinstance(exc, MemoryError):
            reason = "memory: the page exhausted the worker's memory limit"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        logger.warning("extraction failed for %s: %s", url, reason)
        return None, EXTRACTION_FAILED, reason

    async def extract(
        self,
        body: bytes,
        *,
        url: str,
        status: int,
        fetched_at: datetime,
        headers: Mapping[str, str] | None,
        related_selector: str | None,
        tz: str,
        codec: Codec | None = None,
    ) -> PackedResult:
        """Extract one page without blocking the event loop; with a codec, the worker also
        compresses the body for storage (store.bodies.pack), else the packed body is None."""
        if status < 400 and (big := self.too_large(body)) is not None:
            return big, None
        kwargs = {
            "url": url,
            "status": status,
            "fetched_at": fetched_at,
            "headers": dict(headers or {}),
            "related_selector": related_selector,
            "tz": tz,
        }
        if codec is None:
            future: Future[Any] = self.submit(body, **kwargs)
        else:
            future = self.submit_packed(body, codec, **kwargs)
        try:
            done = await asyncio.wrap_future(future)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
                raise
            return self.failure(exc, url), None
        return done if codec is not None else (done, None)

    def stop(self) -> None:
        """Start stopping the workers, without waiting (pending pages are not extracted):
        pebble's threads take up to 0.2 s to notice, which close() then waits for; a caller
        with other work to finish does it in between."""
        if self.pool is not None:
            self.pool.stop()  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Stop the workers and wait until pebble's threads have stopped them (the tasks they
        run are not waited for)."""
        if self.pool is not None:
            self.pool.stop()  # type: ignore[no-untyped-call]
            self.pool.join(timeout=10)
            self.pool = None
