"""ParsedDate, a normalized date with its precision, and the machine-readable forms read
without the grammar: ISO 8601 and RFC 2822 (metadata, feeds, sitemaps) with `parse_iso`, the
precision of a stored value, and the local day of a stored value. Pure, like all of dates/."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsarchive.defaults import DEFAULT_TZ

PRECISIONS = ("datetime", "day", "week", "month", "quarter", "year")
ISO_RE = re.compile(
    r"(\d{4})-(\d{1,2})(?:-(\d{1,2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d{1,9})?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?)?",
    re.ASCII | re.IGNORECASE,
)
RFC_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
RFC_ZONES = {"gmt": 0, "ut": 0, "utc": 0, "z": 0, "est": -300, "edt": -240, "cst": -360,
             "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420}  # fmt: skip
RFC_RE = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s*)?(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:([+-]\d{4})|(gmt|utc|ut|z|[ecmp][sd]t))?",
    re.ASCII | re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedDate:
    """A normalized date with its precision: an aware datetime, a calendar day, or the first
    day of the week (Monday), month, quarter or year the string names."""

    value: datetime | date
    precision: str

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        is_datetime = isinstance(self.value, datetime)
        if is_datetime != (self.precision == "datetime"):
            raise ValueError("a datetime value needs precision 'datetime', a date the others")

    def isoformat(self) -> str:
        """ "2024-11-20T03:15:00+01:00", "2024-11-20", "2024-W47", "2024-11", "2024-Q4", "2024"."""
        year, month = self.value.year, self.value.month
        if self.precision == "month":
            return f"{year:04d}-{month:02d}"
        if self.precision == "year":
            return f"{year:04d}"
        if self.precision == "quarter":
            return f"{year:04d}-Q{(month - 1) // 3 + 1}"
        if self.precision == "week":
            iso_year, week, _ = self.value.isocalendar()
            return f"{iso_year:04d}-W{week:02d}"
        if isinstance(self.value, datetime):
            return self.value.isoformat(timespec="seconds")
        return self.value.isoformat()


class IsoParts(NamedTuple):
    year: int
    month: int
    day: int | None
    hour: int | None
    minute: int
    second: int
    offset_minutes: int | None


def precision_of(value: str) -> str:
    """The precision of a stored ISO value written by ParsedDate.isoformat()."""
    if len(value) > 10:
        return "datetime"
    if len(value) == 10:
        return "day"
    if len(value) == 4:
        return "year"
    return {"W": "week", "Q": "quarter"}.get(value[5:6], "month")


def parse_iso(text: str, *, tz: str = DEFAULT_TZ) -> ParsedDate | None:
    """Strict-ish ISO 8601 / RFC 2822 reader for metadata values (JSON-LD, meta, feeds)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, not {type(text).__name__}")
    parts = iso_parts(text.strip())
    return None if parts is None else build_iso(parts, zone_of(tz))


@functools.lru_cache(maxsize=64)
def zone_of(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def iso_parts(text: str) -> IsoParts | None:
    m = ISO_RE.fullmatch(text)
    if m:
        y, mo, d, hh, mi, ss, zone = m.groups()
        if d is None and len(mo) != 2:
            return None
        offset = None
        if zone:
            z = zone.upper().replace(":", "")
            offset = 0 if z in ("Z", "UTC", "GMT") else _offset(z if len(z) > 3 else z + "00")
        parts = IsoParts(int(y), int(mo), _int(d), _int(hh), int(mi or 0), int(ss or 0), offset)
    else:
        m = RFC_RE.fullmatch(text)
        if not m:
            return None
        d, mon, y, hh, mi, ss, num_zone, name_zone = m.groups()
        offset = _offset(num_zone) if num_zone else RFC_ZONES.get((name_zone or "").lower())
        month = RFC_MONTHS[mon.lower()]
        parts = IsoParts(int(y), month, int(d), int(hh), int(mi), int(ss or 0), offset)
    try:
        build_iso(parts, timezone.utc)
    except ValueError:
        return None
    return parts


def _int(s: str | None) -> int | None:
    return None if s is None else int(s)


def _offset(z: str) -> int:
    sign = -1 if z[0] == "-" else 1
    return sign * (int(z[1:3]) * 60 + int(z[3:5]))


def build_iso(p: IsoParts, zone: ZoneInfo | timezone) -> ParsedDate:
    if p.day is None:
        return ParsedDate(date(p.year, p.month, 1), "month")
    if p.hour is None:
        return ParsedDate(date(p.year, p.month, p.day), "day")
    tzinfo = zone if p.offset_minutes is None else timezone(timedelta(minutes=p.offset_minutes))
    value = datetime(p.year, p.month, p.day, p.hour, p.minute, p.second, tzinfo=tzinfo)
    return ParsedDate(value, "datetime")


def local_day(value: str | None, tz: str = DEFAULT_TZ) -> str | None:
    """The calendar day in tz of a stored ISO value (e.g. '...T23:30:00+00:00' -> next day)."""
    if not value:
        return None
    if len(value) <= 10:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:10]
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.astimezone(zone_of(tz)).date().isoformat()
