"""ホーム: headlines with year-on-year change, grade mix per policy area, the heat map."""

import pytest
from view_plans import TODAY, ind, item, plan

from kpi.rules.grading import DEFAULT_RULE, PRESETS
from kpi.views.home import ALL_AREAS, default_basis, home_view

# Item 1 reports from 2015 (A then B); item 2 reports an actual in 2015 but gets its first target in
# 2016 (C); item 3 starts in 2016 in another policy area.
PLAN = plan(
    item("1", path=("目標1", "施策1"), indicators=[ind("参加者数", [(2015, 100, 100), (2016, 100, 90)])],
         evaluations=[(2015, "年度", "A"), (2016, "年度", "A")]),
    item("2", path=("目標1", "施策2"), indicators=[ind("件数", [(2015, None, 10), (2016, 100, 50)])],
         evaluations=[(2016, "年度", "C")]),
    item("3", path=("目標2",), indicators=[ind("回数", [(2016, 10, 12)])], evaluations=[(2016, "年度", "B")]),
)


def view(fy, **kw):
    return home_view(PLAN, DEFAULT_RULE, as_of_fy=fy, today=TODAY, **kw)


def test_headlines_count_items_and_indicators_new_this_year():
    h = {x.label: x for x in view(2016).headlines}
    assert (h["取組数"].value, h["取組数"].delta, h["取組数"].changed) == ("3", "+1件", True)  # item 3
    assert (h["指標数"].value, h["指標数"].delta) == ("3", "+1件")
    # 2016: 100/90 no, 100/50 no, 10/12 yes → 1 of 3; 2015: 100/100 yes → 1 of 1
    assert (h["計画値を達成した指標"].value, h["計画値を達成した指標"].delta) == ("33%", "-67ポイント")
    first = {x.label: x for x in view(2015).headlines}
    assert first["取組数"].delta is None and first["計画値を達成した指標"].delta is None


@pytest.mark.parametrize("label, value, delta, better, changed", [
    ("評価 A", "1件", "±0件", "up", False),  # 2015: item 1 A; 2016: item 3 A (12/10)
    ("評価 B", "1件", "+1件", "none", True),  # item 1: 90%
    ("評価 C", "1件", "+1件", "down", True),  # item 2: 50%
    ("未評価", "0件", "-2件", "down", True),  # 2015: items 2 and 3 had no target
])
def test_grade_headlines_show_the_change_and_which_way_is_good(label, value, delta, better, changed):
    h = {x.label: x for x in view(2016).grade_headlines}[label]
    assert (h.value, h.delta, h.better, h.changed) == (value, delta, better, changed)


def test_grade_mix_per_top_level_node():
    areas = {a.area: a for a in view(2016).areas}
    assert areas["目標1"].counts == {"A": 0, "B": 1, "C": 1, "未評価": 0}
    assert (areas["目標1"].items, areas["目標1"].lagging) == (2, 1)  # No.2 (C); No.1's B is not late
    assert areas["目標2"].counts["A"] == 1 and areas["目標2"].share_text == "100%"
    assert areas["目標1"].share_text == "0%"


@pytest.mark.parametrize("basis, area, expected", [
    ("auto", ALL_AREAS, {"1": ("A", "B"), "2": ("", "C"), "3": ("", "A")}),
    ("self", ALL_AREAS, {"1": ("A", "A"), "2": ("", "C"), "3": ("", "B")}),
    ("auto", "目標2", {"3": ("", "A")}),
])
def test_heat_map_cells_hold_the_grade_of_each_item_and_year(basis, area, expected):
    hm = view(2016, basis=basis, area=area).heatmap
    assert hm.years == (2015, 2016) and hm.year_labels == ("H27", "H28")
    assert {r.item_no: r.labels for r in hm.rows} == expected
    assert hm.table().columns[-2:] == ("平成27年度", "平成28年度")


def test_heat_map_stops_at_the_selected_year_and_explains_each_cell():
    hm = view(2015).heatmap
    assert hm.years == (2015,)
    (cell,) = {r.item_no: r for r in hm.rows}["1"].hovers
    assert "達成率 100.0%" in cell


def test_large_plans_open_the_heat_map_on_the_first_area():
    many = plan(*[item(str(i), path=(f"目標{i % 3}",), indicators=[ind("x", [(2015, 1, 1)])]) for i in range(70)])
    v = home_view(many, DEFAULT_RULE, as_of_fy=2015, today=TODAY)
    assert v.area == "目標0" and v.area_options[0] == ALL_AREAS
    assert {r.area for r in v.heatmap.rows} == {"目標0"}
    assert home_view(many, DEFAULT_RULE, as_of_fy=2015, today=TODAY, area=ALL_AREAS).heatmap.rows.__len__() == 70


@pytest.mark.parametrize("rule, has_targets, expected", [
    (DEFAULT_RULE, True, "auto"),
    (PRESETS["manual"], True, "self"),
    (DEFAULT_RULE, False, "self"),
])
def test_heat_map_defaults_to_self_grades_where_the_plan_grades_by_hand(rule, has_targets, expected):
    years = [(2015, 10, 5)] if has_targets else [(2015, None, 5)]
    assert default_basis(plan(item("1", indicators=[ind("x", years)])), rule) == expected


def test_tables_for_download_carry_what_the_page_shows():
    v = view(2016)
    assert v.tables["grades"].rows[0] == ("A", "目標を達成", 1, 1)
    assert [r[0] for r in v.tables["lagging"].rows] == ["2"]
    assert "自動評価がB未満、自己評価がB未満" in v.tables["lagging"].rows[0][5]
    gaps = v.tables["gaps"].rows
    assert ("1", "取組1", "平成28年度", "A", "B") == gaps[0][:5]
