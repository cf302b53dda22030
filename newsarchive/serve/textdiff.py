"""The one diff of two article texts: by paragraph, then by word inside an edited paragraph.

Pure (imports nothing of newsarchive): used by the reading room's article page, by
`newsarchive show` and by `newsarchive history`. Words are marked as `git diff --word-diff`
does: [-removed-]{+added+}.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"
# two paragraphs this similar (0..1) are one paragraph edited, not one removed and one added
EDIT_RATIO = 0.5
# unchanged words kept either side of a change by trim_same
CONTEXT_WORDS = 12


@dataclass(frozen=True)
class ParagraphChange:
    """One paragraph of the diff: kept, added, removed, or changed (with its word diff)."""

    tag: str
    old: str = ""
    new: str = ""
    # for CHANGED: (tag, text) pieces with tag SAME, ADDED or REMOVED, in reading order
    words: list[tuple[str, str]] = field(default_factory=list)


def paragraphs(text: str | None) -> list[str]:
    """The non-empty paragraphs of a text (one per line), whitespace-normalized."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(tag, text) pieces turning old into new, word by word."""
    a, b = old.split(), new.split()
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append((SAME, " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append((REMOVED, " ".join(a[i1:i2])))
        if j2 > j1:
            pieces.append((ADDED, " ".join(b[j1:j2])))
    return pieces


def trim_same(pieces: list[tuple[str, str]], *, keep: int = CONTEXT_WORDS) -> list[tuple[str, str]]:
    """The word diff with long unchanged runs cut to `keep` words either side of a change."""
    result = []
    for i, (tag, text) in enumerate(pieces):
        words = text.split()
        if tag != SAME or len(words) <= 2 * keep + 1:
            result.append((tag, text))
            continue
        head = words[:keep] if i > 0 else []
        tail = words[-keep:] if i < len(pieces) - 1 else []
        result.append((SAME, " ".join([*head, "…", *tail])))
    return result


def paragraph_diff(old: str | None, new: str | None) -> list[ParagraphChange]:
    """The paragraphs of new against old: kept, added, removed, or edited (word diff)."""
    a, b = paragraphs(old), paragraphs(new)
    result: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            result.extend(ParagraphChange(SAME, p, p) for p in a[i1:i2])
            continue
        olds, news = a[i1:i2], b[j1:j2]
        # pair edited paragraphs in order while they stay similar; the rest are removed/added
        while olds and news:
            ratio = difflib.SequenceMatcher(None, olds[0].split(), news[0].split()).ratio()
            if ratio < EDIT_RATIO:
                break
            result.append(
                ParagraphChange(CHANGED, olds[0], news[0], word_diff(olds.pop(0), news.pop(0)))
            )
        result.extend(ParagraphChange(REMOVED, old=p) for p in olds)
        result.extend(ParagraphChange(ADDED, new=p) for p in news)
    return result


def marked(pieces: list[tuple[str, str]]) -> str:
    """Word pieces as one line: [-removed-]{+added+}, a removal and its replacement adjacent."""
    out: list[str] = []
    for tag, text in pieces:
        if tag == REMOVED:
            out.append(f"[-{text}-]")
        elif tag == ADDED and out and out[-1].endswith("-]"):
            out[-1] += f"{{+{text}+}}"
        elif tag == ADDED:
            out.append(f"{{+{text}+}}")
        else:
            out.append(text)
    return " ".join(out)


def diff_lines(
    changes: list[ParagraphChange], *, context: bool = False, trim: bool = False
) -> list[str]:
    """The diff as text lines: "- " removed, "+ " added, "~ " edited ([-old-]{+new+});
    with trim, long unchanged runs inside an edited paragraph are cut (trim_same)."""
    lines: list[str] = []
    for change in changes:
        if change.tag == SAME:
            if context:
                lines.append("  " + change.new)
        elif change.tag == REMOVED:
            lines.append("- " + change.old)
        elif change.tag == ADDED:
            lines.append("+ " + change.new)
        else:
            lines.append("~ " + marked(trim_same(change.words) if trim else change.words))
    return lines


def text_diff(before: str | None, after: str | None) -> list[str]:
    """The change between two texts with paragraph numbers: `- ¶n old` for a paragraph
    removed, `+ ¶n new` for one added, `~ ¶n ...` with word marks for one edited (n counts
    the paragraphs of `after`, or of `before` for a removal). Equal paragraphs are not shown.

    A text stored on one line (versions written before paragraphs were kept) is compared
    word by word as a whole."""
    old, new = paragraphs(before), paragraphs(after)
    if (len(old) == 1) != (len(new) == 1):
        before, after = " ".join(old), " ".join(new)
    lines: list[str] = []
    i = j = 0  # paragraphs of before and after passed so far
    for change in paragraph_diff(before, after):
        if change.tag == REMOVED:
            i += 1
            lines.append(f"- ¶{i} {change.old}")
            continue
        j += 1
        if change.tag == ADDED:
            lines.append(f"+ ¶{j} {change.new}")
        elif change.tag == CHANGED:
            i += 1
            lines.append(f"~ ¶{j} {marked(change.words)}")
        else:
            i += 1
    return lines
