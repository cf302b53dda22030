"""MetaRefreshMiddleware: Scrapy's, without decoding the pages that cannot hold a refresh.

Scrapy's middleware decodes every HTML body in full (response.text, with encoding detection
when the page declares none) to look for <meta http-equiv="refresh"> in its first 4096
characters; about 1 ms of the crawler process's time per page. w3lib (2.5, pinned in
tests/test_urls_fast.py) reports a refresh only for a <meta> tag whose attributes hold the
ASCII word "refresh" (in any case). Whatever the page's encoding, as long as it writes ASCII
as ASCII bytes, those 4096 characters lie in the first 4 x 4096 bytes (in the first 4096 bytes
when these are all ASCII): a body whose bytes there do not hold "refresh" in any case cannot
redirect, and is passed on undecoded. UTF-16 and UTF-32 write ASCII with NUL bytes: a body
with a NUL byte there takes Scrapy's way, as does every body that holds "refresh".
"""

from __future__ import annotations

import re
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.http import HtmlResponse, Response

SCANNED_CHARS = 4096  # what scrapy.utils.response.get_meta_refresh reads of response.text
MAX_BYTES_PER_CHAR = 4  # UTF-8, GB18030
BOM_BYTES = 4
REFRESH_RE = re.compile(rb"refresh", re.IGNORECASE)


def may_refresh(body: bytes) -> bool:
    """Whether Scrapy's meta-refresh check could find a refresh in this body (False: it
    certainly finds none)."""
    head = body[: SCANNED_CHARS + BOM_BYTES]
    if not head.isascii():
        head = body[: SCANNED_CHARS * MAX_BYTES_PER_CHAR + BOM_BYTES]
    return b"\x00" in head or REFRESH_RE.search(head) is not None


class MetaRefreshMiddleware(ScrapyMetaRefresh):
    """Scrapy's MetaRefreshMiddleware (same settings), skipping bodies that cannot redirect."""

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        """Scrapy's process_response, unless the body cannot hold a refresh."""
        if isinstance(response, HtmlResponse) and not may_refresh(response.body):
            return response
        return super().process_response(request, response)
