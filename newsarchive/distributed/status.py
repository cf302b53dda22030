"""The shared frontier at a glance (`newsarchive stats --redis`): read-only Redis counters."""

from __future__ import annotations

from typing import Any


def queue_status(server: Any, prefix: str) -> dict[str, Any]:
    """The shared frontier at a glance, for `newsarchive stats --redis`: per job queued,
    leased, done and given up, workers holding leases, and per host (all jobs)."""
    parts = ("queued", "leased", "done", "failed")
    jobs: dict[str, dict[str, int]] = {}
    hosts: dict[str, dict[str, int]] = {}
    workers: set[str] = set()
    for key in sorted(server.scan_iter(match=f"{prefix}:q:*:seq", count=1000)):
        job_key = key.decode().removesuffix(":seq")
        pipe = server.pipeline(transaction=False)
        pipe.zcard(f"{job_key}:queue")
        pipe.zcard(f"{job_key}:leased")
        pipe.get(f"{job_key}:done")
        pipe.zcard(f"{job_key}:failed")
        pipe.hvals(f"{job_key}:owner")
        for part in parts:
            pipe.hgetall(f"{job_key}:host:{part}")
        queued, leased, done, failed, owners, *per_host = pipe.execute()
        jobs[job_key.removeprefix(f"{prefix}:q:")] = {
            "queued": int(queued),
            "leased": int(leased),
            "done": int(done or 0),
            "failed": int(failed),
        }
        workers.update(o.decode() for o in owners)
        for part, raw in zip(parts, per_host, strict=True):
            for host, n in raw.items():
                counts = hosts.setdefault(host.decode(), dict.fromkeys(parts, 0))
                counts[part] += int(n)
    totals = {part: sum(j[part] for j in jobs.values()) for part in parts}
    return {
        **totals,
        "jobs": jobs,
        "workers": sorted(workers),
        "hosts": dict(sorted(hosts.items(), key=lambda kv: -sum(kv[1].values()))),
    }
