"""Tests of the fixture server, and checks that the hand-written truth matches the pages."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.robotparser
from collections import deque
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from newsarchive_testing import site_truth as truth
from newsarchive_testing.fixture_site import PAGE_HEADERS, REDIRECTS, SITE_DIR, serve_site

# How each template marks up its article body and its related block (used only to check
# the truth against the HTML; the project's extractor must find these on its own).
BODY_XPATH = {
    "A": "//div[@class='testo-articolo']",
    "B": "//div[@class='post-body']",
    "C": "//div[@class='entry-content']",
}
RELATED_ITEM_XPATH = {
    "A": "//section[@class='articoli-correlati']//li",
    "B": "//div[@class='lista']/div[@class='card']",
    "C": "//aside[@class='potrebbe-interessarti']/div[@class='mini-card']",
}
RELATED_DATE_XPATH = {"A": ".//time", "B": ".//span[@class='card-data']", "C": ".//small"}
SHARE_HOSTS = {"www.facebook.com", "twitter.com", "api.whatsapp.com"}


# -- helpers --------------------------------------------------------------------------


def norm(text: str) -> str:
    """Collapse runs of whitespace (including newlines and NBSP) to one space."""
    return " ".join(text.split())


def file_for(path: str) -> Path:
    return SITE_DIR / path.lstrip("/")


def page_html(path: str) -> str:
    charset = truth.ARTICLES[path]["charset"] if path in truth.ARTICLES else "utf-8"
    return file_for(path).read_bytes().decode(charset)


def page_tree(path: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(page_html(path))


def visible_text(tree: lxml.html.HtmlElement) -> str:
    for el in tree.xpath("//script|//style"):
        el.drop_tree()
    return norm(tree.text_content())


def body_text(path: str) -> str:
    template = truth.ARTICLES[path]["template"]
    (body,) = page_tree(path).xpath(BODY_XPATH[template])
    return norm(body.text_content())


def get(site, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects."""
    parts = urlsplit(site.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site():
    with serve_site() as running:
        yield running


ALL_PATHS = [a["path"] for a in truth.ARTICLE_LIST]


# -- the server -----------------------------------------------------------------------


def test_serves_article_as_utf8_html(site):
    status, headers, body = get(site, truth.SEED_PATH)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert int(headers["content-length"]) == len(body)
    assert body == file_for(truth.SEED_PATH).read_bytes()


def test_base_url_and_url(site):
    assert site.base_url.startswith("http://127.0.0.1:")
    assert site.url("/a.html") == site.base_url + "/a.html"
    assert site.url("a.html") == site.base_url + "/a.html"


def test_head_sends_headers_without_body(site):
    status, headers, body = get(site, truth.SEED_PATH, method="HEAD")
    assert status == 200
    assert int(headers["content-length"]) == file_for(truth.SEED_PATH).stat().st_size
    assert body == b""


def test_query_string_serves_the_same_file(site):
    status, _, body = get(site, truth.TRACKING_HREF.split("#")[0])
    assert status == 200
    assert body == file_for(truth.TRACKING_TO).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        truth.NOT_FOUND_PATH,
        "/esteri/",
        "/",
        "/tag/russia/",
        "/../../../pyproject.toml",
        "/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    ],
)
def test_missing_is_404_with_italian_page(site, path):
    status, headers, body = get(site, path)
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert "Pagina non trovata" in body.decode("utf-8")


def test_redirect_is_301_to_the_new_path(site):
    status, headers, _ = get(site, truth.REDIRECT_FROM)
    assert status == 301
    assert headers["location"] == truth.REDIRECT_TO
    assert get(site, truth.REDIRECT_TO)[0] == 200


def test_robots_txt(site):
    status, headers, body = get(site, "/robots.txt")
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(body.decode("utf-8").splitlines())
    assert not rp.can_fetch("newsarchive", site.url(truth.DISALLOWED_PATH))
    assert rp.can_fetch("newsarchive", site.url(truth.SEED_PATH))
    # The disallowed page does exist, so a crawler that ignores robots.txt is detectable.
    assert get(site, truth.DISALLOWED_PATH)[0] == 200


def test_cp1252_page(site):
    status, headers, body = get(site, truth.CP1252_PATH)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=windows-1252"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1252")
    for word in ("città", "perché", " è ", "più", "“", "”", "’", "€ 12,50"):
        assert word in text
    assert '<meta charset="windows-1252">' in text


def test_requests_are_recorded_in_order_with_query_strings():
    with serve_site() as s:
        get(s, "/robots.txt")
        get(s, truth.SEED_PATH + "?utm_source=x")
        get(s, truth.SEED_PATH, method="HEAD")
        get(s, "/nope.html")
        assert s.requests == [
            "/robots.txt",
            truth.SEED_PATH + "?utm_source=x",
            truth.SEED_PATH,
            "/nope.html",
        ]
        assert s.hits(truth.SEED_PATH) == 2
        assert s.hits(truth.SEED_PATH + "?utm_source=x") == 1
        assert s.hits("/nope.html") == 1
        assert s.hits(truth.DISALLOWED_PATH) == 0
        assert [r.method for r in s.records] == ["GET", "GET", "HEAD", "GET"]
        s.clear_requests()
        assert s.requests == []


def test_overrides_at_start_and_while_running():
    override = (200, {"Content-Type": "text/html; charset=utf-8"}, b"<p>versione 2</p>")
    with serve_site(overrides={truth.SEED_PATH: override}) as s:
        assert get(s, truth.SEED_PATH)[2] == b"<p>versione 2</p>"
        s.clear_override(truth.SEED_PATH)
        assert get(s, truth.SEED_PATH)[2] == file_for(truth.SEED_PATH).read_bytes()

        s.set_override(truth.REDIRECT_TO, 410, {"Content-Type": "text/plain"}, "rimosso")
        status, headers, body = get(s, truth.REDIRECT_TO)
        assert (status, headers["content-type"], body) == (410, "text/plain", b"rimosso")
        s.set_override("/nuova.html", 200, None, "<p>nuova</p>")
        assert get(s, "/nuova.html")[:3:2] == (200, b"<p>nuova</p>")


def test_server_stops_at_exit():
    with serve_site() as s:
        port = int(s.base_url.rsplit(":", 1)[1])
        assert get(s, "/robots.txt")[0] == 200
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_declared_tables_point_at_real_files():
    for path, (status, location) in REDIRECTS.items():
        assert status in (301, 302, 307, 308)
        assert not file_for(path).exists()
        assert file_for(location).is_file()
    for path in PAGE_HEADERS:
        assert file_for(path).is_file()


# -- the truth agrees with the pages ---------------------------------------------------


def test_truth_constants_are_consistent():
    assert truth.SEED_PATH in truth.ARTICLES
    assert truth.ARTICLES[truth.SEED_PATH]["depth"] == 0
    for depth, paths in enumerate(
        [truth.DEPTH1_PATHS, truth.DEPTH2_PATHS, truth.DEPTH3_PATHS], start=1
    ):
        assert sorted(paths) == sorted(p for p, a in truth.ARTICLES.items() if a["depth"] == depth)
    assert REDIRECTS[truth.REDIRECT_FROM] == (301, truth.REDIRECT_TO)
    assert truth.REDIRECT_TO in truth.DEPTH1_PATHS
    assert truth.CP1252_PATH in truth.DEPTH1_PATHS
    assert truth.ARTICLES[truth.CP1252_PATH]["charset"] == "windows-1252"
    assert truth.ARTICLES[truth.NO_RELATED_PATH]["related"] == []
    assert len(truth.ARTICLES) == len(truth.ARTICLE_LIST)
    assert {a["template"] for a in truth.ARTICLE_LIST} == {"A", "B", "C"}


def test_declared_depths_match_a_walk_over_the_links():
    depth = {truth.SEED_PATH: 0}
    queue = deque([truth.SEED_PATH])
    while queue:
        path = queue.popleft()
        for link in truth.ARTICLES[path]["related"]:
            target = link["final_path"]
            if target is not None and target not in depth:
                depth[target] = depth[path] + 1
                queue.append(target)
    assert depth == {p: a["depth"] for p, a in truth.ARTICLES.items()}


def test_every_declared_path_exists_or_is_declared_missing():
    for path in ALL_PATHS:
        assert file_for(path).is_file(), path
    assert file_for(truth.DISALLOWED_PATH).is_file()
    assert not file_for(truth.NOT_FOUND_PATH).exists()
    assert not file_for(truth.REDIRECT_FROM).exists()
    for path in truth.NEVER_FETCHED_PATHS:
        assert path.endswith("/") or not file_for(path).exists(), path
        assert path not in REDIRECTS


def test_no_stray_pages():
    on_disk = {"/" + p.relative_to(SITE_DIR).as_posix() for p in SITE_DIR.rglob("*.html")}
    assert on_disk == set(truth.ARTICLES) | {truth.DISALLOWED_PATH}


@pytest.mark.parametrize("path", ALL_PATHS)
def test_page_basics(path):
    a = truth.ARTICLES[path]
    tree = page_tree(path)
    assert tree.get("lang", "").startswith(a["language"])
    (h1,) = tree.xpath("//h1")
    assert norm(h1.text_content()) == a["title"]
    assert a["title"] in page_html(path)
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    assert canonical == ([a["canonical"]] if a["canonical"] else [])
    assert truth.HEADER_CLOCK in visible_text(tree)
    for author in a["authors"]:
        assert author in visible_text(page_tree(path))


@pytest.mark.parametrize("path", ALL_PATHS)
def test_dates_and_authors_match_page_metadata(path):
    a = truth.ARTICLES[path]
    tree = page_tree(path)
    if a["template"] == "A":
        (ld,) = tree.xpath("//script[@type='application/ld+json']/text()")
        data = json.loads(ld)
        assert data["@type"] == "NewsArticle"
        assert data["headline"] == a["title"]
        assert data["datePublished"] == a["date_published"]
        assert data.get("dateModified") == a["date_modified"]
        authors = data["author"] if isinstance(data["author"], list) else [data["author"]]
        assert [p["name"] for p in authors] == a["authors"]
        assert data["inLanguage"] == "it-IT"
    elif a["template"] == "B":
        meta = {m.get("property") or m.get("name"): m.get("content") for m in tree.xpath("//meta")}
        assert "application/ld+json" not in page_html(path)
        assert meta["article:published_time"] == a["date_published"]
        assert meta.get("article:modified_time") == a["date_modified"]
        assert meta["author"] == ", ".join(a["authors"])
        assert meta["og:title"] == a["title"]
        published = datetime.fromisoformat(a["date_published"])
        byline = norm(tree.xpath("//div[@class='post-meta']")[0].text_content())
        assert byline.startswith(published.strftime("Pubblicato il %d/%m/%Y alle %H:%M"))
    else:
        html = page_html(path)
        assert "application/ld+json" not in html
        assert "article:published_time" not in html
        byline = norm(tree.xpath("//p[@class='entry-date']")[0].text_content())
        author = norm(tree.xpath("//p[@class='entry-author']")[0].text_content())
        assert author == "di " + " e ".join(a["authors"])
        if len(a["date_published"]) == 10:  # a bare day
            assert byline.startswith("Pubblicato il ") and ":" not in byline
        else:
            published = datetime.fromisoformat(a["date_published"])
            assert byline.startswith(published.strftime("Pubblicato il %d/%m/%Y alle %H:%M"))
        if a["date_modified"]:
            modified = datetime.fromisoformat(a["date_modified"])
            assert modified.date() == datetime.fromisoformat(a["date_published"]).date()
            assert byline.endswith(modified.strftime("| Aggiornato alle %H:%M"))
        else:
            assert "Aggiornato" not in byline


@pytest.mark.parametrize("path", ALL_PATHS)
def test_snippets_are_in_the_body_and_chrome_is_not(path):
    a = truth.ARTICLES[path]
    body = body_text(path)
    page = visible_text(page_tree(path))
    assert 150 <= len(body.split()) <= 400
    for snippet in a["text_snippets"]:
        assert snippet in body, snippet
    for chrome in a["not_in_text"]:
        assert chrome in page, chrome  # a real trap: it is on the page...
        assert chrome not in body, chrome  # ...but outside the article body


@pytest.mark.parametrize("path", ALL_PATHS)
def test_related_links_match_the_page(path):
    a = truth.ARTICLES[path]
    tree = page_tree(path)
    items = tree.xpath(RELATED_ITEM_XPATH[a["template"]])
    found = []
    for item in items:
        (link,) = item.xpath(".//a[@href]")
        (date,) = item.xpath(RELATED_DATE_XPATH[a["template"]])
        found.append((link.get("href"), norm(link.text_content()), norm(date.text_content())))
    expected = [(r["href"], r["anchor_text"], r["listed_date_raw"]) for r in a["related"]]
    assert found == expected
    page = visible_text(tree)
    for r in a["related"]:
        assert r["listed_date_raw"] in page
    if not a["related"]:
        for heading in ("Articoli correlati", "Leggi anche", "Potrebbe interessarti"):
            assert heading not in page


def test_related_link_fields_are_consistent():
    relative = []
    for a in truth.ARTICLE_LIST:
        for r in a["related"]:
            href = urlsplit(r["href"])
            if r["outcome"] == truth.EXTERNAL:
                assert r["to_path"] == r["href"] == truth.EXTERNAL_URL
                assert r["final_path"] is None
                continue
            assert not href.netloc
            assert r["to_path"] == href.path
            if r["outcome"] == truth.ARTICLE:
                assert r["final_path"] == r["to_path"] and r["final_path"] in truth.ARTICLES
            elif r["outcome"] == truth.REDIRECT:
                assert (r["to_path"], r["final_path"]) == (truth.REDIRECT_FROM, truth.REDIRECT_TO)
            elif r["outcome"] == truth.NOT_FOUND:
                assert (r["to_path"], r["final_path"]) == (truth.NOT_FOUND_PATH, None)
            else:
                assert r["outcome"] == truth.DISALLOWED
                assert (r["to_path"], r["final_path"]) == (truth.DISALLOWED_PATH, None)
            if r["listed_date"] == truth.RELATIVE:
                relative.append((a["path"], r["to_path"], r["listed_date_raw"]))
            elif r["final_path"]:
                # Every listed date is the target's publication date, as the seed's are.
                assert r["listed_date"] == truth.ARTICLES[r["final_path"]]["date_published"]
    assert relative == [(truth.RELATIVE_FROM_PATH, truth.RELATIVE_TO_PATH, truth.RELATIVE_RAW)]
    assert truth.ARTICLES[truth.SEED_PATH]["related"][0]["href"] == truth.TRACKING_HREF
    assert truth.ARTICLES[truth.SEED_PATH]["related"][0]["to_path"] == truth.TRACKING_TO


def test_every_link_on_the_site_is_accounted_for():
    related = {r["href"] for a in truth.ARTICLE_LIST for r in a["related"]}
    never = set(truth.NEVER_FETCHED_PATHS)
    seen_never = set()
    for path in [*ALL_PATHS, truth.DISALLOWED_PATH]:
        tree = page_tree(path)
        for href in tree.xpath("//a/@href"):
            parts = urlsplit(href)
            if href.startswith(("#", "mailto:")) or parts.netloc in SHARE_HOSTS:
                continue
            if href in related:
                continue
            assert parts.path in never, f"{path}: unexpected link {href}"
            seen_never.add(parts.path)
        for src in tree.xpath("//img/@src|//link[@rel='stylesheet']/@href"):
            assert src.startswith(truth.NEVER_FETCHED_PREFIXES)
    assert seen_never == never
