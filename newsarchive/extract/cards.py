"""A related link's card: its anchor text and the date listed beside it. Pure."""

from __future__ import annotations

import re
from typing import Any

from newsarchive.extract.linkpage import _norm, _text

GENERIC_TEXT_RE = re.compile(
    r"leggi(?: tutto| di più| l'articolo)?|continua|scopri di più|approfondisci|read more|more"
)
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TITLE_CLASS_RE = re.compile(r"title|titolo|heading|headline")
DATE_CLASS_RE = re.compile(
    r"date|published|timestamp|timeago|(?:^|[-_\s])(?:data|time|ora|orario|datetime)(?:$|[-_\s])"
)
DATE_ATTRS = ("datetime", "data-date", "data-datetime", "data-published", "data-timestamp")
DATE_TEXT_MAX_CHARS = 80
REMAINDER_MAX_CHARS = 40
RELATIVE_DATE_RE = re.compile(r"\b(?:oggi|ieri|fa)\b", re.I)
MONTHS = "gen(?:naio)?|feb(?:braio)?|mar(?:zo)?|apr(?:ile)?|mag(?:gio)?|giu(?:gno)?|lug(?:lio)?"
MONTHS += "|ago(?:sto)?|set(?:tembre)?|ott(?:obre)?|nov(?:embre)?|dic(?:embre)?"
DATE_HINT_RE = re.compile(
    rf"\d{{1,2}}[/.-]\d{{1,2}}|\d{{1,2}}:\d{{2}}|\b(?:19|20)\d{{2}}\b|\b\d{{1,2}}\s+(?:{MONTHS})\b"
    r"|\b(?:oggi|ieri|fa)\b",
    re.I,
)
SEPARATOR_CHARS = " \t\n-–—|·•,;:()[]"


def cards_of(block: Any, links: list[tuple[Any, str]]) -> dict[Any, Any]:
    """Each link's card: its largest ancestor within the block holding one distinct URL."""
    urls_in: dict[Any, set[str]] = {}
    chains = {}
    for a, url in links:
        chain = [a]
        for anc in a.iterancestors():
            chain.append(anc)
            if anc is block:
                break
        chains[a] = chain
        for el in chain:
            urls_in.setdefault(el, set()).add(url)
    cards = {}
    for a, _ in links:
        card = a
        for el in chains[a][1:]:
            if len(urls_in[el]) > 1:
                break
            card = el
        cards[a] = card
    return cards


def _is_date_node(el: Any) -> bool:
    return el.tag == "time" or bool(DATE_CLASS_RE.search((el.get("class") or "").lower()))


def anchor(a: Any) -> tuple[str, Any, bool]:
    """(anchor text, element the text came from, whether it is visible text)."""
    for el in a.iterdescendants():
        if isinstance(el.tag, str) and (
            el.tag in HEADING_TAGS or TITLE_CLASS_RE.search((el.get("class") or "").lower())
        ):
            text = _text(el)
            if text:
                return text, el, True
    dates = [el for el in a.iterdescendants() if isinstance(el.tag, str) and _is_date_node(el)]
    text = _text(a, skip=dates)
    if text:
        return text, a, not GENERIC_TEXT_RE.fullmatch(text.lower())
    alts = [img.get("alt") or img.get("title") or "" for img in a.iter("img")]
    fallback = a.get("title") or next((alt for alt in alts if alt.strip()), "")
    return _norm(fallback), a, False


def listed_date(card: Any, title_node: Any) -> tuple[str | None, str | None]:
    """(date text shown in the card, machine-readable date attribute) of a link's card."""
    for time in card.iter("time"):
        raw = _text(time, spaced=True) or None
        attr = (time.get("datetime") or "").strip() or None
        if raw or attr:
            return raw, attr or _date_attr(card)
    for el in card.iter():
        if not isinstance(el.tag, str) or not _is_date_node(el):
            continue
        if el is title_node or any(anc is el for anc in title_node.iterancestors()):
            continue
        text = _text(el, spaced=True)
        if 0 < len(text) <= DATE_TEXT_MAX_CHARS and (
            re.search(r"\d", text) or RELATIVE_DATE_RE.search(text)
        ):
            return text, _date_attr(el) or _date_attr(card)
    rest = _text(card, skip=[title_node]).strip(SEPARATOR_CHARS)
    if rest and len(rest) <= REMAINDER_MAX_CHARS and DATE_HINT_RE.search(rest):
        return rest, _date_attr(card)
    return None, _date_attr(card)


def _date_attr(el: Any) -> str | None:
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        names: tuple[str, ...] = DATE_ATTRS
        if node is el or "date" in (node.get("itemprop") or "").lower():
            names += ("content",)
        for name in names:
            value = (node.get(name) or "").strip()
            if value:
                return value
    return None
