"""Date evidence: every date candidate a page offers, with its source, and the rules that choose.

Rules for choosing ``date_published`` / ``date_modified`` (documented in the README):
1. Candidates are ranked by source: JSON-LD (10) > article meta tags (20) > ``<time datetime>``
   in the article (30) > the visible byline ("Pubblicato il ...", 40) > other visible dates in
   the article (50) > the URL path (60) > a full date written in the meta description (65) >
   htmldate's guess (70, only when nothing else was found).
2. Never from the page chrome: header, nav, footer, asides, related-article blocks and
   clock/"today" widgets (the header clock of Italian sites) are not read.
3. A candidate later than fetched_at (plus one day of tolerance), or before 1970 (template
   placeholders such as 0001-01-01), is never chosen (it stays in the evidence).
4. The best-ranked candidate wins; if it only knows the day, a candidate with a time on the same
   local day (in the publisher's zone) lends its time.
5. On Italian pages (lang it, .it host or it_* locale), UTC values (Z, +00:00) are shown in
   Europe/Rome: the instant is the same and the local day is the one an Italian reader saw.
   Other pages keep the offset they give.
6. ``date_modified`` must not be earlier than ``date_published``.
7. Only a day, a datetime or (as a last resort) a month can be chosen: a week, quarter or year
   ("la settimana scorsa", "2024") stays in the ledger. A visible text that is a bare number
   ("15", a comment count) is not read, and a clock time alone ("Aggiornato alle 16:01") is
   read only on a page whose own day is known from the same byline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from lxml.html import HtmlElement

from newsarchive.dates.normalize import (
    DAY_OR_FINER,
    ParsedDate,
    contradicts_weekday,
    is_time_only,
    is_yearless,
    normalize_date,
    parse_iso,
)
from newsarchive.extract import chrome
from newsarchive.extract.metadata import PageMeta, clean_text
from newsarchive.extract.result import DateEvidence as DateEvidence

logger = logging.getLogger(__name__)

PUBLISHED = "published"
MODIFIED = "modified"
FUTURE_TOLERANCE = timedelta(days=1)
MIN_YEAR = 1970
MAX_VISIBLE_CHARS = 160
MAX_VISIBLE_CANDIDATES = 40
UNREAD_TAGS = frozenset({"script", "style", "html", "body", "head", "title", "meta"})

META_PUBLISHED = [
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "cxenseparse:recs:publishtime",
]
META_MODIFIED = [
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "lastmod",
    "last-modified",
    "dc.date.modified",
    "dcterms.modified",
    "article.updated",
]
CHROME_TAGS = frozenset({"nav", "footer", "aside"})
CHROME_CLASS_RE = re.compile(
    r"(clock|orologio|today|oggi|current-?date|data-?odierna|ticker|meteo|weather|"
    r"breaking|ultim[ae]-?ora|footer|navbar|menu|correlat|related|comment)",
    re.IGNORECASE,
)
# a <header> outside the article is the site header (logo, menu, clock)
CHROME = chrome.Vocabulary(
    tags=CHROME_TAGS,
    page_tags=frozenset({"header"}),
    names_re=CHROME_CLASS_RE,
    article_in_chain=True,
)
DATEISH_CLASS_RE = re.compile(
    r"(date|data|time|byline|pubblic|publish|updated|aggiorn|dateline|meta)", re.IGNORECASE
)
# DATEISH_CLASS_RE for a yes/no search, written so that a failing search (most class names)
# is cheap: the lookahead rejects a position on one character, "dat[ae]" finds "date",
# "data" and "dateline". Found in a string exactly when DATEISH_CLASS_RE is (pinned by
# tests/test_evidence_speed.py).
DATEISH_SEARCH_RE = re.compile(
    r"(?=[dtbpuam])(?:dat[ae]|time|byline|pub(?:blic|lish)|updated|aggiorn|meta)", re.IGNORECASE
)
KEYWORD_RE = re.compile(
    r"(pubblicato|pubblicazione|aggiornat[oa]|ultima modifica|ultimo aggiornamento|modificat[oa]"
    r"|published|updated|modified)",
    re.IGNORECASE,
)
RELATIVE_WORD_RE = re.compile(r"\b(?:oggi|ieri|altro ?ieri|fa|poco fa|adesso)\b", re.IGNORECASE)
MODIFIED_KEYWORD_RE = re.compile(r"aggiorn|modific|updated|modified", re.IGNORECASE)
DESCRIPTION_DATE_RE = re.compile(
    r"\b\d{1,2}\s+(?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre"
    r"|ottobre|novembre|dicembre)\s+(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
BARE_NUMBER_RE = re.compile(r"\d+")
CHOOSABLE_PRECISIONS = frozenset({"datetime", "day", "month"})
URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|[-_]|$)")
URL_COMPACT_DATE_RE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|[-_])")


@dataclass(frozen=True)
class Candidate:
    """One date found on a page: which field it speaks for, where it was, what it says."""

    field: str
    source: str
    rank: int
    raw: str
    parsed: ParsedDate


@dataclass(frozen=True)
class ChosenDates:
    """The chosen published/modified values (ISO) with their raw strings, plus the ledger."""

    published: str | None
    published_raw: str | None
    modified: str | None
    modified_raw: str | None
    evidence: tuple[DateEvidence, ...]


def _local(parsed: ParsedDate, tz: ZoneInfo, localize_utc: bool = True) -> ParsedDate:
    """Show UTC instants in the publisher's zone; leave other offsets and days as they are."""
    value = parsed.value
    if localize_utc and isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return ParsedDate(value.astimezone(tz), parsed.precision)
    return parsed


def _local_day(parsed: ParsedDate, tz: ZoneInfo) -> date:
    value = parsed.value
    if isinstance(value, datetime):
        return value.astimezone(tz).date()
    return value


def _instant(parsed: ParsedDate, tz: ZoneInfo) -> datetime:
    value = parsed.value
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=tz)


def _structured(meta: PageMeta, tz_name: str) -> list[Candidate]:
    found: list[Candidate] = []
    ld: dict[str, Any] = meta.jsonld or {}
    for key, fld, rank in (
        ("datePublished", PUBLISHED, 10),
        ("dateCreated", PUBLISHED, 25),
        ("dateModified", MODIFIED, 10),
    ):
        raw = ld.get(key)
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        if isinstance(raw, str) and (parsed := parse_iso(raw, tz=tz_name)):
            found.append(Candidate(fld, f"jsonld:{key}", rank, raw, parsed))
    for keys, fld in ((META_PUBLISHED, PUBLISHED), (META_MODIFIED, MODIFIED)):
        for key in keys:
            for raw in meta.all(key):
                if parsed := parse_iso(raw, tz=tz_name):
                    found.append(Candidate(fld, f"meta:{key}", 20, raw, parsed))
    return found


def _visible(
    tree: HtmlElement,
    *,
    reference: datetime,
    tz_name: str,
    page_chrome: chrome.ChromeMap,
    italian: bool,
    near: date | None = None,
) -> list[Candidate]:
    found: list[Candidate] = []
    seen_text: set[str] = set()
    for el in _dated_elements(tree):
        if len(found) >= MAX_VISIBLE_CANDIDATES:
            break
        tag = el.tag
        is_time = tag == "time"
        text = clean_text(" ".join(el.itertext()))
        if not text or len(text) > MAX_VISIBLE_CHARS or page_chrome.inside(el):
            continue
        itemprop = (el.get("itemprop") or "").lower()
        attr = el.get("datetime") or el.get("content") if (is_time or itemprop) else None
        if attr and (parsed := parse_iso(attr, tz=tz_name)):
            fld = MODIFIED if "modified" in itemprop else PUBLISHED
            found.append(Candidate(fld, f"{tag}[datetime]", 30, attr, parsed))
        if text in seen_text or not _plausible_text(text, italian):
            continue
        seen_text.add(text)
        found.extend(_byline_segments(text, tag, reference=reference, tz_name=tz_name, near=near))
    return found


def _dated_elements(tree: HtmlElement) -> Iterator[HtmlElement]:
    """The elements that may show a date, in document order: a <time>, an element whose class,
    id or itemprop names a date or byline, or whose own text starts with a keyword
    ("Pubblicato il ..."). Never one with an UNREAD_TAGS tag.

    This test runs on every element of the page, so it is written for speed: each attribute is
    searched alone (no DATEISH_CLASS_RE word holds a space, so a match in "class id itemprop"
    is a match in one of them), and a class value's answer is kept for the rest of this page
    (its templates repeat the same few classes on hundreds of elements; the dict lives only as
    long as this walk).
    """
    search = DATEISH_SEARCH_RE.search
    dateish_class: dict[str, bool] = {}  # class value -> whether it names a date
    for el in tree.iter(etree.Element):  # (elements only: no comments, no PIs)
        tag = el.tag
        if tag in UNREAD_TAGS:
            continue
        if tag == "time":
            yield el
            continue
        if el.attrib:
            cls = el.get("class")
            if cls is not None:
                dateish = dateish_class.get(cls)
                if dateish is None:
                    dateish = dateish_class[cls] = search(cls) is not None
                if dateish:
                    yield el
                    continue
            ident, itemprop = el.get("id"), el.get("itemprop")
            if (ident and search(ident)) or (itemprop and search(itemprop)):
                yield el
                continue
        text = el.text
        if text and KEYWORD_RE.match(text.strip()):
            yield el


def _plausible_text(text: str, italian: bool) -> bool:
    """A visible text worth reading as a date: it has a digit, or (on an Italian page only)
    a relative word such as 'ieri'. A bare 'Mar' in an archive menu is not a date."""
    if BARE_NUMBER_RE.fullmatch(text):
        return False  # "15": a count or a page number as often as a day
    if any(ch.isdigit() for ch in text):
        return True
    return italian and RELATIVE_WORD_RE.search(text) is not None


def _byline_segments(
    text: str, tag: str, *, reference: datetime, tz_name: str, near: date | None = None
) -> list[Candidate]:
    """Split 'Pubblicato il X | Aggiornato alle Y' into one candidate per keyword."""
    starts = [m.start() for m in KEYWORD_RE.finditer(text)]
    if not starts:
        if is_time_only(text):
            return []  # a clock time alone: its day is unknown here
        parsed = normalize_date(text, reference=reference, tz=tz_name, near=near)
        return [Candidate(PUBLISHED, f"{tag}:text", 50, text, parsed)] if parsed else []
    segments = []
    if text[: starts[0]].strip(" |·-–,;"):
        starts.insert(0, 0)  # "Roma, 17 novembre 2024 ore 11:49 · Aggiornato il ...": the dateline
    for i, start in enumerate(starts):
        segment = text[start : starts[i + 1] if i + 1 < len(starts) else len(text)]
        segments.append(segment.strip(" |·-–,;"))
    parsed_days = {
        s: normalize_date(s, reference=reference, tz=tz_name, near=near)
        for s in segments
        if not is_time_only(s)
    }
    days = [p for p in parsed_days.values() if p is not None and p.precision in DAY_OR_FINER]
    page_day = None
    if days:
        first = days[0].value
        page_day = first.date() if isinstance(first, datetime) else first
    found: list[Candidate] = []
    for segment in segments:
        if segment in parsed_days:
            parsed = parsed_days[segment]
        elif page_day is not None:  # "Aggiornato alle 16:01" on the byline's own day
            parsed = normalize_date(segment, reference=reference, tz=tz_name, page_date=page_day)
        else:
            parsed = None
        if parsed is not None:
            fld = MODIFIED if MODIFIED_KEYWORD_RE.search(segment[:30]) else PUBLISHED
            found.append(Candidate(fld, "byline", 40, segment, parsed))
    return found


def _from_description(meta: PageMeta, *, reference: datetime, tz_name: str) -> list[Candidate]:
    """A full date written in the page's own description ("Notizia del 14 Gennaio 2020")."""
    text = meta.first("description", "og:description") or ""
    match = DESCRIPTION_DATE_RE.search(text)
    if not match:
        return []
    parsed = normalize_date(match.group(0), reference=reference, tz=tz_name)
    return [Candidate(PUBLISHED, "meta:description", 65, match.group(0), parsed)] if parsed else []


def _from_url(url: str) -> list[Candidate]:
    for regex in (URL_DATE_RE, URL_COMPACT_DATE_RE):
        match = regex.search(url)
        if match:
            try:
                day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
            return [Candidate(PUBLISHED, "url", 60, match.group(0), ParsedDate(day, "day"))]
    return []


def collect(
    tree: HtmlElement,
    meta: PageMeta,
    *,
    url: str,
    fetched_at: datetime,
    tz_name: str,
    excluded: set[HtmlElement],
    italian: bool = True,
) -> list[Candidate]:
    """Every date candidate of a page, in no particular order.

    A visible day and month with no year ("20 novembre, ore 18:30") is resolved against the
    page's other evidence first (the best-ranked dated candidate), then against fetched_at.
    """
    found = _structured(meta, tz_name)
    found += _from_url(url)
    found += _from_description(meta, reference=fetched_at, tz_name=tz_name)
    page_chrome = chrome.ChromeMap(CHROME, excluded)  # shared by both readings below
    visible = _visible(
        tree, reference=fetched_at, tz_name=tz_name, page_chrome=page_chrome, italian=italian
    )
    if any(is_yearless(c.raw) for c in visible):
        dated = [c for c in visible if not (is_yearless(c.raw) or is_time_only(c.raw))]
        near = _anchor_day(found + dated, fetched_at=fetched_at, tz_name=tz_name)
        if near is not None:
            visible = _visible(
                tree,
                reference=fetched_at,
                tz_name=tz_name,
                page_chrome=page_chrome,
                italian=italian,
                near=near,
            )
    # a year-less day whose weekday is not that day's: the year guessed is wrong, read nothing
    found += [
        c for c in visible if not (is_yearless(c.raw) and contradicts_weekday(c.raw, c.parsed))
    ]
    return found


def _anchor_day(candidates: list[Candidate], *, fetched_at: datetime, tz_name: str) -> date | None:
    """The local day of the best-ranked usable candidate that knows its year."""
    tz = ZoneInfo(tz_name)
    dated = [
        c
        for c in usable(candidates, fetched_at=fetched_at, tz_name=tz_name)
        if c.parsed.precision in DAY_OR_FINER and c.parsed.value.year >= MIN_YEAR
    ]
    if not dated:
        return None
    return _local_day(min(dated, key=lambda c: c.rank).parsed, tz)


def _pick(
    candidates: list[Candidate], tz: ZoneInfo, not_before: datetime | None
) -> Candidate | None:
    ranked = sorted(candidates, key=lambda c: c.rank)
    if not_before is not None:
        ranked = [c for c in ranked if _instant(c.parsed, tz) >= not_before - timedelta(days=1)]
    if not ranked:
        return None
    best = ranked[0]
    if best.parsed.precision != "datetime":
        day = _local_day(best.parsed, tz)
        for other in ranked[1:]:
            if other.parsed.precision == "datetime" and _local_day(other.parsed, tz) == day:
                return other
    return best


def usable(candidates: list[Candidate], *, fetched_at: datetime, tz_name: str) -> list[Candidate]:
    """The candidates that can date an article: from 1970 on, not later than fetched_at
    (plus the tolerance), and a day, a datetime or a month (never a week, quarter or year)."""
    tz = ZoneInfo(tz_name)
    limit = fetched_at + FUTURE_TOLERANCE
    # placeholders such as 0001-01-01 or 1900-01-01 are template defaults: kept as evidence only
    return [
        c
        for c in candidates
        if c.parsed.precision in CHOOSABLE_PRECISIONS
        and c.parsed.value.year >= MIN_YEAR
        and _instant(c.parsed, tz) <= limit
    ]


def choose(
    candidates: list[Candidate],
    *,
    fetched_at: datetime,
    tz_name: str,
    localize_utc: bool = True,
) -> ChosenDates:
    """Apply the documented rules to the candidates of one page.

    localize_utc: show UTC values in tz (for pages of publishers in that zone); otherwise a
    UTC value keeps its own offset, so that a foreign page's local day is not shifted.
    """
    tz = ZoneInfo(tz_name)
    usable_ones = usable(candidates, fetched_at=fetched_at, tz_name=tz_name)
    published = _pick([c for c in usable_ones if c.field == PUBLISHED], tz, None)
    floor = _instant(published.parsed, tz) if published else None
    modified = _pick([c for c in usable_ones if c.field == MODIFIED], tz, floor)
    evidence = []
    seen: set[tuple[str, str, str]] = set()
    for c in candidates:
        key = (c.field, c.source, c.raw)
        if key in seen:
            continue
        seen.add(key)
        evidence.append(
            DateEvidence(
                field=c.field,
                source=c.source,
                raw=c.raw,
                value=(
                    _local(c.parsed, tz, localize_utc)
                    if c.parsed.value.year >= MIN_YEAR
                    else c.parsed
                ).isoformat(),
                precision=c.parsed.precision,
                chosen=c is published or c is modified,
            )
        )
    return ChosenDates(
        published=_local(published.parsed, tz, localize_utc).isoformat() if published else None,
        published_raw=published.raw if published else None,
        modified=_local(modified.parsed, tz, localize_utc).isoformat() if modified else None,
        modified_raw=modified.raw if modified else None,
        evidence=tuple(evidence),
    )
