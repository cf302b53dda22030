"""The related-links graph as GraphML (Gephi, yEd, networkx, igraph), streamed. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO
from xml.sax.saxutils import quoteattr

# (attribute name, GraphML type): node and edge attributes
NODE_KEYS = [
    ("title", "string"),
    ("site", "string"),
    ("date_published", "string"),
    ("archived", "boolean"),
]
EDGE_KEYS = [
    ("anchor_text", "string"),
    ("position", "int"),
    ("listed_date", "string"),
    ("listed_date_raw", "string"),
]


def _data(key: str, value: Any, kind: str) -> str:
    if value is None:
        return ""
    text = ("true" if value else "false") if kind == "boolean" else str(value)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<data key="{key}">{escaped}</data>'


def write_graphml(
    out: TextIO, nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]]
) -> None:
    """Write a directed graph: nodes keyed by URL (title, site, date, archived), edges
    from_url -> the target's article (to_article_url, else to_url) with anchor text,
    position and listed dates."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for name, kind in NODE_KEYS:
        out.write(f'  <key id="{name}" for="node" attr.name="{name}" attr.type="{kind}"/>\n')
    for name, kind in EDGE_KEYS:
        out.write(f'  <key id="{name}" for="edge" attr.name="{name}" attr.type="{kind}"/>\n')
    out.write('  <graph id="related" edgedefault="directed">\n')
    for node in nodes:
        data = "".join(_data(name, node.get(name), kind) for name, kind in NODE_KEYS)
        out.write(f"    <node id={quoteattr(str(node['url']))}>{data}</node>\n")
    for i, edge in enumerate(edges, 1):
        data = "".join(_data(name, edge.get(name), kind) for name, kind in EDGE_KEYS)
        out.write(
            f'    <edge id="e{i}" source={quoteattr(str(edge["from_url"]))}'
            f" target={quoteattr(str(edge.get('to_article_url') or edge['to_url']))}>"
            f"{data}</edge>\n"
        )
    out.write("  </graph>\n</graphml>\n")
