"""Extraction from fetched HTML (article, chrome, metadata, lead, related links, outcomes,
feeds and listings): pure; may import newsarchive.dates, newsarchive.urls, newsarchive.model,
never Scrapy nor newsarchive.store/crawl/serve."""
