"""newsarchive: archive news articles and their related-article graph into SQLite.

The public API, for library users and the benches (module paths below it may move):

    from newsarchive import extract_article, normalize_date, Archive

Loaded lazily, so that `import newsarchive` (and the CLI) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from newsarchive.dates.normalize import normalize_date
    from newsarchive.extract.article import extract_article
    from newsarchive.store.archive import Archive

_PUBLIC = {
    "extract_article": "newsarchive.extract.article",
    "normalize_date": "newsarchive.dates.normalize",
    "Archive": "newsarchive.store.archive",
}
__all__ = ["Archive", "__version__", "extract_article", "normalize_date"]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'newsarchive' has no attribute {name!r}")
