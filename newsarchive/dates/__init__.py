"""Italian date grammar, normalization and date evidence: pure; may import
newsarchive.extract.metadata and newsarchive.extract.chrome, never Scrapy nor
newsarchive.store/crawl/serve."""
