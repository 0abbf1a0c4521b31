"""計画の体系: any depth, parents first, every node rolled up from the items under it."""

import pytest
from view_plans import TODAY, ind, item, plan

from kpi.rules.grading import DEFAULT_RULE
from kpi.views.hierarchy import NO_NODE, hierarchy_view, levels_text

PLAN = plan(
    item("1", path=("目標1", "施策1", "小項目a"), indicators=[ind("x", [(2016, 100, 100)])]),
    item("2", path=("目標1", "施策1", "小項目b"), indicators=[ind("x", [(2016, 100, 70)])]),
    item("3", path=("目標1", "施策2"), indicators=[ind("x", [(2016, 100, 85)])]),
    item("4", path=("目標2",), indicators=[ind("x", [(2016, None, 3)])]),
    item("5", path=(), indicators=[]),
    levels=("基本目標", "施策", "小項目"),
    nodes=(("目標1",), ("目標2",), ("目標3",)),  # 目標3 has no items yet: still part of the plan
)


def view(**kw):
    return hierarchy_view(PLAN, DEFAULT_RULE, as_of_fy=2016, today=TODAY, **kw)


def test_nodes_come_parents_first_in_plan_order_at_any_depth():
    assert [n.path for n in view().nodes] == [
        ("目標1",), ("目標1", "施策1"), ("目標1", "施策1", "小項目a"), ("目標1", "施策1", "小項目b"),
        ("目標1", "施策2"), ("目標2",), ("目標3",), (NO_NODE,)]


@pytest.mark.parametrize("path, n_items, counts, lagging, share", [
    (("目標1",), 3, {"A": 1, "B": 1, "C": 1, "未評価": 0}, 1, "33%"),
    (("目標1", "施策1"), 2, {"A": 1, "B": 0, "C": 1, "未評価": 0}, 1, "50%"),
    (("目標1", "施策1", "小項目b"), 1, {"A": 0, "B": 0, "C": 1, "未評価": 0}, 1, "0%"),
    (("目標2",), 1, {"A": 0, "B": 0, "C": 0, "未評価": 1}, 0, "―"),
    (("目標3",), 0, {"A": 0, "B": 0, "C": 0, "未評価": 0}, 0, "―"),
    ((NO_NODE,), 1, {"A": 0, "B": 0, "C": 0, "未評価": 1}, 0, "―"),
])
def test_each_node_rolls_up_the_items_under_it(path, n_items, counts, lagging, share):
    n = view().node(path)
    assert (n.n_items, n.counts, n.lagging, n.share_text) == (n_items, counts, lagging, share)


def test_level_names_and_the_tree_table():
    v = view()
    assert v.node(("目標1", "施策1", "小項目a")).level_name == "小項目"
    rows = v.tables["nodes"].rows
    assert rows[1][:3] == ("施策", "　施策1", 2)  # indented by depth so it reads as a tree in Excel too
    assert v.tables["nodes"].columns[:3] == ("階層", "体系", "取組数")


def test_choosing_a_node_lists_the_items_under_it():
    v = view(selected=("目標1", "施策1"))
    assert [lf.item_no for lf in v.selected_items] == ["1", "2"]
    assert [r[0] for r in v.tables["items"].rows] == ["1", "2"]
    assert [lf.item_no for lf in view(selected=("どこにもない",)).selected_items] == ["1", "2", "3", "4", "5"]


def test_leaves_carry_the_grade_for_the_treemap():
    leaves = {lf.item_no: lf for lf in view().leaves}
    assert (leaves["2"].grade, leaves["2"].lagging, leaves["2"].parent_id) == \
           ("C", True, '["目標1", "施策1", "小項目b"]')
    assert leaves["5"].path == (NO_NODE,)


@pytest.mark.parametrize("names, expected", [
    (("重点改革項目", "取組項目（中項目）"), "重点改革項目 ＞ 取組項目（中項目） ＞ 取組"),
    (("基本目標", "施策", "取組"), "基本目標 ＞ 施策 ＞ 取組"),
    ((), "体系 ＞ 取組"),
])
def test_levels_text(names, expected):
    assert levels_text(names) == expected
