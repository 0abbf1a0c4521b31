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
    # a number moves to the next line whole, not '2,0' / '94人'
    ("参加者数 2,094人", 6, ["参加者数 ", "2,094人"]),
    ("参加者数 2,094人", 8, ["参加者数 2,094", "人"]),
    ("ごみ量 480g/人日", 6, ["ごみ量 ", "480g/人日"]),
    ("実績/計画: 55/66", 8, ["実績/計画: ", "55/66"]),
    ("事業数 25事業", 3.5, ["事業数", "25事業"]),  # no line starts with the space between
    ("目標: 12345678901234", 5, ["目標: ", "12345678", "901234"]),  # longer than a line: broken as before

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


def test_short_sections_share_a_page_under_their_headings():
    from dataclasses import replace

    from kpi.rules.model import Item
    items = tuple(Item(f"{g}-{n}", f"取組{g}-{n}", (f"推進項目{g}",), statuses=((2025, "実施中", None),), sort=10 * g + n)
                  for g in range(1, 4) for n in range(1, 4))  # three sections of three short rows
    d = build_deck(replace(plan(), items=items), PRESETS["abc"], as_of_fy=2025, today=TODAY)
    lists = [p for p in pages(d) if p.kind == "list"]
    assert len(lists) == 1 and lists[0].title == "取組の状況"
    assert [c.heading for c in lists[0].slide] == [f"推進項目{g}" for g in range(1, 4)]


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


# ------------------------------------------------------------------ issue 18: lists and charts
def test_a_long_section_continues_on_pages_that_fit_without_a_nearly_blank_last_one():
    from dataclasses import replace

    from kpi.outputs.pack.layout import LIST_BOTTOM, LIST_HEADER_H, LIST_TOP, list_rows, row_height
    from kpi.rules.model import Item
    words = "市民活動の拠点として、相談や交流の場を設け、団体の登録と情報の発信を進める。" * 3
    items = tuple(Item(str(n), f"取組{n}", ("基本目標1",), content=words, statuses=((2025, "実施中", words),), sort=n)
                  for n in range(1, 20))
    d = build_deck(replace(plan(), items=items), PRESETS["abc"], as_of_fy=2025, today=TODAY)
    lists = [p for p in pages(d) if p.kind == "list"]
    assert [p.title for p in lists][:2] == ["基本目標1　取組の状況", "基本目標1　取組の状況（続き）"]
    chunks = [c for p in lists for c in p.slide]
    assert [i for c in chunks for i in range(c.start, c.end)] == list(range(19))  # every item once, in order
    rows = list_rows(d.sections[0])
    room = LIST_BOTTOM - LIST_TOP - LIST_HEADER_H
    heights = [sum(row_height(r) for r in rows[c.start:c.end]) for c in chunks]
    assert all(h <= room for h in heights)
    assert heights[-1] >= room / 3, heights


def _chart_view(*years, final=None, baseline=None, unit="箇所"):
    """An indicator's chart series, as an item slide carries it."""
    from dataclasses import replace

    from test_pack_slides import ind

    from kpi.rules.model import Item
    i = replace(ind("まちづくりセンター数", *years, unit=unit), final_target=final, final_target_fy=2018 if final else None,
                baseline=baseline, baseline_fy=2014 if baseline else None)
    base = plan()
    data = replace(base, plan=replace(base.plan, start_fy=2015, end_fy=2018), items=(Item("1", "センター", indicators=(i,)),))
    return build_deck(data, PRESETS["abc"], as_of_fy=2018, today=TODAY).items[0].indicators[0].view


def _drawn(view, **kw):
    from kpi.outputs.pack.charts import VALUE_LABEL, indicator_figure
    fig = indicator_figure(view, width_in=kw.get("w", 6.5), height_in=kw.get("h", 2.9), as_of_fy=2018)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == VALUE_LABEL]
    return fig, ax, labels, [t.get_window_extent(r) for t in labels]


@pytest.mark.parametrize("years, final, baseline", [
    # the Niigata centres: 58 planned and the final target 58 on the same line ("58 B" was struck through)
    (((2015, 42, 43), (2016, 50, 48), (2017, 58, 54), (2018, 66, 55)), 58, 37),
    # actuals at the final target and targets one above: labels stack, none on the line
    (((2015, 59, 58), (2016, 60, 58), (2017, 58, 58), (2018, 58, 57)), 58, 57),
    # ten years of four-digit values in a narrow chart
    (tuple((fy, 1000 + 10 * i, 1005 + 10 * i) for i, fy in enumerate(range(2009, 2019))), 1090, 1000),
])
def test_chart_labels_clear_the_lines_and_each_other(years, final, baseline):
    fig, ax, labels, boxes = _drawn(_chart_view(*years, final=final, baseline=baseline), w=6.0)
    assert len(labels) == 2 * len(years)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    for line in ax.lines:  # the baseline and final target lines are horizontal
        ys = set(line.get_ydata())
        if len(ys) == 1:
            y = ax.transData.transform((0, ys.pop()))[1]
            for t, b in zip(labels, boxes):
                assert not (b.y0 <= y <= b.y1), (t.get_text(), y, b)
    # 基準値 and 最終目標 are named in the legend, not written over the bars.
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "基準値 " + format(baseline, ",") + "（平成26年度）" in legend
    assert "最終目標 " + format(final, ",") + "（平成30年度）" in legend
    assert not [t for t in ax.texts if t.get_gid() != "value"]


def test_a_count_chart_has_whole_number_ticks():
    fig, ax, _labels, _b = _drawn(_chart_view((2015, 2, 1), (2016, 2, 3), (2017, 3, 2), unit="件"))
    ticks = [v for v in ax.get_yticks() if ax.get_ylim()[0] <= v <= ax.get_ylim()[1]]
    assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks), ticks


def test_no_text_is_printed_twice_on_an_items_pages():
    import io
    from dataclasses import replace

    from pptx import Presentation
    from test_pack_files import slide_texts
    from test_pack_slides import ind

    from kpi.outputs.pack import pack_file
    from kpi.rules.model import Item
    base = plan()
    inds = (ind("参加者数", (2025, 100, 50)), ind("登録数", (2025, 100, 90)), replace(ind("満足度", unit="%"), final_target=80),
            replace(ind("協定数"), final_target=5))
    data = replace(base, items=(Item("1", "指標の多い取組", ("基本目標1",), indicators=inds),))
    d = build_deck(data, PRESETS["abc"], as_of_fy=2025, today=TODAY)
    prs = Presentation(io.BytesIO(pack_file(d, "pptx").data))
    texts = [slide_texts(s) for s in prs.slides]
    main = next(t for t in texts if t[0] == "No.1　指標の多い取組")
    reason = d.items[0].auto_reason
    assert sum(t.count(reason) for t in main) == 1  # in orange among the causes, not again as 自動評価の根拠
    more = next(t for t in texts if t[0].endswith("（指標 続き）"))
    assert sum(t.count("最終目標 80（") for t in more) == 1
    assert sum(t.count("最終目標 5（") for t in more) == 1
    # Indicators without yearly values get no chart frame: the 続き page has no picture at all.
    assert not [shp for shp in prs.slides[texts.index(more)].shapes if shp.shape_type == 13]
    assert not any("グラフにする年度の値がありません" in t for page in texts for t in page)
