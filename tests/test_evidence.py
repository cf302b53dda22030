"""Date evidence rules on small hand-written pages: what is read, what can be chosen."""

from __future__ import annotations

from datetime import datetime, timezone

from newsarchive.extraction import Extraction, extract_article

FETCHED_AT = datetime(2024, 12, 10, 12, 0, tzinfo=timezone.utc)  # 13:00 in Rome
URL = "https://www.giornale-di-prova.it/cronaca/notizia-senza-data-nell-url.html"
BODY_TEXT = " ".join(
    f"Il consiglio comunale ha discusso a lungo il punto numero {n} del bilancio, con molti"
    " interventi dei consiglieri di maggioranza e di opposizione sulla spesa per le scuole."
    for n in range(12)
)


def page(byline: str) -> Extraction:
    return page_at(byline, url=URL, fetched_at=FETCHED_AT)


def page_at(byline: str, *, url: str, fetched_at: datetime) -> Extraction:
    html = f"""<!doctype html><html lang="it"><head><meta charset="utf-8">
    <title>Bilancio approvato in consiglio</title></head><body>
    <article><h1>Bilancio approvato in consiglio</h1>
    <div class="article-meta">{byline}</div>
    <p>{BODY_TEXT}</p><p>{BODY_TEXT}</p></article></body></html>"""
    return extract_article(html.encode(), url=url, fetched_at=fetched_at)


def ledger(ex: Extraction) -> dict[str, tuple[str, str, bool]]:
    return {e.raw: (e.value, e.precision, e.chosen) for e in ex.evidence}


def test_time_only_takes_the_day_of_the_same_byline() -> None:
    ex = page("Aggiornato alle 16:01 · Pubblicato il 9 dicembre 2024")
    assert ex.article is not None
    assert ex.article.date_published == "2024-12-09"
    assert ex.article.date_modified == "2024-12-09T16:01:00+01:00"


def test_a_time_alone_dates_nothing() -> None:
    ex = page('<span class="date">16:01</span>')
    assert ex.article is not None
    assert "16:01" not in ledger(ex)


def test_a_bare_number_is_not_read() -> None:
    ex = page('<span class="date">15</span> commenti')
    assert ex.article is not None
    assert "15" not in ledger(ex) and ex.article.date_published is None


def test_a_period_stays_in_the_ledger_but_is_never_chosen() -> None:
    ex = page("Pubblicato nel 2023")
    assert ex.article is not None
    assert ledger(ex)["Pubblicato nel 2023"] == ("2023", "year", False)
    assert ex.article.date_published != "2023"  # (htmldate's own guess may still fill it)


def test_dateline_date_before_an_update_keyword_is_read() -> None:
    ex = page("Roma, 17 novembre 2024 ore 11:49 · Aggiornato il 18/11/2024 alle 09:10")
    assert ex.article is not None
    assert ex.article.date_published == "2024-11-17T11:49:00+01:00"


def test_update_after_a_dateline_date_is_still_the_modified_date() -> None:
    ex = page("Roma, 17 novembre 2024 ore 11:49 · Aggiornato il 18/11/2024 alle 09:10")
    assert ex.article is not None
    assert ex.article.date_modified == "2024-11-18T09:10:00+01:00"


def test_yearless_byline_day_takes_the_year_of_the_other_evidence() -> None:
    ex = page_at(
        "di Sara Blu · 20 novembre, ore 18:30",
        url="https://www.giornale-di-prova.it/2024/11/20/cronaca/bilancio-approvato/",
        fetched_at=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
    )
    assert ex.article is not None
    assert ex.article.date_published == "2024-11-20T18:30:00+01:00"


def test_yearless_byline_day_without_other_evidence_takes_the_fetch_year() -> None:
    ex = page_at(
        "di Sara Blu · 20 novembre, ore 18:30",
        url=URL,
        fetched_at=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
    )
    assert ex.article is not None
    assert ex.article.date_published == "2025-11-20T18:30:00+01:00"


def test_yearless_day_contradicting_its_weekday_dates_nothing() -> None:
    ex = page("Pubblicato sabato 15 settembre")  # 15 September was a Sunday in 2024
    assert ex.article is not None
    assert ex.article.date_published is None


def test_yearless_day_with_its_weekday_takes_that_year() -> None:
    ex = page("Pubblicato venerdì 15 settembre")  # a Friday in 2023, not in 2024
    assert ex.article is not None
    assert ex.article.date_published == "2023-09-15"
