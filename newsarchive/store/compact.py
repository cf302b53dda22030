"""`newsarchive compact`: recompress stored bodies with zstd and per-site dictionaries (store code).

1. Every site with at least DICT_MIN_PAGES stored bodies and no dictionary gets one.
2. Bodies not yet in their site's best form (zlib, plain zstd where the site now has a
   dictionary) are recompressed in small batches, one transaction each. Before a new blob
   replaces the old one it is decompressed and its sha256 compared with pages.sha256 (and
   the pages_body_same_bytes trigger checks it again inside SQLite). A killed compaction loses
   nothing: a batch is either committed whole or not at all, and the next run goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from newsarchive.store.archive import Archive
from newsarchive.store.base import BodyError, StorageError, retry_locked
from newsarchive.store.bodies import DICT_MIN_PAGES, body_sha256, body_site

logger = logging.getLogger(__name__)

COMPACT_BATCH = 50  # bodies per transaction


class CompactError(StorageError):
    """A recompressed body did not give back the stored bytes (nothing was replaced)."""


@dataclass
class CompactSummary:
    """What a compaction did."""

    dictionaries: int = 0
    recompressed: int = 0
    kept: int = 0  # not smaller once recompressed, or unreadable: left as they were
    bytes_before: int = 0
    bytes_after: int = 0


def compact(
    archive: Archive,
    *,
    batch: int = COMPACT_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> CompactSummary:
    """Give sites their dictionaries, then recompress every body not in its best form."""
    summary = CompactSummary()
    conn = archive.db.conn
    sites: Counter[str] = Counter(
        body_site(url)
        for (url,) in conn.execute(
            "SELECT final_url FROM pages"
            " WHERE body IS NOT NULL AND status < 300 AND kind = 'article'"
        )
    )
    for site, count in sorted(sites.items()):
        fresh = count >= DICT_MIN_PAGES and archive.bodies.site_dictionary(site) is None
        if fresh and archive.bodies.train_dictionary(site) is not None:
            summary.dictionaries += 1
    todo = [
        (int(page_id), str(url), str(compression))
        for page_id, url, compression in conn.execute(
            "SELECT id, final_url, compression FROM pages WHERE body IS NOT NULL ORDER BY id"
        )
        if compression != _best(archive, str(url))
    ]
    for start in range(0, len(todo), batch):
        _compact_batch(archive, todo[start : start + batch], summary)
        if progress is not None:
            progress(min(start + batch, len(todo)), len(todo))
    return summary


def _best(archive: Archive, url: str) -> str:
    """The compression a body of this URL gets today."""
    dict_id = archive.bodies.site_dictionary(body_site(url))
    return "zstd" if dict_id is None else f"zstd:dict:{dict_id}"


@retry_locked
def _compact_batch(
    archive: Archive, pages: list[tuple[int, str, str]], summary: CompactSummary
) -> None:
    """Recompress a batch of bodies in one transaction, each checked before it is replaced."""
    done: list[tuple[int, int, int]] = []
    with archive.write() as conn:
        for page_id, url, _ in pages:
            row = conn.execute(
                "SELECT body, compression, sha256 FROM pages WHERE id = ?", (page_id,)
            ).fetchone()
            if row is None or row[0] is None:
                continue
            old_blob, old_compression, sha = bytes(row[0]), row[1], row[2]
            try:
                body = archive.bodies.read(old_blob, old_compression)
            except BodyError as exc:
                logger.warning("compact: page %d (%s) left as it is: %s", page_id, url, exc)
                done.append((0, 0, 0))
                continue
            compression, blob = archive.bodies.compress_body(url, body, train=False)
            if compression == old_compression or len(blob) >= len(old_blob):
                done.append((0, 0, 0))
                continue
            if body_sha256(archive.bodies.read(blob, compression)) != sha:
                raise CompactError(f"page {page_id} ({url}): recompressed body differs")
            conn.execute(
                "UPDATE pages SET body = ?, compression = ? WHERE id = ?",
                (blob, compression, page_id),
            )
            done.append((1, len(old_blob), len(blob)))
    for changed, before, after in done:
        summary.recompressed += changed
        summary.kept += 1 - changed
        summary.bytes_before += before
        summary.bytes_after += after
