"""協働の推進に関する指針の表 (seed 002, kodaira_kyodo_guideline_tables.xlsx): timeline and policy positioning."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, TODAY
from helpers import sql

from kpi.intake.layouts.guideline_tables import period_fiscal_year
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

SAMPLE = SAMPLES / "kodaira_kyodo_guideline_tables.xlsx"
PLAN = "小平市協働の推進に関する指針"


@pytest.fixture(scope="module")
def guideline(tmp_path_factory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("guideline") / "kpi.duckdb")
    prep = prepare(store, SAMPLE, plan_name=PLAN, today=TODAY)
    assert prep.layout == "guideline_tables" and not prep.errors and not prep.warnings, prep.problems
    commit(store, [prep], "テスト", backup=False)
    yield store
    store.close()


def test_milestones_in_order_with_their_fiscal_years(guideline):
    rows = sql(guideline, "SELECT seq, period_text, fiscal_year, title, body FROM plan_notes "
                           "WHERE section = 'milestone' ORDER BY seq")
    assert len(rows) == 11
    assert rows[0] == (1, "平成16年度", 2004, "小平市民活動支援センターの準備室設置", None)
    assert rows[3] == (4, "平成20年度", 2008, "協働に関する職員向け研修開催（毎年度1回）", None)
    assert rows[-1] == (11, "平成27年度", 2015, "市民活動&協働はじめてBOOK「たねを育てよう」作成", None)


def test_positioning_with_the_fiscal_year_of_each_month(guideline):
    rows = sql(guideline, "SELECT seq, period_text, fiscal_year, title, body FROM plan_notes "
                           "WHERE section = 'positioning' ORDER BY seq")
    assert [(r[1], r[2]) for r in rows] == [("平成18年3月", 2005), ("平成20年10月", 2008), ("平成21年12月", 2009),
                                          ("平成23年3月", 2010), ("平成25年4月", 2013), ("平成29年3月", 2016)]
    assert rows[2][3] == "小平市自治基本条例"
    assert rows[2][4].startswith("第12条「協働」 自治の基本理念及びその実現に基づき")


def test_no_items_only_the_plans_notes(guideline):
    assert sql(guideline, "SELECT count(*) FROM items")[0][0] == 0
    assert [p.name for p in guideline.plans()] == [PLAN]


@pytest.mark.parametrize("period, fy", [
    ("平成16年度", 2004), ("平成18年3月", 2005), ("平成18年4月", 2006), ("令和元年5月", 2019), ("令和２年３月", 2019),
    ("Ｒ３年度", 2021), ("2022年10月", 2022), ("2023/2", 2022), ("昭和64年1月", 1988), ("―", None), ("未定", None),
    ("令和0年4月", None), (2015, 2015), (None, None),
])
def test_period_fiscal_year(period, fy):
    assert period_fiscal_year(period) == fy
