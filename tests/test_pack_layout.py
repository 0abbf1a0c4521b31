"""Printed pages of the pack: text fitting and which pages a deck becomes (kpi.outputs.pack.layout)."""

from __future__ import annotations

import pytest
from test_pack_slides import OPINIONS, TODAY, plan

from kpi.outputs.pack.layout import CUT_MARK, LINE, PT_PER_IN, Para, clean, fit, pages, text_width, wrap
from kpi.outputs.pack.slides import build_deck
from kpi.rules.grading import PRESETS


@pytest.mark.parametrize("text, width, lines", [
    ("あいうえお", 5, ["あいうえお"]),
    ("あいうえおか", 5, ["あいうえお", "か"]),
    ("abcdefghij", 3, ["abcde", "fghij"]),  # half-width letters are 0.6 em
    ("あいうえ、お", 4, ["あいうえ、", "お"]),  # no line starts with 、
    ("一行目\n二行目", 10, ["一行目", "二行目"]),
    ("", 5, [""]),
])
def test_wrap(text, width, lines):
    assert wrap(text, width) == lines


def test_fit_picks_the_largest_size_that_fits():
    short = fit("見出し", 3.0, 0.5, (20, 14, 10))
    assert short.size == 20 and not short.cut
    # 60 characters in a 3 × 1.5 inch box: 7 lines at 20 pt are too many, 5 lines at 14 pt fit.
    long = fit("あ" * 60, 3.0, 1.5, (20, 14, 10))
    assert long.size == 14 and not long.cut
    assert len(wrap(long.text, 3.0 * PT_PER_IN * 0.92 / long.size)) * long.size * LINE <= 1.5 * PT_PER_IN


def test_fit_cuts_and_marks_what_cannot_fit():
    f = fit([Para("見出し", bold=True), Para("あ" * 2000)], 3.0, 1.0, (12, 10))
    assert f.cut and f.size == 10
    assert f.paras[0] == Para("見出し", bold=True)
    assert f.paras[-1].text.endswith(CUT_MARK)
    em = 3.0 * PT_PER_IN * 0.92 / 10
    assert sum(len(wrap(p.text, em)) for p in f.paras) * 10 * LINE <= 1.0 * PT_PER_IN
    assert all(text_width(line) <= em for p in f.paras for line in wrap(p.text, em))


def test_control_characters_from_sheets_are_dropped():
    assert clean("a\x0bb\x00c\r\nd\te") == "abc\nd e"


def test_pages_of_a_deck():
    d = build_deck(plan(), PRESETS["abc"], as_of_fy=2025, today=TODAY, opinions=OPINIONS)
    kinds = [(p.kind, getattr(p.slide, "item_no", "")) for p in pages(d)]
    assert kinds == [
        ("summary", ""),
        ("two_axis", ""),  # item 4 has a status: implementation × achievement
        ("list", ""),  # item 4, without a chart: a row of its section's table
        ("item", "1"),  # on target, no comments, no opinions: one page
        ("item", "2"), ("notes", "2"),  # lagging: reasons in full and two opinions
        ("item", "3"), ("notes", "3"),  # comments and the self-grade cause
    ]
    assert pages(d)[2].title == "基本目標2　取組の状況"


def test_many_indicators_and_a_long_lagging_list_continue_on_more_pages():
    from dataclasses import replace

    from test_pack_slides import ind

    from kpi.rules.model import Item
    base = plan()
    inds = tuple(ind(f"指標{i}", (2025, 100, 10)) for i in range(5))
    items = tuple(Item(str(n), f"取組{n}", indicators=inds, sort=n) for n in range(1, 21))
    d = build_deck(replace(base, items=items), PRESETS["abc"], as_of_fy=2025, today=TODAY,
                   sort="custom", pick=["1"])
    kinds = [(p.kind, p.part) for p in pages(d)]
    assert kinds[:3] == [("summary", (0, 6)), ("lagging", (6, 18)), ("lagging", (18, 20))]
    assert kinds[3:] == [("item", (0, 2)), ("indicators", (2, 4)), ("indicators", (4, 5)), ("notes", (0, 0))]
