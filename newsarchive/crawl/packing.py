"""Which site dictionaries go with the pages of a crawl or of import-warc to the extraction
workers, which compress the bodies they extract (store.bodies.pack; the main process, which
stores the pages one at a time, then only checks and writes the blobs).

A dictionary's bytes (up to 1 MB) go with SHIP_PER_WORKER tasks per worker after the store
first names it (a worker keeps the few it used last), and again when a worker
no longer had a dictionary that is in use. The pages of a dictionary used too rarely for that
(many sites, as in CC-NEWS) are compressed by the store instead: a worker would build a
compressor (some 10 ms for a 1 MB dictionary) only to drop it again.
"""

from __future__ import annotations

from collections import Counter

from newsarchive.store.bodies import Bodies, Codec, Packed, dictionary_id

SHIP_PER_WORKER = 2


class Packing:
    """The codec each page is sent with, and what the workers made of it."""

    def __init__(self, bodies: Bodies, workers: int) -> None:
        self.bodies = bodies
        self.ship_count = max(1, workers * SHIP_PER_WORKER)
        self._ships_left: dict[int, int] = {}  # tasks still to carry a dictionary's bytes
        # pages a worker compressed with each dictionary since its bytes were last sent
        self._packed_with: Counter[int] = Counter()

    def codec(self, url: str) -> Codec:
        """How a worker is to compress a body from url: as the store would now, with the
        dictionary's bytes while workers may not all have them."""
        compression = self.bodies.cached_codec(url)
        dict_id = dictionary_id(compression)
        if dict_id is None:
            return Codec(compression)
        left = self._ships_left.setdefault(dict_id, self.ship_count)
        if left <= 0:
            return Codec(compression)
        self._ships_left[dict_id] = left - 1
        return Codec(compression, self.bodies.dictionary(dict_id))

    def noted(self, codec: Codec | None, packed: Packed | None) -> None:
        """Note whether a worker had the dictionary a page was sent with; send it again when
        a worker lacked one that is in use."""
        dict_id = dictionary_id(codec.compression) if codec is not None else None
        if dict_id is None:
            return
        if packed is not None:
            self._packed_with[dict_id] += 1
        elif self._packed_with[dict_id] >= self.ship_count:
            self._packed_with[dict_id] = 0
            self._ships_left[dict_id] = self.ship_count
