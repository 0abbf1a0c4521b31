"""行財政再構築プラン 実行プログラム (seed 000, kodaira_plan3_actions.xlsx): what a person reads on the sheet."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES, TODAY
from helpers import sql

from kpi.intake.layouts import read_workbook
from kpi.intake.layouts.action_list import parse
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

SAMPLE = SAMPLES / "kodaira_plan3_actions.xlsx"
PLAN = "小平市第3次行財政再構築プラン"


@pytest.fixture(scope="module")
def kodaira(tmp_path_factory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("action") / "kpi.duckdb")
    prep = prepare(store, SAMPLE, today=TODAY)
    assert prep.layout == "action_list" and not prep.errors, prep.problems
    commit(store, [prep], "テスト", backup=False)
    yield store
    store.close()


def test_plan_named_by_the_title_row_with_its_period_and_levels(kodaira):
    (plan,) = kodaira.plans()
    assert (plan.name, plan.start_fy, plan.end_fy, plan.level_names) == (PLAN, 2017, 2020, ("方針", "取組"))
    assert sql(kodaira, "SELECT path, depth, level_name FROM nodes ORDER BY depth") == [
        ('["1 地域協働の推進"]', 1, "方針"), ('["1 地域協働の推進", "協働事業の更なる推進"]', 2, "取組")]


def test_items_with_purpose_content_effect_and_departments(kodaira):
    data = kodaira.load_plan(kodaira.plans()[0].plan_id)
    assert [it.item_no for it in data.items] == ["1", "2", "3", "4", "5", "6", "7"]
    two = data.item("2")
    assert two.title == "協働事業の推進"
    assert two.node_path == ("1 地域協働の推進", "協働事業の更なる推進")
    assert two.purpose == "ボランティア活動を推進し、協働事業の充実を図る"
    assert two.content.splitlines()[1] == "防災訓練"
    assert two.effect == "ボランティア制度の充実 地域防災体制の充実 地域防犯体制の充実"
    assert two.department_names == ("文化スポーツ課", "防災危機管理課", "地域安全課", "高齢者支援課", "道路課",
                                    "健康推進課", "図書館")
    assert data.item("7").department_names == ("政策課", "市民協働・男女参画推進課")


def test_indicator_targets_read_from_the_text(kodaira):
    rows = sql(kodaira, "SELECT item_no, indicator, unit, direction, final_target, final_target_fy FROM indicators "
                         "ORDER BY item_no, sort")
    assert rows == [
        ("1", "市との協働事業数", "事業", "higher", 60.0, 2020),
        ("1", "大学との協働事業数", "事業", "higher", 25.0, 2020),
        ("1", "市民活動支援公募事業応募数", "件", "higher", 5.0, 2020),
        ("1", "いきいき協働公募事業応募数", "件", "higher", 2.0, 2020),
        ("2", "ボランティア参加者数", "人", "higher", 2094.0, 2020),
        ("2", "総合防災訓練参加者数", "人", "higher", 1300.0, 2020),
        ("2", "振り込め詐欺被害防止キャンペーン参加者数", "人", "higher", 1750.0, 2020),
        ("2", "防犯講座参加者数", "人", "higher", 50.0, 2020),
        ("4", "市民一人1日当たりごみ量", "g/人日", "lower", 480.0, 2022),
        ("5", "参加団体数", "団体", "higher", 10.0, 2020),
        ("6", "協議会開催回数", "回/年", "higher", 94.0, 2020),
        ("6", "学校支援ボランティア養成講座数", "回/年", "higher", 85.0, 2020),
        ("7", "地域連携のための会議を実施した地区数", "地区", "higher", 4.0, 2020),
    ]


def test_text_without_a_target_stays_the_items_qualitative_target(kodaira):
    got = dict(sql(kodaira, "SELECT item_no, qualitative_target FROM items"))
    assert got["3"] == "小平市観光まちづくり振興プラン達成状況"
    assert got["1"] == "市民活動支援センター来場者数 協働事業数"  # names given without a number
    assert got["2"] is None and got["7"] is None


def test_schedule_per_activity_and_year(kodaira):
    rows = sql(kodaira, "SELECT activity, fiscal_year, mark FROM schedules WHERE item_no = '7' ORDER BY sort, fiscal_year")
    assert [r for r in rows if r[1] == 2017] == [("地域の課題解決に向けた取り組みの支援", 2017, "実施"),
                                                 ("地域コミュニティの場の設定", 2017, "実施"),
                                                 ("自治会に対する支援", 2017, "実施")]
    assert {r[2] for r in rows if r[1] > 2017} == {"→"}
    assert sql(kodaira, "SELECT count(*) FROM schedules")[0][0] == 16 * 4  # 16 activity rows × 4 years


def test_indicator_rows_carry_the_text_they_came_from():
    batch = parse(read_workbook(SAMPLE), None)
    (row,) = [r for r in batch.table("indicators") if r["indicator"] == "参加団体数"]
    assert row["_from_text"] == "参加団体数 10団体"
    assert row["_reading"].startswith("「参加団体数 10団体」→ 指標「参加団体数」最終目標 10団体")
    assert (row["_sheet"], row["_cell"]) == ("方針I 地域協働の推進", "I14")


def test_the_same_file_again_changes_nothing(kodaira):
    prep = prepare(kodaira, SAMPLE, today=TODAY)
    assert prep.changes is not None and prep.changes.is_empty, prep.changes.summary()


def test_a_missing_title_is_an_error_naming_the_cell(tmp_path):
    from helpers import edited_copy
    bad = edited_copy(SAMPLE, tmp_path / "bad.xlsx", {("方針I 地域協働の推進", "D14"): None})
    store = Store.open(tmp_path / "kpi.duckdb")
    prep = prepare(store, bad, today=TODAY)
    (err,) = prep.errors
    assert (err.sheet, err.cell, err.code) == ("方針I 地域協働の推進", "D14", "missing_title")
    assert "No.5" in err.message
    assert store.is_empty()
    store.close()


def test_level_names_come_from_the_header_row():
    batch = parse(read_workbook(SAMPLE), "任意の計画")
    assert batch.plan_name == "任意の計画"
    assert json.loads(batch.plan["level_names"]) == ["方針", "取組"]
