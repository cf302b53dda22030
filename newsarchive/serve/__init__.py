"""Reading the archive: Datasette metadata, plugin, templates and launch, terminal views and
exports: may import store, extract, dates, warc, never Scrapy nor newsarchive.crawl."""
