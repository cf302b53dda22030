"""Decoding raw bytes: one documented order, no U+FFFD, no mojibake, the decision recorded."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.extract.article import extract_article
from newsarchive.extract.encoding import decode_body

TEXT = "La città è più viva perché “lì” si paga € 12,50 e l’acqua costa già poco."
MOJIBAKE = ("Ã¨", "Ã ", "â€™", "\ufffd")


def page(body_text: str, meta: str = "") -> str:
    paragraphs = "".join(f"<p>{body_text} Paragrafo numero {i}.</p>" for i in range(6))
    return (
        f"<html lang='it'><head>{meta}<title>Città</title></head><body><article>"
        f"<h1>Perché la città</h1>{paragraphs}</article></body></html>"
    )


CASES = {
    "header utf-8, cp1252 bytes": (
        page(TEXT).encode("cp1252"),
        {"Content-Type": "text/html; charset=utf-8"},
        "cp1252",
    ),
    "meta iso-8859-1, utf-8 bytes": (
        page(TEXT, '<meta charset="iso-8859-1">').encode("utf-8"),
        {},
        "utf-8",
    ),
    "no charset, cp1252 Italian": (page(TEXT).encode("cp1252"), {}, "cp1252"),
    "utf-8 BOM under cp1252 header": (
        b"\xef\xbb\xbf" + page(TEXT).encode("utf-8"),
        {"Content-Type": "text/html; charset=windows-1252"},
        "utf-8",
    ),
    "latin-1 label means cp1252": (
        page(TEXT).encode("cp1252"),
        {"Content-Type": "text/html; charset=ISO-8859-1"},
        "cp1252",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_decoded_text_has_no_mojibake(case):
    body, headers, _ = CASES[case]
    decoded = decode_body(body, headers)
    assert [m for m in MOJIBAKE if m in decoded.text] == [] and TEXT in decoded.text


@pytest.mark.parametrize("case", sorted(CASES))
def test_encoding_decision(case):
    body, headers, expected = CASES[case]
    assert decode_body(body, headers).encoding == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_extracted_article_text_is_clean(case):
    body, headers, _ = CASES[case]
    ex = extract_article(
        body,
        url="https://www.example.it/a.html",
        headers=headers,
        fetched_at=datetime(2024, 12, 1, tzinfo=timezone.utc),
    )
    text = ex.article.text
    assert [m for m in MOJIBAKE if m in text] == [] and "perché" in text


def test_reason_is_recorded():
    body, headers, _ = CASES["header utf-8, cp1252 bytes"]
    assert decode_body(body, headers).reason == "detected-western"


def test_bom_wins():
    body, headers, _ = CASES["utf-8 BOM under cp1252 header"]
    assert decode_body(body, headers).reason == "bom"


# --- parse_html: trafilatura's load_html, with element classes chosen in C ---------------------


@pytest.mark.parametrize(
    "text",
    [
        page(TEXT),
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>Testo</p></body></html>",
        "<!DOCTYPE html><html><body><p>Uno</p><p>Due</p></body></html>",
        "<p>solo un frammento</p><p>e un altro</p>",
        "<html><body><form><input name='q' value='x'><label>Cerca</label></form></body></html>",
    ],
)
def test_parse_html_builds_the_tree_trafilatura_builds(text: str) -> None:
    import lxml.html
    from trafilatura.utils import load_html

    from newsarchive.extract.encoding import parse_html

    ours, theirs = parse_html(text), load_html(text)
    assert ours is not None and theirs is not None
    assert lxml.html.tostring(ours) == lxml.html.tostring(theirs)
    assert all(isinstance(el, lxml.html.HtmlElement) for el in ours.iter("*"))


@pytest.mark.parametrize(
    "text",
    [
        page(TEXT),
        page(TEXT).replace("<p>", "<p>\x0b", 1),  # an invalid XML character
        page(TEXT).replace("<p>", "<p>\ufffe", 1),
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/x.dtd" />\n'
        "<html><body><p>Testo</p></body></html>",  # a self-closed doctype (lxml bug 1955915)
        "<!DOCTYPE html>\n<html><body><p>Testo</p></body></html>",
        "<!DOCTYPE html><html><body><p>Testo senza a capo</p></body></html>",
        "<!doctype html>\n<html lang='it' />\n<body><p>Testo</p></body>",  # a self-closing <html/>
        "<html><body><p>a/></p></body></html>",
    ],
)
def test_repair_html_repairs_as_trafilatura_does(text: str) -> None:
    from trafilatura.utils import repair_faulty_html

    from newsarchive.extract.encoding import repair_html

    beginning = text[:50].lower()
    assert repair_html(text, beginning) == repair_faulty_html(text, beginning)


def test_the_invalid_xml_characters_are_still_trafilaturas() -> None:
    from trafilatura.utils import INVALID_XML_CHARS

    from newsarchive.extract import encoding

    matched = {chr(c) for c in range(0x10000) if INVALID_XML_CHARS.match(chr(c))}
    assert matched == set(encoding.INVALID_XML_CHARS)


def test_parse_html_rejects_what_trafilatura_rejects() -> None:
    from trafilatura.utils import load_html

    from newsarchive.extract.encoding import parse_html

    for text in ("just some words", ""):
        assert parse_html(text) is None
        assert load_html(text) is None


# --- parse_html from the raw UTF-8 bytes (Decoded.utf8) ------------------------------------

PARSED_TEXTS = [
    page(TEXT),
    "<?xml version='1.0' encoding='utf-8'?><html><body><p>Testo</p></body></html>",
    "<!DOCTYPE html><html><body><p>Uno</p><p>Due</p></body></html>",
    "<p>solo un frammento</p><p>e un altro</p>",
    '<html><head><meta charset="iso-8859-1"></head><body><p>Città è più</p></body></html>',
    "<html><body><p>&egrave; &#8217; &amp;nbsp; \u00a0 \U0001f600 \u2028</p></body></html>",
    page(TEXT).replace("<p>", "<p>\x0b", 1),  # repaired: the text's own steps
    "just some words",
    "",
]


def tostring_or_none(tree: object) -> bytes | None:
    import lxml.html

    return None if tree is None else lxml.html.tostring(tree)


@pytest.mark.parametrize("text", PARSED_TEXTS)
def test_parse_html_makes_the_same_tree_of_the_utf8_bytes(text: str) -> None:
    from newsarchive.extract.encoding import parse_html

    assert tostring_or_none(parse_html(text, text.encode("utf-8"))) == tostring_or_none(
        parse_html(text)
    )


def test_parse_html_makes_the_same_tree_of_the_fixture_bytes() -> None:
    from newsarchive.extract.encoding import parse_html
    from newsarchive_testing.fixture_trees import FIXTURES

    for path in FIXTURES:
        decoded = decode_body(path.read_bytes())
        assert tostring_or_none(parse_html(decoded.text, decoded.utf8)) == tostring_or_none(
            parse_html(decoded.text)
        ), path


HTML_BITS = st.sampled_from([
    "<p>", "</p>", "<div class='a'>", "</div>", "<br/>", "<!-- c -->", "&amp;", "&egrave;",
    "&#8217;", "&#x20AC;", "<script>var a = '<p>';</script>", "<meta charset='latin1'>",
    "<html>", "<body>", "<head>", "<title>t</title>", "<?xml version='1.0'?>", "<![CDATA[x]]>",
])  # fmt: skip
TEXT_BITS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(HTML_BITS, TEXT_BITS), max_size=14))
def test_parse_html_of_the_utf8_bytes_is_the_parse_of_the_text(parts: list[str]) -> None:
    from newsarchive.extract.encoding import parse_html

    text = "".join(parts)
    assert tostring_or_none(parse_html(text, text.encode("utf-8"))) == tostring_or_none(
        parse_html(text)
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=32).map(lambda t: t.encode("utf-8", "replace")))
def test_decoded_utf8_is_the_texts_utf8_encoding(body: bytes) -> None:
    decoded = decode_body(b"<html><body>" + body)
    assert decoded.utf8 is None or decoded.utf8 == decoded.text.encode("utf-8")
    if decoded.reason in ("ascii", "valid-utf-8"):
        assert decoded.utf8 is not None
