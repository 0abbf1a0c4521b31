"""総合戦略 進捗状況一覧表 (seed 001, kodaira_sousei_progress_h29.xlsx): what a person reads on the sheet."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, TODAY
from helpers import sql

from kpi.intake.layouts.strategy_list import split_narrative
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

SAMPLE = SAMPLES / "kodaira_sousei_progress_h29.xlsx"
PLAN = "小平市まち・ひと・しごと創生総合戦略"


@pytest.fixture(scope="module")
def sousei(tmp_path_factory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("strategy") / "kpi.duckdb")
    prep = prepare(store, SAMPLE, today=TODAY)
    assert prep.layout == "strategy_list" and not prep.errors, prep.problems
    assert not prep.warnings, prep.warnings
    commit(store, [prep], "テスト", backup=False)
    yield store
    store.close()


def test_hierarchy_from_the_section_rows(sousei):
    (plan,) = sousei.plans()
    assert plan.name == PLAN and plan.level_names == ("基本目標", "施策の方向")
    goals = [r[0] for r in sql(sousei, "SELECT title FROM nodes WHERE depth = 1 ORDER BY sort")]
    assert goals == ["基本目標1「住み続けたいまちの空間をつくる」", "基本目標2「若い世代の結婚・出産・子育ての希望をかなえる」",
                     "基本目標3 「地域力・民活力の高いまちをつくる」"]
    assert sql(sousei, "SELECT count(*) FROM nodes WHERE depth = 2")[0][0] == 10


def test_item_numbers_unique_goal_section_and_number(sousei):
    data = sousei.load_plan(sousei.plans()[0].plan_id)
    nos = [it.item_no for it in data.items]
    assert len(nos) == len(set(nos)) == 43  # every 施策 row, no repeated header rows
    assert nos[:5] == ["1-①-1", "1-①-2", "1-①-3", "1-①-4", "1-②-1"]
    # 施策 4 of ③ comes after a header repeated at a page break: still in section ③.
    it = data.item("1-③-4")
    assert it.title == "いつまでも住み続けられる健康まちづくりの推進"
    assert it.node_path == ("基本目標1「住み続けたいまちの空間をつくる」", "③ “住んでみたい”まちづくりと魅力の情報発信")
    assert data.item("3-③-7").title == "地域による教育支援の推進"


def test_departments_with_related_ones_in_parentheses(sousei):
    data = sousei.load_plan(sousei.plans()[0].plan_id)
    assert [(d.name, d.is_main, d.role) for d in data.item("1-①-3").departments] == [
        ("産業振興課", True, "担当"), ("学務課", False, "関連")]
    assert [(d.name, d.role) for d in data.item("2-④-1").departments] == [
        ("政策課", "担当"), ("子育て支援課", "関連"), ("家庭支援担当", "関連"), ("保育課", "関連"), ("健康推進課", "関連")]
    assert data.item("1-③-4").department_names == ("産業振興課", "文化スポーツ課", "健康推進課")


def test_status_for_the_year_the_column_header_names(sousei):
    rows = sql(sousei, "SELECT fiscal_year, status, mark, note, count(*) FROM item_status GROUP BY ALL")
    assert rows == [(2017, "実施中", None, None, 43)]


def test_narrative_split_per_fiscal_year(sousei):
    texts = dict(sql(sousei, "SELECT fiscal_year, text FROM narratives WHERE item_no = '2-③-1'"))
    assert texts == {2016: "・4園の私立認可保育園を開設するなど、定員を193人拡大しました。",
                     2017: "・7園の私立認可保育園及び1施設の小規模保育事業を開設するなど、定員を499人拡大しました。"}
    assert sql(sousei, "SELECT count(*), count(DISTINCT item_no) FROM narratives") == [(86, 43)]
    (text,) = sql(sousei, "SELECT text FROM narratives WHERE item_no = '2-②-1' AND fiscal_year = 2016")[0]
    assert text == "・未着手"


@pytest.mark.parametrize("text, default, expected", [
    ("【平成28年度】\n・A\n【平成29年度】\n・B", 2017, [(2016, "・A"), (2017, "・B")]),
    ("【令和２年度】・A【令和３年度】・B", 2021, [(2020, "・A"), (2021, "・B")]),
    ("前文\n【平成28年度】・A", 2017, [(2016, "前文\n・A")]),
    ("・年度の印がない文", 2017, [(2017, "・年度の印がない文")]),
    ("【28年度】・A【29年度】・B", None, [(2016, "・A"), (2017, "・B")]),
    ("《小川駅西口地区》・A", 2017, [(2017, "《小川駅西口地区》・A")]),
    ("【平成28年度】・A【平成28年度】・B", 2017, [(2016, "・A\n・B")]),
])
def test_split_narrative(text, default, expected):
    assert split_narrative(text, default, "平成") == expected
