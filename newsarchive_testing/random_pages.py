"""Random HTML pages for the property tests that hold a fast path to its definition."""

from __future__ import annotations

import lxml.html
from hypothesis import strategies as st


def pages_of(elements: st.SearchStrategy[str]) -> st.SearchStrategy[lxml.html.HtmlElement]:
    """Parsed pages whose <body> holds one to four of the given element strings."""
    return st.lists(elements, min_size=1, max_size=4).map(
        lambda parts: lxml.html.fromstring(f"<html><body>{''.join(parts)}</body></html>")
    )
