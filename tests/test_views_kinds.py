"""Indicator kinds (活動 / 対象 / 成果, issue 19) filter the pages: the item page lists the indicators of
the chosen kinds, the lagging list the items with a reason on such an indicator, the hierarchy its items
and its share on target. Read from a 事務事業評価 sheet taught as a layout (tests/layout_books.py)."""

from __future__ import annotations

import os
from dataclasses import replace

import layout_books as books
import pytest
from conftest import TODAY, _built_db

from kpi.intake.layouts.profile import teach
from kpi.intake.pipeline import commit, prepare, save_profile
from kpi.intake.workbook import read_workbook
from kpi.store.store import Store
from kpi.views.common import indicator_kinds, kinds_text
from kpi.views.hierarchy import hierarchy_view
from kpi.views.item import item_detail_view
from kpi.views.lagging import lagging_view
from kpi.views.plan import plan_view

PLAN = books.KIND_PROFILE["plan_name"]
NO_KINDS_PLAN = "課別の取組"


def _build(store: Store) -> None:
    data = books.kinds_book()
    save_profile(store, teach("事務事業（種類）", read_workbook(data, "jimu.xlsx").sheets[0], **books.KIND_PROFILE),
                 "admin")
    other = books.sheet_per_department()  # a plan whose sheet names no kinds: no filter is offered
    save_profile(store, teach("課別 進捗管理表", read_workbook(other, "ka.xlsx").sheets[0], header_rows=[2],
                              first_data_row=3, plan_name=NO_KINDS_PLAN,
                              item={"item_no": "A", "title": "B", "department_from_sheet": True},
                              indicators=[{"kind": "", "name": "C", "unit": "D",
                                           "values": [{"fiscal_year": 2024, "kind": "actual", "column": "G"}]}]),
                 "admin")
    preps = [prepare(store, data, "jimu.xlsx", today=TODAY), prepare(store, other, "ka.xlsx", today=TODAY)]
    assert all(p.ok for p in preps), [p.errors for p in preps]
    commit(store, preps, "admin", backup=False)


@pytest.fixture(scope="module")
def kinds_db(tmp_path_factory):
    return _built_db(tmp_path_factory, "kinds", _build)


@pytest.fixture(scope="module")
def plan(kinds_db):
    s = Store.open(kinds_db, read_only=True)
    try:
        data = s.load_plan(s.plan_by_name(PLAN).plan_id)
        return data, s.rule(data.plan.plan_id)
    finally:
        s.close()


def test_the_plan_offers_the_kinds_its_indicators_have(plan):
    data, rule = plan
    assert indicator_kinds(data) == ("活動", "成果")  # no 対象 in this sheet
    assert dict(plan_view(data, _extras(), rule).facts)["指標数"] == "7件（活動 3件・成果 4件）"
    plain = replace(data, items=tuple(replace(it, indicators=tuple(replace(i, kind="") for i in it.indicators))
                                      for it in data.items))
    assert indicator_kinds(plain) == () and kinds_text(plain) == ""
    first = data.items[0]
    some = replace(data, items=(replace(first, indicators=(replace(first.indicators[0], kind=""),
                                                           *first.indicators[1:])), *data.items[1:]))
    assert kinds_text(some) == "（活動 2件・成果 4件・種類なし 1件）"


def _extras():
    from kpi.views.extras import PlanExtras
    return PlanExtras()


@pytest.mark.parametrize("kinds, shown", [
    ((), ["教室の開催回数", "受講後の運動習慣者の割合"]),
    (("成果",), ["受講後の運動習慣者の割合"]),
    (("活動",), ["教室の開催回数"]),
    (("活動", "成果"), ["教室の開催回数", "受講後の運動習慣者の割合"]),
    (("対象",), ["教室の開催回数", "受講後の運動習慣者の割合"]),  # a kind this plan has not (left from another): no filter
])
def test_item_detail_lists_the_indicators_of_the_chosen_kinds(plan, kinds, shown):
    data, rule = plan
    d = item_detail_view(data, _extras(), rule, "102", today=TODAY, kinds=kinds)
    assert [i.name for i in d.view.indicators] == shown
    assert [t.what for t in d.indicator_tables] == [f"{n}_No.102" for n in shown]
    assert d.view.n_all_indicators == 2 and d.view.kind_options == ("活動", "成果")
    assert d.view.lagging  # the item's grade and reasons stay its own, whatever is shown


@pytest.mark.parametrize("kinds, items", [
    ((), ["102", "103"]),
    (("成果",), ["103"]),  # 103's 成果指標 fell below its target; 102 lags on its 活動指標 only
    (("活動",), ["102"]),
])
def test_lagging_list_keeps_items_behind_on_an_indicator_of_the_chosen_kind(plan, kinds, items):
    data, rule = plan
    v = lagging_view(data, rule, today=TODAY, kinds=kinds)
    assert v.total == 2 and [e.row.item_no for e in v.entries] == items and [e.rank for e in v.entries] == \
        [{"102": 1, "103": 2}[n] for n in items]


@pytest.mark.parametrize("kinds, items, column, share", [
    ((), ["101", "102", "103", "104"], "計画値を達成した指標", "71%"),  # 5 of 7 indicators met R6's target
    (("成果",), ["101", "102", "103", "104"], "計画値を達成した指標（成果）", "75%"),  # 101, 102, 104 of 4
    (("活動",), ["101", "102", "103"], "計画値を達成した指標（活動）", "67%"),  # 104 has no 活動指標; 101, 103 of 3
])
def test_hierarchy_counts_and_lists_by_the_chosen_kinds(plan, kinds, items, column, share):
    data, rule = plan
    v = hierarchy_view(data, rule, today=TODAY, kinds=kinds)
    assert [lf.item_no for lf in v.selected_items] == items
    nodes = v.tables["nodes"]
    assert nodes.columns[-1] == column and nodes.rows[0][-1] == share
    assert nodes.rows[0][2] == 4  # the items under the node, as before


# ------------------------------------------------------------------ the pages (AppTest)

@pytest.fixture
def kinds_env(monkeypatch, tmp_path, kinds_db):
    from conftest import app_on
    yield from app_on(monkeypatch, kinds_db, tmp_path / "kpi.duckdb")


def _pid(name: str) -> int:
    s = Store.open(os.environ["KPI_DB"])
    try:
        return s.plan_by_name(name).plan_id
    finally:
        s.close()


def test_item_page_with_seika_chosen_lists_only_seika_indicators(kinds_env):
    from test_pages import open_page
    at = open_page("pages/item_detail.py", _pid(PLAN), item_no="102")
    heads = [h.value for h in at.subheader if "指標:" in h.value]
    assert heads == ["活動指標: 教室の開催回数", "成果指標: 受講後の運動習慣者の割合"]
    at.multiselect(key="item_kinds").select("成果").run()
    assert not at.exception
    assert [h.value for h in at.subheader if "指標:" in h.value] == ["成果指標: 受講後の運動習慣者の割合"]
    assert "指標 2件のうち 1件を表示しています" in [c.value for c in at.caption]
    assert len(at.get("plotly_chart")) == 1  # one chart, the 成果指標's
    # a plan whose sheet names no kinds shows no filter (the choice left over is dropped, not applied)
    at.session_state["plan_id"] = _pid(NO_KINDS_PLAN)
    at.run()
    assert not at.exception
    assert not [m for m in at.multiselect if m.key == "item_kinds"]
    assert [h.value for h in at.subheader if "指標:" in h.value] == ["指標: 電子決裁率"]


def test_lagging_and_hierarchy_pages_filter_by_kind(kinds_env):
    from test_pages import open_page, text_of
    at = open_page("pages/lagging.py", _pid(PLAN))
    assert "2件中 2件" in text_of(at)
    at.multiselect(key="lag_kinds").select("成果").run()
    body = text_of(at)
    assert "2件中 1件" in body and "No.103" in body and "No.102" not in body
    at.switch_page("pages/hierarchy.py").run()
    assert not at.exception
    at.multiselect(key="hier_kinds").select("活動").run()
    nodes, items = at.dataframe[0].value, at.dataframe[1].value
    assert list(nodes["計画値を達成した指標（活動）"]) == ["67%"]
    assert list(items["No."]) == ["101", "102", "103"]
