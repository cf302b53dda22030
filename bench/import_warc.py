"""import-warc speed: pages/s of `newsarchive import-warc` vs a plain warcio +
trafilatura.extract loop over the same WARC, in the same run; and the reading side alone
(warcio vs fastwarc).

    uv run python bench/import_warc.py [--pages 1000]
    uv run --with fastwarc python bench/import_warc.py      # also time fastwarc's reader

Builds one gzip-per-record WARC of the synthetic site of newsarchive_testing.sitegen (each page as a
request + response record, plus a non-HTML response every tenth page, as in CC-NEWS), then:
1. the plain loop: warcio's ArchiveIterator, HTML responses decoded and passed to
   trafilatura.extract (with metadata) in this process, one core, storing nothing;
2. the real CLI, `newsarchive import-warc` (all cores, stores everything in a fresh archive);
3. reading alone: every record's payload read with warcio, then with fastwarc if installed.
Goal (issue 15): import-warc >= 1.8x the plain loop on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive_testing import sitegen
from newsarchive_testing.proc_cpu import CpuSampler, load_average, wait_measured

BASE = "https://www.giornale-di-prova.it"
# what each process imports before its first page (start-up: a floor under every run)
START_UP = {
    "main": "import newsarchive.cli, newsarchive.cli_warc, newsarchive.warc.import_",
    "plain": "import warcio.archiveiterator, trafilatura",
    "fork server": "import newsarchive.extract.article",
}
WARC_DATE = "2024-11-25T10:00:00Z"


def build(path: Path, pages: int) -> int:
    """A WARC of the synthetic site; returns the number of HTML responses in it."""
    site = sitegen.generate_site(pages)
    html = [(p, body) for p, body in site.files.items() if p.endswith(".html")]
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench"}))
        for n, (p, body) in enumerate(html):
            url = BASE + p
            request = StatusAndHeaders(
                f"GET {p} HTTP/1.1", [("Host", BASE[8:])], is_http_request=True
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "request", http_headers=request, warc_headers_dict={"WARC-Date": WARC_DATE}
                )
            )
            http = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": WARC_DATE},
                )
            )
            if n % 10 == 0:
                blob = os.urandom(20_000)
                image = StatusAndHeaders(
                    "200 OK",
                    [("Content-Type", "image/jpeg"), ("Content-Length", str(len(blob)))],
                    protocol="HTTP/1.1",
                )
                writer.write_record(
                    writer.create_warc_record(
                        f"{BASE}/img/{n}.jpg",
                        "response",
                        payload=io.BytesIO(blob),
                        length=len(blob),
                        http_headers=image,
                        warc_headers_dict={"WARC-Date": WARC_DATE},
                    )
                )
    return len(html)


def plain_loop(path: Path) -> int:
    """What a short script would do: warcio + trafilatura.extract, one process."""
    import trafilatura

    done = 0
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if "html" not in (record.http_headers.get_header("Content-Type") or ""):
                continue
            body = record.content_stream().read()
            url = record.rec_headers.get_header("WARC-Target-URI")
            trafilatura.extract(body, url=url, with_metadata=True, output_format="json")
            done += 1
    return done


def read_warcio(path: Path) -> int:
    """Every record's payload, read with warcio."""
    n = 0
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            record.content_stream().read()
            n += 1
    return n


def read_fastwarc(path: Path) -> int | None:
    """Every record's payload, read with fastwarc (None when it is not installed)."""
    try:
        from fastwarc import ArchiveIterator as FastIterator
    except ImportError:
        return None
    n = 0
    # fastwarc 2: the iterator detects gzip itself; the payload is read from record.reader
    for record in FastIterator(str(path), parse_http=True, fsspec_args=False):
        record.reader.read()
        n += 1
    return n


def extraction_cpu(path: Path) -> float:
    """CPU ms per page of extract_page alone, in this process, over the WARC's HTML pages."""
    from datetime import datetime

    from newsarchive.extract.article import extract_page

    fetched_at = datetime.fromisoformat(WARC_DATE.replace("Z", "+00:00"))
    cpu, pages = 0.0, 0
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            headers = dict(record.http_headers.headers)
            if "html" not in headers.get("Content-Type", ""):
                continue
            body = record.content_stream().read()
            url = record.rec_headers.get_header("WARC-Target-URI")
            start = time.process_time()
            extract_page(body, url=url, status=200, fetched_at=fetched_at, headers=headers)
            cpu += time.process_time() - start
            pages += 1
    return 1000 * cpu / pages


def timed(func, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - start


def timed_cpu(func, *args):  # type: ignore[no-untyped-def]
    """func's result, wall seconds and CPU seconds (this process)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return result, time.perf_counter() - start, time.process_time() - cpu


def run_import(cmd: list[str]) -> tuple[str, float, float, dict[str, float]]:
    """Run the import CLI: (stdout, wall s, CPU s of the main process, CPU s of its
    descendants by kind: fork server, workers, resource tracker), read from /proc (the fork
    server's workers are not the main process's children: os.wait4 would not count them)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        sampler = CpuSampler(proc.pid).start()
        try:
            status, _, own = wait_measured(proc.pid)
        finally:
            sampler.stop()
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{cmd} exited with {os.waitstatus_to_exitcode(status)}")
        out.seek(0)
        return out.read().decode(), wall, own, sampler.by_kind()


def start_up_cpu(code: str) -> float:
    """CPU seconds of a bare interpreter running code (imports: a floor under every run)."""
    usage = []
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", code])
        _, _, ru = os.wait4(proc.pid, 0)
        usage.append(ru.ru_utime + ru.ru_stime)
    return min(usage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="when PYTHONDONTWRITEBYTECODE is set, leave it: every process compiles its imports",
    )
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if os.environ.get("PYTHONDONTWRITEBYTECODE") and not args.no_bytecode_cache:
            # as an install has its .pyc files: for both contenders alike (this process runs
            # the plain loop, the CLI inherits the environment), warmed by the start-up runs
            os.environ.pop("PYTHONDONTWRITEBYTECODE")
            os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix = str(Path(tmp) / "pycache")
            sys.dont_write_bytecode = False
            print("note: PYTHONDONTWRITEBYTECODE is set: bytecode cached in a temp dir instead")
        start_up = {name: start_up_cpu(code) for name, code in START_UP.items()}
        warc = Path(tmp) / "bench.warc.gz"
        html = build(warc, args.pages)
        size = warc.stat().st_size
        print(
            f"cores: {os.cpu_count()}, HTML pages: {html}, WARC: {size / 1e6:.1f} MB; "
            f"load average {load_average()}"
        )
        done, wall, cpu = timed_cpu(plain_loop, warc)
        plain_name = "warcio + trafilatura.extract (1 process)"
        results[plain_name] = {"pages_per_s": done / wall, "cpu_ms_per_page": 1000 * cpu / done}
        db = Path(tmp) / "archive.db"
        cmd = [sys.executable, "-m", "newsarchive", "import-warc", str(warc), "--db", str(db)]
        stdout, wall, main_cpu, children = run_import([*cmd, "--silent"])
        workers_cpu = children.get("worker", 0.0)
        server_cpu = children.get("fork server", 0.0)
        other_cpu = sum(v for k, v in children.items() if k not in ("worker", "fork server"))
        all_cpu = main_cpu + sum(children.values())
        stored = int(stdout.split("pages stored:")[1].split()[0])
        assert stored == html, stdout
        ours_name = "newsarchive import-warc (all cores, stored)"
        results[ours_name] = {
            "pages_per_s": stored / wall,
            "cpu_ms_per_page": 1000 * all_cpu / stored,
        }
        records, wall = timed(read_warcio, warc)
        results["read only: warcio"] = {
            "records_per_s": records / wall,
            "MB_per_s": size / 1e6 / wall,
        }
        fast, wall = timed(read_fastwarc, warc)
        if fast is not None:
            results["read only: fastwarc"] = {
                "records_per_s": fast / wall,
                "MB_per_s": size / 1e6 / wall,
            }
        else:
            print("fastwarc not installed: run with `uv run --with fastwarc` to time it")
        extract_ms = extraction_cpu(warc)
    for name, r in results.items():
        print(f"{name:46} " + "  ".join(f"{k} {v:8.1f}" for k, v in r.items()))
    plain = results[plain_name]["pages_per_s"]
    ours = results[ours_name]["pages_per_s"]
    print(
        f"import-warc vs plain loop: {ours / plain:.2f}x (goal >= 1.8x on 2 cores); "
        f"load average {load_average()} (pages/s depends on it, CPU ms/page hardly)"
    )
    main_up = 1000 * start_up["main"] / stored
    plain_up = 1000 * start_up["plain"] / done
    breakdown = [
        ("import-warc, all processes", 1000 * all_cpu / stored),
        ("  main process", 1000 * main_cpu / stored),
        ("    start-up (imports)", main_up),
        ("    per page: read WARC, store", 1000 * main_cpu / stored - main_up),
        ("  fork server (imports, warms the extraction stack)", 1000 * server_cpu / stored),
        ("  extraction workers", 1000 * workers_cpu / stored),
        ("    extract_page (in-process figure)", extract_ms),
        ("    rest: IPC, pickling, contention", 1000 * workers_cpu / stored - extract_ms),
        ("  other (resource tracker)", 1000 * other_cpu / stored),
        ("plain loop, one process", results[plain_name]["cpu_ms_per_page"]),
        ("  start-up (imports, not in the figure above)", plain_up),
    ]
    print(f"\nCPU ms per page, where it goes ({stored} pages; workers sampled from /proc)")
    for name, ms in breakdown:
        print(f"{name:50} {ms:8.2f}")
    results["cpu_breakdown_ms_per_page"] = {name.strip(): ms for name, ms in breakdown}
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "import_warc.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
