"""Tests for newsarchive.dates.normalize: hand-written expectations plus hypothesis invariants."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from newsarchive.dates import normalize as dates
from newsarchive.dates.normalize import ParsedDate, looks_like_date, normalize_date, parse_iso

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc
REF = datetime(2024, 12, 10, 12, 0, tzinfo=UTC)  # Tuesday 10 December 2024, 13:00 in Rome
PAGE_DAY = date(2024, 12, 9)
MESI = [
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
    "settembre", "ottobre", "novembre", "dicembre",
]  # fmt: skip
GIORNI = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]


def iso(text: str, reference: datetime = REF, page_date: date | None = None) -> str | None:
    result = normalize_date(text, reference=reference, page_date=page_date)
    return None if result is None else result.isoformat()


ABSOLUTE = [
    ("Pubblicato il 17/11/2024 alle 11:49", "2024-11-17T11:49:00+01:00"),
    ("Aggiornato: 19 novembre 2024 ore 01:15", "2024-11-19T01:15:00+01:00"),
    ("Aggiornato il 19 novembre 2024", "2024-11-19"),
    ("Modificato il 19 novembre 2024 alle 10:00", "2024-11-19T10:00:00+01:00"),
    ("Ultima modifica 19 Febbraio 2020 12:02", "2020-02-19T12:02:00+01:00"),
    ("Ultimo aggiornamento: 20/11/2024 - 18:40", "2024-11-20T18:40:00+01:00"),
    ("Data: 20/11/2024", "2024-11-20"),
    ("Pubblicato: 20 novembre 2024", "2024-11-20"),
    ("Roma, 3 dicembre 2024", "2024-12-03"),
    ("MILANO - 3 dicembre 2024", "2024-12-03"),
    ("Reggio Emilia, 3 dicembre 2024 alle 9:05", "2024-12-03T09:05:00+01:00"),
    ("20 novembre 2024 · 03:15", "2024-11-20T03:15:00+01:00"),
    ("20 novembre 2024 – 03:15", "2024-11-20T03:15:00+01:00"),
    ("20 novembre 2024 | 03:15", "2024-11-20T03:15:00+01:00"),
    ("20 novembre 2024, h 03:15", "2024-11-20T03:15:00+01:00"),
    ("28 luglio 2020 10:43", "2020-07-28T10:43:00+02:00"),
    ("4 Febbraio 2024 - 14:41", "2024-02-04T14:41:00+01:00"),
    ("modifica il 6 gennaio 2024 | 15:24", "2024-01-06T15:24:00+01:00"),
    ("Giovedì 21 Novembre 2024", "2024-11-21"),
    ("giovedi 21 novembre 2024", "2024-11-21"),
    ("GIOVEDÌ 21 NOVEMBRE 2024", "2024-11-21"),
    ("gio. 21 nov. 2024", "2024-11-21"),
    ("Domenica 19 Aprile 2020", "2020-04-19"),
    ("23 Nov 2017", "2017-11-23"),
    ("02 Ago 2017", "2017-08-02"),
    ("3 sett. 2024", "2024-09-03"),
    ("3 set 2024", "2024-09-03"),
    ("1° novembre 2024", "2024-11-01"),
    ("primo novembre 2024", "2024-11-01"),
    ("17/11/2024", "2024-11-17"),
    ("17.11.2024", "2024-11-17"),
    ("17-11-24", "2024-11-17"),
    ("17/11/24", "2024-11-17"),
    ("31/10/74", "1974-10-31"),
    ("17/11/2024 15:30:12", "2024-11-17T15:30:12+01:00"),
    ("17.11.2024 ore 3.15", "2024-11-17T03:15:00+01:00"),
    ("17 novembre 2024 ore 3", "2024-11-17T03:00:00+01:00"),
    ("Sab 16 nov 2024 h 10.30", "2024-11-16T10:30:00+01:00"),
    ("21 novembre 2024 10:30 CET", "2024-11-21T10:30:00+01:00"),
    ("3 dicembre 2024 di Mario Rossi", "2024-12-03"),
    ("3 dicembre 2024 | Redazione Cronaca", "2024-12-03"),
    ("Di Mario Rossi | 3 dicembre 2024", "2024-12-03"),
    ("il 3 novembre scorso", "2024-11-03"),
    ("07.ago.2014 | 12:52", "2014-08-07T12:52:00+02:00"),
    ("Giovedi Maggio 29 2013", "2013-05-29"),
    ("il 5 Dicembre 1391", "1391-12-05"),
]


@pytest.mark.parametrize(("text", "expected"), ABSOLUTE)
def test_absolute(text: str, expected: str) -> None:
    assert iso(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("novembre 2024", "2024-11"),
        ("nov. 2024", "2024-11"),
        ("sett. 2024", "2024-09"),
        ("lo scorso novembre", "2024-11"),
        ("dicembre scorso", "2023-12"),
        ("il mese scorso", "2024-11"),
    ],
)
def test_month_precision(text: str, expected: str) -> None:
    assert iso(text) == expected


def test_month_precision_value_is_day_one() -> None:
    assert normalize_date("novembre 2024", reference=REF) == ParsedDate(date(2024, 11, 1), "month")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 mar 2024", "2024-03-03"),  # between a day and a year: marzo
        ("3 mar 2024 10:00", "2024-03-03T10:00:00+01:00"),  # between a day and a time: marzo
        ("mar 3 marzo 2024", "2024-03-03"),  # weekday before a day number: martedì
        ("mar 3 dicembre 2024", "2024-12-03"),
        ("mar 2024", "2024-03"),
        ("Mar, 3 dic. 2024", "2024-12-03"),
    ],
)
def test_mar_is_marzo_or_martedi(text: str, expected: str) -> None:
    assert iso(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Lunedì 21 novembre 2024", "sabato 21 novembre 2024", "dom. 21 nov 2024"],
)
def test_wrong_weekday_trusts_the_date(text: str) -> None:
    assert iso(text) == "2024-11-21"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-20T03:15:00+01:00", "2024-11-20T03:15:00+01:00"),
        ("2024-11-20T02:15:00Z", "2024-11-20T02:15:00+00:00"),
        ("2024-11-20T02:15:00.000Z", "2024-11-20T02:15:00+00:00"),
        ("2024-11-20T03:15:00+0100", "2024-11-20T03:15:00+01:00"),
        ("2024-11-20T03:15:00", "2024-11-20T03:15:00+01:00"),
        ("2024-07-20T03:15:00", "2024-07-20T03:15:00+02:00"),
        ("2024-11-20 03:15", "2024-11-20T03:15:00+01:00"),
        ("2024-11-20", "2024-11-20"),
        ("2024-11", "2024-11"),
        ("Wed, 20 Nov 2024 03:15:00 +0100", "2024-11-20T03:15:00+01:00"),
        ("Wed, 20 Nov 2024 02:15:00 GMT", "2024-11-20T02:15:00+00:00"),
    ],
)
def test_iso_and_rfc_through_normalize(text: str, expected: str) -> None:
    assert iso(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-20T03:15:00+01:00", "2024-11-20T03:15:00+01:00"),
        ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00+00:00"),  # no reference: no future guard
        ("2024-06-01T12:00:00", "2024-06-01T12:00:00+02:00"),
        ("  2024-11-20  ", "2024-11-20"),
        ("Tue, 3 Dec 2024 10:00:00 +0000", "2024-12-03T10:00:00+00:00"),
    ],
)
def test_parse_iso(text: str, expected: str) -> None:
    result = parse_iso(text)
    assert result is not None and result.isoformat() == expected


@pytest.mark.parametrize(
    "text", ["20 novembre 2024", "2024-02-30", "2024-13-01", "yesterday", "", "2024-11-20T25:00"]
)
def test_parse_iso_rejects(text: str) -> None:
    assert parse_iso(text) is None


def test_parse_iso_keeps_page_offset() -> None:
    result = parse_iso("2024-11-20T03:15:00-05:00")
    assert result is not None and result.value.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 luglio 2024 alle 10:00", "2024-07-15T10:00:00+02:00"),  # summer time
        ("15 novembre 2024 alle 10:00", "2024-11-15T10:00:00+01:00"),  # winter time
        ("31 marzo 2024 alle 01:59", "2024-03-31T01:59:00+01:00"),
        ("31 marzo 2024 alle 03:00", "2024-03-31T03:00:00+02:00"),
        ("27 ottobre 2024 alle 02:30", "2024-10-27T02:30:00+02:00"),  # ambiguous: fold=0
    ],
)
def test_dst_offsets(text: str, expected: str) -> None:
    assert iso(text) == expected


def test_nonexistent_local_time_does_not_crash() -> None:
    result = normalize_date("31 marzo 2024 alle 02:30", reference=REF)
    assert result is not None and result.precision == "datetime"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oggi", "2024-12-10"),
        ("Oggi", "2024-12-10"),
        ("oggi alle 10:20", "2024-12-10T10:20:00+01:00"),
        ("oggi 11:00", "2024-12-10T11:00:00+01:00"),
        ("ieri", "2024-12-09"),
        ("ieri alle 15:30", "2024-12-09T15:30:00+01:00"),
        ("ieri alle 18:30", "2024-12-09T18:30:00+01:00"),
        ("Ieri, 9 dicembre", "2024-12-09"),
        ("l'altro ieri", "2024-12-08"),
        ("l\u2019altro ieri", "2024-12-08"),
        ("altroieri", "2024-12-08"),
        ("poco fa", "2024-12-10T13:00:00+01:00"),
        ("adesso", "2024-12-10T13:00:00+01:00"),
        ("3 ore fa", "2024-12-10T10:00:00+01:00"),
        ("Aggiornato 3 ore fa", "2024-12-10T10:00:00+01:00"),
        ("un'ora fa", "2024-12-10T12:00:00+01:00"),
        ("un ora fa", "2024-12-10T12:00:00+01:00"),
        ("un'ora e mezza fa", "2024-12-10T11:30:00+01:00"),
        ("un minuto fa", "2024-12-10T12:59:00+01:00"),
        ("5 minuti fa", "2024-12-10T12:55:00+01:00"),
        ("circa 2 ore fa", "2024-12-10T11:00:00+01:00"),
        ("2 giorni fa", "2024-12-08"),
        ("due giorni fa", "2024-12-08"),
        ("una settimana fa", "2024-12-03"),
        ("2 settimane fa", "2024-11-26"),
        ("un mese fa", "2024-11-10"),
        ("2 anni fa", "2022-12-10"),
        ("1 mese e 2 giorni fa", "2024-11-08"),
        ("martedì scorso", "2024-12-03"),
        ("giovedì", "2024-12-05"),
        ("ultima domenica", "2024-12-08"),
    ],
)
def test_relative(text: str, expected: str) -> None:
    assert iso(text) == expected


def test_hours_ago_across_dst_change() -> None:
    reference = datetime(2024, 10, 27, 3, 30, tzinfo=UTC)  # 04:30+01:00 in Rome
    assert iso("3 ore fa", reference=reference) == "2024-10-27T02:30:00+02:00"


def test_yesterday_uses_the_local_calendar() -> None:
    reference = datetime(2024, 12, 9, 23, 30, tzinfo=UTC)  # already 10 December in Rome
    assert iso("ieri", reference=reference) == "2024-12-09"


def test_now_drops_microseconds() -> None:
    reference = datetime(2024, 12, 10, 12, 0, 5, 123456, tzinfo=UTC)
    assert iso("adesso", reference=reference) == "2024-12-10T13:00:05+01:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aggiornato alle 16:01", "2024-12-09T16:01:00+01:00"),
        ("16:01", "2024-12-09T16:01:00+01:00"),
        ("Ore 08:51", "2024-12-09T08:51:00+01:00"),  # a time, never "8 hours ago"
        ("ore 3", "2024-12-09T03:00:00+01:00"),
        ("alle 3.15", "2024-12-09T03:15:00+01:00"),
    ],
)
def test_time_only_takes_the_page_date(text: str, expected: str) -> None:
    assert iso(text, page_date=PAGE_DAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ore 08:51", "2024-12-10T08:51:00+01:00"),  # before 13:00 in Rome: today's
        ("Aggiornato alle 16:01", "2024-12-09T16:01:00+01:00"),  # after it: yesterday's
        ("16:01", "2024-12-09T16:01:00+01:00"),
        ("13:00", "2024-12-10T13:00:00+01:00"),  # the reference itself is not the future
        ("la mattina alle 9am", "2024-12-10T09:00:00+01:00"),
    ],
)
def test_time_only_without_page_date_is_the_latest_such_time(text: str, expected: str) -> None:
    assert iso(text) == expected


@pytest.mark.parametrize("text", ["Aggiornato alle 16:01", "Ore 08:51", "3 20", "ore 25"])
def test_is_time_only(text: str) -> None:
    assert dates.is_time_only(text) == (text not in ("3 20", "ore 25"))


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("15", "2024-11-15", "day"),  # a bare day: the latest 15th so far
        ("10", "2024-12-10", "day"),  # today counts
        ("31", "2024-10-31", "day"),  # November has no 31st
        ("il due", "2024-12-02", "day"),
        ("novembre", "2024-11", "month"),
        ("dicembre", "2024-12", "month"),
        ("2024", "2024", "year"),
        ("nel 2019", "2019", "year"),
        ("quest'anno", "2024", "year"),
        ("l'anno scorso", "2023", "year"),
        ("la settimana scorsa", "2024-W49", "week"),  # Monday 2 December
        ("della scorsa settimana", "2024-W49", "week"),
        ("questa settimana", "2024-W50", "week"),
        ("questo trimestre", "2024-Q4", "quarter"),
        ("il trimestre scorso", "2024-Q3", "quarter"),
        ("nell'ultima ora", "2024-12-10T12:00:00+01:00", "datetime"),
        ("l'ultima ora", "2024-12-10T12:00:00+01:00", "datetime"),
    ],
)
def test_underspecified_forms_keep_their_precision(
    text: str, expected: str, precision: str
) -> None:
    result = normalize_date(text, reference=REF)
    assert result is not None and (result.isoformat(), result.precision) == (expected, precision)


def test_period_values_are_first_days() -> None:
    week = normalize_date("la settimana scorsa", reference=REF)
    quarter = normalize_date("questo trimestre", reference=REF)
    assert week == ParsedDate(date(2024, 12, 2), "week")
    assert quarter == ParsedDate(date(2024, 10, 1), "quarter")


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        ("2024-11-20T03:15:00+01:00", "datetime"),
        ("2024-11-20", "day"),
        ("2024-W47", "week"),
        ("2024-11", "month"),
        ("2024-Q4", "quarter"),
        ("2024", "year"),
    ],
)
def test_precision_of_reads_isoformat(value: str, precision: str) -> None:
    assert dates.precision_of(value) == precision
    parsed = normalize_date(value, reference=REF)
    assert parsed is not None and (parsed.isoformat(), parsed.precision) == (value, precision)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 maggio", "2024-05-05"),
        ("5 maggio alle 10:00", "2024-05-05T10:00:00+02:00"),
        ("10 dicembre", "2024-12-10"),
        ("20 dicembre", "2023-12-20"),  # the latest 20 December not after the reference
        ("29/2", "2024-02-29"),
        ("Mer, 22 Gen", "2024-01-22"),
    ],
)
def test_yearless(text: str, expected: str) -> None:
    assert iso(text) == expected


NEGATIVES = [
    "06 12345678",
    "+39 333 1234567",
    "L. 241/1990",
    "art. 3/2012",
    "31/02/2026",
    "32 gennaio 2024",
    "25:99",
    "€ 12,50",
    "12,50 euro",
    "12.50 euro",
    "",
    "   ",
    "Mario Rossi",
    "Il consiglio comunale ha approvato il 17 novembre 2024 la delibera sui trasporti pubblici",
    "domani",
    "oggi alle 23:00",  # relative forms are never after the reference: an event, not a date
    "tra 3 ore",
    "la settimana prossima",
    "il trimestre prossimo",
    "2030",  # a year after the reference
    "Ultima ora",  # the breaking-news label
    "ultim'ora",
    "3 20",
    "un orario",
    "dal 15 al 20 novembre 2024",
    "12 dicembre 2024",  # after the reference + 1 day: a page shows no future dates
    "2030-01-01T00:00:00Z",
    "5 settembre 2024 e 7 settembre 2024",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_not_a_date(text: str) -> None:
    assert iso(text) is None


def test_one_day_tolerance_for_absolute_dates() -> None:
    assert iso("11 dicembre 2024") == "2024-12-11"


def test_precision_day_is_a_date_not_midnight() -> None:
    result = normalize_date("17 novembre 2024", reference=REF)
    assert result is not None and type(result.value) is date


def test_precision_datetime_is_aware() -> None:
    result = normalize_date("17 novembre 2024 10:00", reference=REF)
    assert result is not None and isinstance(result.value, datetime) and result.value.tzinfo


def test_other_timezone() -> None:
    result = normalize_date("17 novembre 2024 10:00", reference=REF, tz="America/New_York")
    assert result is not None and result.isoformat() == "2024-11-17T10:00:00-05:00"


def test_naive_reference_raises() -> None:
    with pytest.raises(ValueError):
        normalize_date("17 novembre 2024", reference=datetime(2024, 12, 10))


def test_unknown_timezone_raises() -> None:
    with pytest.raises(ValueError):
        normalize_date("17 novembre 2024", reference=REF, tz="Europe/Atlantis")


def test_parsed_date_checks_precision() -> None:
    with pytest.raises(ValueError):
        ParsedDate(date(2024, 1, 1), "datetime")


def test_deterministic_across_cache_clears() -> None:
    first = [iso(t) for t in ("ieri alle 18:30", "3 ore fa", "5 maggio", ABSOLUTE[0][0])]
    dates.clear_cache()
    second = [iso(t) for t in ("ieri alle 18:30", "3 ore fa", "5 maggio", ABSOLUTE[0][0])]
    assert first == second


def test_result_depends_on_reference_only() -> None:
    older = datetime(2014, 9, 1, 8, 30, tzinfo=UTC)
    assert iso("ieri", reference=older) == "2014-08-31"


def test_stats_count_calls_without_dateparser() -> None:
    dates.reset_stats()
    iso("17 novembre 2024")
    iso("2024-11-17")
    counts = dates.stats()
    assert (counts["calls"], counts["rules"], counts["iso"], counts["dateparser"]) == (2, 1, 1, 0)


def test_unknown_words_reach_the_guarded_dateparser_fallback() -> None:
    dates.reset_stats()
    result = iso("21 novembre 2024 Redazione")
    assert (result, dates.stats()["dateparser"]) == (None, 1)


def test_no_year_written_no_dateparser_call() -> None:
    # dateparser's answer must take its year from the input: with none, it is not asked
    dates.reset_stats()
    result = iso("21 novembre Redazione")
    assert (result, dates.stats()["dateparser"]) == (None, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17 novembre 2024", True),
        ("3 ore fa", True),
        ("ieri", True),
        ("17/11/2024", True),
        ("alle 10:30", True),
        ("Mario Rossi", False),
        ("", False),
        ("Cronaca", False),
        ("2024", False),
    ],
)
def test_looks_like_date(text: str, expected: bool) -> None:
    assert looks_like_date(text) is expected


# ---- hypothesis invariants ------------------------------------------------------------------

FORMATS = [
    lambda d: f"{d.day} {MESI[d.month - 1]} {d.year} alle {d:%H:%M}",
    lambda d: f"{d:%d/%m/%Y %H:%M}",
    lambda d: f"Pubblicato il {d.day} {MESI[d.month - 1]} {d.year} ore {d:%H:%M}",
    lambda d: (
        f"{GIORNI[d.weekday()].capitalize()} {d.day} {MESI[d.month - 1].capitalize()} "
        f"{d.year}, {d:%H:%M}"
    ),
    lambda d: f"{d.day} {MESI[d.month - 1][:3]}. {d.year} - {d:%H.%M}",
    lambda d: d.isoformat(),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    naive=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
    fmt=st.sampled_from(FORMATS),
    later=st.integers(min_value=0, max_value=5 * 365 * 24 * 60),
)
def test_roundtrip_italian_forms(naive: datetime, fmt: object, later: int) -> None:
    naive = naive.replace(second=0, microsecond=0)
    value = naive.replace(tzinfo=ROME)
    assume(value.astimezone(UTC).astimezone(ROME).replace(tzinfo=None) == naive)  # exists
    reference = value.astimezone(UTC) + timedelta(minutes=later)
    result = normalize_date(fmt(value), reference=reference)  # type: ignore[operator]
    assert result is not None and result.value == value


REFERENCE_FOR_FUZZ = datetime(2024, 12, 10, 12, 0, tzinfo=UTC)
DATEISH = st.text(alphabet="0123456789 /.:-,'°aeiloruvzdfgmnst\u00ec\u00e8", max_size=30)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=60), DATEISH))
def test_never_raises_and_is_idempotent(text: str) -> None:
    result = normalize_date(text, reference=REFERENCE_FOR_FUZZ)
    if result is not None:
        again = normalize_date(result.isoformat(), reference=REFERENCE_FOR_FUZZ)
        assert again == result


def test_am_after_seconds_and_per_le() -> None:
    assert iso("il 14 Ottobre per le 8:00:31am") == "2024-10-14T08:00:31+02:00"


def test_pm_after_seconds() -> None:
    assert iso("il 14 Ottobre per le 8:00:31pm") == "2024-10-14T20:00:31+02:00"


def test_yearless_weekday_picks_last_year() -> None:
    assert iso("venerdì 15 settembre") == "2023-09-15"


def test_yearless_weekday_that_fits_no_recent_reading_is_a_typo() -> None:
    assert iso("Mer, 22 Gen") == "2024-01-22"


def test_contradicts_weekday() -> None:
    parsed = normalize_date("sabato 15 settembre", reference=REF)
    assert parsed is not None and dates.contradicts_weekday("sabato 15 settembre", parsed)


def test_cet_in_summer_is_rome_summer_time() -> None:
    assert iso("21 luglio 2024 10:30 CET") == "2024-07-21T10:30:00+02:00"


def test_cest_in_winter_is_rome_winter_time() -> None:
    assert iso("21 novembre 2024 10:30 CEST") == "2024-11-21T10:30:00+01:00"


def test_cet_is_rome_whatever_the_publisher_zone() -> None:
    got = normalize_date("21 luglio 2024 10:30 CET", reference=REF, tz="UTC")
    assert got is not None and got.isoformat() == "2024-07-21T10:30:00+02:00"


def test_yearless_takes_the_year_of_other_evidence() -> None:
    got = normalize_date(
        "20 novembre, ore 18:30",
        reference=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        near=date(2024, 11, 20),
    )
    assert got is not None and got.isoformat() == "2024-11-20T18:30:00+01:00"


def test_yearless_near_the_new_year_takes_the_closest_year() -> None:
    got = normalize_date("30 dicembre", reference=REF, near=date(2024, 1, 2))
    assert got is not None and got.isoformat() == "2023-12-30"


def test_yearless_near_evidence_never_in_the_future() -> None:
    got = normalize_date("20 dicembre", reference=REF, near=date(2024, 12, 5))
    assert got is not None and got.isoformat() == "2023-12-20"


@pytest.mark.parametrize("text", ["20 novembre, ore 18:30", "sab 15/9", "Mer, 22 Gen"])
def test_is_yearless(text: str) -> None:
    assert dates.is_yearless(text)


@pytest.mark.parametrize("text", ["20 novembre 2024", "ieri", "novembre", "alle 18:30"])
def test_is_not_yearless(text: str) -> None:
    assert not dates.is_yearless(text)
