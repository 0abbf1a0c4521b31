"""The canonical template: written by the app, filled by a department, read back without retyping."""

from __future__ import annotations

from conftest import TODAY
from helpers import canonical_workbook, sql
from openpyxl import load_workbook

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.layouts import detect_layout, read_workbook
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.outputs.template import write_template

PLAN = {"計画名": "テスト市総合戦略", "自治体": "テスト市", "開始年度": "令和2年度", "終了年度": "R6",
        "評価方式": "S・A・B・C・D（達成率）"}
ITEMS = [{"体系1": "基本目標1 しごと", "体系2": "① 創業支援", "No.": 1, "取組名": "創業支援の充実",
          "担当課": "産業振興課●、(商工会議所連携室)"},
         {"体系1": "基本目標1 しごと", "体系2": "① 創業支援", "No.": "2", "取組名": "空き店舗対策",
          "担当課": "産業振興課"}]
INDICATORS = [{"No.": 1, "指標名": "創業件数", "単位": "件", "基準年度": "令和元年度", "基準値": "１２",
               "最終目標年度": "R6", "最終目標値": "40"},
              {"No.": 2, "指標名": "空き店舗数", "単位": "店", "基準年度": "H31", "基準値": 80,
               "最終目標年度": "2024年度", "最終目標値": 50},
              {"No.": 2, "指標名": "相談会の開催", "最終目標（文章）": "継続実施"}]
VALUES = [{"No.": 1, "指標名": "創業件数", "年度": "令和2年度", "計画": 18, "実績": "20"},
          {"No.": 1, "指標名": "創業件数", "年度": "R3", "計画": "24", "実績": "21(見込み)"},
          {"No.": 1, "指標名": "創業件数", "年度": "2022年度", "計画": "30", "実績": "―"},
          {"No.": 2, "指標名": "空き店舗数", "年度": 2020, "計画": 75, "実績": 78}]
EVALS = [{"No.": 1, "年度": "令和2年度", "段階": "年度", "評価": "a", "取組の状況": "順調に増加"},
         {"No.": 2, "年度": "R2", "段階": "上半期", "評価": "進捗に遅れあり"}]


def test_template_has_the_four_sheets_and_is_detected(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path)
    wb = load_workbook(path)
    for name in ("取組", "指標", "年度値", "評価", "計画", "記入方法"):
        assert name in wb.sheetnames
    assert [c.value for c in wb["年度値"][1]] == ["No.", "指標名", "年度", "計画", "実績", "備考"]
    assert detect_layout(read_workbook(path)).key == "canonical"


def test_filled_template_imports_with_every_year_form(store, tmp_path):
    path = canonical_workbook(tmp_path / "戦略.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=VALUES,
                              evaluations=EVALS)
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors, prep.errors
    assert prep.batch.plan_name == "テスト市総合戦略"
    commit(store, [prep], "産業振興課")
    info = store.plans()[0]
    assert (info.name, info.municipality, info.start_fy, info.end_fy) == ("テスト市総合戦略", "テスト市", 2020, 2024)
    assert store.rule(info.plan_id).labels == ("S", "A", "B", "C", "D")
    table = export.build(store, "values", today=TODAY, actor=LOCAL_ADMIN)
    col = {c: i for i, c in enumerate(table.columns)}
    rows = {(r[col["indicator"]], r[col["fiscal_year"]]): r for r in table.rows}

    def cells(key, *names):
        return tuple(rows[key][col[n]] for n in names)
    # 20 ÷ 18 = 111.1% → A under S(120%)/A(100%)/B/C/D; progress (20 − 12) ÷ (40 − 12)
    assert cells(("創業件数", 2020), "target", "actual", "achievement_rate", "progress_rate", "auto_grade") == (
        "18", "20", "1.111", "0.286", "A")
    assert cells(("創業件数", 2021), "target", "actual") == ("24", "21")
    assert cells(("創業件数", 2022), "target", "actual") == ("30", "")  # '―' is no value, never 0
    assert cells(("空き店舗数", 2020), "direction") == ("lower",)  # 80 → 50: lower is better
    assert cells(("空き店舗数", 2020), "achievement_rate") == ("0.962",)  # 75 ÷ 78
    ind = {r[2]: r for r in export.build(store, "indicators", actor=LOCAL_ADMIN).rows}
    assert ind["創業件数"][5:10] == (2019, "12", "false", 2024, "40")
    assert ind["相談会の開催"][10] == "継続実施"
    ev = export.build(store, "evaluations", actor=LOCAL_ADMIN).rows
    # plan, item_no, fiscal_year, stage, grade, comment (then the 未確定 mark, empty: nothing awaits review)
    assert ("テスト市総合戦略", "1", 2020, "年度", "A", "順調に増加", "") in ev
    assert ("テスト市総合戦略", "2", 2020, "上半期", "進捗に遅れあり", "", "") in ev
    depts = sql(store, "SELECT department, is_main, role FROM item_departments WHERE item_no = '1' ORDER BY sort")
    assert depts == [("産業振興課", True, "担当"), ("商工会議所連携室", False, "関連")]


def test_values_only_workbook_updates_a_known_plan(store, tmp_path):
    first = canonical_workbook(tmp_path / "a.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=VALUES)
    commit(store, [prepare(store, first, today=TODAY)], "推進課")
    update = canonical_workbook(tmp_path / "b.xlsx", plan={"計画名": "テスト市総合戦略"},
                                values=[{"No.": 1, "指標名": "創業件数", "年度": "令和4年度", "実績": 33}])
    prep = prepare(store, update, today=TODAY)
    assert not prep.errors, prep.errors
    assert [c.describe() for c in prep.changes.inserts] == ["新規 年度値 No.1 創業件数 2022年度 実績: 33"]


def test_every_problem_is_listed_at_once_with_its_cell(store, tmp_path):
    values = [{"No.": 1, "指標名": "創業件数", "年度": "来年度", "計画": 1},
              {"No.": 1, "指標名": "創業件数", "年度": "R3", "計画": "二十"},
              {"No.": 1, "指標名": "創業数", "年度": "R3", "実績": 3},
              {"No.": 9, "指標名": "創業件数", "年度": "R3", "実績": 3},
              {"No.": 1, "指標名": "創業件数", "年度": "R2", "計画": 18},
              {"No.": 1, "指標名": "創業件数", "年度": "令和2年度", "計画": 19}]
    evals = [{"No.": 1, "年度": "R2", "段階": "年度末", "評価": "Z"}, {"No.": 1, "年度": "R2", "段階": "第3四半期"}]
    path = canonical_workbook(tmp_path / "bad.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=values,
                              evaluations=evals)
    prep = prepare(store, path, today=TODAY)
    where = {(p.sheet, p.cell, p.code) for p in prep.errors}
    assert ("年度値", "C2", "bad_year") in where
    assert ("年度値", "D3", "not_a_number") in where
    assert ("年度値", "C7", "duplicate") in where
    assert ("評価", "C3", "bad_stage") in where
    # Reference checks run once the sheets themselves read cleanly: fix the sheet errors, and they show.
    assert store.is_empty()


def test_unknown_item_indicator_and_grade_are_named(store, tmp_path):
    values = [{"No.": 1, "指標名": "創業数", "年度": "R3", "実績": 3},
              {"No.": 9, "指標名": "創業件数", "年度": "R3", "実績": 3}]
    evals = [{"No.": 1, "年度": "R2", "段階": "年度", "評価": "Z"}]
    path = canonical_workbook(tmp_path / "ref.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=values,
                              evaluations=evals)
    prep = prepare(store, path, today=TODAY)
    where = {(p.sheet, p.cell, p.code) for p in prep.errors}
    assert where == {("年度値", "E2", "unknown_indicator"), ("年度値", "E3", "unknown_item"), ("評価", "D2", "bad_grade")}
    assert store.is_empty()


def test_actual_for_a_future_year_is_refused(store, tmp_path):
    values = [{"No.": 1, "指標名": "創業件数", "年度": "令和10年度", "計画": 50, "実績": 60}]
    path = canonical_workbook(tmp_path / "future.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=values)
    (err,) = prepare(store, path, today=TODAY).errors
    assert (err.sheet, err.cell, err.code) == ("年度値", "E2", "future_actual")
