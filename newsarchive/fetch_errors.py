"""Why a fetch got no response, in the words a user needs: DNS, refused, timeout, TLS."""

from __future__ import annotations

import re

# exception class names (Scrapy 2.19's and Twisted's) -> the cause shown to users
CAUSES = {
    "CannotResolveHostError": "DNS",
    "DNSLookupError": "DNS",
    "DownloadConnectionRefusedError": "refused",
    "ConnectionRefusedError": "refused",
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "RedirectLoop": "redirect loop",
}
TLS_RE = re.compile(r"\bssl|tls|certificate|handshake", re.I)


def cause_of(error_name: str, message: str = "") -> str:
    """The cause of a failed fetch from its exception class name and message (else the name)."""
    if error_name in CAUSES:
        return CAUSES[error_name]
    if TLS_RE.search(error_name) or TLS_RE.search(message):
        return "TLS"
    return error_name
