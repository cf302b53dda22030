"""Read a page's own structured metadata: JSON-LD, OpenGraph, <meta> tags, canonical, language."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "techarticle",
    "report",
}
MAX_JSONLD_CHARS = 2_000_000
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Every word that trafilatura's AUTHOR_XPATHS look for in an element's attributes (any case:
# a superset of what they match), and the attributes and tags they read.
AUTHOR_MARKUP_RE = re.compile(
    r"author|byl|bbl|username|screenname|writer|channel-name|submitted-by|posted-by"
    r"|journalist-name|zuozhe|bianji|xiaobian",
    re.IGNORECASE,
)
AUTHOR_MARKUP_ATTRS = ("class", "id", "itemprop", "rel", "data-testid", "data-component")
AUTHOR_MARKUP_TAGS = ("author", "rel")
AUTHOR_MARKUP_VALUES = etree.XPath(
    "|".join(f"//@{name}" for name in AUTHOR_MARKUP_ATTRS), smart_strings=False
)


@dataclass
class PageMeta:
    """What the page says about itself, before any choice is made."""

    jsonld: dict[str, Any] | None = None
    meta: dict[str, list[str]] = field(default_factory=dict)
    lang: str | None = None
    canonical: str | None = None
    jsonld_types: list[str] = field(default_factory=list)
    graph: dict[str, dict[str, Any]] = field(default_factory=dict)

    def first(self, *keys: str) -> str | None:
        """The first non-empty content among meta keys (case-insensitive names)."""
        for key in keys:
            for value in self.meta.get(key.lower(), []):
                if value.strip():
                    return clean_text(value)
        return None

    def all(self, *keys: str) -> list[str]:
        """Every non-empty content of the given meta keys, in order."""
        return [clean_text(v) for k in keys for v in self.meta.get(k.lower(), []) if v.strip()]


def clean_text(value: str) -> str:
    """Collapse whitespace and strip control characters."""
    # str.split() breaks where re's \s+ matches: re.sub(r"\s+", " ", ...).strip(), faster
    return " ".join(CONTROL_CHARS_RE.sub("", value).split())


def clean_value(value: str) -> str:
    """clean_text plus HTML entities decoded (JSON-LD often carries &quot; and &#8217;)."""
    return clean_text(html.unescape(value)) if "&" in value else clean_text(value)


def _walk_jsonld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                yield from _walk_jsonld(node[key])


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return [str(k).rsplit("/", 1)[-1].lower() for k in kinds]


def read_jsonld(
    tree: HtmlElement, graph: dict[str, dict[str, Any]] | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """The page's article JSON-LD object (the first article-typed node) and all types seen.

    graph, when given, is filled with every node that has an @id (to resolve references).
    """
    found: dict[str, Any] | None = None
    seen: list[str] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw or len(raw) > MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(CONTROL_CHARS_RE.sub(" ", raw))
        except ValueError:
            logger.debug("unparsable JSON-LD block skipped")
            continue
        for node in _walk_jsonld(data):
            if graph is not None and isinstance(node.get("@id"), str):
                graph.setdefault(node["@id"], node)
            kinds = _types(node)
            seen.extend(kinds)
            if found is None and ARTICLE_TYPES.intersection(kinds):
                found = node
    return found, seen


def read_meta(tree: HtmlElement) -> dict[str, list[str]]:
    """All <meta> name/property/itemprop/http-equiv contents, keyed by lower-case name."""
    meta: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                meta.setdefault(key.strip().lower(), []).append(content)
    return meta


def read_page_meta(tree: HtmlElement) -> PageMeta:
    """Collect JSON-LD, meta tags, canonical link and declared language of a page."""
    graph: dict[str, dict[str, Any]] = {}
    jsonld, types = read_jsonld(tree, graph)
    canonical = None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    html = tree if tree.tag == "html" else tree.getroottree().getroot()
    lang = html.get("lang") or html.get("xml:lang")
    return PageMeta(
        jsonld=jsonld,
        meta=read_meta(tree),
        lang=lang,
        canonical=canonical,
        jsonld_types=types,
        graph=graph,
    )


def has_author_markup(tree: HtmlElement) -> bool:
    """False when no element could match trafilatura's author XPaths (its scan can then
    only return nothing: under 1 ms here against 7.5 ms there)."""
    if any(tree.find(f".//{tag}") is not None for tag in AUTHOR_MARKUP_TAGS):
        return True
    return AUTHOR_MARKUP_RE.search("\n".join(AUTHOR_MARKUP_VALUES(tree))) is not None


def jsonld_names(value: Any, graph: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Names from a JSON-LD Person/Organization value (object, list, string or @id reference)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and "name" not in item and graph and item.get("@id") in graph:
            item = graph[item["@id"]]  # a Yoast-style reference to a Person elsewhere in @graph
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = name[0] if name else None
            if not isinstance(name, str) and (item.get("givenName") or item.get("familyName")):
                name = f"{item.get('givenName') or ''} {item.get('familyName') or ''}"
            if isinstance(name, str):
                names.append(clean_value(name))
        elif isinstance(item, str) and not item.startswith(("http://", "https://")):
            names.append(clean_value(item))
    return [n for n in names if n]


def jsonld_text(value: Any) -> str | None:
    """A plain string from a JSON-LD value that may be a string, list or object."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or value.get("name")
    if isinstance(value, (str, int, float)):
        text = clean_value(str(value))
        return text or None
    return None


def jsonld_list(value: Any) -> list[str]:
    """A list of strings from a JSON-LD value (comma-separated string or list)."""
    if isinstance(value, str):
        return [clean_value(v) for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [t for t in (jsonld_text(v) for v in value) if t]
    return []


def language_code(value: str | None) -> str | None:
    """Two-letter language code from 'it-IT', 'it_IT', 'it'."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
