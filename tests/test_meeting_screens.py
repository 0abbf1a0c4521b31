"""会議モード's screens (kpi.outputs.meeting) and where an indicator chart puts its labels and ticks
(kpi.views.chart_layout): what one projected screen holds, and nothing drawn over anything else."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from test_pack_slides import OPINIONS, RULE, TODAY, ind, plan

from kpi.outputs.meeting import item_screens, lines, meeting_slides, screen_lines
from kpi.outputs.opinions import Opinion
from kpi.rules.model import Evaluation, Item
from kpi.views.chart_layout import axis_top, label_inside, side_label_shifts, whole_step


def slides(data=None, **kw):
    return meeting_slides(data or plan(), RULE, as_of_fy=2025, today=TODAY, **kw)


def test_screens_of_a_meeting_follow_the_deck():
    m = slides(opinions=OPINIONS)
    assert [(s.kind, getattr(s.slide, "item_no", "")) for s in m.screens] == [
        ("summary", ""),
        ("two_axis", ""),  # item 4 reports a status
        ("item", "1"),  # on target, no comments, no opinions: one screen
        ("item", "2"), ("notes", "2"),  # its two opinions
        ("item", "3"), ("notes", "3"),  # the department's comment and an opinion
        ("item", "4"),  # no indicators: status and words on one screen
    ]
    notes2 = m.screens[4]
    assert notes2.title == "No.2　遅れている取組（所見・委員意見）"
    assert [op.meeting for op in notes2.opinions] == ["令和7年度第1回", "令和7年度第2回"]
    assert m.two_axis is not None and m.two_axis.total == 4
    assert {a.label: a.count for a in m.two_axis.status}["実施中"] == 1  # the step in the sheet's own word


def test_a_plan_without_statuses_has_no_two_axis_screen():
    data = plan()
    data = replace(data, items=tuple(replace(it, statuses=()) for it in data.items))
    m = slides(data)
    assert m.two_axis is None and "two_axis" not in [s.kind for s in m.screens]


LONG = "\n".join(f"・{'地域の声を聞きながら整備を進めていく。' * 3}" for _ in range(14))  # ~40 lines at 42 em


def _long_item():
    inds = (ind("参加者数", (2024, 100, 90), (2025, 100, 120)), ind("講座数", (2024, 10, 9), (2025, 10, 8)),
            ind("協定数", (2026, None, None)))
    return Item("9", "長い取組", ("基本目標1",), indicators=inds,
                evaluations=(Evaluation(2025, "年度", "C", LONG, "周知の方法を見直す。"),), sort=9)


def test_a_long_item_continues_on_more_screens_and_loses_nothing():
    ops = tuple(Opinion("9", f"令和7年度第{i}回", 1, date(2025, 8, 1), "件数が減った理由を説明してほしい。" * 4)
                for i in range(1, 9))
    m = slides(replace(plan(), items=(_long_item(),)), opinions=ops)
    item = [s for s in m.screens if getattr(s.slide, "item_no", "") == "9"]
    kinds = [s.kind for s in item]
    assert kinds[:2] == ["item", "indicator"] and kinds[2:] == ["notes"] * (len(kinds) - 2)
    assert len(kinds) >= 4  # the comment is longer than one screen
    # One indicator drawn per screen; the one without yearly values is named, never charted.
    assert [s.chart.name for s in item if s.chart] == ["参加者数", "講座数"]
    assert [p.name for s in item for p in s.listed] == ["協定数"]
    # The comment, cut at lines, reads whole across the screens; its continuations say so.
    comments = [c for s in item for c in s.comments]
    assert "".join(c.text for c in comments).replace("\n", "") == LONG.replace("\n", "")
    assert all(c.heading.endswith("（続き）") for c in comments[1:])
    assert [op.meeting for s in item if s.opinions for op in s.opinions] == [op.meeting for op in ops]
    assert item[2].title.endswith("（所見・委員意見）") and item[-1].title.endswith("（所見・委員意見 続き）")
    # No notes screen is over what a screen holds (its opinions at 42 em: heading, text, answer, box).
    room = screen_lines(item[-1].title, "基本目標1")
    for s in item[2:]:
        used = sum(1 + lines(c.heading, 42) + lines(c.text, 42) + (1 + lines(c.issues, 42) if c.issues else 0)
                   for c in s.comments)
        assert used <= room, (s.title, used, room)


def test_indicators_without_values_are_listed_on_the_item_screen():
    inds = tuple(ind(f"協働事業数{i}", (2026, None, None)) for i in range(4))
    (screen,) = item_screens(slides(replace(plan(), items=(Item("1", "協働推進体制の充実", indicators=inds),))).deck.items[0])
    assert screen.chart is None and [p.name for p in screen.listed] == [f"協働事業数{i}" for i in range(4)]


def test_the_automatic_grades_reason_is_said_once():
    m = slides()
    one, two = m.deck.item("1"), m.deck.item("2")
    first = [s for s in m.screens if s.slide is one][0]
    assert first.auto_reason == one.auto_reason != ""  # nothing else on the screen says it
    lagging = [s for s in m.screens if s.slide is two][0]
    assert any(r.code == "auto_grade" for r in two.reasons) and lagging.auto_reason == ""


# ---------------------------------------------------------------- chart labels and ticks
@pytest.mark.parametrize("values, step", [
    ([0, 1, 2], 1),  # 2 centres: 0, 1, 2, never 0.5
    ([5, None, 3], 1),
    ([42, 66, 37], 10),
    ([1090, 1671, 930], 500),
    ([55.0, 66.0], 10),  # whole numbers stored as floats
    ([83.3, 90], None),  # a rate: plotly's own ticks
    ([], None),
])
def test_whole_number_ticks_for_counts(values, step):
    assert whole_step(values) == step


@pytest.mark.parametrize("tops, line, inside", [
    ([50, 58, 66], 60, [False, True, False]),  # the 最終目標 line at 60 would cross the label on 58
    ([50, 58, 66], 80, [False, False, False]),  # far above every label
    ([2, 58], 3, [False, False]),  # a bar too short for its label keeps it outside
    ([None, 58], 60, [False, True]),  # no bar, no label
])
def test_value_labels_move_inside_where_a_line_would_cross_them(tops, line, inside):
    assert label_inside(tops, [line], axis_top([*tops, line]), 0.06) == inside


def test_labels_beside_the_plot_keep_apart():
    assert side_label_shifts([10, 90], 100, 300, 30) == [0, 0]
    low, high = side_label_shifts([50, 52], 100, 300, 30)  # 6 px apart, labels 30 px tall
    assert low == 0 and high == pytest.approx(24)
    assert side_label_shifts([], 100, 300, 30) == []


def test_a_count_chart_has_whole_number_ticks_and_line_labels_beside_the_plot():
    from kpi.views.common import item_view
    from ui import charts
    data = replace(plan(), items=(Item("1", "施設", indicators=(replace(ind("施設数", (2024, 1, 1), (2025, 2, 1)),
                                                                   final_target=3, final_target_fy=2026),)),))
    view = item_view(data, RULE, "1", as_of_fy=2025, today=TODAY).indicators[0]
    fig = charts.indicator_chart(view, text_size=20)
    assert fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.tickfont.size == 20
    (note,) = [a for a in fig.layout.annotations if "最終目標" in a.text]
    assert note.xref == "paper" and note.x == 1 and note.xanchor == "left"  # in the right margin, off the bars
