"""Held-back workbooks (tests/data/heldback, built by make_heldback.py): the published layouts with other
items, 令和 years, full-width digits, blanks, '―', repeated headers and extra or hidden sheets import as
correctly as the samples."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import TEST_DATA, TODAY
from helpers import sql

from kpi.intake.layouts import read_workbook
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

HELD = TEST_DATA / "heldback"
FILES = {
    "action_list": HELD / "heldback_action_list.xlsx",
    "strategy_list": HELD / "heldback_strategy_list.xlsx",
    "marks_progress": HELD / "heldback_marks_progress.xlsx",
    "guideline_tables": HELD / "heldback_guideline_tables.xlsx",
    "progress_sheet": HELD / "heldback_progress_sheet.xlsx",
}
PLANS = {"action_list": "みどり市第2次行政改革プラン", "strategy_list": "あおば市まち・ひと・しごと創生総合戦略",
         "marks_progress": "さくら市協働推進計画", "guideline_tables": "さくら市協働の指針",
         "progress_sheet": "みどり市行政改革プラン（進捗管理）"}


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("heldback") / "kpi.duckdb")
    preps = {}
    for layout, path in FILES.items():
        # Plans named by their title rows are left to the sheet; the others are named here.
        plan = None if layout in ("action_list", "strategy_list", "marks_progress") else PLANS[layout]
        prep = prepare(store, path, plan_name=plan, today=TODAY)
        assert prep.layout == layout and not prep.errors, prep.problems
        preps[layout] = prep
    commit(store, list(preps.values()), "テスト", backup=False)
    # by name as a person types it: （進捗管理） is stored in the one normalised form, (進捗管理)
    yield store, preps, {k: store.plan_by_name(v).plan_id for k, v in PLANS.items()}
    store.close()


def q(store, statement, plan_id):
    return sql(store, statement, [plan_id])


def test_hidden_sheets_are_skipped_with_a_warning(held):
    _store, preps, _ids = held
    hidden = {k: [p.sheet for p in prep.warnings if p.code == "hidden_sheet"] for k, prep in preps.items()}
    assert hidden == {"action_list": ["旧計画"], "strategy_list": ["作業用"], "marks_progress": ["前回"],
                      "guideline_tables": ["メモ"], "progress_sheet": ["No.４(廃止)"]}


def test_action_list(held):
    store, _preps, ids = held
    plan = store.plan(ids["action_list"])
    assert (plan.start_fy, plan.end_fy, plan.level_names) == (2021, 2024, ("基本方針", "推進項目"))
    data = store.load_plan(ids["action_list"])
    assert [it.item_no for it in data.items] == ["1", "2", "3", "4", "5"]  # not No.9 of the hidden sheet
    assert data.item("2").node_path == ("Ⅰ 市民サービスの向上", "(1) 窓口サービスの改善")  # blank cell: level above
    assert data.item("5").node_path == ("Ⅱ 持続可能な財政運営", "(2) 資産の適正管理")
    assert [(d.name, d.is_main) for d in data.item("1").departments] == [("市民課", True), ("情報政策課", False)]
    assert [(d.name, d.role) for d in data.item("4").departments] == [("資産活用課", "担当"), ("企画課", "関連")]
    assert data.item("5").purpose is None and data.item("5").effect is None  # blank and '―'
    assert data.item("5").qualitative_target == "職員の意識改革と業務の効率化"
    inds = q(store, "SELECT item_no, indicator, unit, direction, final_target, final_target_fy FROM indicators "
                    "WHERE plan_id = ? ORDER BY item_no, sort", ids["action_list"])
    assert inds == [("1", "オンライン申請件数", "件", "higher", 12000.0, 2024),
                    ("1", "窓口待ち時間", "分", "lower", 15.0, 2024),
                    ("2", "コンビニ交付率", "%", "higher", 30.0, 2024),
                    ("3", "市税収納率", "%", "higher", 98.5, 2024),
                    ("4", "公共施設の延床面積の削減率", "%", "higher", 5.0, 2030)]
    sched = q(store, "SELECT item_no, activity, fiscal_year, mark FROM schedules WHERE plan_id = ? "
                     "AND item_no IN ('1', '3') ORDER BY item_no, sort, fiscal_year", ids["action_list"])
    assert sched == [("1", "電子申請システムの導入", 2021, "検討"), ("1", "電子申請システムの導入", 2022, "実施"),
                     ("1", "電子申請システムの導入", 2023, "→"), ("1", "電子申請システムの導入", 2024, "→"),
                     ("1", "キャッシュレス決済の導入", 2023, "実施"), ("1", "キャッシュレス決済の導入", 2024, "→"),
                     ("3", "口座振替の勧奨", 2021, "実施"), ("3", "口座振替の勧奨", 2022, "→"),
                     ("3", "口座振替の勧奨", 2023, "→"), ("3", "口座振替の勧奨", 2024, "→"),
                     ("3", "滞納整理の強化", 2022, "実施"), ("3", "滞納整理の強化", 2023, "→"),
                     ("3", "滞納整理の強化", 2024, "→")]


def test_strategy_list(held):
    store, _preps, ids = held
    data = store.load_plan(ids["strategy_list"])
    assert [it.item_no for it in data.items] == ["1-①-1", "1-①-2", "1-②-1", "2-①-1", "2-①-2"]
    assert data.item("1-②-1").node_path == ("基本目標１ 「しごとをつくる」", "② 観光の振興")
    assert [(d.name, d.role) for d in data.item("1-①-1").departments] == [("商工観光課", "担当"), ("企画課", "関連")]
    status = dict(q(store, "SELECT item_no, status FROM item_status WHERE plan_id = ? AND fiscal_year = 2021",
                    ids["strategy_list"]))
    assert status == {"1-①-1": "実施中", "1-①-2": "実施中", "1-②-1": "実施中", "2-①-1": "未着手", "2-①-2": "実施中"}
    narr = q(store, "SELECT item_no, fiscal_year, text FROM narratives WHERE plan_id = ? ORDER BY item_no, fiscal_year",
             ids["strategy_list"])
    assert narr == [("1-①-1", 2020, "・創業セミナーを３回開催し、４２人が参加しました。"),
                    ("1-①-1", 2021, "・オンライン相談を始め、１８件の相談がありました。"),
                    ("1-①-2", 2019, "・認証制度を検討しました。"), ("1-①-2", 2020, "・５品目を認証しました。"),
                    ("1-①-2", 2021, "・８品目を認証しました。"),
                    ("1-②-1", 2021, "・駅前の観光案内所に年間３，２００人が来所しました。"),
                    ("2-①-2", 2021, "・相談会を２回開催し、延べ６０組が来場しました。")]


def test_marks_progress(held):
    store, _preps, ids = held
    plan = store.plan(ids["marks_progress"])
    assert (plan.start_fy, plan.end_fy) == (2021, 2030)
    rows = q(store, "SELECT item_no, fiscal_year, status, mark, note FROM item_status WHERE plan_id = ? ORDER BY item_no",
             ids["marks_progress"])
    assert rows == [("1-(1)-①", 2023, "完了", "✔", "✔ 令和４年度に実施し完了"),
                    ("1-(1)-②", 2023, "継続中", "・", "・ＳＮＳで参加者を募集中\n【今後の方向性】\n令和６年度から対象を高校生に広げる"),
                    ("1-(2)-①", 2023, "完了の目途", "◇", "◇ 令和６年４月開設予定"),
                    ("2-(1)-②", 2023, None, None, "【今後の方向性】\n検証方法を検討する")]
    titles = dict(q(store, "SELECT item_no, title FROM items WHERE plan_id = ?", ids["marks_progress"]))
    assert titles["2-(1)-①"] == "提案制度の創設"  # listed, no status reported yet


def test_guideline_tables(held):
    store, preps, ids = held
    rows = q(store, "SELECT section, seq, period_text, fiscal_year, title, body FROM plan_notes WHERE plan_id = ? "
                    "ORDER BY section, seq", ids["guideline_tables"])
    assert rows == [("milestone", 1, "令和元年度", 2019, "協働推進条例の制定", None),
                    ("milestone", 2, "Ｒ２年度", 2020, "協働コーディネーターの配置", None),
                    ("milestone", 3, "令和３年度", 2021, "協働推進計画の策定", None),
                    ("milestone", 4, "―", None, "市民活動センターの移転（時期未定）", None),
                    ("positioning", 1, "令和２年３月", 2019, "さくら市第五次総合計画", "基本目標３「市民とともにつくるまち」"),
                    ("positioning", 2, "令和３年４月", 2021, "さくら市協働推進条例", "協働の基本原則を定める。"),
                    ("positioning", 3, "2022年10月", 2022, "さくら市協働推進計画", "条例に基づく具体的な施策を定める。")]
    (warn,) = [p for p in preps["guideline_tables"].warnings if p.code == "bad_year"]
    assert (warn.sheet, warn.cell) == ("取組の経過", "A6")


def test_progress_sheet_index_ignored_many_item_sheets(held):
    store, preps, ids = held
    assert not [p for p in preps["progress_sheet"].problems if p.sheet == "目次"]
    data = store.load_plan(ids["progress_sheet"])
    assert [it.item_no for it in data.items] == ["1", "2", "3"]
    vals = q(store, "SELECT item_no, indicator, fiscal_year, kind, value FROM indicator_values WHERE plan_id = ? "
                    "ORDER BY item_no, indicator, fiscal_year, kind", ids["progress_sheet"])
    assert vals == [("1", "窓口待ち時間(分)", 2020, "actual", 27.0), ("1", "窓口待ち時間(分)", 2020, "target", 25.0),
                    ("1", "窓口待ち時間(分)", 2021, "target", 20.0),
                    ("1", "電子申請件数", 2020, "actual", 162.0), ("1", "電子申請件数", 2020, "target", 150.0),
                    ("1", "電子申請件数", 2021, "target", 200.0),  # 2021 actual '―': not reported yet
                    ("2", "タブレット配備台数", 2020, "actual", 90.0), ("2", "タブレット配備台数", 2020, "target", 100.0),
                    ("2", "タブレット配備台数", 2021, "target", 200.0),
                    ("3", "オンライン予約率", 2020, "actual", 22.0), ("3", "オンライン予約率", 2020, "target", 20.0),
                    ("3", "オンライン予約率", 2021, "target", 30.0)]  # 2021 actual '集計中'
    inds = q(store, "SELECT item_no, indicator, unit, baseline, baseline_fy, final_target, final_target_fy "
                    "FROM indicators WHERE plan_id = ? ORDER BY item_no, sort", ids["progress_sheet"])
    assert inds == [("1", "電子申請件数", "件", 120.0, 2019, 500.0, 2025),
                    ("1", "窓口待ち時間(分)", None, 30.0, 2019, 10.0, 2025),
                    ("2", "タブレット配備台数", None, 0.0, 2019, 300.0, 2025),
                    ("3", "オンライン予約率", "%", 10.0, 2019, 50.0, 2025)]
    grades = q(store, "SELECT item_no, fiscal_year, grade, status_text FROM evaluations WHERE plan_id = ? "
                      "AND stage = '年度' ORDER BY item_no, fiscal_year", ids["progress_sheet"])
    assert grades == [("1", 2020, "A", "評価の文"), ("1", 2021, "B", "評価の文"), ("2", 2020, "C", "評価の文"),
                      ("2", 2021, "B", "評価の文"), ("3", 2020, "A", "評価の文"),
                      ("3", 2021, None, "評価の文")]  # a comment with its grade not given yet


def test_checked_in_files_are_what_the_script_builds(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_heldback", TEST_DATA / "make_heldback.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "OUT", tmp_path)
    for build in mod.BUILDERS:
        fresh = read_workbook(build())
        kept = read_workbook(HELD / fresh.file_name)
        assert [(s.name, s.rows, sorted(s.merged), s.visible) for s in fresh.sheets] == \
            [(s.name, s.rows, sorted(s.merged), s.visible) for s in kept.sheets], fresh.file_name
