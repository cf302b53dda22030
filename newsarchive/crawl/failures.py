"""What a request that got no response means for a crawl: kept for a later run (robots.txt
could not be read), dropped on purpose (robots.txt, scope, private address), or a failed
fetch, with the reason counted and the message a user reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twisted.python.failure import Failure

from newsarchive.crawl.fetch_errors import cause_of
from newsarchive.crawl.middlewares import ForbiddenAddress, OutOfScope
from newsarchive.crawl.robots import HostUnreachable, RobotsDisallowed

if TYPE_CHECKING:
    from newsarchive.crawl.frontier import ArchiveFrontier

logger = logging.getLogger(__name__)

LATER = "later"
DROPPED = "dropped"
FAILED = "failed"


@dataclass(frozen=True)
class NoResponse:
    """A request that got no response, classified."""

    url: str  # the URL first asked for (before any redirect)
    verdict: str  # LATER, DROPPED or FAILED
    reason: str  # the error's name, for the stats key
    message: str


def classify_failure(failure: Failure) -> NoResponse:
    """Classify the failure of a request (network errors, timeouts, and what Scrapy ignores on
    the way: redirect loops, decompression bombs, oversize bodies, are FAILED)."""
    request = failure.request  # type: ignore[attr-defined]
    original = str((request.meta.get("redirect_urls") or [request.url])[0])
    reason = failure.type.__name__ if failure.type else "Error"
    message = failure.getErrorMessage()
    error = failure.value
    if isinstance(error, HostUnreachable):
        # its robots.txt got no response: the host's failure (DNS, refused...) is this URL's
        reason, message = error.error_name, message.partition(": ")[2] or message
    elif isinstance(error, RobotsDisallowed) and "unavailable" in message:
        return NoResponse(original, LATER, reason, message)
    if isinstance(error, (OutOfScope, ForbiddenAddress, RobotsDisallowed)):
        return NoResponse(original, DROPPED, reason, message)
    return NoResponse(original, FAILED, reason, f"{cause_of(reason, message)}: {message}")


def record_failure(lost: NoResponse, frontier: ArchiveFrontier, inc: Callable[[str], None]) -> bool:
    """Log, count and record in the frontier a request that got no response; True when its URL
    stays queued for a later run (robots.txt unreadable, or a failed fetch: up to 3 attempts)."""
    if lost.verdict == LATER:
        logger.warning("not fetched now: %s (%s)", lost.url, lost.message)
        inc("not_fetched/robots_unavailable")
        frontier.failed(lost.url, error=lost.message, count=False)
        return True
    if lost.verdict == DROPPED:
        logger.info("not fetched: %s (%s)", lost.url, lost.message)
        frontier.drop(lost.url)
        return False
    inc(f"fetch_failed/{lost.reason}")
    logger.warning("not fetched: %s (%s)", lost.url, lost.message)
    frontier.failed(lost.url, error=lost.message)
    return True
