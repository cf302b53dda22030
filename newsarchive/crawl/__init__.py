"""Running the archiver: Scrapy pipeline, middlewares, extensions, runner, extraction worker
pool, re-extraction and scheduled jobs: may import Scrapy, store, extract, dates, never serve."""
