"""Italian date normalization for news pages: pure, deterministic, never reads the wall clock.

Stages of `normalize_date`:
1. ISO 8601 / RFC 2822 literals are read by compiled regexes (`parse_iso`, in `dates.iso`
   with `ParsedDate`; both re-exported here).
2. Everything else is read once per distinct string by the grammar in `dates.grammar`
   (cached, independent of the reference), then resolved against `reference` in `tz`.
3. Only strings the grammar does not understand, that still carry a month name or a numeric
   date, go to dateparser (imported lazily), whose answer is checked against the input.

`stats()` counts how each call was answered (`calls`, `iso`, `rules`, `dateparser`,
`unanswered`); `clear_cache()` empties the caches (used by the speed benchmark).
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from newsarchive.dates.grammar import MONTHS, REJECT, Reading, clean, read, tokenize
from newsarchive.dates.iso import IsoParts, build_iso, iso_parts, zone_of
from newsarchive.dates.iso import ParsedDate as ParsedDate  # re-exported, as the three below
from newsarchive.dates.iso import local_day as local_day
from newsarchive.dates.iso import parse_iso as parse_iso
from newsarchive.dates.iso import precision_of as precision_of
from newsarchive.defaults import DEFAULT_TZ as DEFAULT_TZ  # re-exported

logger = logging.getLogger(__name__)

DAY_OR_FINER = frozenset({"datetime", "day"})  # what can date an article
FUTURE_TOLERANCE = timedelta(days=1)
CACHE_SIZE = 4096
MAX_TEXT_LENGTH = 200
MAX_FALLBACK_WORDS = 12
YEARLESS_LOOKBACK_YEARS = 8  # enough to find the previous 29 February
WEEKDAY_READINGS = 2  # a year-less day with a weekday: the latest two readings are compared
LOOKS_RELATIVE_RE = re.compile(r"\b(?:oggi|ieri|altroieri|adesso|poco fa)\b", re.IGNORECASE)
LOOKS_DATEISH_RE = re.compile(
    r"\d{1,4}[/.\-]\d{1,2}|\d{1,2}:\d{2}|\b(?:gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic"
    r"|lun|mer|gio|ven|sab|dom)|\b(?:fa|ore|alle)\b",
    re.IGNORECASE,
)
HOURS_WORD_RE = re.compile(r"\b(?:ore|h)\s*(?=\d)")
PERIOD_ISO_RE = re.compile(r"(\d{4})-(?:W(\d{2})|Q([1-4]))", re.ASCII)  # our own week/quarter

_STATS: Counter[str] = Counter()


def normalize_date(
    text: str,
    *,
    reference: datetime,
    tz: str = DEFAULT_TZ,
    page_date: date | None = None,
    near: date | None = None,
) -> ParsedDate | None:
    """Normalize a date string as shown on an Italian page; None when it is not a date.

    near: the day other evidence gives the page; a day and month with no year
    ("20 novembre") take the year that puts them closest to it (never after the reference).
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    if reference.tzinfo is None or reference.utcoffset() is None:
        raise ValueError("reference must be an aware datetime (the page's fetched_at)")
    zone = zone_of(tz)
    _STATS["calls"] += 1
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_TEXT_LENGTH:
        _STATS["unanswered"] += 1
        return None
    found = _analyze(stripped)
    if isinstance(found, IsoParts):
        _STATS["iso"] += 1
        return _not_future(build_iso(found, zone), reference, zone)
    if isinstance(found, Reading):
        _STATS["rules"] += 1
        if found.kind == REJECT.kind:
            return None
        return _resolve(found, reference, zone, page_date, near)
    return _fallback(stripped, reference, zone)


def looks_like_date(text: str) -> bool:
    """Cheap pre-filter: a relative word, or a digit plus a month/weekday, numeric date or time."""
    if LOOKS_RELATIVE_RE.search(text):
        return True
    return any(c.isdigit() for c in text) and LOOKS_DATEISH_RE.search(text) is not None


def stats() -> dict[str, int]:
    """Counters since the last reset: calls and how they were answered."""
    keys = ("calls", "iso", "rules", "dateparser", "unanswered")
    return {k: _STATS[k] for k in keys}


def reset_stats() -> None:
    """Zero the counters returned by stats()."""
    _STATS.clear()


def clear_cache() -> None:
    """Empty the parse caches (the next calls are 'cold')."""
    _analyze.cache_clear()
    _dateparser_parse.cache_clear()


@functools.lru_cache(maxsize=CACHE_SIZE)
def _analyze(text: str) -> IsoParts | Reading | None:
    """Reference-independent reading of one string (cached)."""
    if text[:1].isdigit() or text[:3].isalpha():
        parts = iso_parts(text)
        if parts is not None:
            return parts
        period = PERIOD_ISO_RE.fullmatch(text)
        if period:
            year, week, quarter = period.groups()
            if week:
                return Reading(kind="date", year=int(year), day=int(week), period="week")
            return Reading(
                kind="date", year=int(year), month=3 * int(quarter) - 2, period="quarter"
            )
    return read(text)


def _not_future(
    result: ParsedDate | None, reference: datetime, zone: ZoneInfo, *, relative: bool = False
) -> ParsedDate | None:
    """None when the result lies after the reference (+ tolerance unless the form is relative)."""
    if result is None:
        return None
    tolerance = timedelta(0) if relative else FUTURE_TOLERANCE
    if isinstance(result.value, datetime):
        return result if result.value <= reference + tolerance else None
    today = reference.astimezone(zone).date()
    return result if result.value <= today + tolerance else None


def _resolve(
    r: Reading,
    reference: datetime,
    zone: ZoneInfo,
    page_date: date | None,
    near: date | None = None,
) -> ParsedDate | None:
    """Apply the reference (and page date) to a Reading."""
    local = reference.astimezone(zone).replace(microsecond=0)
    today = local.date()
    try:
        if r.kind == "now":
            return ParsedDate(local, "datetime")
        if r.kind == "ago":
            return _resolve_ago(r.ago, local, zone)
        if r.period is not None:
            return _not_future(_resolve_period(r, local.date()), reference, zone)
        relative = r.day_offset is not None or (r.weekday is not None and r.day is None)
        relative = relative or r.ordinal is not None or r.month_offset is not None
        day, precision = _resolve_day(r, today, page_date, near)
        if day is None or (relative and day > today):
            return None
        if precision == "month" or r.hour is None:
            return _not_future(ParsedDate(day, precision), reference, zone)
        value = _at(day, r, zone)
        if _is_time_only(r) and page_date is None and value > reference:
            value = _at(day - timedelta(days=1), r, zone)  # the latest such time: yesterday's
        return _not_future(ParsedDate(value, "datetime"), reference, zone, relative=relative)
    except (ValueError, OverflowError):
        return None


def _at(day: date, r: Reading, zone: ZoneInfo) -> datetime:
    """The reading's clock time on a day, in its own offset or the publisher's zone."""
    naive = datetime.combine(day, time(r.hour or 0, r.minute, r.second))
    if r.offset_minutes is None:
        return naive.replace(tzinfo=zone_of(r.zone) if r.zone else zone, fold=0)
    return naive.replace(tzinfo=timezone(timedelta(minutes=r.offset_minutes)))


def _is_time_only(r: Reading) -> bool:
    located = (r.year, r.month, r.day, r.weekday, r.day_offset, r.month_offset, r.period)
    return r.kind == "date" and r.hour is not None and all(v is None for v in located)


def is_time_only(text: str) -> bool:
    """True for a clock time with no day ("Aggiornato alle 16:01"): its day is the page's."""
    found = _analyze(text.strip()) if 0 < len(text.strip()) <= MAX_TEXT_LENGTH else None
    return isinstance(found, Reading) and _is_time_only(found)


def _resolve_period(r: Reading, today: date) -> ParsedDate:
    """First day of the week, quarter or year a period reading names."""
    if r.period == "week":
        if r.year is not None and r.day is not None:  # "2024-W47"
            return ParsedDate(date.fromisocalendar(r.year, r.day, 1), "week")
        monday = today - timedelta(days=today.weekday())
        return ParsedDate(monday + timedelta(weeks=r.week_offset or 0), "week")
    if r.period == "quarter":
        if r.year is not None and r.month is not None:  # "2024-Q4"
            return ParsedDate(date(r.year, r.month, 1), "quarter")
        year, month = _month_shift(today.year, today.month, 3 * (r.quarter_offset or 0))
        return ParsedDate(date(year, month - (month - 1) % 3, 1), "quarter")
    year = r.year if r.year is not None else today.year + (r.year_offset or 0)
    return ParsedDate(date(year, 1, 1), "year")


def _resolve_ago(ago: tuple[int, ...], local: datetime, zone: ZoneInfo) -> ParsedDate:
    years, months, weeks, days, hours, minutes, seconds = ago
    total_months = 12 * years + months
    if not (hours or minutes or seconds):
        day = _add_months(local.date(), -total_months) - timedelta(weeks=weeks, days=days)
        return ParsedDate(day, "day")
    base = local
    if total_months or weeks or days:
        wall = datetime.combine(_add_months(local.date(), -total_months), local.time())
        base = (wall - timedelta(weeks=weeks, days=days)).replace(tzinfo=zone, fold=0)
    delta = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return ParsedDate((base.astimezone(timezone.utc) - delta).astimezone(zone), "datetime")


def _resolve_day(
    r: Reading, today: date, page_date: date | None, near: date | None = None
) -> tuple[date | None, str]:
    if r.day_offset is not None:
        return today + timedelta(days=r.day_offset), "day"
    if r.ordinal is not None and r.weekday is not None:
        return _nth_weekday(r, today), "day"
    if r.month_offset is not None:
        year, month = _month_shift(today.year, today.month, r.month_offset)
        if r.day is None:
            return date(year, month, 1), "month"
        return date(year, month, r.day), "day"
    if r.weekday is not None and r.day is None and r.month is None and r.year is None:
        if r.week_offset is not None:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=r.week_offset)
            return monday + timedelta(days=r.weekday), "day"
        back = (today.weekday() - r.weekday) % 7
        return today - timedelta(days=back or (7 if r.strictly_past else 0)), "day"
    if r.month is not None or r.day is not None:
        return _calendar_day(r, today, near)
    return page_date or today, "day"  # time only: the page's day, else the latest such time


def _calendar_day(r: Reading, today: date, near: date | None = None) -> tuple[date | None, str]:
    year = r.year if r.year_offset is None else today.year + r.year_offset
    if year is not None and r.year_digits == 2:
        year += 2000 if 2000 + year <= today.year + 1 else 1900
    month, day = r.month, r.day
    if month is not None and day is None:
        if year is None and r.strictly_past:  # "lo scorso novembre"
            year = today.year if month < today.month else today.year - 1
        elif year is None:  # "novembre": the latest November so far, this one included
            year = today.year if month <= today.month else today.year - 1
        return (date(year, month, 1) if year is not None else None), "month"
    if day is None:
        return None, "day"
    if r.swappable and month is not None and month > 12 and day <= 12:
        month, day = day, month
    if year is not None and month is not None:
        return date(year, month, day), "day"
    if near is not None and month is not None:
        found = _year_near(r, month, day, today, near)
        if found is not None:
            return found, "day"
    readings: list[date] = []
    for back in range(YEARLESS_LOOKBACK_YEARS * 12 if month is None else YEARLESS_LOOKBACK_YEARS):
        if month is None:
            y, m = _month_shift(today.year, today.month, -back)
        else:
            y, m = today.year - back, month
        try:
            candidate = date(y, m, day)
        except ValueError:
            continue
        if candidate < today or (candidate == today and not r.strictly_past):
            readings.append(candidate)
            if r.weekday is None or len(readings) == WEEKDAY_READINGS:
                break
    if not readings:
        return None, "day"
    # "domenica 15 settembre": the weekday picks between the latest two readings; when
    # neither is that weekday, it is a typo and the latest stands (as with a full date)
    fits = [d for d in readings if d.weekday() == r.weekday]
    return (fits or readings)[0], "day"


def _year_near(r: Reading, month: int, day: int, today: date, near: date) -> date | None:
    """The day and month in the year around `near` closest to it (other evidence of the
    page's day), never later than today and on the weekday the text names, if any."""
    found: list[date] = []
    for year in (near.year - 1, near.year, near.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if r.weekday is not None and candidate.weekday() != r.weekday:
            continue
        if candidate < today or (candidate == today and not r.strictly_past):
            found.append(candidate)
    return min(found, key=lambda d: abs(d - near)) if found else None


def contradicts_weekday(text: str, parsed: ParsedDate) -> bool:
    """True when the text names a weekday that its resolved day is not."""
    found = _analyze(text.strip()) if 0 < len(text.strip()) <= MAX_TEXT_LENGTH else None
    if not isinstance(found, Reading) or found.weekday is None or found.day is None:
        return False
    value = parsed.value
    return value.weekday() != found.weekday and parsed.precision in DAY_OR_FINER


def is_yearless(text: str) -> bool:
    """True for a day and month with no year ("20 novembre, ore 18:30", "sab 15/09")."""
    found = _analyze(text.strip()) if 0 < len(text.strip()) <= MAX_TEXT_LENGTH else None
    return (
        isinstance(found, Reading)
        and found.kind == "date"
        and found.period is None
        and found.year is None
        and found.year_offset is None
        and found.month_offset is None
        and found.day_offset is None
        and found.month is not None
        and found.day is not None
    )


def _nth_weekday(r: Reading, today: date) -> date | None:
    if r.ordinal is None or r.weekday is None:
        return None
    if r.month_offset is not None:
        months = [_month_shift(today.year, today.month, r.month_offset)]
    elif r.month is None:
        months = [(today.year, today.month)]
    elif r.year is not None:
        months = [(r.year, r.month)]
    else:
        months = [(today.year - k, r.month) for k in range(YEARLESS_LOOKBACK_YEARS)]
    for year, month in months:
        if r.ordinal > 0:
            first = date(year, month, 1)
            found = first + timedelta(days=(r.weekday - first.weekday()) % 7 + 7 * (r.ordinal - 1))
        else:
            nxt = _month_shift(year, month, 1)
            last = date(nxt[0], nxt[1], 1) - timedelta(days=1)
            found = last - timedelta(days=(last.weekday() - r.weekday) % 7)
        if found.month != month:
            return None
        if found <= today or len(months) == 1:
            return found
    return None


def _month_shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _add_months(day: date, delta: int) -> date:
    year, month = _month_shift(day.year, day.month, delta)
    nxt = _month_shift(year, month, 1)
    last = (date(nxt[0], nxt[1], 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _fallback(text: str, reference: datetime, zone: ZoneInfo) -> ParsedDate | None:
    """Last resort: dateparser on strings with a month name or numeric date; result checked."""
    if len(text.split()) > MAX_FALLBACK_WORDS or not looks_like_date(text):
        _STATS["unanswered"] += 1
        return None
    tokens = tokenize(clean(text))
    if not any(t.kind in ("dmy", "ymd") or t.text in MONTHS for t in tokens):
        _STATS["unanswered"] += 1
        return None
    numbers = {int(t.text) for t in tokens if t.kind == "num"}
    for t in tokens:
        if t.kind in ("dmy", "ymd"):
            numbers.update(t.vals[:3])
    years = {n for n in numbers if n >= 1000}
    if not years:  # no year written: whatever dateparser answered would be rejected below
        _STATS["unanswered"] += 1
        return None
    _STATS["dateparser"] += 1
    naive_ref = reference.astimezone(zone).replace(tzinfo=None, microsecond=0)
    got = _dateparser_parse(HOURS_WORD_RE.sub("", clean(text)), naive_ref)
    if got is None:
        return None
    if got.day not in numbers or got.year not in years:  # both must be read from the input
        logger.debug("dateparser answer %s rejected for %r", got, text)
        return None
    if any(t.kind in ("time", "dot") for t in tokens):
        result = ParsedDate(got.replace(microsecond=0, tzinfo=zone, fold=0), "datetime")
    else:
        result = ParsedDate(got.date(), "day")
    return _not_future(result, reference, zone)


def warm_up_dateparser() -> None:
    """Build what dateparser builds at its first parse in a process (its time-zone regexes,
    the Italian locale; ~150 ms): see extract.warmup."""
    _dateparser_parse("1 gennaio 2020 ore 10:00 CET", datetime(2020, 1, 2))


@functools.lru_cache(maxsize=1024)
def _dateparser_parse(text: str, naive_reference: datetime) -> datetime | None:
    import dateparser  # slow import: only when the rules gave up

    settings: dict[str, Any] = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": naive_reference,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": True,
        "PARSERS": ["absolute-time"],
    }
    try:
        result = dateparser.parse(text, languages=["it"], settings=settings)
    except (ValueError, OverflowError, TypeError):  # dateparser raises on some odd inputs
        logger.debug("dateparser failed on %r", text, exc_info=True)
        return None
    return result if isinstance(result, datetime) else None
