"""The Article fields: authors (metadata, then a visible byline), headline, site name, lists,
assembled from the page's metadata and the fallbacks, and capped in length. Pure."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from newsarchive.dates import evidence
from newsarchive.extract import chrome
from newsarchive.extract.bylines import (
    NAME_RE,
    is_organization,
    is_person,
    split_byline,
    split_names,
)
from newsarchive.extract.metadata import (
    PageMeta,
    clean_text,
    jsonld_list,
    jsonld_names,
    jsonld_text,
    language_code,
)
from newsarchive.extract.result import Article as Article
from newsarchive.urls import canonicalize_url

AUTHOR_PATH_RE = re.compile(r"/(?:autore|autori|author|authors|firme|redazione/autori)/[^/?#]+")
BYLINE_CLASS_RE = re.compile(r"firma|autore|byline|\bauthor\b|author-name|signature")
BYLINE_MAX_CHARS = 120
BYLINE_CHROME = chrome.Vocabulary(tags=frozenset({"footer", "nav", "aside"}))
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
ELLIPSES = ("...", "…")
# Longest stored metadata values (characters; a page may put 1 MB in its <title>) and list sizes.
# Longer values are cut (at a character boundary, with "…") and the cut is noted.
FIELD_CAPS = {
    "title": 1_000,
    "description": 5_000,
    "sitename": 300,
    "image": 2_048,
    "date_published_raw": 500,
    "date_modified_raw": 500,
}
LIST_ITEM_CAP = 300  # one author, category or tag
LIST_LEN_CAP = 100  # authors, categories, tags


def _split_authors(value: str | None) -> list[str]:
    """Names from a visible byline: 'di Mario Rossi · 20 novembre, ore 18:30' -> one name."""
    return split_byline(value)


def page_authors(meta: PageMeta) -> list[str]:
    """Authors the page's own metadata names (JSON-LD, then meta tags), split and cleaned."""
    ld = meta.jsonld or {}
    names = [n for name in jsonld_names(ld.get("author"), meta.graph) for n in split_names(name)]
    return names or split_names(meta.first(*AUTHOR_META))


def organization_names(meta: PageMeta, url: str) -> list[str]:
    """Names that are the site's own, not a person's: publisher, og:site_name, host."""
    ld = meta.jsonld or {}
    publishers = ld.get("publisher")
    publishers = publishers if isinstance(publishers, list) else [publishers]
    # a blog's publisher may be its author: a Person is not an organization
    publishers = [p for p in publishers if p and not _is_person_node(p, meta)]
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return [
        *(jsonld_names(publishers, meta.graph) if publishers else []),
        meta.first("og:site_name", "application-name") or "",
        host,
        host.rsplit(".", 1)[0],
    ]


def _is_person_node(node: Any, meta: PageMeta) -> bool:
    if isinstance(node, dict) and "@type" not in node and node.get("@id") in meta.graph:
        node = meta.graph[node["@id"]]
    kinds = node.get("@type", []) if isinstance(node, dict) else []
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "person" in [str(k).rsplit("/", 1)[-1].lower() for k in kinds]


def _only_organizations(authors: list[str], meta: PageMeta, url: str) -> bool:
    orgs = organization_names(meta, url)
    return all(is_organization(a, orgs) for a in authors)


def _persons(byline: str | None, meta: PageMeta, url: str) -> list[str]:
    """The byline's names when every one of them reads as a person's, else none."""
    orgs = organization_names(meta, url)
    names = _split_authors(byline)
    return names if names and all(is_person(n, orgs) for n in names) else []


def _dedupe(values: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def is_italian(meta: PageMeta, url: str) -> bool:
    """Whether a page is from an Italian publisher (its lang, locale or .it host)."""
    ld = meta.jsonld or {}
    langs = (jsonld_text(ld.get("inLanguage")), meta.lang, meta.first("og:locale"))
    host = urlsplit(url).hostname or ""
    return host.endswith(".it") or any(language_code(x) == "it" for x in langs if x)


def _headline(meta: PageMeta, fallback: dict[str, Any]) -> str | None:
    """The page's headline as its metadata gives it (site suffix still attached)."""
    ld = meta.jsonld or {}
    headline = jsonld_text(ld.get("headline"))
    social = meta.first("og:title", "twitter:title")
    if headline and social and _truncated_from(headline, social):
        return social  # "Manovra, il governo tratta con i sindacati sulle Tru…"
    return headline or social or fallback.get("title")


def _truncated_from(short: str, full: str) -> bool:
    """True when short is full cut off and marked with an ellipsis ('...' or '…')."""
    stem = short.rstrip()
    if not stem.endswith(ELLIPSES):
        return False
    stem = stem.rstrip(".…").rstrip()
    return len(full) > len(stem) > 0 and full.casefold().startswith(stem.casefold())


def byline_authors(tree: HtmlElement, excluded: set[HtmlElement]) -> list[str]:
    """Authors from a visible byline: a[rel=author], author-page links, or a byline element
    ("firma", "autore", "byline", "author") whose text reads like 'di Nome Cognome'."""
    page_chrome = chrome.ChromeMap(BYLINE_CHROME, excluded)
    for a in tree.iter("a"):
        rel = (a.get("rel") or "").lower().split()
        href = a.get("href") or ""
        if "author" in rel or AUTHOR_PATH_RE.search(href):
            name = clean_text(a.text_content())
            if NAME_RE.fullmatch(name) and not page_chrome.inside(a):
                return [name]
    for el in tree.iter("div", "span", "p", "address"):
        names = f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')}".lower()
        if not BYLINE_CLASS_RE.search(names) or page_chrome.inside(el):
            continue
        text = clean_text(el.text_content())
        if not text or len(text) > BYLINE_MAX_CHARS:
            continue
        found = [n for n in _split_authors(text) if NAME_RE.fullmatch(n)]
        if found:
            return found
    return []


def _name_key(value: str) -> str:
    """'La Stampa', 'lastampa', 'LaStampa.it' -> 'lastampa' (letters and digits only)."""
    key = value.casefold().strip()
    for tld in (".it", ".com", ".net", ".org", ".eu"):
        key = key.removesuffix(tld)
    return "".join(ch for ch in key if ch.isalnum())


def strip_site_suffix(title: str | None, names: list[str]) -> str | None:
    """'Titolo - La Stampa' -> 'Titolo' when the suffix is the site's name (spelled as the
    host, 'lastampa.it', or as the site name, 'La Stampa')."""
    if not title:
        return title
    keys = {_name_key(n) for n in names if n} - {""}
    for sep in (" | ", " - ", " – ", " — ", " :: "):
        head, found, tail = title.rpartition(sep)
        if found and head and _name_key(tail) in keys:
            return head.strip()
    return title


def _sitename(candidates: list[str | None], headline: str | None) -> str | None:
    """The first site name that is not the page's own headline (a template may put it there)."""
    taken = clean_text(headline or "").casefold()
    for name in candidates:
        if name and clean_text(name).casefold() != taken:
            return name
    return None


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def cap_fields(article: Article) -> tuple[Article, list[str]]:
    """The article with over-long metadata cut to FIELD_CAPS / LIST_*_CAP, and what was cut."""
    changes: dict[str, Any] = {}
    for name, limit in FIELD_CAPS.items():
        value = getattr(article, name)
        if isinstance(value, str) and len(value) > limit:
            changes[name] = _cut(value, limit)
    for name in ("authors", "categories", "tags"):
        values: tuple[str, ...] = getattr(article, name)
        cut = tuple(_cut(v, LIST_ITEM_CAP) for v in values[:LIST_LEN_CAP])
        if cut != values:
            changes[name] = cut
    return (replace(article, **changes) if changes else article), sorted(changes)


def _absolute(value: str | None, base: str) -> str | None:
    if not value:
        return None
    return canonicalize_url(value, base=base) or value


def _assemble(
    meta: PageMeta, fallback: dict[str, Any], url: str, text: str, dates: evidence.ChosenDates
) -> Article:
    ld = meta.jsonld or {}
    publisher = ld.get("publisher")
    publisher_names = jsonld_names(publisher) if publisher else []
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    site_names = [
        *publisher_names,
        meta.first("og:site_name") or "",
        host,
        host.rsplit(".", 1)[0],
        str(fallback.get("sitename") or ""),
    ]
    authors = page_authors(meta)
    if not authors and fallback.get("author"):
        authors = _split_authors(fallback["author"])
    elif authors and _only_organizations(authors, meta, url):
        # a person in the visible byline beats the publisher's company in the metadata
        authors = _persons(fallback.get("author"), meta, url) or authors
    tags = (
        jsonld_list(ld.get("keywords"))
        or meta.all("article:tag")
        or [
            t.strip()
            for t in (meta.first("news_keywords", "keywords") or "").split(",")
            if t.strip()
        ]
        or list(fallback.get("tags") or [])
    )
    categories = (
        jsonld_list(ld.get("articleSection"))
        or meta.all("article:section")
        or list(fallback.get("categories") or [])
    )
    return Article(
        url=url,
        site=(urlsplit(url).hostname or "").removeprefix("www."),
        title=strip_site_suffix(_headline(meta, fallback), site_names),
        authors=_dedupe(authors),
        date_published=dates.published,
        date_published_raw=dates.published_raw,
        date_modified=dates.modified,
        date_modified_raw=dates.modified_raw,
        description=jsonld_text(ld.get("description"))
        or meta.first("og:description", "description", "twitter:description"),
        text=text,
        language=language_code(jsonld_text(ld.get("inLanguage")))
        or language_code(meta.lang)
        or language_code(meta.first("content-language", "og:locale")),
        sitename=_sitename(
            [*publisher_names, meta.first("og:site_name"), fallback.get("sitename")],
            _headline(meta, fallback),
        ),
        categories=_dedupe(categories),
        tags=_dedupe(tags),
        image=_absolute(
            jsonld_text(ld.get("image")) or meta.first("og:image", "twitter:image"), url
        ),
    )
