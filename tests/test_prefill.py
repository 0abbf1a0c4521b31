"""The department's pre-filled sheet: what it holds, what is locked, and that it uploads back without retyping."""

from __future__ import annotations

import io

import pytest
from conftest import NIIGATA_PLAN, TODAY
from helpers import sql
from openpyxl import load_workbook

from kpi.access.permissions import Actor
from kpi.intake.layouts import detect_layout, read_workbook
from kpi.intake.pipeline import commit, prepare
from kpi.outputs.department_sheet import INPUT_COLOR, blank_template, department_sheet, departments_of
from kpi.store.store import Store

CENTRES = "まちづくりセンター数"
COURSE = "コミュニティ・コーディネーター育成講座受講者数(累計)"


@pytest.fixture
def demo(demo_copy) -> Store:
    s = Store.open(demo_copy)
    yield s
    s.close()


def plan_id(store: Store, name: str) -> int:
    return store.plan_by_name(name).plan_id


def is_input(cell) -> bool:
    return cell.protection.locked is False and (cell.fill.fgColor.rgb or "").endswith(INPUT_COLOR)


def rows_of(ws) -> list[dict]:
    head = [c.value for c in ws[1]]
    return [{h: c for h, c in zip(head, row)} for row in ws.iter_rows(min_row=2)]


def test_sheet_holds_the_departments_items_last_year_and_this_years_targets(demo):
    pid = plan_id(demo, NIIGATA_PLAN)
    assert set(departments_of(demo, pid)) == {"市民協働課", "中央公民館"}
    dl = department_sheet(demo, pid, 2018, "市民協働課")
    assert dl.file_name.endswith(".xlsx") and "市民協働課" in dl.file_name and "平成30年度" in dl.file_name
    wb = load_workbook(io.BytesIO(dl.data))
    assert [r["No."].value for r in rows_of(wb["取組（参考）"])] == ["28"]
    assert rows_of(wb["取組（参考）"])[0]["担当課"].value == "市民協働課●、中央公民館"
    inds = {r["指標名"].value: r for r in rows_of(wb["指標（参考）"])}
    assert inds[COURSE]["基準値"].value == "930(見込み)" and inds[COURSE]["最終目標（文章）"].value == "継続実施"
    values = {(r["指標名"].value, r["年度"].value): r for r in rows_of(wb["年度値"])}
    assert set(values) == {(n, y) for n in (COURSE, CENTRES) for y in ("平成29年度", "平成30年度")}
    last, this = values[(CENTRES, "平成29年度")], values[(CENTRES, "平成30年度")]
    assert (last["計画"].value, last["実績"].value) == (58, 54)
    assert this["計画"].value == 66
    # this year's actual is the cell to fill; stored numbers are locked
    assert is_input(this["実績"]) and not is_input(this["計画"])
    assert not is_input(last["計画"]) and not is_input(last["実績"])
    for name in ("計画", "取組（参考）", "指標（参考）", "年度値", "評価"):
        assert wb[name].protection.sheet, name
    ev = rows_of(wb["評価"])[0]
    assert (ev["No."].value, ev["年度"].value, ev["段階"].value, ev["評価"].value) == ("28", "平成30年度", "年度", "C")
    assert is_input(ev["評価"]) and is_input(ev["取組の状況"])
    assert not wb["計画"].protection.password
    help_text = " ".join(str(c.value) for row in wb["記入方法"].iter_rows() for c in row if c.value)
    assert "黄色のセルだけ入力できます" in help_text
    other = department_sheet(demo, plan_id(demo, "小平市第3次行財政再構築プラン"), 2018, "図書館")
    items = rows_of(load_workbook(io.BytesIO(other.data))["取組（参考）"])
    assert items and all("図書館" in (r["担当課"].value or "図書館") for r in items)


@pytest.mark.parametrize("plan", [NIIGATA_PLAN, "小平市第3次行財政再構築プラン", "小平市まち・ひと・しごと創生総合戦略",
                                  "富里市協働のまちづくり推進計画"])
def test_untouched_sheet_uploads_back_as_no_change(demo, plan):
    info = demo.plan_by_name(plan)
    if info is None:
        pytest.skip(f"{plan} is not in the demo yet")
    for dept in (*departments_of(demo, info.plan_id)[:2], None):
        dl = department_sheet(demo, info.plan_id, info.end_fy or 2018, dept)
        prep = prepare(demo, dl.data, dl.file_name, today=TODAY)
        assert not prep.errors, prep.errors
        assert prep.batch.plan_name == plan
        assert prep.changes.is_empty, [c.describe() for c in prep.changes.inserts + prep.changes.updates]


def test_filled_sheet_round_trip_without_retyping(demo, tmp_path):
    """prefill → a department writes the year's actuals into the yellow cells → upload → stored."""
    pid = plan_id(demo, NIIGATA_PLAN)
    dl = department_sheet(demo, pid, 2018, "中央公民館")
    wb = load_workbook(io.BytesIO(dl.data))
    ws = wb["年度値"]
    filled = 0
    for r in rows_of(ws):
        if r["年度"].value == "平成30年度" and is_input(r["実績"]):
            r["実績"].value = {COURSE: "１，７００", CENTRES: 67}[r["指標名"].value]  # full-width digits as typed
            filled += 1
    assert filled == 2
    ev = rows_of(wb["評価"])[0]
    ev["評価"].value = "A"
    ev["取組の状況"].value = "目標を上回った"
    path = tmp_path / dl.file_name
    wb.save(path)
    assert detect_layout(read_workbook(path)).key == "canonical"
    prep = prepare(demo, path, today=TODAY)
    assert not prep.errors, prep.errors
    described = sorted((c.describe() for c in prep.changes.updates), key=lambda d: d.startswith("変更 評価"))
    assert sorted(described[:2]) == sorted([f"変更 年度値 No.28 {COURSE} 2018年度 実績（値: 1,671 → 1,700）",
                                            f"変更 年度値 No.28 {CENTRES} 2018年度 実績（値: 55 → 67）"])
    assert described[2].startswith("変更 評価 No.28 2018年度 年度（評価: C → A、取組の状況: ・まちづくりセンター")
    assert len(described) == 3 and not prep.changes.inserts
    # an editor of the department may write their own sheet
    commit(demo, [prep], Actor("公民館 担当", "editor", ("中央公民館",)), backup=False)
    got = dict(sql(demo, "SELECT indicator, value FROM indicator_values WHERE fiscal_year = 2018 AND kind = 'actual'"))
    assert got == {COURSE: 1700.0, CENTRES: 67.0}
    assert sql(demo, "SELECT grade, status_text FROM evaluations WHERE fiscal_year = 2018 AND stage = '年度'") == \
        [("A", "目標を上回った")]


def test_blank_template_is_the_canonical_layout(tmp_path):
    dl = blank_template()
    path = tmp_path / dl.file_name
    path.write_bytes(dl.data)
    assert detect_layout(read_workbook(path)).key == "canonical"
    assert {"計画", "取組", "指標", "年度値", "評価", "記入方法"} <= set(load_workbook(path).sheetnames)
