"""Speed of normalize_date (newsarchive.dates.normalize) against dateparser.parse on page strings.

Run: uv run python bench/dates_speed.py

Cold = caches emptied (dates.clear_cache()) before each pass over the mix; warm = the same
mix again with the caches filled. dateparser is warmed up once (its first call loads the
language data) and then timed on the same mix; its time does not depend on our caches.
The share answered without dateparser comes from dates.stats() ("dateparser" counter).
Does not need the shared corpus.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timezone
from typing import Any

from newsarchive.dates import normalize as dates

REFERENCE = datetime(2024, 11, 21, 9, 30, tzinfo=timezone.utc)
PAGE_DATE = date(2024, 11, 21)
COLD_PASSES = 30
WARM_PASSES = 200
DATEPARSER_PASSES = 10
MIX = [
    # bylines and article headers
    "Pubblicato il 17/11/2024 alle 11:49",
    "Aggiornato: 19 novembre 2024 ore 01:15",
    "Roma, 3 dicembre 2023",
    "MILANO - 20 novembre 2024",
    "20 novembre 2024 · 03:15",
    "Giovedì 21 Novembre 2024",
    "gio. 21 nov. 2024, 08:12",
    "Ultima modifica 19 Febbraio 2020 12:02",
    "Ultimo aggiornamento: 20/11/2024 - 18:40",
    "4 Febbraio 2024 - 14:41",
    "28 luglio 2020 10:43",
    "Domenica 19 Aprile 2020",
    "Pubblicato il 19 Febbraio 2020",
    "modifica il 6 gennaio 2024 | 15:24",
    "20 novembre 2024 | Redazione",
    "Data di pubblicazione: 18.11.2024",
    "Aggiornato alle 16:01",
    "Ore 08:51",
    "17-11-24",
    "Sab 16 nov 2024 h 10.30",
    # related-article lists
    "23 Nov 2017",
    "02 Ago 2017",
    "24/09/2020",
    "18 nov",
    "5 maggio alle 10:00",
    "ieri alle 18:30",
    "oggi 07:45",
    "l'altro ieri",
    "martedì scorso",
    "il 3 novembre scorso",
    # relative freshness labels
    "3 ore fa",
    "un'ora fa",
    "5 minuti fa",
    "2 giorni fa",
    "una settimana fa",
    "poco fa",
    # metadata values
    "2024-11-20T03:15:00+01:00",
    "2024-11-20T02:15:00Z",
    "2024-11-20",
    "Wed, 20 Nov 2024 03:15:00 +0100",
    # not dates
    "06 12345678",
    "€ 12,50",
]
DATEPARSER_SETTINGS: dict[str, Any] = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
    "RELATIVE_BASE": REFERENCE.replace(tzinfo=None),
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def run_ours() -> None:
    """One pass of normalize_date over the mix."""
    for s in MIX:
        dates.normalize_date(s, reference=REFERENCE, page_date=PAGE_DATE)


def time_passes(passes: int, *, cold: bool) -> float:
    """Median microseconds per call over `passes` passes of the mix."""
    samples = []
    for _ in range(passes):
        if cold:
            dates.clear_cache()
        start = time.perf_counter()
        run_ours()
        samples.append((time.perf_counter() - start) / len(MIX) * 1e6)
    return statistics.median(samples)


def time_dateparser() -> tuple[float, float]:
    """(first call ms including import, median µs per call warm) for dateparser.parse."""
    start = time.perf_counter()
    import dateparser

    dateparser.parse(MIX[0], languages=["it"], settings=DATEPARSER_SETTINGS)
    first_ms = (time.perf_counter() - start) * 1e3
    samples = []
    for _ in range(DATEPARSER_PASSES):
        start = time.perf_counter()
        for s in MIX:
            dateparser.parse(s, languages=["it"], settings=DATEPARSER_SETTINGS)
        samples.append((time.perf_counter() - start) / len(MIX) * 1e6)
    return first_ms, statistics.median(samples)


def main() -> int:
    """Entry point."""
    dates.clear_cache()
    dates.reset_stats()
    run_ours()  # one cold pass for the "answered without dateparser" share
    counts = dates.stats()
    answered = sum(1 for s in MIX if dates.normalize_date(s, reference=REFERENCE) is not None)
    cold = time_passes(COLD_PASSES, cold=True)
    warm = time_passes(WARM_PASSES, cold=False)
    dp_first_ms, dp_warm = time_dateparser()
    without_dp = counts["calls"] - counts["dateparser"]
    print(f"mix: {len(MIX)} realistic Italian page strings ({answered} read as dates)")
    print(f"normalize_date cold (caches cleared): {cold:8.1f} µs/call")
    print(f"normalize_date warm (cached)        : {warm:8.1f} µs/call")
    print(f"dateparser.parse (warmed up)        : {dp_warm:8.1f} µs/call")
    print(f"dateparser import + first call      : {dp_first_ms:8.1f} ms (paid once per process)")
    print(f"speed-up cold: {dp_warm / cold:6.1f}x   warm: {dp_warm / warm:6.1f}x   (goal >= 10x)")
    print(
        f"answered without dateparser: {without_dp}/{counts['calls']} = "
        f"{without_dp / counts['calls']:.1%}   (stats: {counts})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
