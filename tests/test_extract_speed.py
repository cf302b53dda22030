"""What extract_article skips to save CPU (issue 17), and that skipping changes nothing it keeps."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import htmldate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trafilatura import metadata as tf_metadata

from newsarchive.dates import evidence
from newsarchive.extract import article, cascade, catstags, metadata
from newsarchive.extract.article import extract_article

FETCHED_AT = datetime(2024, 12, 6, 9, 0, tzinfo=timezone.utc)
URL = "https://www.giornale-di-prova.it/cronaca/il-piano-della-mobilita"
PARAGRAPH = (
    "Il consiglio comunale ha approvato ieri sera il nuovo piano per la mobilità cittadina, "
    "che prevede tre nuove linee di autobus elettrici e cento chilometri di piste ciclabili."
)


def page(*, extra: str = "", jsonld: bool = True) -> bytes:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Il piano",'
        ' "datePublished": "2024-12-05T10:00:00+01:00", "author": {"name": "Mario Rossi"},'
        ' "publisher": {"name": "Giornale di Prova"}}</script>'
        if jsonld
        else ""
    )
    paragraphs = "".join(f"<p>{PARAGRAPH} ({i})</p>" for i in range(6))
    return (
        f'<html lang="it"><head><title>Il piano</title>{ld}</head><body>'
        f"<article><h1>Il piano</h1>{paragraphs}</article>{extra}</body></html>"
    ).encode()


def spy_trafilatura(monkeypatch: Any, fast_text: str | None = None) -> list[bool]:
    """Record the `fast` flag of every trafilatura run; fast_text replaces a fast result."""
    calls: list[bool] = []
    real = cascade.Cascade.text

    def spy(self: cascade.Cascade, *, fast: bool) -> str | None:
        calls.append(fast)
        if fast and fast_text is not None:
            return fast_text
        return real(self, fast=fast)

    monkeypatch.setattr(cascade.Cascade, "text", spy)
    return calls


def test_a_confident_page_runs_trafilatura_once_without_fallbacks(monkeypatch):
    calls = spy_trafilatura(monkeypatch)
    extraction = extract_article(page(), url=URL, fetched_at=FETCHED_AT)
    assert calls == [True]
    assert extraction.article is not None
    assert PARAGRAPH in (extraction.article.text or "")


def test_a_doubtful_fast_text_gets_the_fallback_comparison(monkeypatch):
    # the fast text is far shorter than the page's paragraphs: trafilatura runs again in full
    calls = spy_trafilatura(monkeypatch, fast_text="Il piano.")
    extraction = extract_article(page(), url=URL, fetched_at=FETCHED_AT)
    assert calls == [True, False]
    assert extraction.article is not None
    assert PARAGRAPH in (extraction.article.text or "")


def test_a_page_without_readable_paragraphs_runs_trafilatura_in_full_only(monkeypatch):
    # any fast text is doubtful against no paragraph text at all: the fast run is skipped
    calls = spy_trafilatura(monkeypatch)
    body = page().replace(b"<p>", b"<div>").replace(b"</p>", b"</div>")
    extraction = extract_article(body, url=URL, fetched_at=FETCHED_AT)
    assert calls == [False]
    assert extraction.article is not None
    assert PARAGRAPH in (extraction.article.text or "")


def test_paragraph_chars_counts_readable_paragraphs_only():
    html = "<p>breve</p><p>  una   frase di più di venticinque caratteri </p>"
    tree = article.parse_html(f"<html><body>{html}</body></html>")
    assert article.paragraph_chars(tree) == len("una frase di più di venticinque caratteri")


def spy_catstags(monkeypatch: Any) -> list[str]:
    kinds: list[str] = []
    real = catstags.extract_catstags

    def spy(kind: str, tree: Any) -> list[str]:
        kinds.append(kind)
        return real(kind, tree)

    monkeypatch.setattr(catstags, "extract_catstags", spy)
    return kinds


def test_no_category_or_tag_scan_without_such_links(monkeypatch):
    kinds = spy_catstags(monkeypatch)
    extraction = extract_article(page(), url=URL, fetched_at=FETCHED_AT)
    assert kinds == []
    assert extraction.article is not None
    assert extraction.article.categories == ()
    assert extraction.article.tags == ()


def test_category_and_tag_links_are_still_read(monkeypatch):
    kinds = spy_catstags(monkeypatch)
    links = (
        '<div class="entry-meta"><a href="/category/cronaca/">Cronaca</a></div>'
        '<div class="tags"><a href="/tag/mobilita/">Mobilità</a></div>'
    )
    extraction = extract_article(page(extra=links), url=URL, fetched_at=FETCHED_AT)
    assert kinds == ["category", "tag"]
    assert extraction.article is not None
    assert extraction.article.categories == ("Cronaca",)
    assert extraction.article.tags == ("Mobilità",)


def test_htmldate_reads_the_page_tree_itself(monkeypatch):
    # htmldate copies a tree before pruning it: a copy of ours would be a second copy
    trees: dict[str, Any] = {}
    real_collect, real_find_date = evidence.collect, htmldate.find_date

    def collect(tree: Any, *args: Any, **kwargs: Any) -> Any:
        trees["collect"] = tree
        return real_collect(tree, *args, **kwargs)

    def find_date(tree: Any, **kwargs: Any) -> Any:
        trees["find_date"] = tree
        return real_find_date(tree, **kwargs)

    monkeypatch.setattr(evidence, "collect", collect)
    monkeypatch.setattr(article, "find_date", find_date)
    extract_article(page(jsonld=False), url=URL, fetched_at=FETCHED_AT)
    assert trees["find_date"] is trees["collect"]


def test_doubtful_fast_texts():
    assert article.doubtful(400, 1_000)  # under half the paragraph text: text missed
    assert not article.doubtful(900, 1_000)
    assert article.doubtful(9_000, 1_000)  # far beyond the paragraphs: chrome taken?
    assert article.doubtful(500, 0)  # no paragraph at all
    assert article.doubtful(700, 150)  # short, and mostly outside paragraphs
    assert not article.doubtful(2_000, 500)


def spy_author(monkeypatch: Any) -> list[Any]:
    calls: list[Any] = []
    real = tf_metadata.extract_author

    def spy(tree: Any) -> Any:
        calls.append(tree)
        return real(tree)

    monkeypatch.setattr(tf_metadata, "extract_author", spy)
    return calls


def test_the_author_scan_copies_no_tree(monkeypatch):
    # trafilatura's extract_author deep-copies the page and runs regex XPaths: not called
    calls = spy_author(monkeypatch)
    byline = '<!-- firma --><span class="author-name">Mario Rossi</span>'
    extraction = extract_article(page(extra=byline, jsonld=False), url=URL, fetched_at=FETCHED_AT)
    assert calls == []
    assert extraction.article is not None
    assert extraction.article.authors == ("Mario Rossi",)


def test_no_author_without_author_markup():
    extraction = extract_article(page(jsonld=False), url=URL, fetched_at=FETCHED_AT)
    assert extraction.article is not None
    assert extraction.article.authors == ()


# (body HTML, what trafilatura's extract_author returns for it)
AUTHOR_PAGES = [
    ("<!-- a comment --><p class='testo'>Mario Rossi</p>", None),
    ("<p class='ArticleByline'>Mario Rossi</p>", "Mario Rossi"),
    ("<div data-testid='AuthorCard'>Mario Rossi</div>", "Mario Rossi"),
    ("<div id='zuozhe'>Mario Rossi</div>", "Mario Rossi"),
    ("<author>Mario Rossi</author>", "Mario Rossi"),
    ("<span itemprop='author name'>Mario Rossi</span>", "Mario Rossi"),
    ("<h3 class='byline'>Mario Rossi</h3>", "Mario Rossi"),
    ("<em data-component='Byline'>Mario Rossi</em>", "Mario Rossi"),
    ("<h5 class='writer'>Mario Rossi</h5>", "Mario Rossi"),
    ("<p class='AUTHOR'>Mario Rossi</p>", None),  # its XPaths are case-sensitive
    ("<a href='/author/mario'>Mario Rossi</a>", None),  # an href is not read
    # the first XPath that finds a fitting text wins, whatever the document order
    (
        "<em class='writer'>Luca Bianchi</em><span class='author-name'>Mario Rossi</span>",
        "Mario Rossi",
    ),
    (
        "<span class='author-name'>ab</span><span class='author-name'>Mario Rossi</span>",
        "Mario Rossi",
    ),
    (
        f"<span class='author-name'>{'Mario Rossi ' * 11}</span>"
        "<h4 class='byline'>Luca Bianchi</h4>",
        "Luca Bianchi",
    ),
    # deleted subtrees (comments, sidebars, dates, times, figures) are not read ...
    (
        "<div class='comments'><span class='author'>Luca Bianchi</span></div>"
        "<p class='author'>Mario Rossi</p>",
        "Mario Rossi",
    ),
    (
        "<aside><div class='sidebar'><p class='author'>Luca Bianchi</p></div></aside>"
        "<p class='author'>Mario Rossi</p>",
        "Mario Rossi",
    ),
    (
        "<figure><p class='author'>Luca Bianchi</p></figure><p class='author'>Mario Rossi</p>",
        "Mario Rossi",
    ),
    # ... and their tails are glued to the text before them
    ("<p class='author'>Mario<time>ieri</time>Rossi</p>", "MarioRossi"),
    (
        "<p class='author'>di <b>Mario</b><time>ieri</time> Ros<span class='date'>x</span>si</p>",
        "Di Mario Rossi",
    ),
    (
        "<p class='author'><time>ieri</time>Mario <!-- c -->Ros<figure>f</figure>si</p>",
        "Mario Rossi",
    ),
    ("<p class='author'><b>Mario</b><time>1</time><figure>2</figure>Rossi</p>", "Mario Rossi"),
    (
        "<div class='author'><span>Mario</span><span class='print'>p</span>Rossi</div>",
        "Mario Rossi",
    ),
    # the first fitting text ends the scan, even one normalize_authors turns into None
    ("<p class='author'>1234</p><p class='author'>Mario Rossi</p>", None),
    ("<h4 class='byline'>Luca Bianchi</h4><p class='author'>@mario</p>", None),
    # a <rel> child element is compared with 'me' (trafilatura's own scan reads it)
    ("<p id='x'><rel>me</rel></p><div class='byl'>Mario Rossi</div>", "Mario Rossi"),
]


@pytest.mark.parametrize(("body", "expected"), AUTHOR_PAGES)
def test_trafilatura_author_is_trafilaturas_extract_author(body: str, expected: str | None):
    tree = article.parse_html(f"<html><head><title>t</title></head><body>{body}</body></html>")
    assert tree is not None
    assert tf_metadata.extract_author(tree) == expected
    assert metadata.trafilatura_author(tree) == expected


def test_the_byline_is_read_once(monkeypatch):
    # the metadata names only the publisher: the visible byline is looked for, once
    calls: list[Any] = []
    real = article.byline_authors

    def spy(tree: Any, excluded: Any) -> list[str]:
        calls.append(tree)
        return real(tree, excluded)

    monkeypatch.setattr(article, "byline_authors", spy)
    body = page().replace(b'{"name": "Mario Rossi"}', b'{"name": "Giornale di Prova"}')
    extraction = extract_article(body, url=URL, fetched_at=FETCHED_AT)
    assert len(calls) == 1
    assert extraction.article is not None
    assert extraction.article.authors == ("Giornale di Prova",)


AUTHOR_TAGS = ("p", "div", "span", "a", "h3", "h4", "strong", "em", "section", "time", "figure")
AUTHOR_ATTRS = st.sampled_from([
    "", " class='author'", " class='author-name'", " class='byline'", " class='Byline x'",
    " class='comments'", " class='sidebar'", " class='date'", " class='title'", " class='print'",
    " class='meta-date'", " class='writer'", " id='author'", " id='commentlist'",
    " itemprop='author'", " itemprop='author name'", " data-component='Figure'",
    " data-component='Byline'", " rel='author'", " class='username'",
])  # fmt: skip
AUTHOR_TEXTS = st.sampled_from(
    ["", "Mario", " Rossi", "di ", "ab", ", Roma", " ", "<!-- c -->", "1234", "@mario"]
)


@st.composite
def author_markup(draw: Any, depth: int = 0) -> str:
    """Nested elements with author, discarded (comments, dates, figures) and plain markup."""
    parts = [draw(AUTHOR_TEXTS)]
    for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
        tag = draw(st.sampled_from(AUTHOR_TAGS))
        inner = draw(author_markup(depth + 1))
        parts.append(f"<{tag}{draw(AUTHOR_ATTRS)}>{inner}</{tag}>{draw(AUTHOR_TEXTS)}")
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(body=author_markup())
def test_trafilatura_author_matches_trafilatura_on_any_markup(body: str):
    tree = article.parse_html(f"<html><head><title>t</title></head><body>{body}</body></html>")
    assert tree is not None
    assert metadata.trafilatura_author(tree) == tf_metadata.extract_author(tree)
