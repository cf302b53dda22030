"""What counts as a change of an article's content between two fetches, and how a text
change is shown (by paragraph, then by word). Pure."""

from __future__ import annotations

import difflib
import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsarchive.extraction import Article


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


def paragraphs(text: str | None) -> list[str]:
    """The non-empty paragraphs of a text (one per line), whitespace-normalized."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def word_diff(before: str, after: str) -> str:
    """One paragraph with its changed words marked: [-removed-]{+added+}."""
    old, new = before.split(), after.split()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(old[i1:i2])
            continue
        removed = "[-" + " ".join(old[i1:i2]) + "-]" if i2 > i1 else ""
        added = "{+" + " ".join(new[j1:j2]) + "+}" if j2 > j1 else ""
        out.append(removed + added)
    return " ".join(out)


def text_diff(before: str | None, after: str | None) -> list[str]:
    """The change between two texts, paragraph by paragraph: `- ¶n old` for a paragraph
    removed, `+ ¶n new` for one added, `~ ¶n ...` with word marks for one edited (n counts
    the paragraphs of `after`, or of `before` for a removal). Equal paragraphs are not shown.

    A text stored on one line (versions written before paragraphs were kept) is compared
    word by word as a whole."""
    old, new = paragraphs(before), paragraphs(after)
    if (len(old) == 1) != (len(new) == 1):
        old, new = [" ".join(old)], [" ".join(new)]
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            lines.append(f"~ ¶{j1 + k + 1} " + word_diff(old[i1 + k], new[j1 + k]))
        lines.extend(f"- ¶{i + 1} {old[i]}" for i in range(i1 + pairs, i2))
        lines.extend(f"+ ¶{j + 1} {new[j]}" for j in range(j1 + pairs, j2))
    return lines
