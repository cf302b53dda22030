"""Italian date grammar, normalization and date evidence: pure; may import
newsarchive.extract.metadata, never Scrapy nor newsarchive.store/crawl/serve."""
