"""Raw-body compression: zlib (before issue 17) vs zstd vs zstd with per-site dictionaries.

Run: uv run python bench/compression.py [--repeat 20]

Over the shared corpus pages (newsarchive_testing.corpus), grouped by site (host without www.):

1. archive path: every page is stored with Archive.pages.record_fetch into a fresh archive, in
   corpus order, then `compact` runs (it gives every site with DICT_MIN_PAGES stored bodies a
   dictionary and recompresses). Figure: stored blob bytes / raw bytes, as on disk.
   The corpus has few pages per site (most sites have one page), so most pages never get a
   dictionary here: a site of a real archive has hundreds.
2. sites with a dictionary (the steady state): every page of a site with at least 2 pages,
   compressed with a dictionary made (store.make_dictionary) from the site's *other* pages
   (up to DICT_SAMPLE_PAGES), never from itself.
3. decompression CPU per page (time.process_time, best of --repeat rounds): zlib, zstd,
   zstd with the site's dictionary (the decompressor object of a dictionary is cached, as the
   store does).
Then a goals table (issue 17, goal 3: raw bodies at most 10 % of their size).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from newsarchive.model import RawPage
from newsarchive.store.archive import Archive
from newsarchive.store.bodies import (
    DICT_SAMPLE_PAGES,
    ZLIB_LEVEL,
    body_site,
    compress,
    decompress,
    make_dictionary,
)
from newsarchive.store.compact import compact
from newsarchive_testing import corpus

GOAL_RATIO = 0.10
FETCHED_AT = "2024-12-06T09:00:00.000+00:00"


def archive_path(pages: list[tuple[str, bytes]]) -> tuple[float, float, int, int]:
    """(zstd ratio as stored after compact, dictionaries included; zlib ratio; dictionaries;
    pages compressed with one)."""
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "bench.db") as archive:
        for n, (url, body) in enumerate(pages):
            page = RawPage(
                url=f"{url}#{n}",  # two corpus files may share a URL: keep both
                final_url=url,
                status=200,
                fetched_at=FETCHED_AT,
                headers={},
                body=body,
            )
            archive.pages.record_fetch(
                page, None, outcome="article", error=None, crawl_id=None, extracted_at=FETCHED_AT
            )
        compact(archive)
        stored, raw, with_dict = archive.db.conn.execute(
            """SELECT sum(length(body)), sum(body_size),
                      sum(compression LIKE 'zstd:dict:%') FROM pages WHERE body IS NOT NULL"""
        ).fetchone()
        dictionaries, dict_bytes = archive.db.conn.execute(
            "SELECT count(*), coalesce(sum(length(data)), 0) FROM zstd_dictionaries"
        ).fetchone()
    zlib_bytes = sum(len(zlib.compress(b, ZLIB_LEVEL)) for _, b in pages)
    # the dictionaries are on disk too: they count
    return (stored + dict_bytes) / raw, zlib_bytes / raw, int(dictionaries), int(with_dict)


def best_cpu(fn: Callable[[], object], repeat: int) -> float:
    """Best process_time of fn over `repeat` rounds, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    pages = [(p.url, p.body()) for p in corpus.load()]
    by_site: dict[str, list[bytes]] = defaultdict(list)
    for url, body in pages:
        by_site[body_site(url)].append(body)
    raw_total = sum(len(b) for _, b in pages)
    print(
        f"{len(pages)} corpus pages, {raw_total / 1e6:.1f} MB, {len(by_site)} sites"
        f" ({sum(len(v) >= 2 for v in by_site.values())} with 2+ pages)"
    )

    # 1. the archive path
    stored_ratio, zlib_ratio, dictionaries, with_dict = archive_path(pages)

    # 2. + 3. sites with a dictionary made from their other pages
    rows: list[tuple[bytes, bytes, bytes, bytes, bytes]] = []  # body, zlib, zstd, dict, blob
    for bodies in by_site.values():
        if len(bodies) < 2:
            continue
        for i, body in enumerate(bodies):
            others = (bodies[:i] + bodies[i + 1 :])[-DICT_SAMPLE_PAGES:]
            dictionary = make_dictionary(others)
            rows.append(
                (
                    body,
                    zlib.compress(body, ZLIB_LEVEL),
                    compress(body),
                    dictionary,
                    compress(body, dictionary),
                )
            )
    raw_multi = sum(len(r[0]) for r in rows)
    ratio = {
        "zlib": sum(len(r[1]) for r in rows) / raw_multi,
        "zstd": sum(len(r[2]) for r in rows) / raw_multi,
        "zstd+dict": sum(len(r[4]) for r in rows) / raw_multi,
    }
    for r in rows:  # warm the cached decompressor objects, as a long-running store has them
        decompress(r[4], "zstd:dict:1", r[3])
    cpu = {
        "zlib": best_cpu(lambda: [decompress(r[1], "zlib") for r in rows], args.repeat),
        "zstd": best_cpu(lambda: [decompress(r[2], "zstd") for r in rows], args.repeat),
        "zstd+dict": best_cpu(
            lambda: [decompress(r[4], "zstd:dict:1", r[3]) for r in rows], args.repeat
        ),
    }
    assert all(decompress(r[4], "zstd:dict:1", r[3]) == r[0] for r in rows)

    print()
    print(f"sites with a dictionary made from their other pages: {len(rows)} pages")
    print(f"{'codec':<12}{'stored/raw':>12}{'decompress µs/page':>22}{'MB/s':>10}")
    for codec in ("zlib", "zstd", "zstd+dict"):
        per_page = cpu[codec] / len(rows) * 1e6
        print(
            f"{codec:<12}{ratio[codec]:>11.1%}{per_page:>22.0f}"
            f"{raw_multi / max(cpu[codec], 1e-9) / 1e6:>10.0f}"
        )
    print()
    print(
        f"archive path (record_fetch + compact, all {len(pages)} pages): zstd {stored_ratio:.1%}"
        f" of raw vs zlib {zlib_ratio:.1%}; {dictionaries} site dictionaries,"
        f" {with_dict} pages compressed with one"
    )
    print()
    lines = [
        ("stored/raw, sites with a dictionary", ratio["zstd+dict"], GOAL_RATIO),
        ("stored/raw, whole corpus (archive path)", stored_ratio, GOAL_RATIO),
    ]
    print(f"{'figure':<44}{'value':>8}  {'goal':<8}met")
    for name, value, goal in lines:
        print(f"{name:<44}{value:>8.1%}  <= {goal:.0%}   {'yes' if value <= goal else 'no'}")
    speed = cpu["zstd+dict"] / cpu["zlib"]
    print(
        f"{'decompression CPU, zstd+dict vs zlib':<44}{speed:>7.2f}x  <= 1x     "
        f"{'yes' if speed <= 1 else 'no'}"
    )


if __name__ == "__main__":
    main()
