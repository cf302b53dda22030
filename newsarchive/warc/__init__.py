"""Web archives: export the archive as WARC files, import pages from WARC files.

Pure of Scrapy; all SQL lives in newsarchive/store/warc.py.
"""
