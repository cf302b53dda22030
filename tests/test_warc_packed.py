"""import-warc: the extraction workers compress the bodies (issue 15, speed); the store checks
each blob reads back as the body before it writes it, and compresses the body itself otherwise."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
from test_compression import FETCHED_AT, body, raw
from test_warc_import import response
from warcio.warcwriter import WARCWriter

from newsarchive.store import bodies
from newsarchive.store import pages as store_pages
from newsarchive.store.archive import Archive
from newsarchive.store.bodies import Codec, Packed, pack
from newsarchive.warc import import_ as warc_import
from newsarchive.warc.sources import Filters

SITE = "https://www.giornale.it"
PAGES = 3 * warc_import.WINDOW_PER_WORKER


@pytest.fixture
def main_compressions(monkeypatch) -> list[bytes]:
    """The bodies the store compresses itself (in this process), in order; a fresh
    in-process cache of the dictionaries sent to "workers"."""
    seen: list[bytes] = []
    real = store_pages.compress

    def counting(data: bytes, dictionary: bytes | None = None) -> bytes:
        seen.append(data)
        return real(data, dictionary)

    monkeypatch.setattr(store_pages, "compress", counting)
    monkeypatch.setattr(bodies, "_PACKING", OrderedDict())
    return seen


def one_site_warc(path: Path) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(PAGES):
            response(writer, f"{SITE}/cronaca/{n}.html", body(n))
    return path


def stored_bodies(archive: Archive) -> tuple[list[bool], set[str]]:
    """Whether each page's body reads back as imported; the compressions used."""
    rows = archive.db.conn.execute(
        "SELECT id, final_url, compression FROM pages ORDER BY id"
    ).fetchall()
    same = []
    for page_id, url, _ in rows:
        page = archive.pages.get(page_id)
        same.append(page is not None and page.body == body(int(url.rsplit("/", 1)[1][:-5])))
    return same, {str(r[2]) for r in rows}


def test_workers_compress_the_bodies_the_store_writes(tmp_path, main_compressions):
    """With workers, the main process compresses no body: plain zstd before the site has a
    dictionary, then with it (its bytes sent to the worker), every body reads back."""
    warc = one_site_warc(tmp_path / "site.warc.gz")
    with Archive(tmp_path / "archive.db") as archive:
        summary = warc_import.import_warcs(archive, [str(warc)], filters=Filters(), jobs=1)
        same, compressions = stored_bodies(archive)
    assert (summary.stored, same, main_compressions) == (PAGES, [True] * PAGES, [])
    assert {"zstd", "zstd:dict:1"} <= compressions


def test_a_worker_without_the_dictionary_leaves_the_body_to_the_store(
    tmp_path, monkeypatch, main_compressions
):
    """A worker that does not hold the dictionary (never sent, or dropped) returns no blob:
    the store compresses those bodies itself, every body reads back, and a dictionary no
    worker keeps is not sent again and again."""
    monkeypatch.setattr(bodies, "PACKED_DICTIONARIES", 0)  # a worker keeps none
    sent: list[int] = []  # tasks that carried the dictionary's bytes
    real_pack = bodies.pack

    def counting_pack(data: bytes, codec: Codec) -> Packed | None:
        sent.extend([1] if codec.dictionary is not None else [])
        return real_pack(data, codec)

    monkeypatch.setattr(bodies, "pack", counting_pack)
    warc = one_site_warc(tmp_path / "site.warc.gz")
    with Archive(tmp_path / "archive.db") as archive:
        summary = warc_import.import_warcs(archive, [str(warc)], filters=Filters(), jobs=0)
        same, compressions = stored_bodies(archive)
        with_dictionary = archive.db.conn.execute(
            "SELECT count(*) FROM pages WHERE compression = 'zstd:dict:1'"
        ).fetchone()[0]
    assert (summary.stored, same) == (PAGES, [True] * PAGES)
    assert with_dictionary > 0
    assert len(main_compressions) == with_dictionary
    # never used by a worker: sent with the first task only (one per worker, here in-process)
    assert len(sent) == 1


def test_pack_needs_the_dictionary_once_per_process(main_compressions):
    dictionary = body(1000) + body(1001)
    first = pack(body(1), Codec("zstd:dict:7", dictionary))
    again = pack(body(2), Codec("zstd:dict:7"))
    unknown = pack(body(3), Codec("zstd:dict:8"))
    assert first is not None and again is not None
    assert bodies.decompress(again.blob, again.compression, dictionary) == body(2)
    assert unknown is None


def test_the_store_writes_no_blob_that_does_not_read_back(tmp_path, main_compressions):
    """A packed blob of other bytes, or with a dictionary the archive does not have, is not
    written: the store compresses the page's body itself."""
    with Archive(tmp_path / "archive.db") as archive:
        wrong_bytes = Packed("zstd", bodies.compress(body(2)))
        missing_dictionary = pack(body(3), Codec("zstd:dict:99", body(1000)))
        assert missing_dictionary is not None
        ids = [
            archive.pages.record_fetch(
                raw(f"{SITE}/{n}.html", body(n)),
                None,
                outcome="article",
                error=None,
                crawl_id=None,
                extracted_at=FETCHED_AT,
                packed=packed,
            )
            for n, packed in ((1, wrong_bytes), (3, missing_dictionary))
        ]
        read = [p.body for i in ids if (p := archive.pages.get(i)) is not None]
    assert read == [body(1), body(3)]
    assert main_compressions == [body(1), body(3)]


def test_a_worker_keeps_few_compressors(main_compressions):
    """A compressor with a large dictionary takes tens of MB and a worker's memory is capped:
    a worker keeps the most recently used few; an older one is asked for again (a miss)."""
    kept = bodies.PACKED_DICTIONARIES
    for n in range(kept + 3):
        assert pack(body(n), Codec(f"zstd:dict:{n}", body(1000 + n))) is not None
    assert len(bodies._PACKING) == kept
    assert pack(body(1), Codec("zstd:dict:0")) is None
    assert pack(body(1), Codec(f"zstd:dict:{kept + 2}")) is not None
