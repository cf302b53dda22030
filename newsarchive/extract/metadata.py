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
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author
from trafilatura.utils import trim

from newsarchive.extract.schema_org import ARTICLE_TYPES

logger = logging.getLogger(__name__)

MAX_JSONLD_CHARS = 2_000_000
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# trafilatura_author repeats trafilatura 2.3.1's extract_author (pinned in pyproject.toml)
# step for step, without its copy of the tree and its regex XPaths (a Python callback per
# element). One walk keeps the elements whose attribute values hold one of the
# AUTHOR_MARKUP_RE substrings (case-sensitive, as those XPaths are: every test they make on
# an attribute needs one of them), then their exact predicates run on these few elements.
AUTHOR_MARKUP_RE = re.compile(
    r"uthor|byl|yline|BBL|username|screenname|writer|channel-name|submitted-by|posted-by"
    r"|journalist-name|zuozhe|bianji|xiaobian"
)
AUTHOR_TAGS_1 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
AUTHOR_CLASS_1_RE = re.compile("author-?name|AuthorName|authorName")
AUTHOR_TAGS_2 = frozenset({"a", "div", "h3", "h4", "p", "span"})
AUTHOR_ID_2_RE = re.compile("author|zuozhe|bianji|xiaobian")
AUTHOR_CLASS_2_RE = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
AUTHOR_ID_3_RE = re.compile("[Aa]uthor")
AUTHOR_CLASS_3_RE = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
# AUTHOR_DISCARD_XPATHS: the subtrees trafilatura deletes (keeping their tails) before looking
DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
DISCARD_ID_RE = re.compile("^comments|comment-?list|ProductReviews")
DISCARD_CLASS_RE = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    "|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
AUTHOR_LEN_LIMIT = 120


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


def trafilatura_author(tree: HtmlElement) -> str | None:
    """trafilatura.metadata.extract_author(tree), the same result without copying the tree.

    Its first XPath is tried first, so an element it finds in document order whose text fits
    is the answer: the walk stops there (the elements the other two find are kept for later).
    """
    if next(tree.iter("rel"), None) is not None:  # its first XPath's rel='me' reads a child
        return extract_author(tree)  # <rel> element's text: let it do that itself
    search = AUTHOR_MARKUP_RE.search
    later: tuple[list[HtmlElement], list[HtmlElement]] = ([], [])
    for el in tree.iter(etree.Element):  # document order, as the XPaths return them
        values = el.values()
        tag = el.tag
        if tag != "author" and not (values and search("\n".join(values))):
            continue
        get = el.get
        cls, ident, itemprop = get("class", ""), get("id", ""), get("itemprop", "")
        if (
            tag == "author"
            or tag in AUTHOR_TAGS_1
            and (
                get("rel") == "author"
                or ident == "author"
                or cls == "author"
                or itemprop == "author name"
                or get("data-testid") in ("AuthorCard", "AuthorURL")
                or AUTHOR_CLASS_1_RE.search(cls)
            )
        ) and (fitting := _fitting_author(el, tree)):
            return fitting[0]
        if tag in AUTHOR_TAGS_2 and (
            cls in ("byline", "username", "byl", "BBL")
            or "author" in itemprop
            or AUTHOR_ID_2_RE.search(ident)
            or AUTHOR_CLASS_2_RE.search(cls)
        ):
            later[0].append(el)
        if (
            "Byline" in get("data-component", "")
            or "author" in itemprop
            or AUTHOR_ID_3_RE.search(ident)
            or AUTHOR_CLASS_3_RE.search(cls)
        ):
            later[1].append(el)
    for elements in later:  # then the second XPath's elements, then the third's
        for el in elements:
            if fitting := _fitting_author(el, tree):
                return fitting[0]
    return None


def _fitting_author(el: HtmlElement, tree: HtmlElement) -> tuple[str | None] | None:
    """extract_metainfo's test of one element: (its normalized text,) when the text fits.

    A fitting text ends the scan even when normalize_authors makes it None ("1234"): hence
    the 1-tuple, never empty, to tell "fits" from "does not fit".
    """
    if _discarded_above(el, tree):
        return None
    chunks: list[str] = []
    _pruned_text(el, tree, chunks)
    content = trim(" ".join(chunks))
    if content and 2 < len(content) < AUTHOR_LEN_LIMIT:
        return (normalize_authors(None, content),)
    return None


def _discarded(el: HtmlElement, root: HtmlElement) -> bool:
    """Whether trafilatura's author scan deletes `el` (it never deletes the root it copied)."""
    tag = el.tag
    if tag in ("time", "figure"):
        return el is not root
    if tag not in DISCARD_TAGS or el is root:
        return False
    cls, ident = el.get("class", ""), el.get("id", "")
    return (
        ident == "comments"
        or cls in ("comments", "title", "date")
        or DISCARD_ID_RE.search(ident) is not None
        or DISCARD_CLASS_RE.search(cls) is not None
        or "Figure" in el.get("data-component", "")
    )


def _discarded_above(el: HtmlElement, root: HtmlElement) -> bool:
    """Whether `el` or an ancestor up to `root` is deleted (so `el` is not in the copy)."""
    node: HtmlElement | None = el
    while node is not None:
        if _discarded(node, root):
            return True
        if node is root:
            return False
        node = node.getparent()
    return False


def _pruned_text(el: HtmlElement, root: HtmlElement, chunks: list[str]) -> None:
    """el.itertext() as it runs on the copy: deleted children are gone, and their tails are
    glued to the text before them (delete_element appends a tail to the previous sibling's
    tail or to the parent's text, no space between)."""
    slot = el.text
    for child in el:  # comments too: their tails are text, their own text is not
        if isinstance(child.tag, str) and _discarded(child, root):
            if child.tail:
                slot = (slot or "") + child.tail
            continue
        if slot is not None:
            chunks.append(slot)
        if isinstance(child.tag, str):
            _pruned_text(child, root, chunks)
        slot = child.tail
    if slot is not None:
        chunks.append(slot)


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
