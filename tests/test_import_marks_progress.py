"""推進計画の進捗状況 with marks (seed 003, tomisato_kyodo_progress.xlsx): what a person reads on the sheet."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, TODAY
from helpers import sql
from openpyxl import Workbook

from kpi.intake.layouts import read_workbook
from kpi.intake.layouts.marks_progress import parse
from kpi.intake.pipeline import commit, prepare
from kpi.store.store import Store

SAMPLE = SAMPLES / "tomisato_kyodo_progress.xlsx"


@pytest.fixture(scope="module")
def tomisato(tmp_path_factory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("marks") / "kpi.duckdb")
    prep = prepare(store, SAMPLE, plan_name="富里市協働のまちづくり推進計画", today=TODAY)
    assert prep.layout == "marks_progress" and not prep.errors and not prep.warnings, prep.problems
    commit(store, [prep], "テスト", backup=False)
    yield store
    store.close()


def test_period_from_the_title_and_levels_from_the_header(tomisato):
    (plan,) = tomisato.plans()
    assert (plan.start_fy, plan.end_fy, plan.level_names) == (2011, 2020, ("推進項目", "施策"))
    assert [r[0] for r in sql(tomisato, "SELECT title FROM nodes WHERE depth = 1 ORDER BY sort")] == [
        "1 環境づくり", "2 担い手づくり", "3 情報の提供と共有", "4 市政への参画", "5 市の体制"]


def test_items_from_merged_cells_down(tomisato):
    data = tomisato.load_plan(tomisato.plans()[0].plan_id)
    assert len(data.items) == 34
    it = data.item("1-(2)-③")
    assert it.title == "活動支援アドバイザーの設置及び派遣"
    assert it.node_path == ("1 環境づくり", "(2)活動支援及び中間支援機能の充実")
    assert data.item("5-(2)-①").node_path == ("5 市の体制", "(2)職員の協働意識の向上")
    assert data.item("2-(1)-⑥").title == "リーダー育成講習会の実施"


def test_marks_become_statuses(tomisato):
    rows = {r[0]: r[1:] for r in sql(tomisato, "SELECT item_no, fiscal_year, status, mark, note FROM item_status")}
    assert rows["1-(1)-①"] == (None, "完了の目途", "◇", "◇ 市民活動サポートセンター開設すれば完了（28年3月予定）")
    assert rows["1-(2)-①"] == (None, "完了", "✓", "✓ 平成23年度市民活動推進課新設し完了")
    assert rows["1-(3)-②"] == (None, "継続中", "・", "・ふるさと納税との兼合い検討中")
    counts = dict(sql(tomisato, "SELECT status, count(*) FROM item_status GROUP BY status"))
    assert counts == {"完了": 7, "完了の目途": 7, "継続中": 20}  # counted on the sheet: ✓ ×7, ◇ ×7, ・ ×20


def _sheet(rows, title="○○市協働推進計画（令和3年度～令和12年度） 進捗状況（令和5年度末時点）"):
    wb = Workbook()
    ws = wb.active
    ws.title = "進捗"
    ws.append([title])
    ws.append(["推進項目", "施策", "実行計画", "進捗状況", "今後の方向性"])
    for r in rows:
        ws.append(r)
    return wb


def test_report_year_legend_marks_several_plans_in_one_cell_and_next_steps(tmp_path):
    wb = _sheet([
        ["1 場づくり", "(1) 拠点", "①拠点の設置\n②拠点の運営", "○ 令和4年度に設置\n・ 運営方法を検討中", "運営を委託する"],
        [None, None, "③看板の設置", "完了した", None],
    ])
    wb.active.insert_rows(2)
    wb.active["A2"] = "凡例 ○ =完了 ・ =継続中"
    wb.save(tmp_path / "m.xlsx")
    batch = parse(read_workbook(tmp_path / "m.xlsx"), "テスト")
    assert (batch.plan["start_fy"], batch.plan["end_fy"]) == (2021, 2030)
    got = {r["item_no"]: (r["fiscal_year"], r["status"], r["mark"], r["note"]) for r in batch.table("item_status")}
    assert got["1-(1)-①"] == (2023, "完了", "○", "○ 令和4年度に設置\n【今後の方向性】\n運営を委託する")
    assert got["1-(1)-②"] == (2023, "継続中", "・", "・ 運営方法を検討中\n【今後の方向性】\n運営を委託する")
    assert got["1-(1)-③"] == (2023, None, None, "完了した")
    (warn,) = batch.warnings
    assert (warn.cell, warn.code) == ("D5", "no_mark")


def test_duplicate_plan_number_is_an_error_naming_the_cell(tmp_path):
    _sheet([["1 場づくり", "(1) 拠点", "①拠点の設置", "✓ 完了", None],
            [None, None, "①拠点の運営", "・ 検討中", None]]).save(tmp_path / "d.xlsx")
    store = Store.open(tmp_path / "kpi.duckdb")
    prep = prepare(store, tmp_path / "d.xlsx", plan_name="テスト", today=TODAY)
    (err,) = prep.errors
    assert (err.cell, err.code) == ("C4", "duplicate") and "1-(1)-①" in err.message
    assert store.is_empty()
    store.close()


def test_cells_without_markers_are_numbered_by_position(tmp_path):
    wb = Workbook()
    ws = wb.active
    for row in (["推進項目", "施策", "実行計画", "進捗状況"], ["環境づくり", "拠点の整備", "ブースの設置", "✓ 完了"],
                [None, None, "センターの創設", "・ 検討中"], [None, "支援の充実", "補助金の創設", "◇ 予定"],
                ["担い手づくり", "育成", "講座の開設", "✓"]):
        ws.append(row)
    wb.save(tmp_path / "n.xlsx")
    batch = parse(read_workbook(tmp_path / "n.xlsx"), "テスト")
    assert [(r["item_no"], r["title"]) for r in batch.table("items")] == [
        ("1-(1)-1", "ブースの設置"), ("1-(1)-2", "センターの創設"), ("1-(2)-1", "補助金の創設"), ("2-(1)-1", "講座の開設")]
    assert [r["status"] for r in batch.table("item_status")] == ["完了", "継続中", "完了の目途", "完了"]
