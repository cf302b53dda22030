"""The archive-integrity cases (issue 13 items 6-11) shared by tests/test_faults_integrity.py
and bench/reliability_integrity.py: archive builders, Datasette JSON helpers, and the checks
both run (each raises AssertionError when newsarchive does not handle its case)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from newsarchive.crawl.reextract import reextract
from newsarchive.store.archive import Archive
from newsarchive_testing import site_truth as truth
from newsarchive_testing.cli_runner import Run, run_cli
from newsarchive_testing.fixture_pages import raw_page, store

SECRET = "s3cr3t-pw"
STARTED = "2024-12-06T09:00:00.000+00:00"


def build_archive(db: Path) -> None:
    """An archive with the fixture site's seed article and one finished run."""
    with Archive(db) as archive:
        crawl_id = archive.runs.start(
            command=f"newsarchive crawl https://user:{SECRET}@www.corriere-di-prova.it/a.html",
            seeds=[f"https://user:{SECRET}@www.corriere-di-prova.it/a.html"],
            started_at=STARTED,
        )
        store(archive, raw_page())
        archive.runs.finish(crawl_id, finished_at=STARTED, stats={}, status="finished")


def one_line_error(result: Run) -> bool:
    """The CLI failed with a single line on stderr and no traceback."""
    lines = result.err.strip().splitlines()
    return result.code != 0 and len(lines) == 1 and "Traceback" not in result.err


def foreign_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('not yours')")
    conn.commit()
    conn.close()
    return path


def add_raw_page(db: Path, body: bytes, compression: str, url: str) -> None:
    """A pages row written as another (or a broken) version would have written it."""
    conn = sqlite3.connect(db)
    conn.execute(
        """INSERT INTO pages (url, final_url, status, fetched_at, headers, body, compression,
               body_size, sha256) VALUES (?, ?, 200, ?, '{}', ?, ?, 10, 'x')""",
        (url, url, "2024-12-06T10:00:00.000+00:00", body, compression),
    )
    conn.commit()
    conn.close()


def fetch(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def sql(base: str, query: str) -> tuple[int, dict]:
    return fetch(f"{base}/archive.json?_shape=objects&sql={urllib.parse.quote(query)}")


def edited_archive(db: Path) -> None:
    """The seed article fetched twice, edited in between (two pages, two versions)."""
    from newsarchive_testing.fixture_site import SITE_DIR

    body = (SITE_DIR / truth.SEED_PATH.lstrip("/")).read_bytes()
    edited = body.replace(b"uomini e munizioni.", b"uomini, munizioni e missili.")
    assert edited != body
    with Archive(db) as archive:
        store(archive, raw_page(body=body))
        store(archive, raw_page(body=edited, fetched_at="2024-12-07T09:00:00.000+00:00"))


def derived_rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    tables = {
        "articles": "url",
        "links": "from_url, to_url, kind",
        "date_evidence": "id",
        "article_versions": "article_url, version",
        "pages": "id",
    }
    rows = {
        t: conn.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall() for t, o in tables.items()
    }
    conn.close()
    return rows


PARAGRAPHS = "".join(
    f"<p>Paragrafo {i} dell'articolo, con abbastanza parole per essere testo vero e proprio.</p>"
    for i in range(8)
)


SITE = "http://www.corriere-di-prova.it/esteri/2024/11/"


def page_html(title: str, canonical: str | None, words: str) -> bytes:
    link = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    paragraphs = "".join(
        f"<p>{words} Paragrafo {i}, con abbastanza parole da essere un vero testo.</p>"
        for i in range(6)
    )
    return (
        f"<html lang='it'><head><title>{title}</title>{link}"
        "<meta property='article:published_time' content='2024-11-20T08:00:00+01:00'>"
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def fetch_into(archive: Archive, url: str, body: bytes, fetched_at: str) -> None:
    from datetime import datetime

    from newsarchive.extract.article import extract_article

    ex = extract_article(body, url=url, fetched_at=datetime.fromisoformat(fetched_at))
    record(archive, url, body, fetched_at, ex)


def record(archive: Archive, url: str, body: bytes, fetched_at: str, ex: Any) -> None:
    """Store body as fetched from url at fetched_at, with its extraction ex."""
    from newsarchive.model import RawPage

    archive.pages.record_fetch(
        RawPage(url=url, final_url=url, status=200, fetched_at=fetched_at, headers={}, body=body),
        ex,
        outcome=ex.outcome,
        error=None,
        crawl_id=None,
        extracted_at=fetched_at,
    )


def articles_and_versions(db: Path) -> tuple[dict[str, str], dict[str, int]]:
    conn = sqlite3.connect(db)
    titles = dict(conn.execute("SELECT url, title FROM articles").fetchall())
    versions = dict(
        conn.execute("SELECT article_url, count(*) FROM article_versions GROUP BY 1").fetchall()
    )
    conn.close()
    return titles, versions


def check_a_finished_run_is_in_the_database_file_not_only_in_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        crawl_id = archive.runs.start(command="c", seeds=[], started_at=STARTED)
        store(archive, raw_page())
        archive.runs.finish(crawl_id, finished_at=STARTED, stats={}, status="finished")
        # what survives when the WAL is lost: the database file alone
        shutil.copyfile(db, tmp_path / "main-only.db")
    conn = sqlite3.connect(tmp_path / "main-only.db")
    assert conn.execute("SELECT status FROM crawls").fetchall() == [("finished",)]
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def check_snapshot_of_a_live_archive_is_complete_and_self_contained(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build_archive(db)
    with Archive(db) as writer:  # a live archive: a run under way, its rows in the WAL
        writer.runs.start(command="running", seeds=[], started_at=STARTED)
        assert (tmp_path / "archive.db-wal").stat().st_size > 0
        result = run_cli("snapshot", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
        assert result.code == 0, result.err
    assert not (tmp_path / "copy.db-wal").exists()
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT count(*) FROM crawls").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    conn.close()
    with Archive(tmp_path / "copy.db") as copy:  # a snapshot is an archive
        assert copy.read.counts()["pages"] == 1


def check_huge_metadata_is_capped_before_it_is_stored(tmp_path: Path) -> None:
    from newsarchive.extract.article import FIELD_CAPS, LIST_ITEM_CAP, LIST_LEN_CAP, extract_article

    huge = "Titolo " * 150_000  # ~1 MB
    authors = ", ".join(f'"Autore {i}"' for i in range(500))
    html = (
        f"<html lang='it'><head><title>{huge}</title>"
        f"<meta name='description' content='{'d' * 50_000}'>"
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{huge}",'
        f' "author": [{authors}], "keywords": ["{"k" * 10_000}"]}}</script>'
        f"</head><body><article><h1>{huge}</h1>{PARAGRAPHS}</article></body></html>"
    ).encode()
    url = "http://www.corriere-di-prova.it/esteri/2024/11/21/enorme.html"
    fetched = "2024-12-06T09:00:00.000+00:00"
    from datetime import datetime

    ex = extract_article(html, url=url, fetched_at=datetime.fromisoformat(fetched))
    art = ex.article
    assert art is not None
    assert len(art.title or "") <= FIELD_CAPS["title"]
    assert len(art.description or "") <= FIELD_CAPS["description"]
    assert len(art.authors) <= LIST_LEN_CAP
    assert all(len(t) <= LIST_ITEM_CAP for t in art.tags)
    assert "capped:title" in ex.notes
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        record(archive, url, html, fetched, ex)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT max(length(title)) FROM article_versions").fetchone()[0] <= 1_000
    assert conn.execute("SELECT length(title) FROM articles").fetchone()[0] <= 1_000


def check_a_utf7_declared_page_is_decoded_as_browsers_do(where: str) -> None:
    from datetime import datetime

    from newsarchive.extract.article import extract_article

    meta = "<meta charset='utf-7'>" if where == "meta" else ""
    html = (
        f"<html lang='it'><head>{meta}<title>Citt+AOA- aperta</title></head><body><article>"
        f"<h1>Citt+AOA- aperta</h1>{PARAGRAPHS}"
        "<p>+ADw-script+AD4-alert(1)+ADw-/script+AD4- la citt+AOA- risponde.</p>"
        "</article></body></html>"
    ).encode("ascii")
    headers = {"Content-Type": "text/html; charset=UTF-7" if where == "header" else "text/html"}
    ex = extract_article(
        html,
        url="http://www.corriere-di-prova.it/esteri/2024/11/21/utf7.html",
        fetched_at=datetime.fromisoformat("2024-12-06T09:00:00+00:00"),
        headers=headers,
    )
    assert ex.encoding == "utf-8"
    assert ex.encoding_reason == "ascii; utf-7 ignored"
    assert ex.article is not None and "+ADw-script+AD4-" in (ex.article.text or "")
    assert "città" not in (ex.article.title or "")


def check_pre_1970_dates_are_kept_as_evidence_but_never_chosen(tmp_path: Path) -> None:
    from datetime import datetime

    from newsarchive.extract.article import extract_article

    html = (
        "<html lang='it'><head>"
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "0001-01-01T00:00:00Z", "dateModified": "1969-07-20T20:17:00Z"}'
        "</script><meta property='article:published_time' content='2024-11-21T08:30:00+01:00'>"
        f"</head><body><article><h1>Allunaggio, 55 anni dopo</h1>{PARAGRAPHS}</article>"
        "</body></html>"
    ).encode()
    url = "http://www.corriere-di-prova.it/esteri/2024/11/21/luna.html"
    fetched = "2024-12-06T09:00:00.000+00:00"
    ex = extract_article(html, url=url, fetched_at=datetime.fromisoformat(fetched))
    assert ex.article is not None
    assert ex.article.date_published == "2024-11-21T08:30:00+01:00"
    assert ex.article.date_modified is None
    old = {(e.source, e.value, e.chosen) for e in ex.evidence if e.value < "1970"}
    assert old == {
        ("jsonld:datePublished", "0001-01-01T00:00:00+00:00", False),
        ("jsonld:dateModified", "1969-07-20T20:17:00+00:00", False),
    }
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        record(archive, url, html, fetched, ex)
    conn = sqlite3.connect(db)
    assert (
        conn.execute("SELECT count(*) FROM date_evidence WHERE value < '1970'").fetchone()[0] == 2
    )
    assert conn.execute("SELECT published_spread_days FROM articles").fetchone()[0] < 1


def check_a_canonical_pointing_at_another_archived_article_does_not_replace_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    a, b = SITE + "20/vero.html", SITE + "21/impostore.html"
    with Archive(db) as archive:
        fetch_into(
            archive, a, page_html("Il vero articolo", a, "Vero"), "2024-12-01T09:00:00+00:00"
        )
        fetch_into(archive, b, page_html("L'impostore", a, "Falso"), "2024-12-02T09:00:00+00:00")
    titles, versions = articles_and_versions(db)
    assert titles == {a: "Il vero articolo", b: "L'impostore"}
    assert versions == {a: 1, b: 1}  # no "version 2" of the real article
    claims = sqlite3.connect(db).execute("SELECT url, canonical_claim FROM pages").fetchall()
    assert claims == [(a, None), (b, a)]  # the claim is recorded
    assert reextract(db, jobs=1).articles_changed == 0
    assert articles_and_versions(db) == (titles, versions)


def check_two_pages_pointing_at_each_other_keep_their_own_contents(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    a, b = SITE + "20/primo.html", SITE + "21/secondo.html"
    with Archive(db) as archive:
        fetch_into(archive, a, page_html("Primo", b, "Uno"), "2024-12-01T09:00:00+00:00")
        fetch_into(archive, b, page_html("Secondo", a, "Due"), "2024-12-02T09:00:00+00:00")
    titles, versions = articles_and_versions(db)
    assert titles == {a: "Primo", b: "Secondo"}
    assert versions == {a: 1, b: 1}
    assert reextract(db, jobs=1).articles_changed == 0
    assert articles_and_versions(db) == (titles, versions)
