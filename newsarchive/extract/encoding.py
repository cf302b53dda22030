"""Decide how to decode a page's raw bytes, with one documented order, and say why.

Order (the first that applies wins):
1. a byte-order mark (UTF-8, UTF-16);
2. the bytes are valid UTF-8 (and not plain ASCII with another declared charset);
3. the charset of the HTTP Content-Type header;
4. the page's own ``<meta charset>`` / ``http-equiv`` declaration (first 4 KiB);
5. detection with charset-normalizer;
6. cp1252.

Latin-1 labels (iso-8859-1, latin1, us-ascii...) decode as cp1252, as browsers do (WHATWG).
A UTF-7 label is ignored, as browsers do (WHATWG knows no UTF-7: "+ADw-script+AD4-" must never
become "<script>"); the reason then ends with "; utf-7 ignored".
A declared charset that cannot decode the bytes cleanly is skipped, so "charset=utf-8" over
cp1252 bytes never yields U+FFFD.

``parse_html`` then turns the decoded text into the lxml tree every later stage shares.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura.utils import DOCTYPE_TAG, is_dubious_html, repair_faulty_html

logger = logging.getLogger(__name__)

META_SCAN_BYTES = 4096
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<div", b"<p>")
HTML_SNIFF_BYTES = 64 * 1024
FALLBACK_ENCODING = "cp1252"
WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "windows-874": "cp874",
    "x-user-defined": "cp1252",
}
# Labels browsers do not support: a page declaring one is decoded as if it declared nothing.
UNSUPPORTED_CODECS = frozenset({"utf-7"})
UTF7_IGNORED = "; utf-7 ignored"
# Codecs that detection confuses with cp1252 on short Latin-script text.
SINGLE_BYTE_WESTERN = {
    "cp1250",
    "cp1252",
    "cp1254",
    "cp1258",
    "latin_1",
    "iso8859-2",
    "iso8859-9",
    "iso8859-15",
    "iso8859-16",
    "cp850",
    "cp437",
    "mac-roman",
    "mac-latin2",
}
BOMS = [
    (codecs.BOM_UTF8, "utf-8", "bom"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "bom"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "bom"),
]
CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
# The characters of trafilatura.utils.INVALID_XML_CHARS (tests/test_encoding.py checks that they
# still are): looking for each with `in` is memchr-fast, a regex class pass is not.
INVALID_XML_CHARS = "".join(
    chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)
)


@dataclass(frozen=True)
class Decoded:
    """A page decoded to text, with the encoding used and the reason it was chosen."""

    text: str
    encoding: str
    reason: str
    # the raw bytes when they are text's UTF-8 encoding (decoded as strict UTF-8 or ASCII,
    # no BOM): parse_html parses them instead of the text
    utf8: bytes | None = field(default=None, repr=False, compare=False)


def normalize_label(label: str) -> str | None:
    """Python codec name for a charset label (latin-1 family as cp1252), or None if unknown."""
    label = label.strip().strip("\"'").lower()
    label = WHATWG_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in UNSUPPORTED_CODECS:
        return None
    return WHATWG_ALIASES.get(name, name)


def _is_utf7(label: str | None) -> bool:
    try:
        return label is not None and codecs.lookup(label.strip().strip("\"'")).name == "utf-7"
    except LookupError:
        return False


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """The charset label of a Content-Type header, if any."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type":
            match = HEADER_CHARSET_RE.search(value)
            return match.group(1) if match else None
    return None


def meta_charset(body: bytes) -> str | None:
    """The charset label declared by the page's own <meta> tags, if any."""
    head = body[:META_SCAN_BYTES]
    match = CHARSET_RE.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _try(body: bytes, label: str | None) -> str | None:
    codec = normalize_label(label) if label else None
    if codec is None:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_body(body: bytes, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode raw page bytes following the documented order; never raises."""
    decoded = _decode(body, headers)
    if _is_utf7(header_charset(headers)) or _is_utf7(meta_charset(body)):
        return Decoded(decoded.text, decoded.encoding, decoded.reason + UTF7_IGNORED, decoded.utf8)
    return decoded


def _decode(body: bytes, headers: Mapping[str, str] | None) -> Decoded:
    for bom, codec, reason in BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom) :].decode(codec, "replace"), codec, reason)
    declared = header_charset(headers) or meta_charset(body)
    if body.isascii():
        label = normalize_label(declared) if declared else None
        return Decoded(body.decode("ascii"), label or "utf-8", "ascii", body)
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "valid-utf-8", body)
    except UnicodeDecodeError:
        pass
    for reason, label in (("http-header", header_charset(headers)), ("meta", meta_charset(body))):
        text = _try(body, label)
        if text is not None and normalize_label(label or "") != "utf-8":
            return Decoded(text, normalize_label(label or "") or FALLBACK_ENCODING, reason)
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body).best()
    except Exception:  # noqa: BLE001 - detection is best effort
        best = None
    if best is not None and best.encoding:
        codec = normalize_label(best.encoding) or best.encoding
        if codec in SINGLE_BYTE_WESTERN:
            # Detection cannot tell cp1252 from its neighbours on short Latin text; for the
            # Western-European pages we archive, cp1252 is right whenever it decodes cleanly.
            text = _try(body, FALLBACK_ENCODING)
            if text is not None:
                return Decoded(text, FALLBACK_ENCODING, "detected-western")
        text = _try(body, codec)
        if text is not None:
            return Decoded(text, codec, "detected")
    return Decoded(body.decode(FALLBACK_ENCODING, "replace"), FALLBACK_ENCODING, "fallback")


def is_html(body: bytes, content_type: str | None) -> bool:
    """True when the content type says HTML, or says nothing and the bytes look like HTML."""
    if content_type:
        kind = content_type.split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return True
        if (
            kind
            and kind not in HTML_TYPES
            and kind not in ("application/octet-stream", "text/plain")
        ):
            return False
    head = body[:HTML_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(marker in head for marker in HTML_SNIFF)


def _html_parser() -> lxml.html.HTMLParser:
    """trafilatura's parser settings, with element classes chosen in C, not in Python.

    lxml.html's own lookup runs a Python method for every element proxy lxml creates, the
    main per-element cost of walking a tree; every element is an HtmlElement here (no
    FormElement/InputElement, whose form helpers nothing in extraction uses).
    """
    parser = lxml.html.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    return parser


HTML_PARSER = _html_parser()


def _parse_bytes(text: str) -> HtmlElement | None:
    return _parse_utf8(text.encode("utf8", "surrogatepass"))


def _parse_utf8(data: bytes) -> HtmlElement | None:
    try:
        tree: HtmlElement = lxml.html.fromstring(data, parser=HTML_PARSER)
    except Exception as exc:  # noqa: BLE001 - as trafilatura: an unparsable page has no tree
        logger.debug("lxml could not parse the page bytes: %s", exc)
        return None
    return tree


def repair_html(text: str, beginning: str) -> str:
    """trafilatura's repair_faulty_html(text, beginning), which copies the whole page two or
    three times (a regex pass, the doctype line split off and joined back): called only when
    one of its repairs changes the text, else the text as it is."""
    if any(char in text for char in INVALID_XML_CHARS):
        return repair_faulty_html(text, beginning)
    if "doctype" in beginning:
        end = text.find("\n")  # (no newline: it appends one)
        if end == -1 or DOCTYPE_TAG.match(text, 0, end) is not None:
            return repair_faulty_html(text, beginning)
    for line in text[:4096].splitlines()[:4]:  # a self-closing <html/>
        if "<html" in line and line.endswith("/>"):
            return repair_faulty_html(text, beginning)
    return text


def parse_html(text: str, utf8: bytes | None = None) -> HtmlElement | None:
    """The page's tree, or None when it is not HTML: trafilatura's load_html on decoded text,
    step for step (repairs, bytes fallback, dubious-page check), with HTML_PARSER.

    utf8: text's UTF-8 encoding, when the caller has it (Decoded.utf8). lxml makes the same
    tree of a text and of its UTF-8 bytes (HTML_PARSER reads bytes as UTF-8), but a text it
    first converts (about 0.35 ms of a corpus page's 1.6): the bytes are parsed instead when
    no repair changes the text (tests/test_encoding.py holds both parses to the same tree).
    """
    beginning = text[:50].lower()
    repaired = repair_html(text, beginning)
    if utf8 is not None and repaired is text:
        parsed = _parse_utf8(utf8)
        if parsed is not None and len(parsed) >= 1:  # (else the text's own steps, below)
            return None if is_dubious_html(beginning) and len(parsed) < 2 else parsed
    text = repaired
    tree: HtmlElement | None = None
    from_bytes = False
    try:
        tree = lxml.html.fromstring(text, parser=HTML_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree, from_bytes = _parse_bytes(text), True
    except Exception as exc:  # noqa: BLE001 - as trafilatura: try the bytes next
        logger.debug("lxml could not parse the page text: %s", exc)
    if (tree is None or len(tree) < 1) and not from_bytes:
        tree = _parse_bytes(text)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree
