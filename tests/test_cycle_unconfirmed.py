"""Values awaiting the 推進課's review (issue 20 item 3) in the summaries: counted apart on the home tiles
and in the hierarchy and department tables, marked 未確定 where an item's grade or value is shown, and
left out as the plan's setting 未確定の値を表示しない says.

The plan: three items, 計画 40 and 実績 39 in 令和4年度 (B); 市民協働課 submits 55 for item 1 (A, 未確定)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY
from helpers import DEPT_PLAN, department_plan

from kpi.access.permissions import Actor
from kpi.cycle import calls
from kpi.cycle.shown import as_shown
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store
from kpi.views.departments import departments_view
from kpi.views.extras import load_extras
from kpi.views.hierarchy import hierarchy_view
from kpi.views.home import home_view
from kpi.views.item import item_detail_view

ADMIN = Actor("推進 一郎", "admin")
KYODO = Actor("協働 太郎", "editor", ("市民協働課",))
FY = 2022


@pytest.fixture
def waiting(store: Store, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2025-05-20")
    commit(store, [prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], ADMIN)
    plan = store.plan_by_name(DEPT_PLAN).plan_id
    calls.open_new(store, ADMIN, plan, FY, ["年度"], date(2025, 5, 31))
    path = department_plan(tmp_path / "kyodo.xlsx", only=[1], actual={(1, FY): 55})
    commit(store, [prepare(store, path, today=TODAY)], KYODO)
    return plan


def _rows(table) -> list[dict]:
    return [dict(zip(table.columns, r)) for r in table.rows]


def _views(store: Store, plan: int):
    data = as_shown(store, store.load_plan(plan))
    rule = store.rule(plan)
    return (data, home_view(data, rule, as_of_fy=FY, today=TODAY), hierarchy_view(data, rule, as_of_fy=FY, today=TODAY),
            departments_view(data, rule, as_of_fy=FY, today=TODAY, department="市民協働課"),
            item_detail_view(data, load_extras(store, plan), rule, "1", as_of_fy=FY, today=TODAY))


def test_unconfirmed_items_are_counted_apart_and_marked(store, waiting):
    data, home, tree, depts, item = _views(store, waiting)
    assert data.unconfirmed_items == {("1", FY)}
    tiles = {h.label: h for h in home.grade_headlines}
    assert (tiles["評価 A"].value, tiles["評価 B"].value) == ("1件（うち未確定 1）", "2件")
    assert "うち 1件は推進課の確認待ちの値による未確定の評価" in tiles["評価 A"].help
    grades = {r["評価"]: r for r in _rows(home.tables["grades"])}
    assert (grades["A"]["取組数"], grades["A"]["うち未確定"], grades["B"]["取組数"], grades["B"]["うち未確定"]) == (1, 1, 2, 0)
    [area] = _rows(home.tables["areas"])
    assert (area["取組数"], area["うち未確定"], area["A"], area["B"]) == (3, 1, 1, 2)

    top = _rows(tree.tables["nodes"])[0]
    assert (top["取組数"], top["うち未確定"]) == (3, 1)
    marks = {r["No."]: (r["自動評価"], r["自己評価"]) for r in _rows(tree.tables["items"])}
    assert marks["1"] == ("A（未確定）", "―") and marks["2"] == ("B", "―")

    summary = {r["担当課"]: r for r in _rows(depts.tables["summary"])}
    assert (summary["市民協働課"]["うち未確定"], summary["財政課"]["うち未確定"]) == (1, 0)
    assert {r["No."]: r["自動評価"] for r in _rows(depts.tables["items"])}["1"] == "A（未確定）"

    [values] = item.indicator_tables
    year = next(r for r in _rows(values) if r["年度"] == "令和4年度")
    assert (year["計画"], year["実績"], year["自動評価"]) == ("40", "55（未確定）", "A（未確定）")
    earlier = next(r for r in _rows(values) if r["年度"] == "令和3年度")
    assert (earlier["実績"], earlier["自動評価"]) == ("29", "B")


def test_confirmed_or_hidden_values_are_not_marked(store, waiting):
    calls.save_settings(store, ADMIN, waiting, show_unconfirmed=False)
    data, home, tree, depts, item = _views(store, waiting)
    assert data.unconfirmed_items == frozenset()
    assert {h.label: h.value for h in home.grade_headlines}["評価 B"] == "3件"  # 39 shown until confirmed
    assert "うち未確定" not in home.tables["grades"].columns and "うち未確定" not in tree.tables["nodes"].columns
    assert "うち未確定" not in depts.tables["summary"].columns
    calls.save_settings(store, ADMIN, waiting, show_unconfirmed=True)
    calls.confirm(store, ADMIN, calls.open_call_of(store, waiting), "市民協働課")
    data, home, tree, depts, item = _views(store, waiting)
    assert {h.label: h.value for h in home.grade_headlines}["評価 A"] == "1件"
    year = next(r for r in _rows(item.indicator_tables[0]) if r["年度"] == "令和4年度")
    assert (year["実績"], year["自動評価"]) == ("55", "A")
