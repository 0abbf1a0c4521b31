"""Issue 16 (5): the two-axis summary on the home page, as a manager reads it: implementation status and
achievement with counts, shares and the change against the year before (▲ fewer), and the cross table."""

from __future__ import annotations

import os

from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store
from tests.conftest import TODAY
from tests.helpers import canonical_workbook
from tests.test_pages import open_page, plans

PLAN = "二軸テスト市行政改革大綱"


def _import(tmp_path) -> int:
    """Five items of a plan graded by the departments against the yearly plan (S–C, × hand-only)."""
    items = [{"No.": str(i), "取組名": f"取組{i}", "担当課": "行政改革課●", "体系1": "改革1"} for i in range(1, 6)]
    statuses = [("1", 2017, "実施中"), ("1", 2018, "完了"), ("2", 2017, "実施中"), ("2", 2018, "実施中"),
                ("3", 2017, "未着手"), ("3", 2018, "実施中"), ("4", 2018, "完了"), ("5", 2017, "未着手")]
    grades = [("1", 2017, "B"), ("1", 2018, "S"), ("2", 2018, "A"), ("3", 2018, "×"), ("4", 2018, "A")]
    path = canonical_workbook(
        tmp_path / "二軸.xlsx", plan={"計画名": PLAN, "自治体": "二軸テスト市", "開始年度": 2017, "終了年度": 2019,
                                     "評価方式": "年度計画に対する自己評価（S〜C）"},
        items=items, statuses=[{"No.": n, "年度": y, "状況": s} for n, y, s in statuses],
        evaluations=[{"No.": n, "年度": y, "段階": "年度", "評価": g} for n, y, g in grades])
    s = Store.open(os.environ["KPI_DB"])
    try:
        prep = prepare(s, path, today=TODAY)
        assert not prep.errors, prep.errors
        commit(s, [prep], "テスト")
    finally:
        s.close()
    return plans()[PLAN]


def _table(at, first_column: str) -> list[list]:
    (df,) = [e.value for e in at.dataframe if e.value.columns[0] == first_column]
    return df.values.tolist()


def test_home_page_counts_both_axes_with_shares_change_and_cross(app_env, tmp_path):
    pid = _import(tmp_path)
    at = open_page("pages/home.py", pid, **{f"fy_{pid}": 2018})
    assert "実施状況と達成状況" in [h.value for h in at.subheader]
    assert _table(at, "実施状況") == [  # the plan's own word 実施中 for the middle step
        ["未着手", 1, "20.0%", 2, "▲1"], ["実施中", 2, "40.0%", 2, "±0"], ["完了", 2, "40.0%", 0, "+2"],
        ["未記入", 0, "0.0%", 1, "▲1"]]  # No.5's 未着手 of 2017 still holds; No.4 had none in 2017
    ach = {r[0]: r[1:] for r in _table(at, "達成状況")}
    # self-grades count on a hand-graded plan, the hand-only × too
    assert ach["S"] == [1, "20.0%", 0, "+1"] and ach["A"] == [2, "40.0%", 0, "+2"]
    assert ach["×"] == [1, "20.0%", 0, "+1"] and ach["B"] == [0, "0.0%", 1, "▲1"]
    assert ach["未評価"] == [1, "20.0%", 4, "▲3"]
    cross = {r[0]: r[1:] for r in _table(at, "実施状況＼達成状況")}
    cols = [c for c in [e.value for e in at.dataframe if e.value.columns[0] == "実施状況＼達成状況"][0].columns][1:]
    assert dict(zip(cols, cross["完了"]))["S"] == 1 and dict(zip(cols, cross["完了"]))["A"] == 1
    assert dict(zip(cols, cross["実施中"]))["A"] == 1 and dict(zip(cols, cross["実施中"]))["×"] == 1
    assert dict(zip(cols, cross["未着手"]))["未評価"] == 1 and sum(cross["未記入"]) == 0
    assert cross["計"][-1] == 5


def test_a_status_sheet_saying_torikumichu_is_taken_in(store, tmp_path):
    path = canonical_workbook(tmp_path / "状況.xlsx", plan={"計画名": PLAN},
                              items=[{"No.": "1", "取組名": "取組1", "担当課": "行政改革課●", "体系1": "改革1"}],
                              evaluations=[{"No.": "1", "年度": 2018, "段階": "年度", "評価": "A"}],
                              statuses=[{"No.": "1", "年度": 2018, "状況": "取組中"}])
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors, prep.errors
    commit(store, [prep], "テスト")
    data = store.load_plan(store.plan_by_name(PLAN).plan_id)
    assert [s for _y, s, _n in data.items[0].statuses] == ["取組中"]
