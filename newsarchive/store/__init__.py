"""The archive in SQLite, the only package with SQL (connection, pages, frontier, derived rows,
runs, queries, migrations, search syntax): may import extract, dates, urls, model, never Scrapy
nor newsarchive.crawl/serve."""
