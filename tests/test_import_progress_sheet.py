"""進捗管理シート (seed 004): what a person reads on the sheet is what the store holds."""

from __future__ import annotations

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, TODAY
from helpers import sql
from openpyxl import Workbook

from kpi.intake.layouts import detect_layout, read_workbook
from kpi.intake.pipeline import commit, prepare


def values(store, indicator):
    rows = sql(store, 
        "SELECT fiscal_year, kind, value FROM indicator_values WHERE indicator = ? ORDER BY fiscal_year, kind",
        [indicator])
    out = {}
    for fy, kind, value in rows:
        out.setdefault(fy, {})[kind] = value
    return {fy: (d.get("target"), d.get("actual")) for fy, d in out.items()}


def test_detected_from_content_not_file_name(tmp_path):
    renamed = tmp_path / "提出.xlsx"
    renamed.write_bytes(NIIGATA.read_bytes())
    assert detect_layout(read_workbook(renamed)).key == "progress_sheet"


def test_no28_target_and_actual_series(niigata_store):
    assert values(niigata_store, "コミュニティ・コーディネーター育成講座受講者数(累計)") == {
        2015: (1090, 1152), 2016: (1250, 1345), 2017: (1410, 1454), 2018: (1570, 1671)}
    assert values(niigata_store, "まちづくりセンター数") == {
        2015: (42, 43), 2016: (50, 48), 2017: (58, 54), 2018: (66, 55)}


def test_no28_indicators(niigata_store):
    rows = sql(niigata_store, 
        "SELECT indicator, unit, direction, cumulative, baseline, baseline_fy, baseline_estimated, final_target, "
        "final_target_text FROM indicators ORDER BY sort")
    assert rows == [
        ("コミュニティ・コーディネーター育成講座受講者数(累計)", "人", "higher", True, 930.0, 2014, True, None, "継続実施"),
        ("まちづくりセンター数", None, "higher", False, 37.0, 2014, True, None, "継続して拡充"),
    ]


def test_no28_item_departments_and_hierarchy(niigata_store):
    data = niigata_store.load_plan(niigata_store.plans()[0].plan_id)
    (item,) = data.items
    assert item.item_no == "28"
    assert item.title == "地域活動の担い手を育む仕組みづくり(住民自治を担う人材の育成、ノウハウ蓄積)"
    assert [(d.name, d.is_main) for d in item.departments] == [("市民協働課", True), ("中央公民館", False)]
    assert item.node_path == ("重点改革項目Ⅱ 市民や民間とのパートナーシップ・連携の深化",
                              "1 区自治協議会、地域コミュニティ協議会、NPOなどとのさらなる協働の推進",
                              "3 地域活動を支える担い手を創出するための場の積極的な提供")
    assert item.current_issues.startswith("平成21年度より地域団体と連携し")
    assert "≪計画期間の目標≫" in item.purpose and "≪事業の最終目標≫" in item.purpose
    assert item.content.startswith("・コミュニティ・コーディネーター育成講座を全ての区で継続実施")
    assert data.plan.start_fy == 2015 and data.plan.end_fy == 2018


def test_no28_evaluations(niigata_store):
    rows = sql(niigata_store, "SELECT fiscal_year, stage, grade FROM evaluations ORDER BY fiscal_year, stage")
    got = {(fy, stage): grade for fy, stage, grade in rows}
    assert {k: v for k, v in got.items() if k[1] == "年度"} == {
        (2015, "年度"): "B", (2016, "年度"): "C", (2017, "年度"): "C", (2018, "年度"): "C"}
    assert all(got[(fy, "上半期")] == "進捗に遅れあり" for fy in (2015, 2016, 2017, 2018))
    assert got[(2017, "中間")] == "C"
    assert got[(2018, "計画期間")] == "C"
    (texts,) = sql(niigata_store, 
        "SELECT status_text, issues_text, next_text FROM evaluations WHERE stage = '中間'")
    assert texts[0].startswith("・まちづくりセンターは区によって")
    assert texts[1].startswith("・まちづくりセンター整備は進捗しているが")
    assert texts[2].startswith("地域づくりの拠点として")
    (issues,) = sql(niigata_store, "SELECT issues_text FROM evaluations WHERE fiscal_year = 2015 AND stage = '年度'")
    assert issues[0].startswith("・引き続き、合意の取れた地域から整備していくが")


def test_schedule_row_read_even_when_shifted_one_column(niigata_store):
    (text,) = sql(niigata_store, "SELECT text FROM narratives WHERE fiscal_year = 2018")[0]
    assert "【計画】" in text and "【実績】" in text
    assert "西蒲区に1箇所のまちづくりセンターを整備" in text


def _progress_sheet(ws, *, title, no, item, era_years, values, half, grades, dept="政策企画課●"):
    ws.append([title])
    ws.append([])
    ws.append(["取組項目(中項目)", "2 行政運営の効率化", None, None, None, None, "No.", no])
    ws.append(["具体的な取組項目(小項目)", "1 事務の見直し", None, None, None, None, "担当課", dept])
    ws.append(["改革実施項目名称(細項目)", item])
    ws.append(["取組の内容", "・電子申請を広げる。"])
    y1, y2 = era_years
    ws.append(["改革実施概要", None, "現状\n(令和元年度)", y1, None, y2, None, "最終目標/\n5年度以降"])
    ws.append([None, "取組工程\n(具体的な内容)", None, "計画", "実績", "計画", "実績"])
    for name, row in values:
        ws.append(["指標", name] + row)
    ws.append([])
    ws.append(["進捗管理", "(各年度10月に実施)", y1, None, None, y2])
    ws.append(["取組の状況", "上半期\n(4~9月)", "上半期の状況1", None, half[0], "上半期の状況2", None, half[1]])
    ws.append([])
    ws.append(["年度評価", "(年度終了後に実施)", y1, None, None, y2])
    ws.append(["年度評価", "取組工程、指標に対する評価", "評価1", None, grades[0], "評価2", None, grades[1]])
    ws.append([None, "課題、今後の方針、改善事項など", "課題1", None, None, "課題2"])
    ws.merged_cells  # layout without merges: blocks reach to the next header


def test_reiwa_headers_full_width_digits_dashes_and_hidden_sheets(store, tmp_path):
    wb = Workbook()
    index = wb.active
    index.title = "目次"
    index.append(["No.", "取組名"])
    index.append([5, "電子申請の拡大"])
    ws = wb.create_sheet("No.5")
    _progress_sheet(ws, title="重点項目Ⅰ 効率的な行政運営", no="５", item="電子申請の拡大",
                    era_years=("令和2年度", "令和3年度"),
                    values=[("電子申請件数", ["１２０(見込み)", "１５０", "１６２", "２００", "―", "５００"]),
                            ("窓口待ち時間(分)", ["30", "25", "27", "20", "", "10"])],
                    half=("順調", "進捗に遅れあり"), grades=("A", "Ｂ"))
    hidden = wb.create_sheet("No.6")
    _progress_sheet(hidden, title="重点項目Ⅰ", no="6", item="隠れた取組", era_years=("令和2年度", "令和3年度"),
                    values=[("件数", ["1", "2", "3", "4", "5", "6"])], half=("順調", "順調"), grades=("A", "A"))
    hidden.sheet_state = "hidden"
    path = tmp_path / "r3.xlsx"
    wb.save(path)

    prep = prepare(store, path, plan_name="テスト市行革プラン", today=TODAY)
    assert not prep.errors, prep.errors
    assert any(p.code == "hidden_sheet" and p.sheet == "No.6" for p in prep.warnings)
    commit(store, [prep], "テスト")
    assert sql(store, "SELECT item_no FROM items") == [("5",)]
    assert values(store, "電子申請件数") == {2020: (150, 162), 2021: (200, None)}
    (ind,) = sql(store, "SELECT baseline, baseline_fy, baseline_estimated, final_target, final_target_fy, direction "
                         "FROM indicators WHERE indicator = '電子申請件数'")
    assert ind == (120.0, 2019, True, 500.0, 2023, "higher")
    (wait,) = sql(store, "SELECT direction, direction_source FROM indicators WHERE indicator = '窓口待ち時間(分)'")
    assert wait == ("lower", "inferred")
    grades = dict(((fy, st), g) for fy, st, g in sql(store, "SELECT fiscal_year, stage, grade FROM evaluations"))
    assert grades[(2020, "年度")] == "A" and grades[(2021, "年度")] == "B"
    assert grades[(2021, "上半期")] == "進捗に遅れあり"


@pytest.mark.parametrize("cell, value, message", [
    ("E14", "4三", "数値として読めません"),
    ("D13", "約1000人", "数値として読めません"),
])
def test_text_in_a_number_cell_names_sheet_and_cell(store, tmp_path, cell, value, message):
    from helpers import edited_copy
    bad = edited_copy(NIIGATA, tmp_path / "bad.xlsx", {("No.28(H27-28)", cell): value})
    prep = prepare(store, bad, plan_name=NIIGATA_PLAN, today=TODAY)
    (err,) = prep.errors
    assert (err.file, err.sheet, err.cell) == ("bad.xlsx", "No.28(H27-28)", cell)
    assert value in err.message and message in err.message
    assert store.is_empty()


def test_no_and_number_in_one_cell_and_an_index_sheet_with_many_columns(store, tmp_path):
    wb = Workbook()
    index = wb.active
    index.title = "取組の一覧"  # not named 目次: recognised by its column of item numbers under No.
    index.append(["No.", "取組名", "担当課", "指標", "年度評価"])
    index.append([7, "電子申請の拡大", "政策企画課", "電子申請件数", "A"])
    index.append([8, "窓口の改善", "市民課", "待ち時間", "B"])
    ws = wb.create_sheet("取組7")
    _progress_sheet(ws, title="重点項目Ⅰ 効率的な行政運営", no=None, item="電子申請の拡大",
                    era_years=("令和2年度", "令和3年度"),
                    values=[("電子申請件数", ["100", "150", "162", "200", "―", "500"])],
                    half=("順調", "順調"), grades=("A", "B"))
    ws["G3"], ws["H3"] = "No.７", None
    path = tmp_path / "one_cell.xlsx"
    wb.save(path)
    prep = prepare(store, path, plan_name="テスト市行革プラン", today=TODAY)
    assert not prep.errors and not prep.warnings, prep.problems
    commit(store, [prep], "テスト")
    assert sql(store, "SELECT item_no, title FROM items") == [("7", "電子申請の拡大")]
    assert values(store, "電子申請件数") == {2020: (150, 162), 2021: (200, None)}
