"""Canonical URLs, hosts and addresses: what one article URL is, and which hosts are safe."""

from __future__ import annotations

import ipaddress
import logging
import re
import unicodedata
from typing import TypeAlias
from urllib.parse import unquote, unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url

logger = logging.getLogger(__name__)

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# URLs
ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048
PLACEHOLDER_BASE = "http://page.invalid/"  # resolves relative links when the page URL is unknown
SELF_URL_XPATH = "//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"
C0_AND_SPACE = "".join(map(chr, range(0x21)))
TRACKING_PARAMS = _words(
    "fbclid gclid dclid gclsrc msclkid mc_cid mc_eid _ga _gl yclid igshid ref_src ocid cmpid "
    "xtor at_medium at_campaign ns_source ns_mchannel ns_campaign wt_mc icid ito ssm"
)
TRACKING_PARAM_PREFIXES = ("utm_",)
# Session ids in the query (or as a ;name=value path parameter): one page, many URLs
SESSION_PARAMS = _words(
    "jsessionid phpsessid sid sessid sessionid session_id sess_id aspsessionid cfid cftoken "
    "zenid oscsid"
)
SESSION_PATH_PARAM_RE = re.compile(
    r";(?:jsessionid|phpsessid|sid|sessionid|aspsessionid)=[^/;?#]*", re.IGNORECASE
)
HOST_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
NUMERIC_LABEL_RE = re.compile(r"0x[0-9a-f]*|[0-9]+")
IDNA_DOTS_RE = re.compile("[\u3002\uff0e\uff61]")
CGNAT_NETWORK = ipaddress.IPv4Network("100.64.0.0/10")
NAT64_NETWORK = ipaddress.IPv6Network("64:ff9b::/96")
# the user:password@ of a URL anywhere in a text (a command line, a seed, a proxy setting)
CREDENTIALS_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")
# A URL that is its own canonical form (most links of a page): lower-case http(s); a host of
# lower-case letter, digit and hyphen labels whose last one starts with a letter (no IP address
# or IDNA to apply, no trailing dot); no user, port, query or fragment; a path of characters
# that neither w3lib (for w3lib 2.5.0: tests/test_urls_fast.py) nor SESSION_PATH_PARAM_RE
# change: no %-escape, ";", "[]|", space or non-ASCII; and no dot segment ("/." is refused).
CANONICAL_URL_RE = re.compile(
    r"https?://(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*/[A-Za-z0-9\-._~:/@!$&'()*+,=]*"
)


def strip_credentials(text: str) -> str:
    """text with the user:password@ part of every URL in it removed (before it is stored)."""
    return CREDENTIALS_RE.sub(r"\1", text)


def canonicalize_url(url: str, base: str | None = None) -> str | None:
    """Absolute, normalized http(s) URL, or None for links that are never followed."""
    if not isinstance(url, str):
        return None
    if CANONICAL_URL_RE.fullmatch(url) and "/." not in url and len(url) <= MAX_URL_LENGTH:
        return url  # already canonical: _canonicalize would return it unchanged, slower
    return _canonicalize(url, base)


def _canonicalize(url: str, base: str | None) -> str | None:
    """canonicalize_url in full: join, clean the host, query and path, then w3lib's form."""
    cleaned = re.sub(r"[\t\n\r]", "", url).strip(C0_AND_SPACE)
    if not cleaned or cleaned.startswith("#") or len(cleaned) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(urljoin(base, cleaned) if base else cleaned)
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            return None
        netloc = _canonical_netloc(scheme, parts.netloc)
        if netloc is None:
            return None
        query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
        path = SESSION_PATH_PARAM_RE.sub("", parts.path) or "/"
        rebuilt = urlunsplit((scheme, netloc, path, query, ""))
        result = w3lib_canonicalize_url(rebuilt)
    except (ValueError, UnicodeError):
        return None
    return result if len(result) <= MAX_URL_LENGTH else None


def _is_tracking(param: str) -> bool:
    name = unquote_plus(param.split("=", 1)[0]).strip().lower()
    return (
        name in TRACKING_PARAMS
        or name in SESSION_PARAMS
        or name.startswith(TRACKING_PARAM_PREFIXES)
    )


def _canonical_netloc(scheme: str, netloc: str) -> str | None:
    hostport = netloc.rpartition("@")[2]  # credentials are dropped
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host += "]"
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    else:
        host, _, port = hostport.partition(":")
    canonical = _canonical_host(host)
    if canonical is None or not re.fullmatch(r"[0-9]*", port):
        return None
    if port and int(port) > 65535:
        return None
    if not port or int(port) == DEFAULT_PORTS[scheme]:
        return canonical
    return f"{canonical}:{int(port)}"


def _canonical_host(raw: str) -> str | None:
    host = IDNA_DOTS_RE.sub(".", unquote(raw))
    if not host or any(ch.isspace() for ch in host):
        return None
    if host.startswith("["):
        ip = parse_ip_host(host)
        return f"[{ip.compressed}]" if isinstance(ip, ipaddress.IPv6Address) else None
    host = host[:-1] if host.endswith(".") else host
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    host = host.lower()
    if not HOST_RE.fullmatch(host):
        return None
    if NUMERIC_LABEL_RE.fullmatch(host.rsplit(".", 1)[-1]):
        ipv4 = _parse_ipv4(host)
        return str(ipv4) if ipv4 is not None else None
    return host


def parse_ip_host(host: str) -> IPAddress | None:
    """The IP address a literal host denotes in any spelling (dotted, decimal, hex, octal, short forms, IPv6 in brackets, IPv4-mapped IPv6), else None."""  # noqa: E501
    text = IDNA_DOTS_RE.sub(".", unicodedata.normalize("NFKC", host)).strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    elif text.startswith("["):
        return None
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    return _parse_ipv4(text)


def _parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """IPv4 parsing as browsers do it (WHATWG URL standard): 1 to 4 parts, hex/octal/decimal."""
    labels = text.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if not 1 <= len(labels) <= 4:
        return None
    numbers: list[int] = []
    for label in labels:
        if label[:2] == "0x":
            digits, radix = label[2:] or "0", 16
        elif len(label) > 1 and label.startswith("0"):
            digits, radix = label[1:], 8
        else:
            digits, radix = label, 10
        if not (digits.isascii() and digits.isalnum()):
            return None
        try:
            numbers.append(int(digits, radix))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
    return ipaddress.IPv4Address(value)


def is_forbidden_address(ip: IPAddress) -> bool:
    """True for loopback, private, link-local (incl. 169.254.169.254 metadata), unspecified, multicast, reserved, CGNAT 100.64/10, IPv6 ULA/link-local/mapped-private."""  # noqa: E501
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_forbidden_address(ip.ipv4_mapped)
        teredo = ip.teredo[1] if ip.teredo else None
        nat64 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64_NETWORK else None
        for embedded in (ip.sixtofour, teredo, nat64):
            if embedded is not None and is_forbidden_address(embedded):
                return True
        if ip.is_site_local:
            return True
    elif ip in CGNAT_NETWORK:
        return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
        or not ip.is_global
    )


def same_site(host_a: str, host_b: str) -> bool:
    """True when two hosts are the same host ignoring a leading 'www.' (www.example.it == example.it)."""  # noqa: E501
    a, b = _site_key(host_a), _site_key(host_b)
    return bool(a) and a == b


def _site_key(host: str) -> str:
    try:
        key = _canonical_host(host.strip()) or ""
    except (ValueError, UnicodeError):
        key = ""
    return key[4:] if key.startswith("www.") else key
