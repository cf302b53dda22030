"""extract.prewarm: the workers' fork server builds the extraction stack's lazy caches once,
and a page's extraction is the same with them built beforehand or not."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# A worker's CPU for what the fork server warmed: htmldate's dateparser reading a string no
# locale reads (every locale's dictionary compiled: 1.4 s in a cold process) and jusText's
# stoplist (cached or not).
WORKER_WARMTH = """
import time
from newsarchive.crawl.workers import ExtractionPool

def warmth():
    from htmldate.extractors import get_external_parser
    from newsarchive.extract.justext_run import stoplist

    cached = stoplist.cache_info().currsize
    start = time.process_time()
    get_external_parser().get_date_data("qwzy 32 qwzy")
    return time.process_time() - start, cached

if __name__ == "__main__":
    started = ExtractionPool(1, memory_mb=0)
    print(*started.pool.schedule(warmth).result(timeout=120))
    started.close()
"""
# A cold dateparser takes over a second; a warmed one about 0.01 s.
WARM_PARSE_S = 0.3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server")
def test_workers_start_with_the_lazy_caches_built(tmp_path):
    script = tmp_path / "warmth.py"  # a file: the worker finds warmth() in its __main__
    script.write_text(WORKER_WARMTH)
    out = subprocess.run([sys.executable, script], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    seconds, cached = out.stdout.split()
    assert float(seconds) < WARM_PARSE_S
    assert int(cached) == 1


EXTRACT_FIXTURES = """
import json, sys
from datetime import datetime, timezone
if sys.argv[1] == "warm":
    import newsarchive.extract.prewarm
from newsarchive.extract.article import extract_article
from newsarchive_testing.fixture_trees import FIXTURES

fetched_at = datetime(2025, 1, 10, 12, tzinfo=timezone.utc)
rows = [
    extract_article(p.read_bytes(), url="https://www.example.it/a/b", fetched_at=fetched_at)
    for p in FIXTURES
]
print(json.dumps([r.to_dict() for r in rows], default=str))
"""


def test_extraction_is_the_same_after_prewarm(tmp_path):
    runs = [
        subprocess.run(
            [sys.executable, "-c", EXTRACT_FIXTURES, mode],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        for mode in ("cold", "warm")
    ]
    assert [r.returncode for r in runs] == [0, 0], [r.stderr[-2000:] for r in runs]
    cold, warm = (json.loads(r.stdout) for r in runs)
    assert len(cold) > 10 and cold == warm


def test_a_failing_warm_up_does_not_raise(monkeypatch, caplog):
    # the fork server imports extract.prewarm: an exception there would start no worker
    from newsarchive.extract import prewarm

    def broken() -> None:
        raise RuntimeError("no dateparser today")

    monkeypatch.setattr(prewarm, "get_external_parser", broken)
    prewarm.warm_quietly()
    assert "warm-up failed" in caplog.text
