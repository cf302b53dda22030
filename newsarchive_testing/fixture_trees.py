"""The repo's HTML fixtures (tests/fixtures) parsed as extraction parses a page, for the tests
that hold a fast path to trafilatura's own on every fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement

from newsarchive.extract.encoding import decode_body, parse_html

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "tests" / "fixtures").rglob("*.html"))
# a test run once per fixture, named folder/file
over_fixtures = pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")


def fixture_tree(path: Path) -> HtmlElement:
    """The fixture's tree; the calling test is skipped when the file is not HTML."""
    tree = parse_html(decode_body(path.read_bytes()).text)
    if tree is None:
        pytest.skip("not HTML")
    return tree


def paths(tree: etree._Element, elements: list[etree._Element]) -> list[str]:
    """Each element's path in tree's document (to compare two selections by value)."""
    root = tree.getroottree()
    return [root.getpath(el) for el in elements]
