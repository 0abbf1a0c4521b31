"""Exports and the pack as the cycle leaves the plan (issues 20 and 18): a revised target shows 当初 and
修正後 side by side with its date and reason, grades follow the plan's 評価に使う目標, values awaiting review
are marked 未確定, and the item grades (自動評価・自己評価・差) come out of the exports and the CLI.

Every file is opened as a user opens it: csv with utf-8-sig, openpyxl."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY
from helpers import DEPT_PLAN, canonical_workbook, department_plan

from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.cli import main
from kpi.cycle import calls
from kpi.intake.pipeline import commit, prepare
from kpi.outputs.pack.batch import build_pack
from kpi.outputs.readable import export
from kpi.store.store import Store

ADMIN = Actor("推進 一郎", "admin")
KYODO = Actor("協働 太郎", "editor", ("市民協働課",))
FY = 2022
REASON = "中間見直しで上方修正"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2025-05-20")


@pytest.fixture
def plan(store: Store, tmp_path: Path) -> int:
    """Item 1: 計画 40 and 実績 39 in 2022, its 計画 then revised to 50 and its final target 40 → 60."""
    commit(store, [prepare(store, department_plan(tmp_path / "plan.xlsx"), today=TODAY)], ADMIN)
    path = department_plan(tmp_path / "rev.xlsx", only=[1])
    wb = openpyxl.load_workbook(path)
    for row in wb["年度値"].iter_rows(min_row=2):
        if row[2].value == f"{FY}年度":
            row[3].value = 50
    ws = wb["指標"]
    head = [c.value for c in ws[1]]
    ws.cell(row=2, column=head.index("最終目標値") + 1).value = 60
    wb.save(path)
    commit(store, [prepare(store, path, today=TODAY)], ADMIN, note=REASON)
    return store.plan_by_name(DEPT_PLAN).plan_id


def _csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _item1(rows: list[dict], year_col: str, year) -> dict:
    return next(r for r in rows if str(r["取組番号"]) == "1" and r[year_col] == year)


def _revision_day(store: Store) -> str:
    return f"{store.uploads()[0].uploaded_at:%Y-%m-%d}"


def test_both_forms_show_the_original_and_the_revised_target_with_date_and_reason(store, plan):
    day = _revision_day(store)
    people, _ = export(store, "values", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN)
    row = _item1(_csv(people), "年度", "令和4年度")
    assert (row["計画"], row["計画（当初）"], row["計画（修正後）"], row["計画の修正日"], row["計画の修正理由"]) == \
        ("50", "40", "50", day, REASON)
    other = _item1(_csv(people), "年度", "令和3年度")
    assert (other["計画"], other["計画（当初）"], other["計画の修正理由"]) == ("30", "", "")

    book, _ = export(store, "values", "xlsx", actor=LOCAL_ADMIN, plan=DEPT_PLAN)
    row = _item1(_xlsx(book, "年度値"), "年度", "令和4年度")
    assert (row["計画（当初）"], row["計画（修正後）"], row["計画の修正理由"]) == (40, 50, REASON)

    machine, _ = export(store, "values", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN, machine=True)
    row = next(r for r in _csv(machine) if r["item_no"] == "1" and r["fiscal_year"] == str(FY))
    assert (row["target"], row["target_original"], row["target_revised"], row["target_revised_on"]) == \
        ("50", "40", "50", day)
    machine_book, _ = export(store, "values", "xlsx", actor=LOCAL_ADMIN, plan=DEPT_PLAN, machine=True)
    row = next(r for r in _xlsx(machine_book, "values") if str(r["item_no"]) == "1" and r["fiscal_year"] == FY)
    assert (row["target_original"], row["target_revised"], row["target_revision_reason"]) == (40, 50, REASON)

    indicators, _ = export(store, "indicators", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN)
    ind = next(r for r in _csv(indicators) if r["指標名"] == "指標1")
    assert (ind["最終目標"], ind["最終目標（当初）"], ind["最終目標（修正後）"], ind["最終目標の修正日"],
            ind["最終目標の修正理由"]) == ("60", "40", "60", day, REASON)
    assert next(r for r in _csv(indicators) if r["指標名"] == "指標2")["最終目標（当初）"] == ""


def test_grades_follow_the_plans_choice_of_target_in_the_exports_and_the_pack(store, plan, tmp_path):
    def exported():
        row = _item1(_csv(export(store, "values", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN)[0]), "年度", "令和4年度")
        return row["計画"], row["達成率"], row["自動評価"]

    def packed():
        pack = build_pack(store, LOCAL_ADMIN, DEPT_PLAN, "xlsx", year=FY, today=TODAY)
        row = next(r for r in _xlsx(pack.file.data, "指標の年度値") if r["No."] == "1" and r["年度（西暦）"] == FY)
        return row["計画"], round(row["達成率"], 3), row["評価"]

    revised, revised_pack = exported(), packed()
    assert revised == ("50", "78.0%", "C") and revised_pack == (50, 0.78, "C")  # 39 ÷ 50
    calls.save_settings(store, ADMIN, plan, grade_against="original")
    original, original_pack = exported(), packed()
    assert original == ("40", "97.5%", "B") and original_pack == (40, 0.975, "B")  # 39 ÷ 40
    # the original and the revised target stay side by side whichever is graded
    row = _item1(_csv(export(store, "values", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN)[0]), "年度", "令和4年度")
    assert (row["計画（当初）"], row["計画（修正後）"]) == ("40", "50")
    # the pack's appendix lists the revision (当初・修正)
    pack = build_pack(store, LOCAL_ADMIN, DEPT_PLAN, "xlsx", year=FY, today=TODAY)
    assert "目標の修正" in " ".join(openpyxl.load_workbook(io.BytesIO(pack.file.data)).sheetnames)


def test_values_awaiting_review_are_marked_unconfirmed_in_the_exports(store, plan, tmp_path):
    call = calls.open_new(store, ADMIN, plan, FY, ["年度"], date_of("2025-05-31"))
    path = department_plan(tmp_path / "kyodo.xlsx", only=[1], actual={(1, FY): 44})
    commit(store, [prepare(store, path, today=TODAY)], KYODO)
    rows = _csv(export(store, "values", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN)[0])
    row = _item1(rows, "年度", "令和4年度")
    assert (row["実績"], row["未確定"]) == ("44", "未確定")
    assert _item1(rows, "年度", "令和3年度")["未確定"] == ""
    assert all(r["未確定"] == "" for r in rows if r["取組番号"] != "1")
    calls.confirm(store, ADMIN, call, "市民協働課")
    row = _item1(_csv(export(store, "values", "csv", actor=LOCAL_ADMIN, plan=DEPT_PLAN)[0]), "年度", "令和4年度")
    assert (row["実績"], row["未確定"]) == ("44", "")


def date_of(text: str):
    from datetime import date
    return date.fromisoformat(text)


def _graded_plan(store: Store, tmp_path: Path) -> None:
    """Two items with the department's own 年度 grade: one kinder than the automatic grade, one the same."""
    items = [{"体系1": "基本方針1", "体系2": "施策1", "No.": n, "取組名": f"取組{n}", "担当課": "市民協働課"} for n in (1, 2)]
    indicators = [{"No.": n, "指標名": f"指標{n}", "単位": "件", "最終目標年度": "2022年度", "最終目標値": 100}
                  for n in (1, 2)]
    values = [{"No.": 1, "指標名": "指標1", "年度": "2022年度", "計画": 100, "実績": 50},
              {"No.": 2, "指標名": "指標2", "年度": "2022年度", "計画": 100, "実績": 120}]
    evaluations = [{"No.": "1", "年度": "2022年度", "段階": "年度", "評価": "A"},
                   {"No.": "2", "年度": "2022年度", "段階": "年度", "評価": "A"}]
    path = canonical_workbook(tmp_path / "graded.xlsx", plan={"計画名": "評価比較計画", "自治体": "比較市",
                                                              "開始年度": "2022年度", "終了年度": "2022年度"},
                              items=items, indicators=indicators, values=values, evaluations=evaluations)
    prep = prepare(store, path, today=TODAY)
    assert not prep.errors, prep.errors
    commit(store, [prep], ADMIN)


def test_item_grades_self_and_automatic_side_by_side_with_the_gap(store, tmp_path):
    _graded_plan(store, tmp_path)
    rows = _csv(export(store, "grades", "csv", actor=LOCAL_ADMIN, plan="評価比較計画")[0])
    assert list(rows[0])[:8] == ["計画名", "取組番号", "取組名", "担当課", "年度", "自動評価", "自己評価", "差（段階）"]
    by_no = {r["取組番号"]: r for r in rows}
    kinder, same = by_no["1"], by_no["2"]
    assert kinder["自己評価"] == "A" and kinder["自動評価"] not in ("", "A")
    assert int(kinder["差（段階）"]) > 0 and "甘め" in kinder["自己評価と自動評価の比較"]
    assert (same["自動評価"], same["差（段階）"], same["自己評価と自動評価の比較"]) == ("A", "0", "自己評価 A と自動評価 A は一致")
    assert kinder["年度"] == "令和4年度" and kinder["自動評価の根拠"]
    book = _xlsx(export(store, "grades", "xlsx", actor=LOCAL_ADMIN, plan="評価比較計画")[0], "取組の評価")
    assert {str(r["取組番号"]): r["差（段階）"] for r in book} == {"1": int(kinder["差（段階）"]), "2": 0}


def test_the_cli_gives_the_grades_and_defaults_to_the_readers_form(store, tmp_path, capsysbinary):
    _graded_plan(store, tmp_path)
    db = str(tmp_path / "kpi.duckdb")  # the store fixture's file
    store.close()
    assert main(["--db", db, "export", "--what", "grades", "--plan", "評価比較計画"]) == 0
    people = _csv(capsysbinary.readouterr().out)
    assert list(people[0])[:2] == ["計画名", "取組番号"] and {r["自己評価"] for r in people} == {"A"}
    assert main(["--db", db, "export", "--what", "grades", "--plan", "評価比較計画", "--machine"]) == 0
    machine = _csv(capsysbinary.readouterr().out)
    assert {r["item_no"]: r["grade_gap"] for r in machine}["2"] == "0" and "fiscal_year" in machine[0]
    out = tmp_path / "out"
    out.mkdir()
    assert main(["--db", db, "export", "--what", "grades", "--plan", "評価比較計画", "-o", str(out)]) == 0
    (written,) = out.iterdir()
    assert written.name == "取組の評価_評価比較計画_令和4年度.csv"
