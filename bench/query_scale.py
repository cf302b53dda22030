"""Query latency through Datasette on an archive of 100,000 synthetic articles.

    uv run python bench/query_scale.py [--articles 100000] [--repeat 5]

Builds the archive with the real schema (newsarchive's migrations), fills it with synthetic
Italian-like articles, links and pages by bulk SQL (bench-only shortcut: extracting 100,000
pages would take an hour and measure extraction, not queries), starts `newsarchive serve`, and
prints the median latency of an FTS query, a facet page and every view. Goal: each < 200 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsarchive.store.archive import Archive
from newsarchive.store.migrations import VIEWS

# Common Italian words, placed among a Zipf-distributed synthetic vocabulary so that term
# frequencies look like real text (a word like "accoglienza" is in a few % of articles).
COMMON_TEXT = (
    "governo città regione sindaco ospedale scuola lavoro crisi energia prezzi "
    "famiglie tribunale inchiesta polizia incidente strada treno porto mare montagna "
    "neve calcio squadra partita campionato elezioni partito ministro legge bilancio "
    "tasse accoglienza migranti europa guerra ucraina russia pace accordo vertice "
    "nato perché però già più cioè università ricerca salute vaccino medici pazienti "
)
COMMON = COMMON_TEXT.split()
WORDS: list[str] = []
WEIGHTS: list[float] = []
SITES = [f"giornale{i}.it" for i in range(20)]
GOAL_MS = 200


VOCABULARY_SIZE = 30_000
SYLLABLES = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo la le li lo lu ma me mi mo "
SYLLABLES += "na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi vo za ze zi"


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words by rank with cumulative Zipf weights; the real Italian words get ranks 20..300."""
    syl = SYLLABLES.split()
    words = list(
        {"".join(rng.choice(syl) for _ in range(rng.randint(2, 4))) for _ in range(40_000)}
    )
    words = words[:VOCABULARY_SIZE]
    for i, word in enumerate(COMMON):
        words.insert(20 + i * 6, word)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    return words, weights


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, cum_weights=WEIGHTS, k=n)).capitalize() + "."


def fill(path: Path, count: int, seed: int = 20241120) -> None:
    rng = random.Random(seed)
    global WORDS, WEIGHTS
    WORDS, WEIGHTS = vocabulary(rng)
    Archive(path).close()  # schema through the real migrations
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    body = zlib.compress(b"<html>synthetic</html>")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO crawls (id, started_at, finished_at, command, stats, status)"
        " VALUES (1, '2024-01-01T00:00:00+00:00', '2024-01-01T01:00:00+00:00', 'bench',"
        " '{\"newsarchive/pages_stored\": 1}', 'finished')"
    )
    for i in range(count):
        site = SITES[i % len(SITES)]
        url = f"https://www.{site}/2024/{i:06d}.html"
        when = start + timedelta(minutes=17 * i + rng.randint(0, 600))
        published = when.isoformat()
        conn.execute(
            "INSERT INTO pages (id, url, final_url, status, fetched_at, headers, body, body_size,"
            " sha256, crawl_id, outcome) VALUES (?, ?, ?, 200, ?, '{}', ?, 22, ?, 1, 'article')",
            (i + 1, url, url, published, body, f"{i:064x}"),
        )
        text = "\n".join(sentence(rng, rng.randint(12, 30)) for _ in range(rng.randint(6, 14)))
        conn.execute(
            "INSERT INTO articles (url, page_id, site, title, authors, date_published,"
            " published_day, description, text, language, extractor, extracted_at)"
            " VALUES (?, ?, ?, ?, '[\"Mario Rossi\"]', ?, ?, ?, ?, 'it', 'bench', ?)",
            (
                url,
                i + 1,
                site,
                sentence(rng, 8),
                published,
                published[:10],
                sentence(rng, 20),
                text,
                published,
            ),
        )
        for field, source, value in (
            ("published", "jsonld:datePublished", published),
            ("published", "url", published[:10] if i % 50 else "2020-01-01"),
        ):
            conn.execute(
                "INSERT INTO date_evidence (article_url, field, source, raw, value, precision,"
                " chosen) VALUES (?, ?, ?, ?, ?, 'datetime', ?)",
                (url, field, source, value, value, int(source.startswith("jsonld"))),
            )
        for version in (1, 2) if i % 20 == 0 else (1,):
            conn.execute(
                "INSERT INTO article_versions (article_url, version, page_id, fetched_at, title,"
                " text, content_hash, changed_fields) VALUES (?, ?, ?, ?, 'T', 'x', ?, ?)",
                (
                    url,
                    version,
                    i + 1,
                    published,
                    f"{i}-{version}",
                    "[]" if version == 1 else '["title"]',
                ),
            )
        for pos in range(1, 4):
            target = f"https://www.{site}/2024/{rng.randrange(count):06d}.html"
            conn.execute(
                "INSERT OR IGNORE INTO links (from_url, to_url, kind, anchor_text, position,"
                " listed_date, listed_date_raw) VALUES (?, ?, 'related', ?, ?, ?, ?)",
                (url, target, sentence(rng, 6), pos, published[:10], published[:10]),
            )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="Reuse (or keep) the archive at this path.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "archive.db"
        if not db.exists():
            t0 = time.perf_counter()
            fill(db, args.articles)
            print(
                f"filled {args.articles:,} articles in {time.perf_counter() - t0:.1f} s "
                f"({db.stat().st_size / 1e6:.0f} MB)"
            )
        else:
            Archive(db).close()  # pending migrations
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}/{db.stem}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + ".json", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            queries = {
                "FTS 'citta accoglienza'": "/articles.json?_search=citta+accoglienza",
                "FTS 'perche' (common)": "/articles.json?_search=perche",
                "articles facet page": "/articles.json",
                "articles facet page (HTML)": "/articles",
                **{f"view {v}": f"/{v}.json" for v in sorted(VIEWS)},
            }
            results = {}
            print(f"{'query':40} {'median ms':>10}  goal < {GOAL_MS} ms")
            for label, path in queries.items():
                ms = timed(base + path, args.repeat)
                results[label] = round(ms, 1)
                flag = "ok" if ms < GOAL_MS else "SLOW"
                print(f"{label:40} {ms:10.1f}  {flag}")
        finally:
            proc.terminate()
            proc.wait(10)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "query_scale.json").write_text(
        json.dumps({"articles": args.articles, "median_ms": results}, indent=2)
    )


if __name__ == "__main__":
    main()
