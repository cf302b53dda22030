"""Before/after table of every quality figure of eval_extraction.py and eval_dates.py ("ours").

Run: uv run python bench/compare_quality.py BEFORE.json AFTER.json [BEFORE2.json AFTER2.json ...]

Reads the JSON files the evaluations write (--out) and prints, per summary row (all, per
language, per folder), each numeric figure of our side before and after, and whether it is at
least as good. Higher is better for every figure except `none`, `future`, `empty` (fewer is
better) and the timings (`ms_*`, informative only: the evaluations measure wall time).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LOWER_IS_BETTER = {"none", "future", "empty"}
INFORMATIVE = ("ms_", "wall")
COUNTS = {
    "text_pages",
    "shingle_pages",
    "snippet_pages",
    "snippets_present",
    "snippets_absent",
    "title_pages",
    "author_pages",
    "offset_pages",
    "minute_pages",
    "day_correct",
}


def figures(side: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """The numeric figures of one side of a summary row, nested keys joined with '.'."""
    out: dict[str, float] = {}
    for key, value in side.items():
        if isinstance(value, dict):
            out.update(figures(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = float(value)
    return out


def compare(before_path: Path, after_path: Path) -> int:
    """Print the table for one pair of files; return how many figures got worse."""
    before = json.loads(before_path.read_text())["summary"]
    after = json.loads(after_path.read_text())["summary"]
    worse = 0
    print(f"\n{before_path.name} -> {after_path.name}")
    print(f"{'row':<22}{'figure':<28}{'before':>10}{'after':>10}  ok")
    for row in before:
        if row not in after:
            continue
        old, new = figures(before[row]["ours"]), figures(after[row]["ours"])
        for name in old:
            if name not in new or name in COUNTS:
                continue
            if name.startswith(INFORMATIVE):
                verdict = "(time)"
            elif name.split(".")[-1] in LOWER_IS_BETTER:
                verdict = "yes" if new[name] <= old[name] + 1e-9 else "NO"
            else:
                verdict = "yes" if new[name] >= old[name] - 1e-9 else "NO"
            worse += verdict == "NO"
            if row == "all" or verdict == "NO" or new[name] != old[name]:
                print(f"{row:<22}{name:<28}{old[name]:>10.4f}{new[name]:>10.4f}  {verdict}")
    return worse


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths or len(paths) % 2:
        sys.exit("usage: compare_quality.py BEFORE.json AFTER.json [BEFORE2.json AFTER2.json]")
    worse = sum(compare(paths[i], paths[i + 1]) for i in range(0, len(paths), 2))
    print(f"\nfigures worse than before: {worse} (goal: 0)")


if __name__ == "__main__":
    main()
