"""Issue 14, item 5: odd cells are reported, never silently dropped.

Excel error values become a warning naming the sheet and the cell (and are read as blank); invisible
characters never make two item numbers out of one. (Duplicate sheet names and zip members and VBA
under any name are in tests/hostile_books.py; era years in tests/test_fiscal.py.)
"""

from __future__ import annotations

import pytest
from conftest import TODAY
from helpers import canonical_workbook
from openpyxl import load_workbook

from kpi.intake.keys import item_number
from kpi.intake.layouts.canonical import _item_no
from kpi.intake.pipeline import prepare
from kpi.intake.workbook import read_workbook, strip_invisible

PLAN = {"計画名": "エラー値テスト計画", "開始年度": "2020年度", "終了年度": "2022年度"}
ITEMS = [{"体系1": "方針", "体系2": "施策", "No.": 1, "取組名": "広報の充実", "担当課": "広報課"},
         {"体系1": "方針", "体系2": "施策", "No.": 2, "取組名": "窓口の改善", "担当課": "市民課"}]
INDICATORS = [{"No.": n, "指標名": "件数", "単位": "件", "基準値": 1, "基準年度": "2019年度", "最終目標値": 10,
               "最終目標年度": "2022年度"} for n in (1, 2)]


def _with_errors(path):
    values = [{"No.": 1, "指標名": "件数", "年度": "2020年度", "計画": 5, "実績": "#DIV/0!"},
              {"No.": 1, "指標名": "件数", "年度": "2021年度", "計画": "#N/A", "実績": 6},
              {"No.": 2, "指標名": "件数", "年度": "2020年度", "計画": 5, "実績": "#SPILL!"}]
    canonical_workbook(path, plan=PLAN, items=ITEMS, indicators=INDICATORS, values=values)
    wb = load_workbook(path)
    ws = wb["年度値"]
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("#"):
                c.data_type = "e"  # what Excel writes for a formula that failed (openpyxl knows only the old codes)
    wb.save(path)
    return path


def test_error_cells_are_read_as_blank_and_each_is_a_warning_naming_its_cell(store, tmp_path):
    prep = prepare(store, _with_errors(tmp_path / "errors.xlsx"), today=TODAY)
    assert not prep.errors, prep.errors
    found = {(p.sheet, p.cell): p for p in prep.warnings if p.code == "error_cell"}
    assert set(found) == {("年度値", "E2"), ("年度値", "D3"), ("年度値", "E4")}
    assert "エラー値「#DIV/0!」" in found[("年度値", "E2")].message and "空欄" in found[("年度値", "E2")].message
    assert "「#N/A」" in found[("年度値", "D3")].message
    assert "「#SPILL!」" in found[("年度値", "E4")].message  # calamine alone refuses the whole file for this one
    assert all(p.file == "errors.xlsx" and p.hint for p in found.values())
    values = {(r["item_no"], r["fiscal_year"], r["kind"]): r["value"] for r in prep.batch.table("indicator_values")}
    assert values == {("1", 2020, "target"): 5, ("1", 2021, "actual"): 6, ("2", 2020, "target"): 5}  # no '#DIV/0!', no 0


def test_an_error_cell_is_found_where_excel_shows_it(tmp_path):
    wb = read_workbook(_with_errors(tmp_path / "e.xlsx"))
    assert [(e.sheet, e.cell, e.value) for e in wb.cell_errors] == [
        ("年度値", "E2", "#DIV/0!"), ("年度値", "D3", "#N/A"), ("年度値", "E4", "#SPILL!")]
    sheet = wb.sheet("年度値")
    assert sheet.raw(2, 5) is None and sheet.raw(2, 4) == 5


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202e", "\u2066", "\x07", "\x1b",
             "\u180e", "\ufe0f", "\U000e0041"]


@pytest.mark.parametrize("ch", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("normalise", [_item_no, item_number], ids=["canonical", "common"])
def test_invisible_characters_do_not_make_another_item_number(normalise, ch):
    assert normalise(f"No.1{ch}") == normalise("No.1") == "1"
    assert normalise(f"{ch}1-2") == normalise("1-2")
    assert normalise(f"2{ch}8") == "28"


def test_circled_numbers_keep_their_meaning_in_each_normaliser():
    assert _item_no("1-(1)-①\u200b") == "1-(1)-①"  # canonical keeps circled numbers
    assert item_number("①\u200b") == item_number("①")


def test_strip_invisible_keeps_what_can_be_seen():
    assert strip_invisible("市民\u200b協働課\u3000No.１") == "市民協働課\u3000No.１"


def test_an_item_number_with_a_zero_width_space_is_the_same_item(store, tmp_path):
    values = [{"No.": "1\u200b", "指標名": "件数", "年度": "2020年度", "計画": 5, "実績": 4},
              {"No.": "\ufeff2", "指標名": "件数", "年度": "2020年度", "計画": 5, "実績": 6}]
    path = canonical_workbook(tmp_path / "zw.xlsx", plan=PLAN, items=ITEMS, indicators=INDICATORS, values=values)
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors, prep.errors
    assert {r["item_no"] for r in prep.batch.table("indicator_values")} == {"1", "2"}


def test_a_progress_sheet_whose_number_carries_a_zero_width_space_is_the_same_item(store, tmp_path):
    from conftest import NIIGATA, NIIGATA_PLAN
    from helpers import edited_copy
    path = edited_copy(NIIGATA, tmp_path / "zw.xlsx", {("No.28(H29-30)", "H3"): "28\u200b", ("No.28(H27-28)", "H3"): "\u206028"})
    prep = prepare(store, path, plan_name=NIIGATA_PLAN, today=TODAY)
    assert not prep.errors, prep.errors
    assert {r["item_no"] for r in prep.batch.table("items")} == {"28"}
