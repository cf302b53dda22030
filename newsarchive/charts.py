"""Articles per day as a terminal bar chart and as a small SVG. Pure."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

BAR_WIDTH = 40
SVG_WIDTH, SVG_HEIGHT = 640, 160
SVG_MARGIN = 24


def fill_days(counts: list[tuple[str, int]], *, days: int) -> list[tuple[str, int]]:
    """(day, count) for every calendar day of the last `days` days up to the latest counted
    day, oldest first, 0 where nothing was counted; labels that are not days are dropped."""
    known: dict[date, int] = {}
    for label, n in counts:
        try:
            known[date.fromisoformat(label[:10])] = known.get(date.fromisoformat(label[:10]), 0) + n
        except ValueError:
            continue
    if not known:
        return []
    last = max(known)
    first = max(min(known), last - timedelta(days=days - 1))
    span = (last - first).days + 1
    return [
        ((first + timedelta(i)).isoformat(), known.get(first + timedelta(i), 0))
        for i in range(span)
    ]


def text_bars(counts: list[tuple[str, int]], *, width: int = BAR_WIDTH) -> list[str]:
    """One line per (label, count): the label, a bar scaled to the largest count, the count."""
    if not counts:
        return []
    top = max(n for _, n in counts) or 1
    label_width = max(len(label) for label, _ in counts)
    lines = []
    for label, n in counts:
        bar = "█" * max(1 if n else 0, round(n * width / top))
        lines.append(f"{label:<{label_width}}  {bar} {n}")
    return lines


def svg_bars(counts: list[tuple[str, int]], *, title: str = "Articles per day") -> str:
    """A bar chart of (day, count) as an inline SVG, no script; day and count in each title."""
    inner_w, inner_h = SVG_WIDTH - 2 * SVG_MARGIN, SVG_HEIGHT - 2 * SVG_MARGIN
    top = max((n for _, n in counts), default=0) or 1
    step = inner_w / max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="newsarchive-chart" role="img"'
        f' width="{SVG_WIDTH}" height="{SVG_HEIGHT}" viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{SVG_MARGIN}" y="14" font-size="12">{escape(title)} (max {top})</text>',
    ]
    for i, (day, n) in enumerate(counts):
        h = n / top * inner_h
        x = SVG_MARGIN + i * step
        y = SVG_MARGIN + inner_h - h
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}"'
            f' height="{h:.1f}" fill="#3b6ea5"><title>{escape(day)}: {n}</title></rect>'
        )
    if counts:
        base = SVG_HEIGHT - 6
        parts.append(
            f'<text x="{SVG_MARGIN}" y="{base}" font-size="11">{escape(counts[0][0])}</text>'
        )
        parts.append(
            f'<text x="{SVG_WIDTH - SVG_MARGIN}" y="{base}" font-size="11" text-anchor="end">'
            f"{escape(counts[-1][0])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
