"""Every workbook the app writes is formula-safe (issue 14, item 3).

A plan whose stored titles, units, comments and names start with =, +, -, @ (or hold a NUL or
another control character, or a number too large for Excel) is written as the department
sheet, the blank template, the committee pack's Excel and every export. Each file must open,
hold no formula or error cell anywhere, show the text as typed (minus the characters a
workbook cannot hold), keep formula-like text a text cell when it is edited in Excel
(quotePrefix), and hold no number Excel cannot read.

The plan is written straight into the store, as a record from before the import checks
(issue 14, item 4) would be: nothing already stored may make a download fail.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date

import pytest
from conftest import TODAY
from openpyxl import load_workbook

from kpi.access.permissions import LOCAL_ADMIN
from kpi.intake.pipeline import prepare
from kpi.outputs import export, xlsx
from kpi.outputs.department_sheet import blank_template, department_sheet
from kpi.outputs.pack import pack_file
from kpi.outputs.pack.slides import build_deck
from kpi.outputs.template import write_template
from kpi.store.journal import Batch
from kpi.store.store import Store, UploadMeta

PLAN = "=1+2計画"
DEPT = "=総務課"
# what is stored → what a cell must show (characters a workbook cannot hold dropped)
HOSTILE = {
    "title": ("=1+2取組", "=1+2取組"),
    "title2": ("+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0"),
    "title3": ("-2+3", "-2+3"),
    "title4": ("@SUM(A1:A2)", "@SUM(A1:A2)"),
    "title5": ("取組\x00名\x07です\x1b", "取組名です"),
    "title6": ("#N/A", "#N/A"),
    "indicator": ("=指標", "=指標"),
    "unit": ("@件\x00", "@件"),
    "final_text": ("\t=継続実施", "\t=継続実施"),
    "node": ("=HYPERLINK(\"http://evil.example\")", "=HYPERLINK(\"http://evil.example\")"),
    "status": ("=1+2と書いた状況", "=1+2と書いた状況"),
    "issues": ("+課題\x08です", "+課題です"),
    "note": ("＝全角の備考", "＝全角の備考"),
    "opinion": ("@委員の意見", "@委員の意見"),
    "response": ("-回答です", "-回答です"),
    "municipality": ("+81市", "+81市"),
}
SHOWN = {k: v[1] for k, v in HOSTILE.items()}


def H(key: str) -> str:
    return HOSTILE[key][0]


@pytest.fixture
def hostile(store: Store) -> tuple[Store, int]:
    b = Batch(plan_name=PLAN, layout="test", source="test")
    b.plan.update(municipality=H("municipality"), kind="-行政改革", start_fy=2020, end_fy=2022,
                  description="@説明")
    b.add("nodes", path=json.dumps([H("node")], ensure_ascii=False), depth=1, level_name=None, title=H("node"),
          sort=1)
    titles = {"1": H("title"), "2": H("title2"), "3": H("title3"), "4": H("title4"), "5": H("title5"),
              "6": H("title6")}
    for i, (no, title) in enumerate(titles.items(), start=1):
        b.add("items", item_no=no, title=title, node_path=json.dumps([H("node")], ensure_ascii=False), sort=i,
              content="=SUM(1)")
        b.add("item_departments", item_no=no, department=DEPT, is_main=True, role="担当", sort=0)
        b.add("indicators", item_no=no, indicator=H("indicator"), unit=H("unit"), direction="higher",
              direction_source="sheet", cumulative=False, baseline=1.0, baseline_fy=2019, baseline_estimated=False,
              final_target=10.0, final_target_fy=2022, final_target_text=H("final_text"), sort=1)
        for fy in (2020, 2021, 2022):
            b.add("indicator_values", item_no=no, indicator=H("indicator"), fiscal_year=fy, kind="target",
                  value=5.0, is_estimate=False, raw_text="5")
            # a 400-digit actual as it used to be stored: inf
            b.add("indicator_values", item_no=no, indicator=H("indicator"), fiscal_year=fy, kind="actual",
                  value=float("inf") if no == "1" and fy == 2021 else 4.0, is_estimate=False, raw_text=None)
        b.add("value_notes", item_no=no, indicator=H("indicator"), fiscal_year=2022, note=H("note"))
        b.add("evaluations", item_no=no, fiscal_year=2022, stage="年度", grade="B", status_text=H("status"),
              issues_text=H("issues"), next_text=None)
        b.add("item_status", item_no=no, fiscal_year=2022, status="継続中", mark="・", note="=状況の説明")
        b.add("narratives", item_no=no, fiscal_year=2022, text="+実施状況")
        b.add("schedules", item_no=no, activity="-研修", fiscal_year=2022, mark="@実施", sort=1)
        b.add("committee_opinions", item_no=no, meeting="=会議", seq=1, meeting_date=date(2022, 6, 1),
              opinion=H("opinion"), response=H("response"), response_department=DEPT)
    b.add("plan_notes", section="milestone", seq=1, period_text="=平成30年", fiscal_year=2018, title="@策定",
          body="-本文\x00")
    store.apply(b, UploadMeta(user="テスト", kind="edit"))
    return store, store.plan_by_name(PLAN).plan_id


def check_workbook(data: bytes, must_show: set[str]) -> dict[str, list]:
    """Open the file as Excel would be given it; every cell data, no formula anywhere."""
    wb = load_workbook(io.BytesIO(data))  # opens at all: no illegal character made it in
    texts: list[str] = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type not in ("f", "e"), (ws.title, c.coordinate, c.value, c.data_type)
                if isinstance(c.value, str):
                    assert c.data_type == "s", (ws.title, c.coordinate)
                    texts.append(c.value)
                    if c.value.startswith(xlsx.FORMULA_PREFIXES):
                        # Excel keeps it text after F2 + Enter: the cell carries the apostrophe mark
                        assert c.quotePrefix, (ws.title, c.coordinate, c.value)
                elif isinstance(c.value, float):
                    assert math.isfinite(c.value), (ws.title, c.coordinate, c.value)
        for dv in ws.data_validations.dataValidation:
            assert dv.formula1 is None or dv.formula1.startswith('"'), dv.formula1  # a list, never a formula
    for shown in must_show:
        assert any(shown in t for t in texts), f"{shown!r} is not in the workbook as typed"
    assert not any(ch in t for t in texts for ch in "\x00\x07\x08\x1b")
    return {"texts": texts}


def test_department_sheet_writes_hostile_text_as_text(hostile):
    store, pid = hostile
    for dept in (DEPT, None):
        dl = department_sheet(store, pid, 2022, dept)
        check_workbook(dl.data, set(SHOWN.values()) - {SHOWN["opinion"], SHOWN["response"], SHOWN["municipality"]}
                       | {PLAN})
        wb = load_workbook(io.BytesIO(dl.data))
        plan_cell = wb["計画"]["B2"]
        assert (plan_cell.value, plan_cell.data_type) == (PLAN, "s")  # the issue's example: 計画!B2
        # and the file goes back in: the text is read as it was written; the only change is the
        # stored comment losing the control character the sheet could not hold
        prep = prepare(store, dl.data, dl.file_name, today=TODAY)
        assert not prep.errors, prep.errors
        assert prep.batch.plan_name == PLAN
        assert not prep.changes.inserts and not prep.changes.plan_changes
        assert {(c.table, tuple(c.old.items()), tuple(c.new.items())) for c in prep.changes.updates} == \
            {("evaluations", (("issues_text", H("issues")),), (("issues_text", SHOWN["issues"]),))}


def test_blank_template_writes_a_hostile_plan_name_as_text(tmp_path):
    for data in (write_template(plan_name=PLAN, municipality=H("municipality") + "\x00"),
                 blank_template(PLAN).data):
        check_workbook(data, {PLAN})
        wb = load_workbook(io.BytesIO(data))
        assert (wb["計画"]["B2"].value, wb["計画"]["B2"].data_type) == (PLAN, "s")


def test_pack_excel_writes_hostile_text_as_text(hostile):
    store, pid = hostile
    from kpi.outputs.opinions import Meeting, load_opinions
    deck = build_deck(store.load_plan(pid), store.rule(pid), today=TODAY, opinions=load_opinions(store, pid),
                      meeting=Meeting("次の会議", date(2023, 7, 1)))
    f = pack_file(deck, "xlsx")
    check_workbook(f.data, {SHOWN[k] for k in ("title", "title2", "title3", "title4", "title5", "title6",
                                                "indicator", "unit", "opinion", "response")} | {DEPT})


@pytest.mark.parametrize("what", list(export.COLUMNS))
def test_every_export_writes_hostile_text_as_text(hostile, what):
    store, _pid = hostile
    table = export.build(store, what, today=TODAY, actor=LOCAL_ADMIN)
    assert table.rows, what
    check_workbook(export.to_xlsx([table]), {PLAN} | ({"@策定", "-本文"} if what == "notes" else set()))
    # CSV has no cell types: formula-like text starts with an apostrophe, Excel shows it as text
    for row in csv.reader(io.StringIO(export.to_csv(table).decode("utf-8-sig"))):
        for col, v in zip(table.columns, row):
            if col not in export.NUMERIC_COLUMNS:
                assert not v.startswith(xlsx.FORMULA_PREFIXES), (what, col, v)


def test_values_export_holds_the_stored_text(hostile):
    store, _pid = hostile
    wb = load_workbook(io.BytesIO(export.to_xlsx([export.build(store, "values", today=TODAY, actor=LOCAL_ADMIN)])))
    rows = list(wb.active.iter_rows(values_only=True))
    head = rows[0]
    got = {(r[head.index("item_no")], r[head.index("fiscal_year")]): dict(zip(head, r)) for r in rows[1:]}
    assert got[("1", 2022)]["plan"] == PLAN and got[("1", 2022)]["item_title"] == SHOWN["title"]
    assert got[("5", 2022)]["item_title"] == SHOWN["title5"] and got[("5", 2022)]["unit"] == SHOWN["unit"]
    assert got[("6", 2022)]["item_title"] == "#N/A"  # text, not Excel's error value
    assert got[("2", 2022)]["note"] == SHOWN["note"]
    assert got[("1", 2021)]["actual"] is None  # inf cannot be a number in Excel: blank, not a broken file


# ------------------------------------------------------------ the writer itself
@pytest.mark.parametrize("value, shown, data_type", [
    ("=1+2", "=1+2", "s"),
    ("+cmd", "+cmd", "s"),
    ("-2+3", "-2+3", "s"),
    ("@SUM(A1)", "@SUM(A1)", "s"),
    ("\t=1", "\t=1", "s"),
    ("\r=1", "\r=1", "s"),
    ("#DIV/0!", "#DIV/0!", "s"),
    ("a\x00b\x01c\x1fd", "abcd", "s"),
    ("改行\nタブ\tはそのまま", "改行\nタブ\tはそのまま", "s"),
    ("\ufffe\uffff", None, "n"),  # nothing left to show: a blank cell
    ("長" * 40000, "長" * 32767, "s"),
    (5, 5, "n"),
    (-2.5, -2.5, "n"),
    (float("inf"), None, "n"),
    (float("nan"), None, "n"),
    (10 ** 20, str(10 ** 20), "s"),
    (True, True, "b"),
    (None, None, "n"),
])
def test_put_writes_data_never_a_formula(value, shown, data_type):
    wb = xlsx.new_workbook()
    ws = wb.create_sheet("t")
    xlsx.write(ws, 1, 1, value)
    c = load_workbook(io.BytesIO(xlsx.save(wb)))["t"]["A1"]
    assert (c.value, c.data_type) == (shown, data_type)
    assert c.quotePrefix is bool(isinstance(shown, str) and shown.startswith(xlsx.FORMULA_PREFIXES))


def test_save_turns_a_formula_that_bypassed_put_into_text():
    wb = xlsx.new_workbook()
    ws = wb.create_sheet("t")
    ws["A1"] = "=1+2"  # openpyxl's own inference: a formula
    ws["A2"] = "#N/A"
    assert (ws["A1"].data_type, ws["A2"].data_type) == ("f", "e")
    got = load_workbook(io.BytesIO(xlsx.save(wb)))["t"]
    assert [(c.value, c.data_type) for c in (got["A1"], got["A2"])] == [("=1+2", "s"), ("#N/A", "s")]


@pytest.mark.parametrize("options, formula", [
    (("A", "B", "C"), '"A,B,C"'),
    (('優"', "良"), '"優"",良"'),
    (("A,B", "C"), None),  # a comma would split the choice: no drop-down (the importer still checks)
    (("長" * 300,), None),  # past Excel's 255 characters
])
def test_list_validation_is_a_literal_list(options, formula):
    dv = xlsx.list_validation(options)
    assert (dv.formula1 if dv else None) == formula


def test_csv_text():
    assert [xlsx.csv_text(v) for v in ("=1+2", "+a", "-1", "@x", "\tx", "＝1", "普通", 5, None)] == \
        ["'=1+2", "'+a", "'-1", "'@x", "'\tx", "'＝1", "普通", 5, None]


def test_no_workbook_is_saved_outside_the_writer():
    """One writer: no module of the app builds or saves an openpyxl workbook on its own."""
    import ast

    from conftest import ROOT
    offenders = []
    for p in sorted((ROOT / "kpi").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py")) + \
            sorted((ROOT / "ui").glob("*.py")) + [ROOT / "app.py"]:
        if p.relative_to(ROOT).as_posix() == "kpi/outputs/xlsx.py":
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "openpyxl" and \
                    any(a.name == "Workbook" for a in node.names):
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}: imports openpyxl.Workbook")
    assert offenders == []
