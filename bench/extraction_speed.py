"""CPU per page of extract_article vs trafilatura.extract(output_format="json", with_metadata=True).

Run: uv run python bench/extraction_speed.py [--pages 1001] [--profile] [--top 30]

Over the shared corpus pages (newsarchive_testing.corpus), in this one process: both contenders
read the same bytes, page after page, interleaved (so that a loaded machine slows both alike),
each going first on every other page (so that first-use costs fall on both alike);
CPU is time.process_time, never wall time. Both contenders first run on --warm-up pages that are
not measured (the corpus pages after the measured ones): one-off costs of a process, such as
htmldate building its dateparser (1.5 s, about 4 ms a page over 400 pages, on whichever side
meets it first) or dateparser loading a language, are not per-page costs. --profile runs
extract_article under cProfile over the same pages afterwards and prints the top functions by
cumulative time.
Goal (issue 17, goal 1): extract_article's mean CPU per page at most 0.6x trafilatura's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import statistics
import time
import warnings

import trafilatura

from newsarchive.extract.article import extract_article
from newsarchive_testing import corpus

GOAL_RATIO = 0.6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=0, help="first N corpus pages (0: all)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--warm-up",
        type=int,
        default=50,
        help="pages both contenders extract, untimed, before the measured ones (default 50)",
    )
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    pages = corpus.load()
    measured = pages[: args.pages] if args.pages else pages
    # warm-up pages: those after the measured ones, or (all measured) the first ones again
    warm = pages[len(measured) :][: args.warm_up] or pages[: args.warm_up]
    for page in warm:
        body, url, fetched_at = page.body(), page.url, page.fetched_at
        extract_article(body, url=url, fetched_at=fetched_at)
        trafilatura.extract(body, url=url, output_format="json", with_metadata=True)
    data = [(p.body(), p.url, p.fetched_at) for p in measured]
    ours: list[float] = []
    traf: list[float] = []
    for i, (body, url, fetched_at) in enumerate(data):
        # alternate who goes first: a first use (dateparser loads a language's data the first
        # time a page needs it, ~60 ms each) falls on either contender alike
        for side in (ours, traf) if i % 2 == 0 else (traf, ours):
            start = time.process_time()
            if side is ours:
                extract_article(body, url=url, fetched_at=fetched_at)
            else:
                trafilatura.extract(body, url=url, output_format="json", with_metadata=True)
            side.append(time.process_time() - start)
    print(
        f"{len(data)} corpus pages, CPU ms per page (process_time, same process, interleaved; "
        f"after {len(warm)} warm-up pages)"
    )
    print(f"{'contender':<34}{'mean':>8}{'median':>8}{'p90':>8}")
    for name, times in (("extract_article", ours), ("trafilatura.extract json+metadata", traf)):
        ms = sorted(t * 1000 for t in times)
        p90 = ms[int(len(ms) * 0.9)]
        print(f"{name:<34}{statistics.mean(ms):>8.1f}{statistics.median(ms):>8.1f}{p90:>8.1f}")
    ratio = statistics.mean(ours) / statistics.mean(traf)
    print()
    print(f"{'figure':<44}{'value':>8}  {'goal':<8}met")
    met = "yes" if ratio <= GOAL_RATIO else "no"
    print(f"{'extract_article CPU / trafilatura CPU':<44}{ratio:>7.2f}x  <= {GOAL_RATIO}x  {met}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for body, url, fetched_at in data:
            extract_article(body, url=url, fetched_at=fetched_at)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
