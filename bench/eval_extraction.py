"""Extraction quality of newsarchive vs. plain trafilatura on the shared corpus, side by side.

Run: uv run python bench/eval_extraction.py [--workers 2] [--limit N] [--delay-days 30]

Contenders, on the very same page bytes:
  ours  newsarchive.extract_article(body, url=..., fetched_at=...) (newsarchive_testing.corpus
        says which fetched_at)
  traf  trafilatura.extract(body, url=url) with its defaults, for the text, and
        trafilatura.bare_extraction(body, url=url, with_metadata=True) for title and author

Measures (truth from newsarchive_testing.corpus; pages without a truth for a field are not counted):
  text     bag-of-words P/R/F1 (lowercased \\w+ tokens, multiset overlap), mean over pages, on
           fundus and scrapinghub-aeb full texts; plus the upstream aeb metric (4-word shingles,
           case kept, per-page normalised tp/fp/fn, mean precision and recall, F1 of the means)
  snippets trafilatura set: recall of text_snippets_present, and "absent-ok", the share of
           text_snippets_absent that are absent (whitespace collapsed on both sides)
  title    exact, and normalised (NFKC, casefold, whitespace collapsed, quotes unified)
  authors  normalised set equality, plus set F1; fundus `authors`, trafilatura `author` split
           on ; , " e " " and "; trafilatura's own author string is split the same way
Rows: overall, per language (Italian apart), per folder. Time per page for each side.
Table on stdout; everything (with per-page rows) in bench/out/eval_extraction.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from newsarchive_testing import corpus

FOLDERS = ("trafilatura", "fundus", "scrapinghub-aeb")
WARM_UP_PAGE = (
    b"<html><head><title>Prova</title></head><body><article><h1>Prova</h1>"
    b"<p>Pubblicato il 17/11/2024 alle 11:49. Un testo di prova abbastanza lungo.</p>"
    b"</article></body></html>"
)
OUT_PATH = Path(__file__).resolve().parent / "out" / "eval_extraction.json"
TOKEN_RE = re.compile(r"\w+")
WS_RE = re.compile(r"\s+")
SHINGLE_N = 4
AUTHOR_SPLIT_RE = re.compile(r"\s*(?:;|,|\s+e\s+|\s+and\s+)\s*", re.IGNORECASE)
QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
    }
)
SIDES = ("ours", "traf")


# --- per-page work (runs in the worker processes) -------------------------------------------


def _init_worker() -> None:
    """Silence library warnings and warm the imports and caches, so timings are per page."""
    import logging

    import trafilatura

    from newsarchive.extract.article import extract_article

    logging.disable(logging.CRITICAL)  # trafilatura/htmldate warnings would flood the table
    extract_article(
        WARM_UP_PAGE, url="https://example.it/a", fetched_at=corpus.FOLDER_REFERENCE["fundus"]
    )
    trafilatura.extract(WARM_UP_PAGE)
    trafilatura.bare_extraction(WARM_UP_PAGE, with_metadata=True)


def run_page(page: corpus.Page) -> dict[str, Any]:
    """Extract one page with both contenders; return their fields and timings."""
    import trafilatura

    from newsarchive.extract.article import extract_article

    body = page.body()
    row: dict[str, Any] = {"key": page.key, "folder": page.folder, "lang": page.lang_group}
    start = time.perf_counter()
    try:
        result = extract_article(body, url=page.url, fetched_at=page.fetched_at)
        art = result.article
        row["ours"] = {
            "outcome": result.outcome,
            "text": (art.text if art else "") or "",
            "title": art.title if art else None,
            "authors": list(art.authors) if art else [],
        }
    except Exception as exc:  # noqa: BLE001 - a crash is a result too
        row["ours"] = {"outcome": f"error: {type(exc).__name__}: {exc}", "text": ""}
        row["ours"].update(title=None, authors=[])
    row["ours"]["seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    try:
        text = trafilatura.extract(body, url=page.url) or ""
    except Exception as exc:  # noqa: BLE001
        text = ""
        row["traf_error"] = f"{type(exc).__name__}: {exc}"
    middle = time.perf_counter()
    try:
        doc = trafilatura.bare_extraction(body, url=page.url, with_metadata=True)
    except Exception as exc:  # noqa: BLE001
        doc = None
        row["traf_error"] = f"{type(exc).__name__}: {exc}"
    end = time.perf_counter()
    row["traf"] = {
        "outcome": "article" if text else "empty",
        "text": text,
        "title": getattr(doc, "title", None),
        "authors": split_authors(getattr(doc, "author", None)),
        "seconds": middle - start,
        "seconds_metadata": end - middle,
    }
    return row


# --- metrics ---------------------------------------------------------------------------------


def split_authors(value: str | None) -> list[str]:
    """Names from an author string: 'A; B', 'A, B', 'A e B', 'A and B'."""
    if not value:
        return []
    return [part for part in AUTHOR_SPLIT_RE.split(value.strip()) if part.strip()]


def norm_text(value: str | None) -> str:
    """NFKC, casefold, quotes unified, whitespace collapsed."""
    value = unicodedata.normalize("NFKC", value or "").translate(QUOTES).casefold()
    return WS_RE.sub(" ", value).strip()


def norm_name(value: str) -> str:
    """A person name for set comparison: normalised text without edge punctuation."""
    return norm_text(value).strip(" .,;:-|")


def word_prf(truth: str, pred: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall, F1 (lowercased \\w+ tokens, multiset overlap)."""
    want = Counter(TOKEN_RE.findall(truth.lower()))
    got = Counter(TOKEN_RE.findall(pred.lower()))
    common = sum((want & got).values())
    if not want and not got:
        return 1.0, 1.0, 1.0
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def shingle_counts(truth: str, pred: str) -> tuple[float, float, float]:
    """Per-page tp/fp/fn over 4-word shingles, normalised to sum 1 (the aeb benchmark's way)."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        tokens = TOKEN_RE.findall(text or "")
        count = max(1, len(tokens) - SHINGLE_N + 1)
        return Counter(tuple(tokens[i : i + SHINGLE_N]) for i in range(count) if tokens[i:])

    want, got = shingles(truth), shingles(pred)
    tp = float(sum((want & got).values()))
    fp = float(sum((got - want).values()))
    fn = float(sum((want - got).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def shingle_summary(counts: list[tuple[float, float, float]]) -> dict[str, float] | None:
    """Mean precision and recall over pages, F1 of the means (as the aeb evaluate script)."""

    def precision(tp: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return tp / (tp + fp) if tp + fp else 0.0

    def recall(tp: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return tp / (tp + fn) if tp + fn else 0.0

    precisions = [precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [recall(*c) for c in counts if c[0] + c[2] > 0]
    if not precisions or not recalls:
        return None
    p, r = statistics.mean(precisions), statistics.mean(recalls)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def snippet_scores(text: str, present: list[str], absent: list[str]) -> dict[str, int]:
    """Counts of present snippets found and absent snippets not found."""
    flat = WS_RE.sub(" ", text)
    found = sum(1 for s in present if WS_RE.sub(" ", s).strip() in flat)
    leaked = sum(1 for s in absent if WS_RE.sub(" ", s).strip() in flat)
    return {
        "present": len(present),
        "found": found,
        "absent": len(absent),
        "absent_ok": len(absent) - leaked,
    }


def truth_authors(page: dict[str, Any], truth: dict[str, Any]) -> list[str] | None:
    """The author names of the truth, or None when the source gives none."""
    if truth.get("authors"):
        return list(truth["authors"])
    if page["folder"] == "trafilatura" and truth.get("author"):
        return split_authors(truth["author"])
    return None


def author_scores(want: list[str], got: list[str]) -> tuple[bool, float]:
    """(normalised set equality, set F1)."""
    a = {norm_name(x) for x in want if norm_name(x)}
    b = {norm_name(x) for x in got if norm_name(x)}
    common = len(a & b)
    f1 = 2 * common / (len(a) + len(b)) if a or b else 1.0
    return a == b, f1


def score_page(row: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """Per-page scores for both sides (texts dropped afterwards)."""
    scores: dict[str, Any] = {}
    want_authors = truth_authors(row, truth)
    for side in SIDES:
        got = row[side]
        s: dict[str, Any] = {}
        if truth.get("text"):
            s["word"] = word_prf(truth["text"], got["text"])
            if row["folder"] == "scrapinghub-aeb":
                s["shingle"] = shingle_counts(truth["text"], got["text"])
        if truth.get("text_snippets_present") or truth.get("text_snippets_absent"):
            s["snippets"] = snippet_scores(
                got["text"],
                truth.get("text_snippets_present") or [],
                truth.get("text_snippets_absent") or [],
            )
        if truth.get("title"):
            s["title_exact"] = (got["title"] or "").strip() == truth["title"].strip()
            s["title_norm"] = norm_text(got["title"]) == norm_text(truth["title"])
        if want_authors:
            s["authors_set"], s["authors_f1"] = author_scores(want_authors, got["authors"])
        scores[side] = s
    return scores


# --- aggregation and report ------------------------------------------------------------------


def row_sets(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, rows) for overall, each language group and each folder."""
    groups: list[tuple[str, list[dict[str, Any]]]] = [("all", rows)]
    langs = [r["lang"] for r in rows]
    for lang in [*corpus.LANGUAGE_ROWS, corpus.OTHER_LANGUAGES, corpus.UNKNOWN_LANGUAGE]:
        if lang in langs:
            groups.append((f"lang {lang}", [r for r in rows if r["lang"] == lang]))
    for folder in FOLDERS:
        groups.append((f"folder {folder}", [r for r in rows if r["folder"] == folder]))
    return groups


def mean(values: Iterable[float]) -> float | None:
    """Mean, or None for no values."""
    values = list(values)
    return statistics.mean(values) if values else None


def _ms(how: Callable[[list[float]], float], seconds: list[float]) -> float | None:
    return 1000 * how(seconds) if seconds else None


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """All aggregate figures of one row set, both sides."""
    out: dict[str, Any] = {"pages": len(rows)}
    for side in SIDES:
        sc = [r["scores"][side] for r in rows]
        word = [s["word"] for s in sc if "word" in s]
        snip = [s["snippets"] for s in sc if "snippets" in s]
        titles = [s for s in sc if "title_exact" in s]
        authors = [s for s in sc if "authors_set" in s]
        shingles = [s["shingle"] for s in sc if "shingle" in s]
        present = sum(x["present"] for x in snip)
        absent = sum(x["absent"] for x in snip)
        out[side] = {
            "text_pages": len(word),
            "word_precision": mean(w[0] for w in word),
            "word_recall": mean(w[1] for w in word),
            "word_f1": mean(w[2] for w in word),
            "shingle": shingle_summary(shingles) if shingles else None,
            "shingle_pages": len(shingles),
            "snippet_pages": len(snip),
            "snippets_present": present,
            "snippet_recall": sum(x["found"] for x in snip) / present if present else None,
            "snippets_absent": absent,
            "snippet_absent_ok": sum(x["absent_ok"] for x in snip) / absent if absent else None,
            "title_pages": len(titles),
            "title_exact": mean(float(s["title_exact"]) for s in titles),
            "title_norm": mean(float(s["title_norm"]) for s in titles),
            "author_pages": len(authors),
            "authors_set": mean(float(s["authors_set"]) for s in authors),
            "authors_f1": mean(s["authors_f1"] for s in authors),
            "empty": sum(1 for r in rows if not r[side]["text"]),
            "ms_mean": _ms(statistics.mean, [r[side]["seconds"] for r in rows]),
            "ms_median": _ms(statistics.median, [r[side]["seconds"] for r in rows]),
        }
    return out


def fmt(value: float | None, digits: int = 3) -> str:
    """A score for the table ('-' when there is nothing to score)."""
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(
    title: str,
    columns: list[tuple[str, Callable[[dict[str, Any]], Any]]],
    summary: list[tuple[str, dict[str, Any]]],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    """One table: a row per row set (skipping sets with nothing to score)."""
    print(f"\n{title}")
    head = f"{'row':<24}" + "".join(f"{name:>12}" for name, _ in columns)
    print(head)
    print("-" * len(head))
    for name, agg in summary:
        if not keep(agg):
            continue
        cells = []
        for _, getter in columns:
            value = getter(agg)
            cells.append(fmt(value) if isinstance(value, float) or value is None else str(value))
        print(f"{name:<24}" + "".join(f"{c:>12}" for c in cells))


def both(key: str, label: str) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """Two columns, ours and traf, for one aggregate key."""
    return [
        (f"ours {label}", lambda a, k=key: a["ours"][k]),
        (f"traf {label}", lambda a, k=key: a["traf"][k]),
    ]


def report(summary: list[tuple[str, dict[str, Any]]]) -> None:
    """Print the tables."""
    n = lambda key: [("n", lambda a, k=key: a["ours"][k])]  # noqa: E731
    print_table(
        "TEXT: bag-of-words P/R/F1 vs full text (fundus + scrapinghub-aeb), mean over pages",
        n("text_pages")
        + both("word_precision", "P")
        + both("word_recall", "R")
        + both("word_f1", "F1"),
        summary,
        lambda a: a["ours"]["text_pages"] > 0,
    )
    shingle = lambda side, k: lambda a: (a[side]["shingle"] or {}).get(k)  # noqa: E731
    print_table(
        "TEXT: upstream aeb metric (4-word shingles), scrapinghub-aeb pages",
        [("n", lambda a: a["ours"]["shingle_pages"])]
        + [
            (f"{side} {label}", shingle(side, key))
            for key, label in (("precision", "P"), ("recall", "R"), ("f1", "F1"))
            for side in SIDES
        ],
        summary,
        lambda a: a["ours"]["shingle_pages"] > 0,
    )
    print_table(
        "SNIPPETS (trafilatura set): recall of present, share of absent kept out",
        n("snippet_pages")
        + [("present", lambda a: a["ours"]["snippets_present"])]
        + both("snippet_recall", "recall")
        + [("absent", lambda a: a["ours"]["snippets_absent"])]
        + both("snippet_absent_ok", "abs-ok"),
        summary,
        lambda a: a["ours"]["snippet_pages"] > 0,
    )
    print_table(
        "TITLE (trafilatura + fundus truth)",
        n("title_pages") + both("title_exact", "exact") + both("title_norm", "norm"),
        summary,
        lambda a: a["ours"]["title_pages"] > 0,
    )
    print_table(
        "AUTHORS (fundus list; trafilatura string split on ; , e and): set match, set F1",
        n("author_pages") + both("authors_set", "set") + both("authors_f1", "F1"),
        summary,
        lambda a: a["ours"]["author_pages"] > 0,
    )
    print_table(
        "TIME per page in ms (2 processes; traf = extract() only) and pages with no text",
        [("pages", lambda a: a["pages"])]
        + both("ms_mean", "mean")
        + both("ms_median", "med")
        + [
            ("ours empty", lambda a: a["ours"]["empty"]),
            ("traf empty", lambda a: a["traf"]["empty"]),
        ],
        summary,
        lambda a: a["pages"] > 0,
    )


def extractor_name() -> str:
    """newsarchive's extractor string (versions and settings hash) for the record."""
    from newsarchive.extract.article import EXTRACTOR

    return EXTRACTOR


def main(argv: list[str] | None = None) -> int:
    """Run both contenders over the corpus, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages per folder")
    parser.add_argument("--delay-days", type=int, default=corpus.REFERENCE_DELAY.days)
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    args = parser.parse_args(argv)

    root = corpus.require_corpus()
    pages = corpus.load(FOLDERS, root=root, delay=timedelta(days=args.delay_days))
    if args.limit:
        seen: Counter[str] = Counter()
        pages = [p for p in pages if (seen.update([p.folder]) or seen[p.folder]) <= args.limit]
    truths = {p.key: p.truth for p in pages}
    started = time.perf_counter()
    with multiprocessing.Pool(args.workers, initializer=_init_worker) as pool:
        rows = []
        for i, row in enumerate(pool.imap(run_page, pages, chunksize=4), 1):
            row["scores"] = score_page(row, truths[row["key"]])
            rows.append(row)
            if i % 100 == 0:
                print(f"  {i}/{len(pages)} pages", file=sys.stderr)
    wall = time.perf_counter() - started

    summary = [(name, summarize(group)) for name, group in row_sets(rows)]
    print(f"{len(rows)} pages from {', '.join(FOLDERS)} in {wall:.0f} s ({args.workers} workers)")
    print(f"ours = {extractor_name()}")
    report(summary)

    for row in rows:  # keep the JSON small: fields, not texts
        for side in SIDES:
            text = row[side].pop("text")
            row[side]["text_chars"] = len(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "corpus": str(root),
                "extractor": extractor_name(),
                "reference": f"fundus crawl_date, else truth day + {args.delay_days} days",
                "wall_seconds": wall,
                "summary": dict(summary),
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
