"""The reading room over a real crawl: `newsarchive serve` pages checked over HTTP and in a
real headless Chromium (article page, search, home), with screenshots."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from conftest import FAST, run_cli
from test_datasette import CHROMIUM_FLAGS, free_port

from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import SITE_DIR, serve_site

pytestmark = pytest.mark.e2e

SEED = truth.SEED_PATH
OLD_SENTENCE = "In cambio offre ciò che Mosca cerca con più urgenza: uomini e munizioni."
NEW_SENTENCE = "In cambio offre ciò che Mosca cerca con più urgenza: soldati, munizioni e missili."
# a script in the edited page: it must never run when the archived page is opened
SCRIPT = "<script>document.documentElement.setAttribute('data-script-ran', 'yes')</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
# set to a directory to keep the screenshots (the README's come from here)
SHOTS_OUT = os.environ.get("READING_ROOM_SCREENSHOTS")
README_SHOTS = {"home.png", "search.png", "article.png"}


def edited_seed() -> bytes:
    html = (SITE_DIR / SEED.lstrip("/")).read_text("utf-8")
    assert OLD_SENTENCE in html
    return html.replace(OLD_SENTENCE, NEW_SENTENCE).replace("</body>", SCRIPT + "</body>").encode()


def start_serve(db: Path, cwd: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`newsarchive serve` on a free port, once it answers: (process, base URL)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            *extra,
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("datasette did not start") from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """(datasette base URL, archived-pages base URL, seed URL, db) over a crawl with an edit."""
    tmp = tmp_path_factory.mktemp("room")
    db = tmp / "archive.db"
    with serve_site() as site:
        seed = site.url(SEED)
        first = run_cli("crawl", seed, "--db", str(db), "--depth", "2", *FAST, cwd=tmp)
        site.set_override(SEED, 200, {"Content-Type": "text/html; charset=utf-8"}, edited_seed())
        second = run_cli(
            "crawl", seed, "--db", str(db), "--depth", "0", "--recheck", *FAST, cwd=tmp
        )
        assert (first.code, second.code) == (0, 0), second.err
    archive_port = free_port()
    proc, base = start_serve(db, tmp, "--archive-port", str(archive_port))
    yield base, f"http://127.0.0.1:{archive_port}", seed, db
    proc.terminate()
    proc.wait(10)


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return (
                response.status,
                dict(response.headers),
                response.read().decode("utf-8", "replace"),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def article_url(base: str, url: str) -> str:
    return base + "/-/article?" + urlencode({"url": url})


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert match, element_id
    return match.group(0)


@pytest.fixture(scope="module")
def seed_page(room):
    base, _, seed, _ = room
    status, _, html = fetch(article_url(base, seed))
    assert status == 200
    return html


def test_article_page_title_site_authors_outcome(seed_page):
    assert truth.ARTICLES[SEED]["title"].replace("'", "&#39;") in seed_page
    assert "Il Corriere di Prova" in seed_page and "Mario Rossi" in seed_page
    assert re.search(r'id="outcome">article<', seed_page)


def test_article_page_text_in_paragraphs(seed_page):
    text = re.search(r'<div class="text" id="text">(.*?)</div>', seed_page, re.S).group(1)
    assert text.count("<p>") >= 5 and "Per decenni la Corea del Nord" in text


def test_article_page_dates_with_their_evidence(seed_page):
    evidence = section(seed_page, "evidence")
    assert "jsonld:datePublished" in evidence and "2024-11-21T08:30:00+01:00" in evidence
    assert "✓" in evidence


def test_article_page_links_both_ways_with_listed_dates(room, seed_page):
    out = section(seed_page, "links-out")
    assert truth.ARTICLES[truth.TRACKING_TO]["title"] in out
    assert "2024-11-20T03:15:00+01:00" in out and "20 novembre 2024 · 03:15" in out
    base, _, seed, _ = room
    _, _, target = fetch(article_url(base, seed.replace(SEED, truth.TRACKING_TO)))
    incoming = section(target, "links-in")
    assert 'href="/-/article?url=' + quote(seed, safe="") in incoming
    assert "2024-11-20T03:15:00+01:00" in incoming


def test_article_page_resolves_a_redirected_link_both_ways(room, seed_page):
    base, _, seed, _ = room
    target = seed.replace(SEED, truth.REDIRECT_TO)
    out = section(seed_page, "links-out")
    assert 'href="/-/article?url=' + quote(target, safe="") in out
    _, _, html = fetch(article_url(base, target))
    assert 'href="/-/article?url=' + quote(seed, safe="") in section(html, "links-in")


def test_article_page_versions_with_a_paragraph_diff(seed_page):
    versions = section(seed_page, "versions")
    assert "Version 1 → 2" in versions
    assert "<del>uomini</del>" in versions and "<ins>soldati, munizioni</ins>" in versions
    assert "<ins>missili.</ins>" in versions
    # long unchanged runs are cut: the diff shows the change with some words around it
    assert "…" in versions and "Guerra fredda" not in versions


def test_archived_page_sandboxed_on_another_origin(room, seed_page):
    base, archive_base, seed, _ = room
    href = re.search(r'id="archived-link" href="([^"]+)"', seed_page).group(1)
    assert href.startswith(archive_base + "/page/")
    status, headers, body = fetch(href)
    csp = headers["Content-Security-Policy"]
    assert status == 200 and "sandbox" in csp.split(";")[0] and "default-src 'none'" in csp
    assert "script-src" not in csp and "allow-scripts" not in csp
    assert headers["Content-Type"].startswith("text/html")
    assert NEW_SENTENCE in body and SCRIPT in body  # the bytes as fetched


def test_archived_page_also_sandboxed_in_datasette(room, seed_page):
    base, archive_base, _, _ = room
    href = re.search(r'id="archived-link" href="([^"]+)"', seed_page).group(1)
    status, headers, body = fetch(base + "/-/archived/" + href.rsplit("/", 1)[1])
    assert status == 200 and headers["Content-Security-Policy"].startswith("sandbox;")
    assert fetch(base + "/-/archived/999999")[0] == 404


def test_archive_port_taken_falls_back_to_the_datasette_port(room, tmp_path):
    _, _, seed, db = room
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc, base = start_serve(db, tmp_path, "--archive-port", str(busy.getsockname()[1]))
        try:
            _, _, html = fetch(article_url(base, seed))
        finally:
            proc.terminate()
            proc.wait(10)
    href = re.search(r'id="archived-link" href="([^"]+)"', html).group(1)
    assert href.startswith("/-/archived/")
    assert "cannot listen" in proc.stderr.read().decode()


def test_unknown_article_is_404(room):
    base, *_ = room
    assert fetch(article_url(base, "https://nowhere.example/x.html"))[0] == 404


def test_search_page_relevance_snippets_facets(room):
    base, *_ = room
    status, _, html = fetch(base + "/-/search?q=corea+OR+sudan")
    hits = re.findall(r'<a class="title" href="([^"]+)"', html)
    assert status == 200 and len(hits) == 2
    assert "<mark>Sudan</mark>" in html and "<mark>Corea</mark>" in html
    facets = re.search(r'id="facets".*?</aside>', html, re.S).group(0)
    assert "127.0.0.1</a> 2" in facets and "2024-11-21" in facets


def test_search_page_prefix_and_phrase(room):
    base, *_ = room
    assert "<mark>russe</mark>" in fetch(base + "/-/search?q=russ*")[2]
    phrase = fetch(base + "/-/search?" + urlencode({"q": '"consiglio di sicurezza"'}))[2]
    assert len(re.findall(r'<a class="title"', phrase)) == 1


def test_search_page_invalid_syntax_message(room):
    base, *_ = room
    status, _, html = fetch(base + "/-/search?" + urlencode({"q": 'NATO" OR ('}))
    assert status == 400 and 'id="search-error"' in html and "unclosed quote" in html


def table_search(base: str, query: str) -> tuple[int, object]:
    url = base + "/archive/articles.json?" + urlencode({"_search": query, "_shape": "array"})
    status, _, body = fetch(url)
    return status, json.loads(body)


def test_table_search_speaks_the_same_syntax(room):
    base, *_ = room
    assert len(table_search(base, "corea OR sudan")[1]) == 2
    assert len(table_search(base, "Russ*")[1]) >= 3
    assert len(table_search(base, '"consiglio di sicurezza"')[1]) == 1
    assert len(table_search(base, "title:bolletta")[1]) == 1
    assert len(table_search(base, "citta")[1]) >= 1


def test_table_search_invalid_syntax_is_a_400_that_says_why(room):
    base, *_ = room
    status, body = table_search(base, 'NATO" OR (')
    assert status == 400 and "unclosed quote" in body["error"]


def test_home_chart_and_top_sites(room):
    base, *_ = room
    _, _, html = fetch(base + "/")
    chart = re.search(r'<svg[^>]*class="newsarchive-chart".*?</svg>', html, re.S).group(0)
    # one bar per calendar day from the first to the last publication day (2024-11-03..12-03)
    assert chart.count('class="bar"') == 31 and "2024-11-21: 1" in chart
    assert 'id="top-sites"' in html and "127.0.0.1" in section(html, "top-sites")
    assert html.index('name="q"') < html.index('id="per-day"')


def test_table_titles_link_to_the_article_page_and_text_is_truncated(room):
    base, *_ = room
    _, _, html = fetch(base + "/archive/articles")
    assert html.count('class="newsarchive-read" href="/-/article?url=') == 9
    cells = re.findall(r'<td class="col-text[^"]*"[^>]*>(.*?)</td>', html, re.S)
    assert cells and max(len(c) for c in cells) < 400
    assert html.index('action="/-/search"') < html.index('class="rows-and-columns"')
    # the column descriptions are folded away, not twenty lines above the rows
    assert "<summary>What the 20 columns mean</summary>" in html


def browse(url: str, tmp_path: Path, name: str, height: int = 1400) -> str:
    """The DOM of url after Chromium ran it; a screenshot to tmp_path/name (and SHOTS_OUT)."""
    common = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=60, env=env
    )
    shot = tmp_path / name
    subprocess.run(
        [
            *common,
            f"--screenshot={shot}",
            f"--window-size=1100,{height}",
            "--force-device-scale-factor=0.7",  # small PNGs (the README shows them)
            url,
        ],
        capture_output=True,
        timeout=60,
        env=env,
    )
    assert shot.exists() and shot.stat().st_size > 5_000
    if SHOTS_OUT and name in README_SHOTS:
        shutil.copy(shot, Path(SHOTS_OUT) / f"reading-room-{name}")
    return dom.stdout


@needs_chromium
def test_browser_home(room, tmp_path):
    base, *_ = room
    dom = browse(base + "/", tmp_path, "home.png", height=900)
    assert 'class="newsarchive-chart"' in dom and 'id="top-sites"' in dom and 'name="q"' in dom


@needs_chromium
def test_browser_search(room, tmp_path):
    base, *_ = room
    dom = browse(base + "/-/search?q=corea+OR+sudan", tmp_path, "search.png", height=700)
    assert dom.count('class="title"') == 2 and "<mark>Sudan</mark>" in dom
    assert 'id="facets"' in dom


@needs_chromium
def test_browser_article(room, tmp_path):
    base, archive_base, seed, _ = room
    dom = browse(article_url(base, seed), tmp_path, "article.png", height=1500)
    for element in (
        'id="text"',
        'id="evidence"',
        'id="links-out"',
        'id="links-in"',
        'id="versions"',
        'id="archived-link"',
        "<del>uomini</del>",
    ):
        assert element in dom, element


@needs_chromium
def test_browser_archived_page_runs_no_script(room, tmp_path, seed_page):
    href = re.search(r'id="archived-link" href="([^"]+)"', seed_page).group(1)
    dom = browse(href, tmp_path, "archived.png", height=900)
    assert NEW_SENTENCE in dom and 'data-script-ran="yes"' not in dom


def test_show_prints_the_article_view(room, tmp_path):
    _, _, seed, db = room
    result = run_cli("show", seed, "--db", str(db), cwd=tmp_path)
    out = result.out
    assert result.code == 0, result.err
    assert out.splitlines()[0] == truth.ARTICLES[SEED]["title"]
    assert "by Mario Rossi" in out and "outcome: article" in out
    assert "* published jsonld:datePublished" in out
    assert '("20 novembre 2024 · 03:15")' in out and "articles that list it (2)" in out
    assert "versions (2)" in out and "[-uomini-]{+soldati, munizioni+}" in " ".join(out.split())


def test_show_json(room, tmp_path):
    _, _, seed, db = room
    result = run_cli("show", seed, "--db", str(db), "--json", cwd=tmp_path)
    view = json.loads(result.out)
    assert view["authors"] == ["Mario Rossi"] and len(view["links_in"]) == 2
    assert [v["version"] for v in view["versions"]] == [1, 2]
    assert view["versions"][1]["changed_fields"] == ["text"]
    assert any("[-uomini-]" in line for line in view["text_diffs"][0]["lines"])


def test_show_unknown_url_is_one_line(room, tmp_path):
    _, _, _, db = room
    result = run_cli("show", "https://nowhere.example/x.html", "--db", str(db), cwd=tmp_path)
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1


def test_graphml_edge_through_a_redirect_reaches_the_article(room, tmp_path):
    import xml.etree.ElementTree as ET

    _, _, seed, db = room
    result = run_cli(
        "export", "--db", str(db), "--what", "links", "--format", "graphml", cwd=tmp_path
    )
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    graph = ET.fromstring(result.out).find("g:graph", ns)
    nodes = {n.get("id"): n for n in graph.findall("g:node", ns)}
    targets = {e.get("target") for e in graph.findall("g:edge", ns) if e.get("source") == seed}
    article = seed.replace(SEED, truth.REDIRECT_TO)
    assert article in targets and seed.replace(SEED, truth.REDIRECT_FROM) not in targets
    assert nodes[article].find("g:data[@key='archived']", ns).text == "true"
    assert seed.replace(SEED, truth.REDIRECT_FROM) not in nodes


def test_article_page_links_each_fetch_to_a_warc_that_real_tools_read(room, seed_page, tmp_path):
    """Each fetch on the article page downloads as a self-contained WARC: `warcio check`
    passes and its response record holds the bytes that were archived."""
    from warcio.archiveiterator import ArchiveIterator

    from newsarchive.store.archive import Archive

    base, _, seed, db = room
    ids = re.findall(r'href="/-/warc/(\d+)"', section(seed_page, "fetches"))
    assert len(ids) == 2  # the first crawl and the re-check after the edit
    with Archive(db, readonly=True) as archive:
        stored = {int(i): archive.pages.get(int(i)) for i in ids}
    for page_id in ids:
        with urllib.request.urlopen(f"{base}/-/warc/{page_id}", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/warc")
            assert "attachment" in response.headers["Content-Disposition"]
            data = response.read()
        path = tmp_path / f"page-{page_id}.warc.gz"
        path.write_bytes(data)
        check = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        types, payload = [], b""
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                types.append(record.rec_type)
                if record.rec_type == "response":
                    payload = record.content_stream().read()
        assert types[:3] == ["warcinfo", "response", "request"]
        assert set(types) <= {"warcinfo", "response", "request", "metadata"}
        assert payload == stored[int(page_id)].body
    status, _, _ = fetch(f"{base}/-/warc/999999")
    assert status == 404
