"""Accuracy of normalize_date (newsarchive.dates.normalize) on the shared corpus dates-it cases.

Run: uv run python bench/eval_dates_cases.py [--all-failures]

Each case is parsed with its own relative_base as reference (naive -> Europe/Rome; an explicit
offset such as duckling's -02:00 is kept, and the case is read in that fixed offset). Cases
without relative_base use FALLBACK_REFERENCE (absolute strings only need it for the
no-future-dates guard). A result is compared at the coarser of: the expected value's own
precision (YYYY / YYYY-MM / date / datetime) and the case's grain/period field; a result
less precise than that grain (a week for a day) is wrong. Expected
null, or Recognizers-Text's "0001-01-01" (its marker for an impossible date), must give None.

Cases whose expected value lies after the reference (future expressions, duckling's
next-occurrence resolutions) are reported apart: news pages show past dates, so the headline
figure is the accuracy on past/present readings + negatives.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from newsarchive.dates.normalize import DEFAULT_TZ, ParsedDate, normalize_date

FALLBACK_REFERENCE = datetime(2030, 1, 1, tzinfo=timezone.utc)
GRAIN_ORDER = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"]
IMPOSSIBLE_MARKER = "0001-01-01"
MAX_FAILURES_SHOWN = 30
TIME_IN_TEXT_RE = re.compile(r"\d{1,2}[:.]\d{2}|\d\s*[ap]\.?m|\balle\b|\bore\b", re.IGNORECASE)


def corpus_dir() -> Path | None:
    """The shared corpus folder, or None when it is absent."""
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "corpus"]
    if os.environ.get("NEWSARCHIVE_CORPUS"):
        candidates.append(Path(os.environ["NEWSARCHIVE_CORPUS"]))
    return next((c for c in candidates if (c / "dates-it" / "cases.jsonl").is_file()), None)


def parse_stamp(text: str, tz: ZoneInfo | timezone) -> datetime:
    """Parse an ISO value from the cases (7-digit fractions, YYYY, YYYY-MM); naive -> tz."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    if re.fullmatch(r"\d{4}", text):
        text += "-01-01"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def case_zone(relative_base: str | None) -> tuple[datetime, str, ZoneInfo | timezone]:
    """(reference, tz name for normalize_date, tzinfo for naive expected values)."""
    rome = ZoneInfo(DEFAULT_TZ)
    if not relative_base:
        return FALLBACK_REFERENCE, DEFAULT_TZ, rome
    ref = parse_stamp(relative_base, rome)
    offset = ref.utcoffset()
    if isinstance(ref.tzinfo, ZoneInfo) or offset is None:
        return ref, DEFAULT_TZ, rome
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest:
        return ref, DEFAULT_TZ, rome
    name = "Etc/UTC" if hours == 0 else f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"
    return ref, name, ZoneInfo(name)


def expected_grain(case: dict[str, Any], expected: datetime, reference: datetime) -> str:
    """Grain at which the expected value is asserted.

    A relative truth that only carries the reference's clock time (dateparser's "ieri" =
    now - 1 day, kept at 10:30) is asserted at day grain: its time of day is an artifact.
    """
    text = case["expected"]
    if re.fullmatch(r"\d{4}", text):
        grain = "year"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        grain = "month"
    elif "T" not in text:
        grain = "day"
    elif text.endswith("T00:00:00") and not TIME_IN_TEXT_RE.search(case["text"]):
        grain = "day"  # dateparser's midnight for a date-only string
    else:
        grain = "second"
        shift = expected - reference
        if case.get("relative_base") and shift and shift % timedelta(days=1) == timedelta(0):
            grain = "day"
    declared = case.get("grain") or case.get("period")
    if declared in GRAIN_ORDER and GRAIN_ORDER.index(declared) > GRAIN_ORDER.index(grain):
        grain = declared
    return grain


def truncate(value: datetime, grain: str) -> tuple[int, ...]:
    """Key of a local datetime at a grain."""
    if grain == "week":
        iso = value.date().isocalendar()
        return (iso[0], iso[1])
    if grain == "quarter":
        return (value.year, (value.month - 1) // 3)
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    size = {"year": 1, "month": 2, "day": 3, "hour": 4, "minute": 5, "second": 6}[grain]
    return fields[:size]


def matches(got: ParsedDate, expected: datetime, grain: str) -> bool:
    """Does the result agree with the expected value at the grain?"""
    result_grain = "second" if got.precision == "datetime" else got.precision
    if GRAIN_ORDER.index(result_grain) > GRAIN_ORDER.index(grain):
        return False  # the result is less precise than the truth
    if isinstance(got.value, datetime):
        local = got.value.astimezone(expected.tzinfo)
    else:
        local = datetime(got.value.year, got.value.month, got.value.day, tzinfo=expected.tzinfo)
    return truncate(local, grain) == truncate(expected, grain)


def evaluate(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run every case; return rows with bucket, correct flag and output."""
    rows = []
    for case in cases:
        reference, tz_name, naive_tz = case_zone(case.get("relative_base"))
        page_date = date.fromisoformat(case["context_date"]) if case.get("context_date") else None
        got = normalize_date(case["text"], reference=reference, tz=tz_name, page_date=page_date)
        expected_text = case.get("expected")
        if expected_text is None or expected_text.startswith(IMPOSSIBLE_MARKER):
            bucket, correct = "negative", got is None
        else:
            expected = parse_stamp(expected_text, naive_tz)
            grain = expected_grain(case, expected, reference)
            if "T" in expected_text:
                future = expected > reference
            else:
                future = expected.date() > reference.astimezone(expected.tzinfo).date()
            bucket = "future" if future and case.get("relative_base") else "past/present"
            correct = got is not None and matches(got, expected, grain)
        rows.append(
            {
                "origin": case["origin"],
                "bucket": bucket,
                "correct": correct,
                "text": case["text"],
                "expected": expected_text,
                "got": got.isoformat() if got else None,
            }
        )
    return rows


def print_report(rows: list[dict[str, Any]], show_all: bool) -> None:
    """Per-origin table, headline figure, future bucket and failures."""
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        scope = "future" if row["bucket"] == "future" else "headline"
        for key in ((row["origin"], scope), ("ALL", scope)):
            table[key][0] += 1
            table[key][1] += int(row["correct"])
    origins = sorted({r["origin"] for r in rows}) + ["ALL"]
    header = f"{'origin':<18}{'cases':>7}{'correct':>9}{'acc':>8}"
    print(f"{header}{'past/present+neg':>19}{'acc':>8}{'future':>10}{'acc':>8}")
    for origin in origins:
        n, ok = table[(origin, "headline")]
        fn, fok = table[(origin, "future")]
        cells = [(n + fn, ok + fok), (n, ok), (fn, fok)]
        accs = [f"{c / t:.1%}" if t else "-" for t, c in cells]
        print(
            f"{origin:<18}{n + fn:>7}{ok + fok:>9}{accs[0]:>8}"
            f"{f'{ok}/{n}':>19}{accs[1]:>8}{f'{fok}/{fn}':>10}{accs[2]:>8}"
        )
    n, ok = table[("ALL", "headline")]
    negatives = [r for r in rows if r["bucket"] == "negative"]
    print(
        f"\nHEADLINE accuracy on past/present readings + negatives: {ok}/{n} = {ok / n:.1%}"
        f"  (negatives: {sum(r['correct'] for r in negatives)}/{len(negatives)} -> None)"
    )
    failures = [r for r in rows if not r["correct"] and r["bucket"] != "future"]
    shown = failures if show_all else failures[:MAX_FAILURES_SHOWN]
    print(f"\nFailures (past/present + negatives), {len(shown)} of {len(failures)}:")
    for r in shown:
        print(
            f"  [{r['origin'][:10]:<10}] {r['text']!r:<45} expected={r['expected']}  got={r['got']}"
        )
    if show_all:
        future_failures = [r for r in rows if not r["correct"] and r["bucket"] == "future"]
        print(f"\nFuture-bucket misses ({len(future_failures)}):")
        for r in future_failures:
            print(
                f"  [{r['origin'][:10]:<10}] {r['text']!r:<45} exp={r['expected']} got={r['got']}"
            )


def main() -> int:
    """Entry point."""
    root = corpus_dir()
    if root is None:
        print("dates-it corpus not found (../shared/corpus or $NEWSARCHIVE_CORPUS): skipping.")
        return 0
    path = root / "dates-it" / "cases.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    print(f"{len(cases)} cases from {path}\n")
    print_report(evaluate(cases), show_all="--all-failures" in sys.argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
