"""One key per item number, whatever layout the file arrived in (kpi/intake/keys.py).

Each written form of a number goes into the number cell of a real file of every layout that
carries item numbers, and the parsed item must get the one key item_number() gives."""

from __future__ import annotations

import pytest
from conftest import NIIGATA, SAMPLES
from helpers import canonical_workbook, edited_copy
from openpyxl import Workbook

from kpi.intake.keys import header_key, item_number
from kpi.intake.layouts import detect_layout, parse_workbook, read_workbook

# (as written, the key): circled numbers stay (a third level: 1-(1)-①), width and "No." go, Ⅰ is I.
WRITTEN = [
    ("1-①", "1-①"),
    ("No.１", "1"),
    ("①", "①"),
    ("Ⅰ-1", "I-1"),
    ("１２", "12"),
    ("１－３", "1-3"),
    ("NO.7", "7"),
    ("№ 8", "8"),
    ("2\u200b", "2"),
    ("（１）", "(1)"),
]


@pytest.mark.parametrize("written, key", WRITTEN)
def test_the_key_of_a_written_number(written, key):
    assert item_number(written) == key
    assert item_number(key) == key  # a key is its own key: stored numbers keep matching


@pytest.mark.parametrize("v, key", [(1.0, "1"), (12, "12"), ("1.0", "1"), (None, ""), (" 3 ", "3")])
def test_the_key_of_a_number_cell(v, key):
    assert item_number(v) == key


def _template(tmp_path, written, title):
    return canonical_workbook(
        tmp_path / "c.xlsx", plan={"計画名": "キー", "開始年度": "2020年度", "終了年度": "2022年度"},
        items=[{"体系1": "方針", "体系2": "施策", "No.": written, "取組名": title, "担当課": "広報課"}],
        indicators=[{"No.": written, "指標名": "件数", "単位": "件", "最終目標値": 10, "最終目標年度": "2022年度"}],
        values=[{"No.": written, "指標名": "件数", "年度": "2020年度", "計画": 5, "実績": 4}])


def _canonical(tmp_path, written):
    return _template(tmp_path, written, "対象の取組"), "canonical", "対象の取組", ""


def _progress_sheet(tmp_path, written):
    path = edited_copy(NIIGATA, tmp_path / "p.xlsx", {("No.28(H27-28)", "H3"): written, ("No.28(H29-30)", "H3"): written})
    return path, "progress_sheet", None, ""


def _action_list(tmp_path, written):
    src = SAMPLES / "kodaira_plan3_actions.xlsx"
    return edited_copy(src, tmp_path / "a.xlsx", {("方針I 地域協働の推進", "C4"): written}), "action_list", "協働推進体制の充実", ""


def _strategy_list(tmp_path, written):
    src = SAMPLES / "kodaira_sousei_progress_h29.xlsx"
    # 施策番号 under 基本目標1 and its ①: the key is goal-section-number
    path = edited_copy(src, tmp_path / "s.xlsx", {("進捗状況一覧", "A5"): written})
    return path, "strategy_list", "市内農家の収入増に向けた取組の支援", "1-①-"


LAYOUTS = {"canonical": _canonical, "progress_sheet": _progress_sheet, "action_list": _action_list,
           "strategy_list": _strategy_list}


@pytest.mark.parametrize("written, key", WRITTEN)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_keys_a_written_number_the_same_way(tmp_path, layout, written, key):
    path, expected_layout, title, prefix = LAYOUTS[layout](tmp_path, written)
    wb = read_workbook(path)
    assert detect_layout(wb).key == expected_layout
    batch = parse_workbook(wb, "キー")
    items = {r.get("title"): r["item_no"] for r in batch.table("items")}
    got = items[title] if title else next(iter(items.values()))
    assert got == prefix + key, batch.problems


def _marks(tmp_path, level1, level2, plan):
    wb = Workbook()
    ws = wb.active
    ws.title = "進捗"
    ws.append(["○○市協働推進計画（令和3年度～令和12年度） 進捗状況（令和5年度末時点）"])
    ws.append(["推進項目", "施策", "実行計画", "進捗状況"])
    ws.append([level1, level2, plan, "✓ 完了"])
    wb.save(tmp_path / "m.xlsx")
    return tmp_path / "m.xlsx"


@pytest.mark.parametrize("level1, level2, plan", [
    ("1 場づくり", "(1) 拠点", "①拠点の設置"),
    ("１ 場づくり", "（１） 拠点", "①拠点の設置"),
    ("1．場づくり", "⑴ 拠点", "① 拠点の設置"),
])
def test_a_marks_sheet_keys_its_numbers_as_the_template_does(tmp_path, level1, level2, plan):
    """The same item written in a 進捗状況 sheet of marks and in the template's No. column: one key."""
    wb = read_workbook(_marks(tmp_path, level1, level2, plan))
    assert detect_layout(wb).key == "marks_progress"
    (item,) = parse_workbook(wb, "キー").table("items")
    (same,) = parse_workbook(read_workbook(_template(tmp_path, "１-（１）-①", "拠点の設置")), "キー").table("items")
    assert item["item_no"] == same["item_no"] == "1-(1)-①"


@pytest.mark.parametrize("written, key", [("No.", "no."), ("Ｎｏ．", "no."), ("年 度", "年度"), ("取 組 内 容", "取組内容"),
                                          ("指標名\u200b", "指標名"), ("　評価　", "評価"), (None, "")])
def test_the_key_of_a_header(written, key):
    assert header_key(written) == key


def _rewrite_headers(src, dst, sheet: str, old: str, new: str):
    from openpyxl import load_workbook
    wb = load_workbook(src)
    n = 0
    for row in wb[sheet].iter_rows():
        for c in row:
            if c.value == old:
                c.value, n = new, n + 1
    assert n, f"{old} not on {sheet}"
    wb.save(dst)
    return dst


@pytest.mark.parametrize("layout, sheet, old, new", [
    ("canonical", "取組", "No.", "Ｎｏ．"),
    ("canonical", "年度値", "指標名", "指 標 名"),
    ("action_list", "方針I 地域協働の推進", "No.", "ＮＯ．"),
    ("strategy_list", "進捗状況一覧", "施策番号", "施 策 番 号"),
    ("marks_progress", "推進計画進捗", "実行計画", "実　行　計　画"),
    ("guideline_tables", "協働の取組経過", "年 度", "年度"),
    ("guideline_tables", "協働の政策的位置付け", "時 期", "時\u3000期"),
])
def test_a_header_written_wide_or_spaced_reads_the_same(tmp_path, layout, sheet, old, new):
    src = {"canonical": None, "action_list": SAMPLES / "kodaira_plan3_actions.xlsx",
           "strategy_list": SAMPLES / "kodaira_sousei_progress_h29.xlsx",
           "marks_progress": SAMPLES / "tomisato_kyodo_progress.xlsx",
           "guideline_tables": SAMPLES / "kodaira_kyodo_guideline_tables.xlsx"}[layout] or _template(tmp_path, "1", "取組")
    before = read_workbook(src)
    after = read_workbook(_rewrite_headers(src, tmp_path / "h.xlsx", sheet, old, new))
    assert detect_layout(before).key == detect_layout(after).key == layout
    a, b = parse_workbook(before, "キー"), parse_workbook(after, "キー")
    assert {t: len(r) for t, r in b.rows.items()} == {t: len(r) for t, r in a.rows.items()}
    assert [p.message for p in b.problems] == [p.message for p in a.problems]
