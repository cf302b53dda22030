"""schema.org vocabulary shared by metadata (JSON-LD) and outcomes, in a module of its own so
that the crawler process can name outcomes without importing trafilatura (which metadata
needs): the extraction workers import the extraction stack, the crawler does not."""

from __future__ import annotations

# JSON-LD @type values (lower-cased) that mark a page as an article
ARTICLE_TYPES = frozenset(
    {
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
)
