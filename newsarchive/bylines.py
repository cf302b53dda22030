"""Author names from byline strings, and whether a name is an organization. Pure.

A byline holds fields separated by "·", "|", "–" (author, dateline, date); the authors are in
one field, separated by commas, ";" or " e ". Stages of `split_byline`:
1. split into fields; drop the fields that are dates ("Pubblicato il ...", "ore 18:30");
2. the author field is the one that starts with "di"/"by", else the first one left; other
   fields stay only when they read as a person's name (a lone "Roma" is a dateline);
3. split the author field into names (commas, ";", " e "); a part after a name that is a
   role ("Web Editor", "caporedattore") or a desk ("Redazione Esteri") describes the name
   before it and is dropped.
"""

from __future__ import annotations

import logging
import re

from newsarchive.dates_patterns import clean, is_known_word, read
from newsarchive.metadata import clean_text

logger = logging.getLogger(__name__)

BYLINE_PREFIX_RE = re.compile(
    r"^(?:di|da|a cura di|by|von|par|de|testo di|autore|autor|author|posted by|posted|"
    r"written by|scritto da)\s*:?\s+",
    re.IGNORECASE,
)
FIELD_SEPARATORS_RE = re.compile(r"\s*(?:[·•|–—]|\s-\s)\s*")
AUTHOR_SEPARATORS_RE = re.compile(r"\s*(?:;|,| & |\s(?:e|and|und|og|et|y)\s)\s*")
METADATA_SEPARATORS_RE = re.compile(r"\s*(?:;|,|\|| & |\s(?:e|and|und|og|et|y)\s)\s*")
AUTHOR_SUFFIX_RE = re.compile(r"\s*\([^)]{1,12}\)$")
DATE_KEYWORD_RE = re.compile(
    r"^(?:pubblicat|aggiornat|modificat|ultima modifica|ultimo aggiornamento|published|updated"
    r"|modified|posted on)",
    re.IGNORECASE,
)
# Two to five capitalized words (with particles): a person's name, not a sentence.
NAME_RE = re.compile(
    r"(?:[A-ZÀ-Ý][\w'’.-]+|de|di|da|del|della|van|von|der|la|le)"
    r"(?:\s(?:[A-ZÀ-Ý][\w'’.-]+|de|di|da|del|della|van|von|der|la|le)){1,4}"
)
ROLE_HEADS = frozenset({
    "editor", "redattore", "redattrice", "giornalista", "caporedattore", "caporedattrice",
    "vicedirettore", "vicedirettrice", "direttore", "direttrice", "inviato", "inviata",
    "corrispondente", "collaboratore", "collaboratrice", "reporter", "columnist",
    "editorialista", "fotografo", "fotografa", "fotoreporter", "photographer", "writer",
    "journalist", "correspondent", "contributor", "caposervizio", "responsabile",
})  # fmt: skip
ROLE_WORDS = ROLE_HEADS | frozenset({
    "web", "digital", "senior", "junior", "chief", "capo", "servizio", "content", "social",
    "media", "manager", "staff", "special", "speciale", "freelance", "at", "large", "in",
    "del", "della", "di", "da", "news", "online", "sito", "desk", "data",
})  # fmt: skip
DESK_WORDS = frozenset({"redazione", "desk", "staff", "newsroom", "team"})
# A word that names a company, not a person ("Elemedia", "GEDI Gruppo Editoriale", "RCS Spa").
COMPANY_RE = re.compile(
    r"(?:\b(?:s\.?p\.?a|s\.?r\.?l|gruppo|group|edizioni|editoriale|editore|editrice|holding"
    r"|ltd|inc|gmbh|network|publishing|agenzia)\b|media\b)",
    re.IGNORECASE,
)


def _is_date_text(text: str) -> bool:
    """A byline field or part that is a date: one the date grammar reads, a date keyword, or
    only date words ("Pubblicato Il", "Ore" once trafilatura dropped the numbers)."""
    if DATE_KEYWORD_RE.match(text):
        return True
    if any(ch.isdigit() for ch in text) and read(text) is not None:
        return True
    words = re.findall(r"[a-z]+", clean(text))
    return bool(words) and all(is_known_word(w) for w in words)


def _strip(value: str) -> str:
    value = BYLINE_PREFIX_RE.sub("", value.strip(" ,;:·|-–—"))
    return AUTHOR_SUFFIX_RE.sub("", value).strip(" ,;:·|-–—")


def _is_role(part: str) -> bool:
    words = part.casefold().replace("-", " ").split()
    if not words:
        return False
    return words[0] in ROLE_HEADS or words[0] in DESK_WORDS or all(w in ROLE_WORDS for w in words)


def _author_field(fields: list[str]) -> int:
    for i, value in enumerate(fields):
        if BYLINE_PREFIX_RE.match(value):
            return i
    return 0


def split_names(value: str | None) -> list[str]:
    """Names from a metadata author value: 'Mario Rossi e Laura Conti', 'A; B', 'A | B'.

    Metadata holds names only, so " - " and "–" stay (organization names use them).
    """
    if not value:
        return []
    value = BYLINE_PREFIX_RE.sub("", clean_text(value))
    parts = [clean_text(p) for p in METADATA_SEPARATORS_RE.split(value)]
    names = [AUTHOR_SUFFIX_RE.sub("", BYLINE_PREFIX_RE.sub("", p)) for p in parts]
    return [n for n in names if n and _not_an_address(n)]


def _not_an_address(name: str) -> bool:
    return (
        not name.lower().startswith(("http://", "https://"))
        and "@" not in name
        and "[at]" not in name
    )


def split_byline(value: str | None) -> list[str]:
    """Names from a byline string: 'di Mario Rossi e Laura Conti · 20 novembre' -> two names."""
    if not value:
        return []
    text = clean_text(value)
    fields = [f for f in FIELD_SEPARATORS_RE.split(text) if f.strip(" ,;:")]
    fields = [f for f in fields if not _is_date_text(_strip(f) or f)]
    if not fields:
        return []
    main = _author_field(fields)
    names: list[str] = []
    for i, fld in enumerate(fields):
        if i != main:
            extra = _strip(fld)
            if NAME_RE.fullmatch(extra) and not _is_role(extra):
                names.append(extra)
            continue
        for piece in AUTHOR_SEPARATORS_RE.split(_strip(fld)):
            part = _strip(piece)
            if not part or _is_date_text(part):
                continue
            if names and _is_role(part):
                continue  # "Sabina Montevergine, Web Editor": the role of the name before
            names.append(part)
    return [n for n in names if _not_an_address(n)]


def is_person(name: str, org_names: list[str]) -> bool:
    """True when a name reads as a person's ('Roberto Mania', 'ROBERTO MANIA'), not an org's."""
    return NAME_RE.fullmatch(name) is not None and not is_organization(name, org_names)


def is_organization(name: str, org_names: list[str]) -> bool:
    """True when a name is the site's or publisher's own name, or has a company word."""
    folded = name.casefold()
    if any(folded == n.casefold() for n in org_names if n):
        return True
    return COMPANY_RE.search(name) is not None
