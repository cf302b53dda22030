"""canonicalize_url's fast path (issue 17) returns what the full path returns, on any URL.

A URL matching urls.CANONICAL_URL_RE (without "/.") is returned as is, without the join, the
host and query cleaning and w3lib; these tests hold it to the full path (urls._canonicalize) on
URLs built to match the pattern, on URLs built from the pieces that canonicalization changes
(case, IDNA and IP hosts, ports, users, %-escapes, dot segments, ";" parameters, queries,
fragments, other schemes), and on any text, each with and without a base URL.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsarchive import urls
from newsarchive.urls import CANONICAL_URL_RE, canonicalize_url

SCHEMES = ("http", "https", "HTTP", "Https", "ftp", "javascript", "mailto", "data", "")
SEPARATORS = ("://", ":", ":/", "///", "//")
USERS = ("", "user@", "u:p@", "@")
LABELS = (
    "www", "esempio", "it", "com", "a", "A", "Www", "1", "0x1f", "08", "xn--80ak6aa92e",
    "xn--zz", "-a", "a-", "a_b", "é", "例え", "Ü", "a" * 64, "", " ", "%41", "[::1]", "127",
)  # fmt: skip
PORTS = ("", ":", ":80", ":443", ":8080", ":0", ":99999", ":x")
PATH_PIECES = (
    "/", "a", "Z", "2024", "-", "_", "~", ".", "..", "/./", "/../", "//", "%", "%2e", "%2F",
    "%41", "%zz", ";", ";jsessionid=1", ";x=1", "[", "]", "|", " ", "\t", "\n", "é", "€",
    ":", "@", "!", "$", "&", "'", "(", ")", "*", "+", ",", "=", '"', "<", ">", "\\", "^",
    "`", "{", "}", "\x00", "\x7f",
)  # fmt: skip
TAILS = ("", "?", "?a=1", "?b=2&a=1", "?utm_source=x", "?a=1&fbclid=2", "#", "#top", "?q=#f")
BASES = (
    None, "https://www.esempio.it/cronaca/articolo", "http://esempio.it/", "https://a.it/b/c/",
    "javascript:void(0)", "", "http://page.invalid/",
)  # fmt: skip

pieces_urls = st.builds(
    lambda scheme, sep, user, labels, port, path, tail: (
        f"{scheme}{sep}{user}{'.'.join(labels)}{port}{''.join(path)}{tail}"
    ),
    st.sampled_from(SCHEMES),
    st.sampled_from(SEPARATORS),
    st.sampled_from(USERS),
    st.lists(st.sampled_from(LABELS), min_size=1, max_size=4),
    st.sampled_from(PORTS),
    st.lists(st.sampled_from(PATH_PIECES), max_size=8),
    st.sampled_from(TAILS),
)
bases = st.sampled_from(BASES)
fast_urls = st.from_regex(CANONICAL_URL_RE, fullmatch=True)
# A URL of the fast pattern with one nasty piece put in anywhere (most leave the pattern)
NASTY = (
    *PATH_PIECES, *(p for p in PORTS + TAILS + USERS + LABELS if p), "%7e", "%7E", "%2d", "%7C",
    "%20", "%C3%A8", "%c3%a8", "%25", "HTTP", "WWW", ".", "./", "../", "/.", "/..", "/.x", "..x",
)  # fmt: skip
mutated_urls = st.builds(
    lambda url, at, piece: url[:at] + piece + url[at:],
    fast_urls,
    st.integers(0, 60),
    st.sampled_from(NASTY),
)


def test_the_fast_path_is_checked_against_w3lib_2_5_0() -> None:
    # Which path characters w3lib leaves as they are is its behaviour, not a standard's: on an
    # upgrade, run these tests and then move the pin.
    assert version("w3lib") == "2.5.0"


@settings(max_examples=500, deadline=None)
@given(fast_urls, bases)
@example("https://www.esempio.it/cronaca/2024/05/01/notizia-1.html", None)
@example("http://a.it/", "https://b.it/x")
@example("http://a.it//x", "http://a.it/")
@example("https://www.esempio.it/./x", None)
@example("https://www.esempio.it/a/..", None)
@example("http://xn--zz.it/", None)
@example("http://" + "a" * 64 + ".it/", None)
def test_urls_of_the_fast_pattern_are_their_canonical_form(url: str, base: str | None) -> None:
    assert canonicalize_url(url, base) == urls._canonicalize(url, base)


@settings(max_examples=1000, deadline=None)
@given(mutated_urls, bases)
def test_fast_and_full_path_agree_on_fast_urls_with_a_nasty_piece(
    url: str, base: str | None
) -> None:
    assert canonicalize_url(url, base) == urls._canonicalize(url, base)


@settings(max_examples=500, deadline=None)
@given(pieces_urls, bases)
def test_fast_and_full_path_agree_on_urls_made_of_nasty_pieces(url: str, base: str | None) -> None:
    assert canonicalize_url(url, base) == urls._canonicalize(url, base)


@settings(max_examples=500, deadline=None)
@given(st.text(), bases)
def test_fast_and_full_path_agree_on_any_text(url: str, base: str | None) -> None:
    assert canonicalize_url(url, base) == urls._canonicalize(url, base)


def test_a_canonical_url_skips_the_full_path(monkeypatch: Any) -> None:
    def full(url: str, base: str | None) -> str | None:
        raise AssertionError(f"full path for {url}")

    monkeypatch.setattr(urls, "_canonicalize", full)
    url = "https://www.esempio.it/cronaca/2024/05/01/notizia-di-oggi-1.html"
    assert canonicalize_url(url, "https://www.esempio.it/") == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.esempio.it", "https://www.esempio.it/"),
        ("https://www.Esempio.it/a", "https://www.esempio.it/a"),
        ("https://www.esempio.it:443/a", "https://www.esempio.it/a"),
        ("https://www.esempio.it/a/./b", "https://www.esempio.it/a/b"),
        ("https://www.esempio.it/a;jsessionid=1", "https://www.esempio.it/a"),
        ("https://www.esempio.it/a?b=1&a=2", "https://www.esempio.it/a?a=2&b=1"),
        ("https://www.esempio.it/a#x", "https://www.esempio.it/a"),
        ("https://www.esempio.it/%7e", "https://www.esempio.it/~"),
        ("https://www.esempio.it/a b", "https://www.esempio.it/a%20b"),
        ("https://www.esempio.it/caff\u00e8", "https://www.esempio.it/caff%C3%A8"),
        ("https://127.1/a", "https://127.0.0.1/a"),
    ],
)
def test_urls_outside_the_fast_pattern_are_changed_by_the_full_path(
    url: str, expected: str
) -> None:
    assert not (CANONICAL_URL_RE.fullmatch(url) and "/." not in url)
    assert canonicalize_url(url) == expected
