"""What extraction returns: Extraction, with its Article, related Links and DateEvidence.

Plain dataclasses in a module that imports nothing else of the extraction stack: the crawler
process unpickles every result its extraction workers send, and unpickling imports the module
that defines the class. Defined in article.py, the first result made the crawler import
trafilatura, htmldate and jusText (some 200 ms before the first page could be stored), which
only the workers use. article.py, fields.py and dates/evidence.py re-export these names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Article:
    """The article fields stored in `articles` (lists as tuples)."""

    url: str
    site: str
    title: str | None
    authors: tuple[str, ...]
    date_published: str | None
    date_published_raw: str | None
    date_modified: str | None
    date_modified_raw: str | None
    description: str | None
    text: str | None
    language: str | None
    sitename: str | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    image: str | None


@dataclass(frozen=True)
class Link:
    """A related-article link as stored in `links`."""

    to_url: str
    anchor_text: str
    position: int
    listed_date: str | None
    listed_date_raw: str | None
    kind: str = "related"


@dataclass(frozen=True)
class DateEvidence:
    """A date candidate as stored in the evidence ledger."""

    field: str
    source: str
    raw: str
    value: str
    precision: str
    chosen: bool


@dataclass(frozen=True)
class Extraction:
    """Everything derived from one raw page.

    extractor: article.EXTRACTOR of the code that made it (it names the trafilatura and
    dateparser versions, hence no default here, where neither is imported)."""

    outcome: str
    url: str
    encoding: str | None = None
    encoding_reason: str | None = None
    article: Article | None = None
    links: tuple[Link, ...] = ()
    evidence: tuple[DateEvidence, ...] = ()
    reason: str | None = None
    extractor: str = field(kw_only=True)
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `newsarchive extract` prints)."""
        return asdict(self)
