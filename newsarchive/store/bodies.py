"""Stored bodies: zstd compression with per-site dictionaries, and reading bodies back
(`archive.bodies`; the functions serve merge, compact and the benches too)."""

from __future__ import annotations

import hashlib
import logging
import threading
import zlib
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import zstandard

from newsarchive.model import utc_now
from newsarchive.store.base import BodyError, retry_locked

if TYPE_CHECKING:
    from newsarchive.store.archive import Archive

logger = logging.getLogger(__name__)


def body_sha256(body: bytes) -> str:
    """The hex sha256 of a raw body, as stored in pages.sha256."""
    return hashlib.sha256(body).hexdigest()


# pages.compression: "zlib" (bodies stored before zstd), "zstd" (a site without a dictionary
# yet), "zstd:dict:<id>" (zstd with zstd_dictionaries.id; the pages of a site share one
# template, which the dictionary holds). A dictionary is the raw content of a few of the
# site's pages (zstd "raw content" dictionaries: nothing to train, and they work from a handful
# of pages); it is made once the site has DICT_MIN_PAGES stored article bodies; never changed.
ZLIB_LEVEL = 6  # bodies stored before zstd (and the benches' baseline)
# Level 6, not 9: over the corpus pages of sites with a dictionary, level 9 stores 9.06 % of the
# raw size and takes 2.85 ms a page to compress, level 6 9.38 % and 1.88 ms (level 5: 9.69 %,
# 1.46 ms; level 3: 10.55 %, over the 10 % goal); compressing was 15 % of a crawl worker's time.
# Bodies stored at another level read the same (the level is not part of the format).
ZSTD_LEVEL = 6
ZSTD_DICT_PREFIX = "zstd:dict:"
DICT_MIN_PAGES = 4  # stored bodies a site needs before it gets a dictionary
DICT_SAMPLE_PAGES = 8  # newest bodies of the site that make its dictionary
DICT_MAX_BYTES = 1024 * 1024
BODY_SHA256_SQL = "newsarchive_body_sha256"  # SQL function the body trigger checks with


def dictionary_id(compression: str | None) -> int | None:
    """The zstd_dictionaries.id a pages.compression value refers to, else None."""
    if compression and compression.startswith(ZSTD_DICT_PREFIX):
        tail = compression[len(ZSTD_DICT_PREFIX) :]
        return int(tail) if tail.isdigit() else None
    return None


def body_site(url: str) -> str:
    """The site whose dictionary compresses a page: host (and port) without www."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def make_dictionary(bodies: list[bytes]) -> bytes:
    """A raw-content dictionary from a site's pages (the newest last, kept when cut)."""
    return b"".join(bodies)[-DICT_MAX_BYTES:]


def stored_dictionary(data: bytes) -> bytes:
    """A dictionary as zstd_dictionaries.data holds it (compressed with plain zstd), read."""
    return decompress(data, "zstd")


def compress(body: bytes, dictionary: bytes | None = None) -> bytes:
    """Compress a raw body for storage (zstd, with the site's dictionary when given)."""
    return _compressor(dictionary).compress(body)


def decompress(
    blob: bytes | None, compression: str | None = "zlib", dictionary: bytes | None = None
) -> bytes:
    """The original bytes of a stored body, as pages.compression says; BodyError if unreadable.

    dictionary: the dictionary a "zstd:dict:<id>" body needs, uncompressed (stored_dictionary
    of zstd_dictionaries.data; Bodies.read looks it up).
    """
    if not blob:
        return b""
    if compression in (None, "", "identity", "none"):
        return bytes(blob)
    if compression == "zlib":
        try:
            return zlib.decompress(blob)
        except zlib.error as exc:
            raise BodyError(f"corrupt zlib body: {exc}") from exc
    if compression != "zstd" and dictionary_id(compression) is None:
        raise BodyError(f"unknown body compression {compression!r}")
    if compression != "zstd" and dictionary is None:
        raise BodyError(f"body compressed with a missing dictionary ({compression})")
    try:
        return _decompressor(dictionary if compression != "zstd" else None).decompress(blob)
    except zstandard.ZstdError as exc:
        raise BodyError(f"corrupt zstd body: {exc}") from exc


# (De)compressor objects each thread keeps, by dictionary (zstd's are not thread-safe). A
# decompressor holds little more than its dictionary (about 1 MB at most); a compressor that
# has compressed with a 1 MB dictionary holds match tables (some 6 MB at level 6, 21 MB at 9), so
# few are kept, the least recently used dropped first: a crawl or `compact` over many sites
# would otherwise keep 64 of them (1.3 GB). Rebuilding one costs ~10 ms on its next page.
DECOMPRESSORS_KEPT = 64
COMPRESSORS_KEPT = 8
_CODECS = threading.local()


def _cache(name: str) -> OrderedDict[bytes | None, Any]:
    cache: OrderedDict[bytes | None, Any] = _CODECS.__dict__.setdefault(name, OrderedDict())
    return cache


def _compressor(dictionary: bytes | None) -> zstandard.ZstdCompressor:
    cache = _cache("compressors")
    compressor: zstandard.ZstdCompressor | None = cache.get(dictionary)
    if compressor is None:
        while len(cache) >= COMPRESSORS_KEPT:  # dropped before the new one is made
            cache.popitem(last=False)
        zdict = _zstd_dictionary(dictionary) if dictionary is not None else None
        compressor = cache[dictionary] = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=zdict)
    cache.move_to_end(dictionary)
    return compressor


def _decompressor(dictionary: bytes | None) -> zstandard.ZstdDecompressor:
    cache = _cache("decompressors")
    decompressor: zstandard.ZstdDecompressor | None = cache.get(dictionary)
    if decompressor is None:
        while len(cache) >= DECOMPRESSORS_KEPT:
            cache.popitem(last=False)
        zdict = _zstd_dictionary(dictionary) if dictionary is not None else None
        decompressor = cache[dictionary] = zstandard.ZstdDecompressor(dict_data=zdict)
    cache.move_to_end(dictionary)
    return decompressor


def _zstd_dictionary(dictionary: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


class Codec(NamedTuple):
    """How a body is compressed away from the store (in an extraction worker): the
    pages.compression value, and the dictionary's bytes when the worker may not have them."""

    compression: str
    dictionary: bytes | None = None


class Packed(NamedTuple):
    """A body compressed away from the store: its pages.compression and blob (record_fetch
    checks that the blob reads back as the body before it writes it)."""

    compression: str
    blob: bytes


# Compressors a worker process keeps, by dictionary id (least recently used dropped first): a
# compressor with a 1 MB dictionary takes some 6 MB (20 MB at level 9), and a worker's address
# space is capped (workers.DEFAULT_MEMORY_MB).
PACKED_DICTIONARIES = 4
_PACKING: OrderedDict[int, zstandard.ZstdCompressor] = OrderedDict()  # in a worker


def pack(body: bytes, codec: Codec) -> Packed | None:
    """In an extraction worker: the body compressed as codec says; None when codec names a
    dictionary this process was not sent, or no longer keeps (the store then compresses the
    body itself)."""
    dict_id = dictionary_id(codec.compression)
    if dict_id is None:
        return Packed("zstd", compress(body))
    if codec.dictionary is not None and dict_id not in _PACKING:
        _PACKING[dict_id] = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, dict_data=_zstd_dictionary(codec.dictionary)
        )
        while len(_PACKING) > PACKED_DICTIONARIES:
            _PACKING.popitem(last=False)
    compressor = _PACKING.get(dict_id)
    if compressor is None:
        return None
    _PACKING.move_to_end(dict_id)
    return Packed(codec.compression, compressor.compress(body))


def sql_body_sha256(
    blob: bytes | None, compression: str | None, dictionary: bytes | None
) -> str | None:
    """The sha256 of a stored body once decompressed (None if unreadable): what the
    pages_body_same_bytes trigger compares with pages.sha256 before a body is replaced."""
    if blob is None:
        return None
    try:
        raw_dictionary = stored_dictionary(dictionary) if dictionary is not None else None
        return body_sha256(decompress(blob, compression, raw_dictionary))
    except BodyError:
        return None


class Bodies:
    """The archive's bodies: compressed for storage, read back, and the site dictionaries."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._dictionaries: dict[int, bytes] = {}  # zstd_dictionaries.data by id
        self._site_dictionary: dict[str, int | None] = {}  # site -> its dictionary id
        self._undictionaried: Counter[str] = Counter()  # pages stored without one, per site

    def forget(self) -> None:
        """Drop what is cached of the dictionaries (after a rollback: one may be gone)."""
        self._dictionaries.clear()
        self._site_dictionary.clear()

    def stored(self, url: str, compression: str) -> None:
        """Count a body stored for url with plain zstd: the site's dictionary is made once
        it has DICT_MIN_PAGES of them."""
        if compression == "zstd":
            self._undictionaried[body_site(url)] += 1

    def read(self, blob: bytes | None, compression: str | None) -> bytes:
        """A stored body decompressed, with its dictionary looked up; BodyError if unreadable."""
        dict_id = dictionary_id(compression)
        dictionary = self.dictionary(dict_id) if dict_id is not None else None
        return decompress(blob, compression, dictionary)

    def dictionary(self, dict_id: int) -> bytes | None:
        """The bytes of a zstd dictionary (None if the archive has no such dictionary)."""
        if dict_id not in self._dictionaries:
            row = self._archive.db.conn.execute(
                "SELECT data FROM zstd_dictionaries WHERE id = ?", (dict_id,)
            ).fetchone()
            if row is None:
                return None
            self._dictionaries[dict_id] = stored_dictionary(bytes(row[0]))
        return self._dictionaries[dict_id]

    def site_dictionary(self, site: str) -> int | None:
        """The id of a site's dictionary (its newest), None while it has none."""
        if self._site_dictionary.get(site) is None:
            row = self._archive.db.conn.execute(
                "SELECT max(id) FROM zstd_dictionaries WHERE site = ?", (site,)
            ).fetchone()
            self._site_dictionary[site] = row[0] if row and row[0] is not None else None
        return self._site_dictionary[site]

    def cached_codec(self, url: str) -> str:
        """The pages.compression a body fetched from url would get now, from what is known
        of its site's dictionary (no query: "zstd" while none is known)."""
        dict_id = self._site_dictionary.get(body_site(url))
        return "zstd" if dict_id is None else f"{ZSTD_DICT_PREFIX}{dict_id}"

    def unpack(self, body: bytes, packed: Packed) -> tuple[str, bytes] | None:
        """(pages.compression, blob) of a body compressed in a worker, once checked: the blob
        reads back as the body with a dictionary the archive holds; else None (logged)."""
        try:
            same = self.read(packed.blob, packed.compression) == body
        except BodyError:
            same = False
        if not same:
            logger.warning("a body compressed in a worker does not read back: compressed again")
            return None
        return packed.compression, packed.blob

    def compress_body(self, url: str, body: bytes, *, train: bool = True) -> tuple[str, bytes]:
        """(pages.compression, blob) for a body fetched from url: zstd with the site's
        dictionary, made first (train) when the site has just reached DICT_MIN_PAGES bodies."""
        compression, dictionary = self.codec(url, train=train)
        return compression, compress(body, dictionary)

    def codec(self, url: str, *, train: bool = True) -> tuple[str, bytes | None]:
        """(pages.compression, dictionary) a body fetched from url is compressed with (see
        compress_body), without compressing anything yet."""
        site = body_site(url)
        dict_id = self.site_dictionary(site)
        if train and dict_id is None and self._undictionaried[site] >= DICT_MIN_PAGES:
            self._undictionaried[site] = 0  # counted again before the next try
            dict_id = self.train_dictionary(site)
        dictionary = self.dictionary(dict_id) if dict_id is not None else None
        if dict_id is None or dictionary is None:
            return "zstd", None
        return f"{ZSTD_DICT_PREFIX}{dict_id}", dictionary

    @retry_locked
    def train_dictionary(self, site: str, *, min_pages: int = DICT_MIN_PAGES) -> int | None:
        """Make a site's dictionary from its newest stored bodies (None: fewer than
        min_pages, or it has one already). Dictionaries are never changed nor deleted."""
        # the site's URLs as ranges of the final_url index: "http://site/" <= url < "http://site0"
        prefixes = [
            f"{scheme}://{host}" for scheme in ("http", "https") for host in (site, f"www.{site}")
        ]
        where = " OR ".join("(final_url >= ? AND final_url < ?)" for _ in prefixes)
        params = [bound for p in prefixes for bound in (f"{p}/", f"{p}0")]
        with self._archive.write() as conn:
            row = conn.execute(
                "SELECT max(id) FROM zstd_dictionaries WHERE site = ?", (site,)
            ).fetchone()
            if row[0] is not None:
                self._site_dictionary[site] = int(row[0])
                return int(row[0])
            # ids first (the sort must not carry the bodies), then the newest bodies
            ids = conn.execute(
                f"""SELECT id, final_url FROM pages
                    WHERE ({where}) AND body IS NOT NULL AND status < 300 AND kind = 'article'
                    ORDER BY id DESC LIMIT {DICT_SAMPLE_PAGES * 4}""",
                params,
            ).fetchall()
            bodies: list[bytes] = []
            for page_id, url in ids:
                if body_site(url) != site or len(bodies) >= DICT_SAMPLE_PAGES:
                    continue  # e.g. http://site:80/ is site, not site:80
                blob, compression = conn.execute(
                    "SELECT body, compression FROM pages WHERE id = ?", (page_id,)
                ).fetchone()
                try:
                    bodies.append(self.read(blob, compression))
                except BodyError:
                    continue
            if len(bodies) < min_pages:
                return None
            data = make_dictionary(bodies[::-1])
            cur = conn.execute(
                """INSERT INTO zstd_dictionaries (site, created_at, pages, data, sha256)
                   VALUES (?, ?, ?, ?, ?)""",
                (
                    site,
                    utc_now(),
                    len(bodies),
                    compress(data),
                    body_sha256(data),
                ),
            )
            dict_id = int(cur.lastrowid or 0)
        self._dictionaries[dict_id] = data
        self._site_dictionary[site] = dict_id
        logger.info("zstd dictionary %d for %s from %d pages", dict_id, site, len(bodies))
        return dict_id
