"""Same output? A per-page digest of extract_article over the corpus, and the diff of two digests.

    uv run python bench/extraction_digest.py write BEFORE.jsonl [--pages N]   # on the old code
    ... change the code ...
    uv run python bench/extraction_digest.py write AFTER.jsonl [--pages N]
    uv run python bench/extraction_digest.py diff BEFORE.jsonl AFTER.jsonl

For speed work that must not change what is extracted: each line holds a page (folder/file)
and a sha1 of each part of `Extraction.to_dict()` (all, outcome, article, links, evidence),
the `extractor` string left out. `diff` prints how many pages differ in each part and names
the first ones; it exits 1 when any page differs. Extraction is deterministic (the same code
gives the same digest run after run), so any difference is the change's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

from newsarchive.extract.article import extract_article
from newsarchive_testing import corpus

PARTS = ("all", "outcome", "article", "links", "evidence")
SHOWN = 15


def _sha(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def write(out: Path, pages: int) -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    chosen = corpus.load()
    if pages:
        chosen = chosen[:pages]
    with out.open("w") as fh:
        for page in chosen:
            got = extract_article(page.body(), url=page.url, fetched_at=page.fetched_at).to_dict()
            got.pop("extractor", None)
            name = f"{page.folder}/{page.file}"
            row = {"page": name, "outcome": got["outcome"], "all": _sha(got)}
            row |= {part: _sha(got.get(part)) for part in ("article", "links", "evidence")}
            fh.write(json.dumps(row) + "\n")
    print(f"{len(chosen)} pages written to {out}")


def _read(path: Path) -> dict[str, dict[str, str]]:
    rows = (json.loads(line) for line in path.read_text().splitlines() if line)
    return {row["page"]: row for row in rows}


def diff(before: Path, after: Path) -> int:
    old, new = _read(before), _read(after)
    common = [page for page in old if page in new]
    differing = {part: [p for p in common if old[p][part] != new[p][part]] for part in PARTS}
    print(f"{len(old)} vs {len(new)} pages, {len(common)} in both; differing per part:")
    print("  " + ", ".join(f"{part} {len(pages)}" for part, pages in differing.items()))
    for page in differing["all"][:SHOWN]:
        parts = [part for part in PARTS[1:] if old[page][part] != new[page][part]]
        print(f"  {page}: {', '.join(parts)}")
    return 1 if differing["all"] or len(common) != len(old) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write the digest of every corpus page")
    w.add_argument("out", type=Path)
    w.add_argument("--pages", type=int, default=0, help="first N corpus pages (0: all)")
    d = sub.add_parser("diff", help="compare two digests (exit 1 when a page differs)")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "write":
        write(args.out, args.pages)
    else:
        sys.exit(diff(args.before, args.after))


if __name__ == "__main__":
    main()
