"""担当課別: each department's items and what it still has not reported for the year."""

from datetime import date

import pytest
from view_plans import ind, item, plan

from kpi.rules.grading import DEFAULT_RULE
from kpi.views.departments import departments_view, first_half_over, missing_reports

PLAN = plan(
    item("1", indicators=[ind("参加者数", [(2018, 100, None)]), ind("回数", [(2018, 5, 5)])], depts=("企画課",),
         evaluations=[(2018, "上半期", "順調"), (2017, "年度", "A")]),
    item("2", indicators=[ind("件数", [(2018, 10, 12)])], depts=("財政課", "企画課"),
         evaluations=[(2018, "年度", "A"), (2018, "上半期", "順調")]),
    item("3", indicators=[ind("件数", [(2018, None, 3)])], depts=("道路課",), related=("企画課",)),
)


@pytest.mark.parametrize("today, expected", [
    # Mid-year: the first half is not over; nothing is overdue yet.
    (date(2018, 9, 30), [("1", "実績", False), ("1", "年度の自己評価", False), ("3", "年度の自己評価", False)]),
    # October: the first half is over, so item 3's missing 上半期 entry counts (and is overdue).
    (date(2018, 10, 1), [("1", "実績", False), ("1", "年度の自己評価", False), ("3", "年度の自己評価", False),
                         ("3", "上半期の進捗", True)]),
    # After the fiscal year: the missing actual and self-grades are overdue.
    (date(2019, 4, 1), [("1", "実績", True), ("1", "年度の自己評価", True), ("3", "年度の自己評価", True),
                        ("3", "上半期の進捗", True)]),
])
def test_missing_reports_depend_on_the_date(today, expected):
    got = missing_reports(PLAN, DEFAULT_RULE, {"1", "2", "3"}, 2018, today)
    assert [(m.item_no, m.what, m.overdue) for m in got] == expected


def test_stages_the_plan_never_uses_are_not_asked_for():
    no_evals = plan(item("1", indicators=[ind("x", [(2018, 1, None)])]))
    assert [m.what for m in missing_reports(no_evals, DEFAULT_RULE, {"1"}, 2018, date(2019, 5, 1))] == ["実績"]


@pytest.mark.parametrize("day, over", [(date(2018, 9, 30), False), (date(2018, 10, 1), True),
                                       (date(2017, 12, 1), False)])
def test_first_half_ends_with_september(day, over):
    assert first_half_over(2018, day) is over


def test_each_department_lists_its_items_and_its_own_missing_reports():
    v = departments_view(PLAN, DEFAULT_RULE, as_of_fy=2018, today=date(2019, 4, 1), department="企画課")
    d = v.selected
    assert [(i.item_no, i.role) for i in d.items] == [("1", "主担当"), ("2", "担当"), ("3", "関連")]
    # A related department (関連) is not asked for item 3's reports; item 2 is complete.
    assert [(m.item_no, m.what) for m in d.missing] == [("1", "実績"), ("1", "年度の自己評価")]
    assert d.counts == {"A": 2, "B": 0, "C": 0, "未評価": 1}
    assert v.tables["missing"].rows[0][:3] == ("1", "取組1", "実績")


def test_departments_with_overdue_reports_come_first_and_are_the_default_choice():
    v = departments_view(PLAN, DEFAULT_RULE, as_of_fy=2018, today=date(2019, 4, 1))
    # 企画課 and 道路課 both have 2 overdue reports; 企画課 also has a lagging item (No.1).
    assert v.names == ("企画課", "道路課", "財政課")
    assert [r[0] for r in v.tables["summary"].rows] == list(v.names)
    assert v.selected is v.departments[0]
    overdue = {d.name: d.overdue for d in v.departments}
    assert overdue == {"企画課": 2, "財政課": 0, "道路課": 2}
