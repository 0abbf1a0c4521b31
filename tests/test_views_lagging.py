"""遅れている取組: ranked with every reason, filtered by reason, department and grade."""

import pytest
from conftest import NIIGATA_PLAN, TODAY
from view_plans import ind, item, plan

from kpi.rules.grading import DEFAULT_RULE
from kpi.views.lagging import lagging_view

PLAN = plan(
    # auto C and self C and first half late: three reasons
    item("1", indicators=[ind("x", [(2018, 100, 50)])], depts=("企画課", "財政課"),
         evaluations=[(2018, "年度", "C"), (2018, "上半期", "進捗に遅れあり")]),
    # auto C only
    item("2", indicators=[ind("x", [(2018, 100, 60)])], depts=("道路課",)),
    # self C only, auto A
    item("3", indicators=[ind("x", [(2018, 100, 100)])], depts=("財政課",), evaluations=[(2018, "年度", "C")]),
    # actual missing after the year ended
    item("4", indicators=[ind("x", [(2018, 100, None)])], depts=("道路課",), related=("企画課",)),
    item("5", indicators=[ind("x", [(2018, 100, 120)])]),  # on target: not lagging
)


def view(**kw):
    return lagging_view(PLAN, DEFAULT_RULE, as_of_fy=2018, today=TODAY, **kw)


def test_ranked_by_number_of_reasons_then_worst_grade():
    v = view()
    assert [(e.rank, e.row.item_no) for e in v.entries] == [(1, "1"), (2, "2"), (3, "3"), (4, "4")]
    assert v.entries[0].codes == ("auto_grade", "self_grade", "first_half")
    assert v.total == 4


@pytest.mark.parametrize("filters, expected", [
    (dict(reasons=["self_grade"]), ["1", "3"]),
    (dict(reasons=["actual_missing", "first_half"]), ["1", "4"]),
    (dict(departments=["財政課"]), ["1", "3"]),
    (dict(departments=["企画課"]), ["1", "4"]),  # a related department (関連課) sees the item too
    (dict(grades=["C"]), ["1", "2"]),
    (dict(grades=["未評価"]), ["4"]),
    (dict(grades=["A"], departments=["財政課"]), ["3"]),
    (dict(reasons=["pace"]), []),
])
def test_filters_keep_items_with_any_chosen_value(filters, expected):
    v = view(**filters)
    assert [e.row.item_no for e in v.entries] == expected
    assert [e.rank for e in v.entries] == [int(n) for n in expected]  # ranks of the full list are kept
    assert [r[1] for r in v.table.rows] == expected


def test_filter_options_come_from_the_lagging_items():
    v = view()
    assert [c for c, _t in v.reason_options] == ["auto_grade", "self_grade", "first_half", "actual_missing"]
    assert dict(v.reason_options)["auto_grade"] == "自動評価がB未満（2件）"
    assert v.department_options == ("企画課", "財政課", "道路課")  # two lagging items each: by name
    more = plan(*PLAN.items, item("6", indicators=[ind("x", [(2018, 100, 10)])], depts=("道路課",)))
    assert lagging_view(more, DEFAULT_RULE, as_of_fy=2018, today=TODAY).department_options[0] == "道路課"
    assert v.grade_options == ("A", "B", "C", "未評価")


def test_no28_is_lagging_with_its_reasons(niigata_store):
    pid = niigata_store.plan_by_name(NIIGATA_PLAN).plan_id
    v = lagging_view(niigata_store.load_plan(pid), niigata_store.rule(pid), today=TODAY)
    (e,) = v.entries
    assert e.row.item_no == "28" and e.row.department == "市民協働課" and e.row.self_grade == "C"
    details = {r.code: r.detail for r in e.row.reasons}
    assert details["self_grade"] == "平成30年度の担当課の自己評価は C"
    assert details["first_half"] == "平成30年度上半期の進捗管理: 進捗に遅れあり"
    assert details["below_target"].startswith("まちづくりセンター数: 平成28年度〜平成30年度に計画値を下回りました")
    assert "まちづくりセンター" in e.row.last_comment
