"""Issue 16 (2, 3, 4): every summary view speaks the plan's own words — its named ungraded states
(評価なし, −, 完了), its hand-only labels (×) and, on a hand-graded plan, the departments' self-grades —
and 未評価 on a hand-graded plan means nobody has graded the item yet."""

from __future__ import annotations

import pytest

from kpi.rules.grading import PRESETS
from kpi.views.departments import departments_view
from kpi.views.hierarchy import hierarchy_view
from kpi.views.home import home_view
from kpi.views.lagging import lagging_view
from kpi.vocabulary import UNGRADED_HAND_HEADLINE
from tests.view_plans import TODAY, ind, item, plan


def _mixed():
    """target_baseline: A on the target, B–D on the baseline; 評価なし without a target, − without an actual."""
    return plan(
        item("1", indicators=[ind("利用者数", [(2018, 100, 120)], baseline=80)]),
        item("2", indicators=[ind("相談件数", [(2018, None, 30)], baseline=10)]),
        item("3", indicators=[ind("参加者数", [(2018, 100, None)], baseline=80)]),
    ), PRESETS["target_baseline"]


def _hand():
    """self_vs_plan: the departments grade S–C by hand, × is hand-only, 完了 a state people set."""
    grades = {"1": "S", "2": "×", "3": "完了", "4": None, "5": "C"}
    return plan(*(item(no, evaluations=[(2018, "年度", g)] if g else []) for no, g in grades.items())), \
        PRESETS["self_vs_plan"]


def _views(data, rule):
    kw = dict(as_of_fy=2018, today=TODAY)
    return (home_view(data, rule, **kw), hierarchy_view(data, rule, **kw), departments_view(data, rule, **kw),
            lagging_view(data, rule, **kw))


@pytest.mark.parametrize("build, counts, auto_column", [
    (_mixed, {"A": 1, "B": 0, "C": 0, "D": 0, "評価なし": 1, "−": 1, "未評価": 0},
     {"1": "A", "2": "評価なし", "3": "−"}),
    (_hand, {"S": 1, "A": 0, "B": 0, "C": 1, "×": 1, "評価なし": 0, "完了": 1, "未着手": 0, "評価対象外": 0, "未評価": 1},
     # no indicator, so no target: the plan's 評価なし (they count as what the departments wrote)
     {"1": "評価なし", "2": "評価なし", "3": "評価なし", "4": "評価なし", "5": "評価なし"}),
])
def test_every_summary_counts_the_plans_own_labels(build, counts, auto_column):
    data, rule = build()
    home, hier, depts, _lag = _views(data, rule)
    # the home tiles and the grade table
    assert {h.label.removeprefix("評価 "): h.value for h in home.grade_headlines} == {k: f"{v}件" for k, v in counts.items()}
    assert [r[0] for r in home.tables["grades"].rows] == list(counts)
    # the hierarchy table (the plan's one node) and the department table
    nodes = home.tables["areas"]
    assert dict(zip(nodes.columns[1:1 + len(counts)], nodes.rows[0][1:])) == counts
    h = hier.tables["nodes"]
    assert {c: h.rows[0][h.columns.index(c)] for c in counts} == counts
    d = depts.tables["summary"]
    assert {c: d.rows[0][d.columns.index(c)] for c in counts} == counts
    # the 自動評価 columns name why there is no grade, as the plan words it
    assert {r[0]: r[4] for r in hier.tables["items"].rows} == auto_column
    assert {r[0]: r[3] for r in depts.tables["items"].rows} == auto_column


def test_unrated_on_a_hand_graded_plan_means_nobody_graded_it():
    home, *_ = _views(*_hand())
    (tile,) = [h for h in home.grade_headlines if h.label == "未評価"]
    assert "担当課の評価（自己評価）がまだ記入されていない" in UNGRADED_HAND_HEADLINE
    assert "評価（自己評価）が 未評価 の取組（担当課の評価（自己評価）がまだ記入されていない取組）" in tile.help
    assert "計画値・実績がなく" not in tile.help
    grades = {r[0]: r[1] for r in home.tables["grades"].rows}
    assert grades["未評価"] == "担当課の評価（自己評価）がまだ記入されていない" and grades["×"] == "進捗なし・事業終了"


def test_lagging_names_the_state_and_filters_by_what_the_item_counts_as():
    *_, lag = _views(*_mixed())
    (row,) = [e.row for e in lag.entries if e.row.item_no == "3"]
    assert row.auto_grade == "−" and "実績が未報告" in row.reason_titles
    assert "−" in lag.grade_options and "評価なし" in lag.grade_options
    *_, hand = _views(*_hand())
    assert hand.grade_filter_label == "評価（自己評価）"
    assert {e.row.item_no: e.row.counted for e in hand.entries} == {"2": "×", "5": "C"}  # both below A
    data, rule = _hand()
    picked = lagging_view(data, rule, as_of_fy=2018, today=TODAY, grades=["C"])
    assert [e.row.item_no for e in picked.entries] == ["5"]
    assert lagging_view(data, rule, as_of_fy=2018, today=TODAY, grades=["S"]).entries == ()
