"""Page-level publication-date accuracy: newsarchive vs htmldate vs trafilatura, on the corpus.

Run: uv run python bench/eval_dates.py [--workers 2] [--limit N] [--delay-days 30] [--misses 25]

Every page of the htmldate, trafilatura and fundus folders with a (valid) date truth is read by:
  ours       extract_article(body, url=..., fetched_at=...).article.date_published
  htmldate   htmldate.find_date(body, url=url, original_date=True, max_date=<fetched day>)
  traf       trafilatura.bare_extraction(body, url=url, with_metadata=True,
             date_extraction_params={original_date, extensive_search, max_date=<fetched day>})
fetched_at comes from newsarchive_testing.corpus (fundus crawl time, else truth day + 30 days).

How a value is compared (truth days are the publisher's local day):
  day        the value's own date part: ours is written in the page's own offset, or converted
             from UTC to Europe/Rome; htmldate and trafilatura give a bare day
  day@truth  (fundus, truth with offset) ours converted to the truth's offset first
  minute     (fundus, truth with a time) same instant to the minute; a naive truth time is
             compared with our wall clock; a value with no time is a miss
  future     values later than fetched_at (a bare day: later than fetched_at's UTC day)
Rows: per folder, per language group (Italian apart), overall. Then accuracy by our chosen
source, and up to --misses of our misses (Italian first) with htmldate's value and our source.
The normalizer is scored on dates-it/cases.jsonl by bench/eval_dates_cases.py (its rules are
described there), and a last table puts every goal of the dates issue side by side.
Everything goes to bench/out/eval_dates.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import eval_dates_cases

from newsarchive_testing import corpus

WARM_UP_PAGE = (
    b"<html><head><title>Prova</title></head><body><article><h1>Prova</h1>"
    b"<p>Pubblicato il 17/11/2024 alle 11:49. Un testo di prova abbastanza lungo.</p>"
    b"</article></body></html>"
)
OUT_PATH = Path(__file__).resolve().parent / "out" / "eval_dates.json"
GOAL_CASES = 0.97
GOAL_ITALIAN_PAGES = 0.98
TOOLS = ("ours", "htmldate", "traf")


# --- per-page work (runs in the worker processes) -------------------------------------------


def _init_worker() -> None:
    """Silence library warnings and warm the imports and caches, so timings are per page."""
    import logging

    import htmldate
    import trafilatura

    from newsarchive.extract.article import extract_article

    logging.disable(logging.CRITICAL)  # trafilatura/htmldate warnings would flood the table
    extract_article(
        WARM_UP_PAGE, url="https://example.it/a", fetched_at=corpus.FOLDER_REFERENCE["fundus"]
    )
    htmldate.find_date(WARM_UP_PAGE, original_date=True)
    trafilatura.bare_extraction(WARM_UP_PAGE, with_metadata=True)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, str | None]:
    start = time.perf_counter()
    try:
        value, error = fn(), None
    except Exception as exc:  # noqa: BLE001 - a crash is a result too
        value, error = None, f"{type(exc).__name__}: {exc}"
    return value, time.perf_counter() - start, error


def run_page(page: corpus.Page) -> dict[str, Any]:
    """The three tools' publication dates for one page, with our chosen evidence."""
    import htmldate
    import trafilatura

    from newsarchive.extract.article import extract_article

    body = page.body()
    max_day = page.fetched_at.strftime("%Y-%m-%d")
    row: dict[str, Any] = {"key": page.key, "file": page.file, "folder": page.folder}

    ours, seconds, error = _timed(
        lambda: extract_article(body, url=page.url, fetched_at=page.fetched_at)
    )
    chosen = [e for e in (ours.evidence if ours else ()) if e.chosen and e.field == "published"]
    row["ours"] = {
        "value": ours.article.date_published if ours and ours.article else None,
        "outcome": ours.outcome if ours else error,
        "source": chosen[0].source if chosen else None,
        "raw": chosen[0].raw if chosen else None,
        "seconds": seconds,
    }
    value, seconds, error = _timed(
        lambda: htmldate.find_date(body, url=page.url, original_date=True, max_date=max_day)
    )
    row["htmldate"] = {"value": value, "seconds": seconds, "error": error}
    params = {"original_date": True, "extensive_search": True, "max_date": max_day}
    doc, seconds, error = _timed(
        lambda: trafilatura.bare_extraction(
            body, url=page.url, with_metadata=True, date_extraction_params=params
        )
    )
    row["traf"] = {"value": getattr(doc, "date", None), "seconds": seconds, "error": error}
    return row


# --- comparison ------------------------------------------------------------------------------


def parse_value(value: str | None) -> tuple[date | None, datetime | None]:
    """(own date part, datetime or None) of a tool's output."""
    if not value:
        return None, None
    try:
        if len(value) <= 10:
            return date.fromisoformat(value), None
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None, None
    return stamp.date(), stamp


def compare(page: corpus.Page, value: str | None) -> dict[str, Any]:
    """Day, day-in-truth-offset, minute and future flags of one value against the truth."""
    day, stamp = parse_value(value)
    truth = page.truth_datetime
    out: dict[str, Any] = {"found": day is not None, "day": day == page.truth_day}
    if truth is not None and truth.tzinfo is not None:
        shifted = stamp.astimezone(truth.tzinfo).date() if stamp and stamp.tzinfo else day
        out["day_truth_offset"] = shifted == page.truth_day
    if truth is not None:
        if stamp is None:
            out["minute"] = False
        elif truth.tzinfo is None or stamp.tzinfo is None:
            wall = stamp.replace(tzinfo=None, second=0, microsecond=0)
            out["minute"] = wall == truth.replace(tzinfo=None, second=0, microsecond=0)
        else:
            utc = lambda d: d.astimezone(timezone.utc).replace(second=0, microsecond=0)  # noqa: E731
            out["minute"] = utc(stamp) == utc(truth)
    if stamp is not None and stamp.tzinfo is not None:
        out["future"] = stamp > page.fetched_at
    else:
        out["future"] = day is not None and day > page.fetched_at.astimezone(timezone.utc).date()
    return out


# --- aggregation and report ------------------------------------------------------------------


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy figures of one row set, for each tool."""
    out: dict[str, Any] = {"pages": len(rows)}
    for tool in TOOLS:
        cmp = [r["cmp"][tool] for r in rows]
        offs = [c["day_truth_offset"] for c in cmp if "day_truth_offset" in c]
        minutes = [c["minute"] for c in cmp if "minute" in c]
        out[tool] = {
            "day": sum(c["day"] for c in cmp) / len(cmp) if cmp else None,
            "day_correct": sum(c["day"] for c in cmp),
            "none": sum(not c["found"] for c in cmp),
            "future": sum(c["future"] for c in cmp),
            "day_truth_offset": sum(offs) / len(offs) if offs else None,
            "offset_pages": len(offs),
            "minute": sum(minutes) / len(minutes) if minutes else None,
            "minute_pages": len(minutes),
            "ms_mean": 1000 * sum(r[tool]["seconds"] for r in rows) / len(rows) if rows else None,
        }
    return out


def row_sets(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, rows) for overall, each folder and each language group."""
    groups: list[tuple[str, list[dict[str, Any]]]] = [("all", rows)]
    for folder in corpus.DATE_FOLDERS:
        groups.append((f"folder {folder}", [r for r in rows if r["folder"] == folder]))
    for lang in [*corpus.LANGUAGE_ROWS, corpus.OTHER_LANGUAGES, corpus.UNKNOWN_LANGUAGE]:
        subset = [r for r in rows if r["lang"] == lang]
        if subset:
            groups.append((f"lang {lang}", subset))
    return groups


def fmt(value: Any) -> str:
    """A table cell."""
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_table(
    title: str, columns: list[tuple[str, Callable[[dict[str, Any]], Any]]], summary: Any
) -> None:
    """One table, a row per row set."""
    print(f"\n{title}")
    head = f"{'row':<22}" + "".join(f"{name:>11}" for name, _ in columns)
    print(head)
    print("-" * len(head))
    for name, agg in summary:
        if agg["pages"]:
            print(f"{name:<22}" + "".join(f"{fmt(get(agg)):>11}" for _, get in columns))


def col(tool: str, key: str, label: str) -> tuple[str, Callable[[dict[str, Any]], Any]]:
    """A column reading one tool's figure."""
    return f"{label}", lambda a: a[tool][key]


def report(summary: list[tuple[str, dict[str, Any]]], rows: list[dict[str, Any]], misses: int):
    """Print the tables, the accuracy by chosen source and our misses."""
    print_table(
        "DAY ACCURACY (value's own date part vs truth day); none = no date; fut = future",
        [("pages", lambda a: a["pages"])]
        + [col(t, "day", f"{t[:5]} day") for t in TOOLS]
        + [col(t, "none", f"{t[:5]} none") for t in TOOLS]
        + [col(t, "future", f"{t[:5]} fut") for t in TOOLS],
        summary,
    )
    fundus = [(n, a) for n, a in summary if a["ours"]["minute_pages"] or a["ours"]["offset_pages"]]
    print_table(
        "FUNDUS TRUTH WITH TIME: day in the truth's offset, same instant to the minute (ours)",
        [
            ("n offset", lambda a: a["ours"]["offset_pages"]),
            col("ours", "day_truth_offset", "ours d@tz"),
            col("htmldate", "day_truth_offset", "htmld d"),
            col("traf", "day_truth_offset", "traf d"),
            ("n time", lambda a: a["ours"]["minute_pages"]),
            col("ours", "minute", "ours min"),
        ],
        fundus,
    )
    print_table(
        "TIME per page in ms (2 processes; ours = whole extraction, traf = bare_extraction)",
        [("pages", lambda a: a["pages"])] + [col(t, "ms_mean", t[:8]) for t in TOOLS],
        summary[:1],
    )
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        source = r["ours"]["source"] or "(none)"
        by_source[source]["n"] += 1
        by_source[source]["ok"] += r["cmp"]["ours"]["day"]
    print("\nOURS BY CHOSEN SOURCE")
    print(f"{'source':<28}{'pages':>8}{'day ok':>8}{'acc':>8}")
    for source, c in sorted(by_source.items(), key=lambda kv: -kv[1]["n"]):
        print(f"{source:<28}{c['n']:>8}{c['ok']:>8}{c['ok'] / c['n']:>8.3f}")

    missed = [r for r in rows if not r["cmp"]["ours"]["day"]]
    missed.sort(key=lambda r: (r["lang"] != "it", r["folder"], r["file"]))
    print(f"\nOUR MISSES ({len(missed)}; first {min(misses, len(missed))}, Italian first)")
    for r in missed[:misses]:
        ours = r["ours"]
        print(
            f"- {r['folder']}/{r['file']} [{r['lang']}]\n"
            f"    truth {r['truth']}  ours {ours['value']}  htmldate {r['htmldate']['value']}"
            f"  traf {r['traf']['value']}\n"
            f"    chosen {ours['source']}: {ours['raw']!r}"
            + ("" if ours["outcome"] == "article" else f"  outcome {ours['outcome']}")
        )


def normalizer_cases(root: Path) -> list[dict[str, Any]]:
    """Score the normalizer on dates-it/cases.jsonl and print that report."""
    path = root / "dates-it" / "cases.jsonl"
    if not path.is_file():
        print(f"\nNORMALIZER: {path} not found, skipped")
        return []
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    print(f"\nNORMALIZER on {len(cases)} cases of {path}")
    rows = eval_dates_cases.evaluate(cases)
    eval_dates_cases.print_report(rows, show_all=False)
    return rows


def goals_table(summary: dict[str, dict[str, Any]], cases: list[dict[str, Any]]) -> None:
    """The figures the dates issue sets goals for, in one table."""
    headline = [r for r in cases if r["bucket"] != "future"]
    future = [r for r in cases if r["bucket"] == "future"]
    italian = summary.get(f"lang {corpus.LANGUAGE_ROWS[0]}") if corpus.LANGUAGE_ROWS else None
    overall = summary["all"]
    lines: list[tuple[str, str, str]] = []
    if headline:
        ok = sum(r["correct"] for r in headline)
        acc = ok / len(headline)
        lines.append(
            (
                "normalizer, past/present + negatives",
                f"{ok}/{len(headline)} = {acc:.1%}",
                f">= {GOAL_CASES:.0%}: {'met' if acc >= GOAL_CASES else 'MISSED'}",
            )
        )
        fok = sum(r["correct"] for r in future)
        lines.append(("normalizer, future expressions (apart)", f"{fok}/{len(future)}", "-"))
    ours, htmld, traf = (overall[t]["day"] for t in TOOLS)
    beats = ours > htmld and ours > traf
    lines.append(
        (
            "page day accuracy: ours / htmldate / traf",
            f"{ours:.3f} / {htmld:.3f} / {traf:.3f}",
            f"above both: {'met' if beats else 'MISSED'}",
        )
    )
    if italian and italian["pages"]:
        it = italian["ours"]
        acc = it["day_correct"] / italian["pages"]
        lines.append(
            (
                f"Italian pages ({corpus.LANGUAGE_ROWS[0]}) day accuracy",
                f"{it['day_correct']}/{italian['pages']} = {acc:.1%}",
                f">= {GOAL_ITALIAN_PAGES:.0%}: {'met' if acc >= GOAL_ITALIAN_PAGES else 'MISSED'}",
            )
        )
    futures = overall["ours"]["future"]
    lines.append(
        ("future dates chosen (ours)", str(futures), f"0: {'met' if not futures else 'MISSED'}")
    )
    print("\nGOALS")
    print(f"{'measure':<44}{'figure':<28}goal")
    for measure, figure, goal in lines:
        print(f"{measure:<44}{figure:<28}{goal}")


def extractor_name() -> str:
    """newsarchive's extractor string (versions and settings hash) for the record."""
    from newsarchive.extract.article import EXTRACTOR

    return EXTRACTOR


def main(argv: list[str] | None = None) -> int:
    """Run the three tools over the dated corpus pages, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages per folder")
    parser.add_argument("--delay-days", type=int, default=corpus.REFERENCE_DELAY.days)
    parser.add_argument("--misses", type=int, default=25)
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    args = parser.parse_args(argv)

    root = corpus.require_corpus()
    loaded = corpus.load(corpus.DATE_FOLDERS, root=root, delay=timedelta(days=args.delay_days))
    invalid = [p for p in loaded if p.truth_error]
    pages = [p for p in loaded if p.truth_day is not None]
    if args.limit:
        seen: Counter[str] = Counter()
        pages = [p for p in pages if (seen.update([p.folder]) or seen[p.folder]) <= args.limit]
    by_key = {p.key: p for p in pages}
    started = time.perf_counter()
    rows = []
    with multiprocessing.Pool(args.workers, initializer=_init_worker) as pool:
        for i, row in enumerate(pool.imap(run_page, pages, chunksize=4), 1):
            page = by_key[row["key"]]
            row["lang"] = page.lang_group
            row["truth"] = page.truth["date_published"]
            row["fetched_at"] = page.fetched_at.isoformat()
            row["cmp"] = {tool: compare(page, row[tool]["value"]) for tool in TOOLS}
            rows.append(row)
            if i % 100 == 0:
                print(f"  {i}/{len(pages)} pages", file=sys.stderr)
    wall = time.perf_counter() - started

    summary = [(name, summarize(group)) for name, group in row_sets(rows)]
    print(
        f"{len(rows)} dated pages from {', '.join(corpus.DATE_FOLDERS)} in {wall:.0f} s "
        f"({args.workers} workers); fetched_at = fundus crawl_date, else truth + "
        f"{args.delay_days} days"
    )
    print(f"ours = {extractor_name()}")
    for page in invalid:
        print(f"  skipped, invalid truth: {page.key} {page.truth_error}")
    report(summary, rows, args.misses)
    cases = normalizer_cases(root)
    goals_table(dict(summary), cases)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "corpus": str(root),
                "extractor": extractor_name(),
                "delay_days": args.delay_days,
                "wall_seconds": wall,
                "invalid_truth": [p.key for p in invalid],
                "summary": dict(summary),
                "normalizer_cases": cases,
                "pages": rows,
            },
            indent=1,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
