"""Pure helpers of the reading room: the paragraph/word diff and the per-day charts."""

from __future__ import annotations

from newsarchive.serve.charts import fill_days, svg_bars, text_bars
from newsarchive.serve.textdiff import (
    ADDED,
    CHANGED,
    REMOVED,
    SAME,
    diff_lines,
    paragraph_diff,
    trim_same,
    word_diff,
)

OLD = "Primo paragrafo resta.\nSecondo: uomini e munizioni.\nTerzo da togliere del tutto."
NEW = "Primo paragrafo resta.\nSecondo: soldati e munizioni.\nQuarto tutto nuovo, mai visto."


def test_paragraph_diff_tags():
    assert [c.tag for c in paragraph_diff(OLD, NEW)] == [SAME, CHANGED, REMOVED, ADDED]


def test_changed_paragraph_has_its_word_diff():
    changed = paragraph_diff(OLD, NEW)[1]
    assert changed.words == [
        (SAME, "Secondo:"),
        (REMOVED, "uomini"),
        (ADDED, "soldati"),
        (SAME, "e munizioni."),
    ]


def test_identical_texts_have_no_change():
    assert {c.tag for c in paragraph_diff(OLD, OLD)} == {SAME}


def test_diff_lines():
    assert diff_lines(paragraph_diff(OLD, NEW)) == [
        "~ Secondo: [-uomini-]{+soldati+} e munizioni.",
        "- Terzo da togliere del tutto.",
        "+ Quarto tutto nuovo, mai visto.",
    ]


def test_trim_same_keeps_context_around_a_change():
    words = [f"w{i}" for i in range(100)]
    pieces = trim_same(word_diff(" ".join(words), " ".join(words).replace("w50", "X")), keep=2)
    assert pieces == [(SAME, "… w48 w49"), (REMOVED, "w50"), (ADDED, "X"), (SAME, "w51 w52 …")]


def test_fill_days_adds_empty_days_and_caps_the_span():
    assert fill_days([("2024-11-21", 3), ("2024-11-19", 1)], days=60) == [
        ("2024-11-19", 1),
        ("2024-11-20", 0),
        ("2024-11-21", 3),
    ]
    assert fill_days([("2020-01-01", 5), ("2024-11-21", 3)], days=2) == [
        ("2024-11-20", 0),
        ("2024-11-21", 3),
    ]


def test_text_bars_scale_to_the_largest():
    lines = text_bars([("2024-11-19", 1), ("2024-11-20", 0), ("2024-11-21", 4)], width=8)
    assert lines == ["2024-11-19  ██ 1", "2024-11-20   0", "2024-11-21  ████████ 4"]


def test_svg_bars_one_rect_per_day_no_script():
    svg = svg_bars([("2024-11-19", 1), ("2024-11-20", 2)])
    assert svg.count('class="bar"') == 2 and "<script" not in svg and "2024-11-20: 2" in svg
