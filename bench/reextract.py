"""Re-extraction speed: pages/s with 1 and 2 workers, and per-page cost vs extraction alone.

    uv run python bench/reextract.py [--pages 2000]

Builds an archive of N stored raw pages (the synthetic site of newsarchive_testing.sitegen,
stored through the real store without extracting), then runs `reextract` with 1 and with 2
worker processes over it, and times `extract_article` alone on the same pages in this process.
Goals (issue): 2 workers >= 1.8x one worker on 2 cores; per-page cost within 10% of extraction
alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

from newsarchive.crawl.reextract import reextract
from newsarchive.extract.article import extract_article
from newsarchive_testing.archives import BASE, FETCHED_AT, build


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, pages: {args.pages}")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master.db"
        files = build(master, args.pages)
        fetched = datetime.fromisoformat(FETCHED_AT)
        extract_article(files[0][1], url=BASE + files[0][0], fetched_at=fetched)  # warm-up
        t0, c0 = time.perf_counter(), cpu()
        for p, body in files:
            extract_article(body, url=BASE + p, fetched_at=fetched)
        wall, used = time.perf_counter() - t0, cpu() - c0
        results["extraction alone (in-process)"] = {
            "pages_per_s": len(files) / wall,
            "cpu_ms_per_page": 1000 * used / len(files),
        }
        for jobs in (1, 2):
            db = Path(tmp) / f"run{jobs}.db"
            shutil.copy(master, db)
            t0, c0 = time.perf_counter(), cpu()
            summary = reextract(db, jobs=jobs)
            wall, used = time.perf_counter() - t0, cpu() - c0
            assert summary.pages_read == len(files), summary
            results[f"reextract --jobs {jobs}"] = {
                "pages_per_s": len(files) / wall,
                "cpu_ms_per_page": 1000 * used / len(files),
            }
    print(f"{'run':34} {'pages/s':>9} {'CPU ms/page':>12}")
    for name, r in results.items():
        print(f"{name:34} {r['pages_per_s']:9.1f} {r['cpu_ms_per_page']:12.1f}")
    one, two = results["reextract --jobs 1"], results["reextract --jobs 2"]
    alone = results["extraction alone (in-process)"]
    print(f"speed-up with 2 workers: {two['pages_per_s'] / one['pages_per_s']:.2f}x (goal >= 1.8x)")
    overhead = one["cpu_ms_per_page"] / alone["cpu_ms_per_page"] - 1
    print(f"per-page CPU of reextract --jobs 1 vs extraction alone: {overhead:+.1%} (goal <= +10%)")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "reextract.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
