"""What counts as a change of an article's content between two fetches, and how a text
change is shown (by paragraph, then by word). Pure."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsarchive.extract.article import Article


VERSIONED_FIELDS = (
    "title",
    "text",
    "authors",
    "description",
    "date_published",
    "date_modified",
)


def _norm(value: object) -> object:
    if isinstance(value, str):
        # whitespace runs to one space, ends stripped: re.sub(r"\s+", " ", value).strip()
        # (str.split and \s agree on whitespace), several times faster on a whole text
        return " ".join(value.split())
    if isinstance(value, (tuple, list)):
        return [_norm(v) for v in value]
    return value


def content_fields(article: Article) -> dict[str, object]:
    """The versioned fields of an article, whitespace-normalized."""
    return {name: _norm(getattr(article, name)) for name in VERSIONED_FIELDS}


def content_hash(article: Article) -> str:
    """A hash of the versioned fields: equal hashes mean the same content."""
    return fields_hash(content_fields(article))


def fields_hash(fields: dict[str, object]) -> str:
    """content_hash of versioned fields already computed by content_fields."""
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def changed_fields(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Names of the versioned fields that differ (both dicts from content_fields)."""
    return [name for name in VERSIONED_FIELDS if before.get(name) != after.get(name)]


def normalized_text(text: str | None) -> str | None:
    """A text as content_fields sees it (whitespace runs to one space)."""
    return None if text is None else " ".join(text.split())
