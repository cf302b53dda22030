"""Datasette metadata for an archive: titles, every column described, sorts, facets, search.

Datasette 0.65 reads metadata.json/yml; `newsarchive serve` writes this dict to a file.
"""

from __future__ import annotations

from typing import Any

from newsarchive import __version__

SOURCE_URL = "https://github.com/newsarchive/newsarchive"

COLUMNS: dict[str, dict[str, str]] = {
    "articles": {
        "url": "Canonical URL of the article (primary key)",
        "page_id": "The raw page this state was extracted from (pages.id)",
        "site": "Host without www.",
        "title": "Headline",
        "authors": "Authors, JSON array",
        "date_published": (
            "Publication time, ISO 8601 with offset, or YYYY-MM-DD when only the day is known"
        ),
        "date_published_raw": "The string date_published was read from",
        "date_modified": "Last modification time, as date_published",
        "date_modified_raw": "The string date_modified was read from",
        "description": "Standfirst / summary",
        "text": "Main text, paragraphs separated by newlines",
        "language": "Two-letter language code",
        "sitename": "Publisher name",
        "categories": "Sections, JSON array",
        "tags": "Keywords, JSON array",
        "image": "Lead image URL",
        "extractor": "newsarchive, trafilatura and dateparser versions and settings hash",
        "extracted_at": "When this row last changed (UTC)",
        "published_day": "Calendar day of publication in Europe/Rome",
        "published_spread_days": "Days between the earliest and latest publication-date candidates",
    },
    "links": {
        "from_url": "Article the link is on (articles.url)",
        "to_url": "Canonical link target, archived or not",
        "kind": "Link kind: related",
        "anchor_text": "Text of the link",
        "position": "1-based position on the page",
        "listed_date": "Date shown beside the link, normalized",
        "listed_date_raw": "Date shown beside the link, as displayed",
    },
    "pages_list": {
        "id": "Page id",
        "url": "URL requested",
        "final_url": "URL after redirects",
        "status": "HTTP status",
        "fetched_at": "When the response arrived (UTC)",
        "content_type": "Content-Type header",
        "encoding": "Encoding used to decode the body",
        "encoding_reason": "Why that encoding",
        "body_size": "Uncompressed body size in bytes",
        "sha256": "Hash of the body",
        "kind": "What was fetched: article, feed, sitemap or listing (never changes)",
        "outcome": "article, empty, not_html, error, extraction_failed",
        "error": "Reason when not an article",
        "crawl_id": "Crawl run (crawls.id)",
        "depth": "Related-link hops from the seed",
        "via_url": "Article that linked here",
        "canonical_claim": "rel=canonical URL the page named, when not its own (the article is"
        " stored under it only when the claim is consistent)",
    },
    "crawls": {
        "id": "Run id",
        "started_at": "Start (UTC)",
        "finished_at": "End (UTC)",
        "command": "Command line",
        "seeds": "Seed URLs, JSON array",
        "stats": "Counters, JSON object",
        "status": "finished, seed_failed, aborted:<reason>, running",
        "shard": "Shard archive the run was merged from (newsarchive merge); empty if run here",
        "shard_crawl_id": "The run's id in its shard",
    },
    "date_evidence": {
        "id": "Row id",
        "article_url": "Article (articles.url)",
        "field": "published or modified",
        "source": "Where the candidate was found",
        "raw": "The string as found",
        "value": "Normalized value",
        "precision": "datetime, day, week, month, quarter or year (ISO 8601 written to match)",
        "chosen": "1 when this candidate is the article's value",
    },
    "article_versions": {
        "article_url": "Article (articles.url)",
        "version": "1 for the first state, then one per content change",
        "page_id": "Raw page of this state",
        "fetched_at": "When this state was fetched (UTC)",
        "title": "Headline then",
        "text": "Text then (paragraphs one per line); NULL in the latest version, whose text is"
        " the article's (article_version_texts shows every version with its text)",
        "authors": "Authors then, JSON array",
        "description": "Summary then",
        "date_published": "Publication date then",
        "date_modified": "Modification date then",
        "content_hash": "Hash of the versioned fields",
        "changed_fields": "Fields that changed from the previous version, JSON array",
    },
    "warc_imports": {
        "source": "WARC file path or URL given to import-warc",
        "crawl_id": "The import run that last worked on it (crawls.id)",
        "started_at": "First import of the file (UTC)",
        "finished_at": "When the whole file was read (UTC); NULL while unfinished",
        "next_offset": "Offset after the last record dealt with (where an import resumes)",
        "records": "WARC records read",
        "pages_stored": "Pages stored from the file",
        "bad_records": "Records that could not be imported",
    },
}
VIEW_DESCRIPTIONS = {
    "latest_articles": "Articles, newest first",
    "articles_per_day": "Articles per site and Rome day of publication",
    "related_graph": "Related-article links with the titles of both ends",
    "date_disagreements": "Articles whose publication-date candidates disagree by more than a day",
    "articles_without_date": "Articles with no publication date found",
    "article_edits": "Articles edited after their first fetch",
    "article_version_texts": "Every version of every article, with its text",
    "crawl_runs": "Crawl runs: duration, pages, articles, outcomes",
    "pages_list": "Fetched pages, without their bodies",
}


def build_metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for the database named `database` (the file stem)."""
    tables: dict[str, Any] = {name: {"columns": columns} for name, columns in COLUMNS.items()}
    tables["articles"].update(
        description="One row per article: its current state",
        sort_desc="date_published",
        facets=["site", "language", "published_day"],
        fts_table="articles_fts",
        fts_pk="rowid",
        label_column="title",
    )
    tables["links"].update(description="Related-article links", facets=["kind"])
    tables["crawls"].update(description="Crawl runs", sort_desc="id")
    tables["date_evidence"].update(description="Every date candidate found", facets=["source"])
    tables["article_versions"].update(description="Content states of articles")
    tables["warc_imports"].update(description="WARC files imported, and how far")
    # The raw pages hold compressed bodies: browse them through pages_list instead.
    tables["pages"] = {"allow": False, "hidden": True, "description": "Raw pages (bodies)"}
    tables["zstd_dictionaries"] = {
        "allow": False,
        "hidden": True,
        "description": "Per-site zstd dictionaries of the raw bodies",
    }
    for name, description in VIEW_DESCRIPTIONS.items():
        tables.setdefault(name, {})["description"] = description
    tables["latest_articles"]["facets"] = ["site", "language", "published_day"]
    tables["pages_list"]["facets"] = ["kind", "outcome", "status"]
    for hidden in (
        "articles_fts",
        "articles_fts_config",
        "articles_fts_data",
        "articles_fts_docsize",
        "articles_fts_idx",
        "_sqlite_migrations",
    ):
        tables[hidden] = {"hidden": True}
    return {
        "title": "newsarchive",
        "description": "News articles with their related articles, raw pages and dates.",
        "source": f"newsarchive {__version__}",
        "source_url": SOURCE_URL,
        "databases": {database: {"tables": tables}},
    }
