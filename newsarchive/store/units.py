"""The archive's SQL for `reextract --redis` (store code: the only other place with SQL)."""

from __future__ import annotations

from newsarchive.store.archive import Archive


def url_groups(archive: Archive, page_ids: list[int]) -> dict[int, int]:
    """For each of page_ids, the id of the first stored page of its final URL: the fetches
    of one article then share a unit (its versions are rebuilt in fetch order)."""
    wanted = set(page_ids)
    rows = archive.db.conn.execute(
        "SELECT id, MIN(id) OVER (PARTITION BY final_url) FROM pages WHERE kind = 'article'"
    )
    groups = {int(page): int(first) for page, first in rows if page in wanted}
    return {page: groups.get(page, page) for page in page_ids}
