"""Loader for the shared evaluation corpus (real pages + third-party truth), used by the benches.

The corpus lives outside the repository (its pages belong to their publishers): it is read from
``../shared/corpus`` next to the checkout, or from ``$NEWSARCHIVE_CORPUS``. Nothing is copied.

Reference time (``fetched_at``) of a page, which extraction needs as the "now" of relative
dates and as the "not in the future" limit:

1. fundus pages carry the crawl time (``crawl_date``, naive): it is read as UTC. fundus writes
   it with the crawler's local clock (Germany); reading it as UTC puts it 1-2 hours *later*
   than the real crawl, which never hides a correct date behind the future rule.
2. Other pages with a date truth: the truth day + ``REFERENCE_DELAY`` (30 days) at 12:00 UTC.
   The pages were saved some time after publication; 30 days keeps relative dates plausible
   and lets the future rule work. It leaks a little truth (a candidate more than 30 days
   after the truth is rejected by every tool alike, since htmldate/trafilatura get the same
   max_date); ``--delay-days`` in the benches shows the sensitivity.
3. Pages with no date truth: a fixed per-folder reference, just after the upstream data set
   was built (``FOLDER_REFERENCE``).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

CORPUS_ENV = "NEWSARCHIVE_CORPUS"
FOLDERS = ("htmldate", "trafilatura", "fundus", "scrapinghub-aeb")
DATE_FOLDERS = ("htmldate", "trafilatura", "fundus")
REFERENCE_DELAY = timedelta(days=30)
REFERENCE_TIME = time(12, 0, tzinfo=timezone.utc)
FOLDER_REFERENCE = {
    "scrapinghub-aeb": datetime(2020, 1, 1, 12, 0, tzinfo=timezone.utc),  # benchmark: Nov 2019
    "htmldate": datetime(2021, 1, 1, 12, 0, tzinfo=timezone.utc),  # mediacloud 2020 set
    "trafilatura": datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc),
    "fundus": datetime(2026, 12, 31, 12, 0, tzinfo=timezone.utc),
}
# Language rows of the reports: Italian apart, the big groups, then the rest together.
LANGUAGE_ROWS = ("it", "en", "de", "es", "fr")
OTHER_LANGUAGES = "other"
UNKNOWN_LANGUAGE = "unknown"


@dataclass(frozen=True)
class Page:
    """One corpus page: where it is, its truth record and the reference time to extract with."""

    folder: str
    file: str
    path: Path
    url: str
    lang: str | None
    truth: dict[str, Any] = field(repr=False)
    fetched_at: datetime = field(default=datetime(2030, 1, 1, tzinfo=timezone.utc))
    reference_source: str = "folder"
    truth_day: date | None = None
    truth_datetime: datetime | None = None
    truth_error: str | None = None

    @property
    def key(self) -> str:
        """A short unique name: folder/file."""
        return f"{self.folder}/{self.file}"

    @property
    def lang_group(self) -> str:
        """Row of the per-language tables: it, en, de, es, fr, other, unknown."""
        if not self.lang:
            return UNKNOWN_LANGUAGE
        return self.lang if self.lang in LANGUAGE_ROWS else OTHER_LANGUAGES

    def body(self) -> bytes:
        """The page bytes as saved (gunzipped when stored as .gz)."""
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.path.suffix == ".gz" else data


def corpus_dir() -> Path | None:
    """The shared corpus folder ($NEWSARCHIVE_CORPUS when set), or None when it is absent."""
    override = os.environ.get(CORPUS_ENV)
    root = Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    return root if (root / "fundus" / "truth.jsonl").is_file() else None


def require_corpus() -> Path:
    """The corpus folder; print a message and exit 0 when it is absent (benches are optional)."""
    root = corpus_dir()
    if root is None:
        print(f"evaluation corpus not found (set {CORPUS_ENV}); nothing to do")
        sys.exit(0)
    return root


def parse_truth_date(value: str | None) -> tuple[date | None, datetime | None]:
    """(day, datetime) of a truth value; the datetime is None for a bare day.

    fundus sometimes gives a naive ``T00:00:00`` (a day with no time): it counts as a day.
    Other naive datetimes are the publisher's wall clock and stay naive.
    """
    if not value:
        return None, None
    if "T" not in value and " " not in value:
        return date.fromisoformat(value[:10]), None
    stamp = datetime.fromisoformat(value)
    if stamp.tzinfo is None and stamp.time() == time(0, 0):
        return stamp.date(), None
    return stamp.date(), stamp


def reference_time(folder: str, truth: dict[str, Any], delay: timedelta) -> tuple[datetime, str]:
    """(fetched_at, how it was chosen) for one page; see the module docstring."""
    crawl = truth.get("crawl_date")
    if crawl:
        stamp = datetime.fromisoformat(crawl)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        return stamp, "crawl_date"
    try:
        day, _ = parse_truth_date(truth.get("date_published"))
    except ValueError:
        day = None
    if day is not None:
        return datetime.combine(day + delay, REFERENCE_TIME), f"truth+{delay.days}d"
    return FOLDER_REFERENCE[folder], "folder"


def load(
    folders: Iterable[str] = FOLDERS,
    *,
    root: Path | None = None,
    delay: timedelta = REFERENCE_DELAY,
) -> list[Page]:
    """Every page of the given folders, in truth.jsonl order."""
    root = root or require_corpus()
    pages = []
    for folder in folders:
        for truth in _records(root / folder / "truth.jsonl"):
            fetched_at, how = reference_time(folder, truth, delay)
            try:
                day, stamp = parse_truth_date(truth.get("date_published"))
                error = None
            except ValueError as exc:  # e.g. "2022-25-10" in trafilatura's evaldata
                day, stamp, error = None, None, f"{truth.get('date_published')!r}: {exc}"
            pages.append(
                Page(
                    folder=folder,
                    file=truth["file"],
                    path=root / folder / truth["file"],
                    url=truth["url"],
                    lang=truth.get("lang"),
                    truth=truth,
                    fetched_at=fetched_at,
                    reference_source=how,
                    truth_day=day,
                    truth_datetime=stamp,
                    truth_error=error,
                )
            )
    return pages


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def group_rows(pages: Iterable[Page]) -> list[str]:
    """Row names present among the pages, in report order."""
    present = {p.lang_group for p in pages}
    order = [*LANGUAGE_ROWS, OTHER_LANGUAGES, UNKNOWN_LANGUAGE]
    return [name for name in order if name in present]
