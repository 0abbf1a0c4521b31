"""Nothing a person types into a sheet the app hands out is lost (issue 14, item 6).

The rule: every cell a person can type into (an unlocked cell of a protected sheet, or any
cell of an unprotected one) is read and stored. For every sheet the app hands out for
filling in — the blank template and the department sheet — the test fills EVERY unlocked
cell with a distinct valid value of its kind, uploads the file through prepare/commit (and
through the CLI), and finds each value back in the database. A column that is unlocked but
that the importer does not read, or that this test does not know how to find back, fails.

The committee pack's Excel and the exports are outputs for reading, sorting and summing,
never read back (tests/test_sheet_round_trip.py::test_outputs_are_not_taken_back_as_input):
they are not protected and invite no input.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from conftest import TODAY
from helpers import run_kpi, sql
from openpyxl import load_workbook

from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.intake.pipeline import commit, prepare
from kpi.outputs import export
from kpi.outputs.department_sheet import department_sheet, departments_of
from kpi.outputs.template import write_template
from kpi.rules.fiscal import format_fiscal_year, parse_fiscal_year
from kpi.rules.grading import PRESETS, GradingRule
from kpi.store.store import Store
from kpi.views.extras import load_extras
from kpi.views.item import item_detail_view

PLAN = "往復テスト計画"
SAMPLE_ROWS = 3  # rows filled in a column that is open to the end of the sheet
RULE = PRESETS["sabcd"]
PLAN_SHEET = {"計画名": PLAN, "自治体": "往復市", "種類": "行政改革プラン", "開始年度": "令和2年度", "終了年度": "R6",
              "階層名": "基本方針／施策／事業", "評価方式": RULE.name, "説明": "往復テストの計画です"}


# ------------------------------------------------------------------ unlocked cells
def input_cells(wb) -> list[tuple[Any, Any]]:
    """(sheet, cell) for every cell a person can type into."""
    out = []
    for ws in wb.worksheets:
        assert ws.protection.sheet, f"シート「{ws.title}」は保護されていない: どのセルにも入力できる"
        assert not any(d.protection.locked is False for d in ws.row_dimensions.values()), ws.title
        existing = dict(ws._cells)  # before any look-up below adds empty cells
        out += [(ws, c) for c in existing.values() if c.protection.locked is False]
        open_columns = [c for d in ws.column_dimensions.values() if d.protection.locked is False
                        for c in range(d.min, d.max + 1)]
        for col in open_columns:
            for r in range(2, 2 + SAMPLE_ROWS):
                own = existing.get((r, col))
                if own is None or not own.has_style:  # a cell without its own style takes the column's
                    out.append((ws, ws.cell(row=r, column=col)))
    return out


def label_of(ws, cell) -> str:
    """What the cell is: its column's header, or on the 計画 sheet the row's label."""
    return ws.cell(row=cell.row, column=1).value if ws.title == "計画" else ws.cell(row=1, column=cell.column).value


class Filler:
    """A distinct valid value for each cell, by what the cell is."""

    def __init__(self, labels: tuple[str, ...]):
        self.n = 0
        self.labels = labels

    def value(self, sheet: str, label: str, k: int, words: bool = False) -> Any:
        """k: the row's number among the rows filled (1, 2, 3 …): the row's item is No.k. words: the
        row's indicator is 定性 (指標3), whose 計画/実績 are words."""
        self.n += 1
        n = self.n
        fy = 2019 + k  # 令和2年度 …
        table = {
            "計画": PLAN_SHEET,
            "取組": {"体系1": f"方針{k}", "体系2": f"施策{k}", "体系3": f"事業{k}", "No.": str(k), "取組名": f"取組{k}",
                   "担当課": f"担当{k}課●", "現状と課題": f"現状{n}", "目的": f"目的{n}", "取組の内容": f"内容{n}",
                   "見込まれる効果": f"効果{n}", "定性目標": f"定性{n}"},
            "指標": {"No.": str(k), "指標名": f"指標{k}", "単位": f"単位{n}", "方向": "低いほど良い", "累計": "○",
                   "基準年度": "令和元年度", "基準値": 100 + n, "最終目標年度": "R6", "最終目標値": 200 + n,
                   "最終目標（文章）": f"目標の文章{n}", "定性": "○" if k == 3 else "×"},
            "年度値": {"No.": str(k), "指標名": f"指標{k}", "年度": format_fiscal_year(fy),
                    "計画": f"把握{n}" if words else 7000 + n, "実績": f"実施{n}" if words else 8000 + n,
                    "備考": f"備考{n}"},
            "評価": {"No.": str(k), "年度": f"{fy}年度", "段階": ("年度", "中間", "計画期間")[(k - 1) % 3],
                   "評価": self.labels[n % len(self.labels)], "取組の状況": f"状況{n}", "課題・今後の方針": f"課題{n}"},
        }
        if sheet not in table or label not in table[sheet]:
            raise AssertionError(f"シート「{sheet}」の「{label}」は入力できるが、この試験はその値の入れ方を知らない"
                                 "（読み込まれる列なら、ここと found() に加える。読まないなら保護する）")
        return table[sheet][label]


def fill(data: bytes, labels: tuple[str, ...]) -> tuple[bytes, list[tuple[str, str, dict]]]:
    """Fill every input cell; returns the file and (sheet, label, the row's values by label) per cell."""
    wb = load_workbook(io.BytesIO(data))
    cells = input_cells(wb)
    assert cells
    filler = Filler(labels)
    rows_of: dict[tuple[str, int], int] = {}
    for ws, cell in cells:
        if ws.title == "計画":
            k = 1
        else:  # a department sheet's rows already name their item: keep them; a blank row is item k
            k = rows_of.setdefault((ws.title, cell.row), cell.row - 1)
        words = ws.title == "年度値" and ws.cell(row=cell.row, column=2).value == "指標3"  # 指標名 is filled first
        cell.value = filler.value(ws.title, label_of(ws, cell), k, words)
    filled = []
    for ws, cell in cells:
        head = {label_of(ws, c): c.value for c in ws[cell.row]} if ws.title != "計画" else {}
        filled.append((ws.title, label_of(ws, cell), {**head, "_value": cell.value}))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), filled


# ------------------------------------------------------------------ finding them back
def found(store: Store, plan_id: int, sheet: str, label: str, row: dict) -> Any:
    """What the database holds for the cell `label` of a sheet row (row: the row's values by label)."""
    def one(statement: str, *params):
        got = sql(store, statement, [plan_id, *params])
        assert len(got) == 1, (sheet, label, row, got)
        return got[0][0]

    if sheet == "計画":
        col = {"計画名": "name", "自治体": "municipality", "種類": "kind", "開始年度": "start_fy", "終了年度": "end_fy",
               "階層名": "level_names", "評価方式": "grading_rule", "説明": "description"}[label]
        return one(f"SELECT {col} FROM plans WHERE plan_id = ?")
    no = str(row["No."])
    if sheet == "取組":
        if label.startswith("体系"):
            return json.loads(one("SELECT node_path FROM items WHERE plan_id = ? AND item_no = ?", no))[
                int(label[2:]) - 1]
        if label == "担当課":
            dept, main = sql(store, "SELECT department, is_main FROM item_departments WHERE plan_id = ? "
                                     "AND item_no = ?", [plan_id, no])[0]
            return f"{dept}{'●' if main else ''}"
        col = {"No.": "item_no", "取組名": "title", "現状と課題": "current_issues", "目的": "purpose",
               "取組の内容": "content", "見込まれる効果": "effect", "定性目標": "qualitative_target"}[label]
        return one(f"SELECT {col} FROM items WHERE plan_id = ? AND item_no = ?", no)
    if sheet == "指標":
        col = {"No.": "item_no", "指標名": "indicator", "単位": "unit", "方向": "direction", "累計": "cumulative",
               "基準年度": "baseline_fy", "基準値": "baseline", "最終目標年度": "final_target_fy",
               "最終目標値": "final_target", "最終目標（文章）": "final_target_text", "定性": "qualitative"}[label]
        return one(f"SELECT {col} FROM indicators WHERE plan_id = ? AND item_no = ? AND indicator = ?",
                   no, row["指標名"])
    if sheet == "年度値":
        key = (no, row["指標名"], parse_fiscal_year(row["年度"]))
        if label in ("計画", "実績"):  # a number, or a 定性 indicator's words
            return one("SELECT coalesce(text_value, CAST(value AS VARCHAR)) FROM indicator_values WHERE plan_id = ? "
                       "AND item_no = ? AND indicator = ? AND fiscal_year = ? AND kind = ?", *key,
                       "target" if label == "計画" else "actual")
        if label == "備考":
            return one("SELECT note FROM value_notes WHERE plan_id = ? AND item_no = ? AND indicator = ? "
                       "AND fiscal_year = ?", *key)
        return {"No.": key[0], "指標名": key[1], "年度": format_fiscal_year(key[2])}[label] if one(
            "SELECT count(*) FROM indicator_values WHERE plan_id = ? AND item_no = ? AND indicator = ? "
            "AND fiscal_year = ?", *key) else None
    if sheet == "評価":
        key = (no, parse_fiscal_year(row["年度"]), row["段階"])
        col = {"No.": "item_no", "年度": "fiscal_year", "段階": "stage", "評価": "grade", "取組の状況": "status_text",
               "課題・今後の方針": "issues_text"}[label]
        return one(f"SELECT {col} FROM evaluations WHERE plan_id = ? AND item_no = ? AND fiscal_year = ? "
                   "AND stage = ?", *key)
    raise AssertionError(f"シート「{sheet}」は読み込まれない")


def as_stored(sheet: str, label: str, value: Any) -> Any:
    """The typed value in the form the database keeps it."""
    if label in ("開始年度", "終了年度", "基準年度", "最終目標年度") or (label == "年度" and sheet == "評価"):
        return parse_fiscal_year(value)
    if label == "階層名":
        return json.dumps(value.split("／"), ensure_ascii=False)
    if label == "評価方式":
        return RULE.to_json()
    if label == "方向":
        return {"低いほど良い": "lower", "高いほど良い": "higher"}[value]
    if label in ("累計", "定性"):
        return value == "○"
    if sheet == "年度値" and label in ("計画", "実績") and isinstance(value, int):
        return str(float(value))  # as the query above casts a DOUBLE
    if isinstance(value, int):
        return float(value)
    return value


def assert_every_value_stored(store: Store, filled: list[tuple[str, str, dict]]) -> None:
    plan_id = store.plan_by_name(PLAN).plan_id
    missing = []
    for sheet, label, row in filled:
        got = found(store, plan_id, sheet, label, row)
        want = as_stored(sheet, label, row["_value"])
        if label == "評価方式":
            got, want = GradingRule.from_json(got).name, RULE.name
        if got != want:
            missing.append(f"{sheet}!{label}: 入力 {row['_value']!r} → 保存 {got!r}")
    assert missing == [], missing


# ------------------------------------------------------------------ the sheets
def new_plan_from_blank_template(store: Store) -> list[tuple[str, str, dict]]:
    data, filled = fill(write_template(), RULE.self_grade_labels)
    prep = prepare(store, data, "テンプレート記入済み.xlsx", today=TODAY)
    assert not prep.errors, prep.errors
    commit(store, [prep], "管理者", backup=False)
    return filled


def test_every_unlocked_cell_of_the_blank_template_is_stored(store):
    filled = new_plan_from_blank_template(store)
    # every sheet the importer reads, every column, SAMPLE_ROWS rows each
    assert {s for s, _l, _r in filled} == {"計画", "取組", "指標", "年度値", "評価"}
    assert len(filled) == 8 + SAMPLE_ROWS * (11 + 11 + 6 + 6)
    assert_every_value_stored(store, filled)


@pytest.mark.parametrize("department", ["担当2課", None])
def test_every_unlocked_cell_of_the_department_sheet_is_stored(store, department):
    new_plan_from_blank_template(store)
    info = store.plan_by_name(PLAN)
    assert departments_of(store, info.plan_id) == ("担当1課", "担当2課", "担当3課")
    dl = department_sheet(store, info.plan_id, 2022, department)
    data, filled = fill(dl.data, RULE.self_grade_labels)
    labels = {(s, lab) for s, lab, _r in filled}
    # this year's actual, last year's and this year's empty plan, every 備考, the evaluation
    assert labels == {("年度値", "計画"), ("年度値", "実績"), ("年度値", "備考"), ("評価", "評価"),
                      ("評価", "取組の状況"), ("評価", "課題・今後の方針")}
    prep = prepare(store, data, dl.file_name, today=TODAY)
    assert not prep.errors, prep.errors
    actor = Actor("担当課の人", "editor", ("担当2課",)) if department else "管理者"
    commit(store, [prep], actor, backup=False)
    assert_every_value_stored(store, filled)


def test_notes_are_shown_in_the_item_detail_and_the_export(store):
    filled = new_plan_from_blank_template(store)
    notes = {(r["No."], r["年度"]): r["_value"] for s, lab, r in filled if (s, lab) == ("年度値", "備考")}
    assert len(notes) == SAMPLE_ROWS
    info = store.plan_by_name(PLAN)
    data = store.load_plan(info.plan_id)
    for (no, year), note in notes.items():
        detail = item_detail_view(data, load_extras(store, info.plan_id), store.rule(info.plan_id), no, today=TODAY)
        table = detail.indicator_tables[0]
        assert table.columns[-1] == "備考"
        assert dict((r[0], r[-1]) for r in table.rows)[year] == note
    rows = export.build(store, "values", plan=PLAN, today=TODAY, actor=LOCAL_ADMIN)
    col = {c: i for i, c in enumerate(rows.columns)}
    got = {(r[col["item_no"]], r[col["fiscal_year"]]): r[col["note"]] for r in rows.rows}
    assert {(no, parse_fiscal_year(y)): n for (no, y), n in notes.items()}.items() <= got.items()


def test_stored_notes_come_back_in_the_sheet_and_a_note_alone_is_kept(store):
    new_plan_from_blank_template(store)
    info = store.plan_by_name(PLAN)
    stored = sql(store, "SELECT note FROM value_notes WHERE plan_id = ? AND item_no = '1'", [info.plan_id])
    assert len(stored) == 1 and stored[0][0].startswith("備考")
    dl = department_sheet(store, info.plan_id, 2021, "担当1課")
    # the untouched sheet, the stored note written back into it, changes nothing
    prep = prepare(store, dl.data, dl.file_name, today=TODAY)
    assert not prep.errors and prep.changes.is_empty, [c.describe() for c in prep.changes.updates]
    wb = load_workbook(io.BytesIO(dl.data))
    ws = wb["年度値"]
    head = [c.value for c in ws[1]]
    rows = {r[head.index("年度")].value: r for r in ws.iter_rows(min_row=2)}
    assert rows["令和2年度"][head.index("備考")].value == stored[0][0]
    rows["令和2年度"][head.index("備考")].value = "直した備考"
    rows["令和3年度"][head.index("備考")].value = "集計方法を変えたため未集計"  # a year with no value yet
    buf = io.BytesIO()
    wb.save(buf)
    prep = prepare(store, buf.getvalue(), dl.file_name, today=TODAY)
    assert [c.describe() for c in prep.changes.updates] == \
        [f"変更 年度値の備考 No.1 指標1 2020年度（備考: {stored[0][0]} → 直した備考）"]
    assert [c.describe() for c in prep.changes.inserts] == ["新規 年度値の備考 No.1 指標1 2021年度"]
    commit(store, [prep], Actor("担当課の人", "editor", ("担当1課",)), backup=False)
    ind = store.load_plan(info.plan_id).item("1").indicators[0]
    assert (ind.year(2021).note, ind.year(2021).target, ind.year(2021).actual) == ("集計方法を変えたため未集計", None, None)
    assert ind.year(2020).note == "直した備考" and ind.year(2020).target is not None


def test_a_note_for_an_unknown_indicator_is_refused_with_its_cell(store, tmp_path):
    new_plan_from_blank_template(store)
    from helpers import canonical_workbook
    path = canonical_workbook(tmp_path / "note.xlsx", plan={"計画名": PLAN},
                              values=[{"No.": "1", "指標名": "ない指標", "年度": "令和3年度", "備考": "メモ"}])
    prep = prepare(store, path, today=TODAY)
    assert [(p.sheet, p.cell, p.code) for p in prep.errors] == [("年度値", "F2", "unknown_indicator")]


def test_outputs_are_not_taken_back_as_input(store, tmp_path):
    """The pack's Excel and the exports are read-only outputs: uploaded by mistake, nothing in them is
    read as if it were a department's report: each is refused with a message. (The pack's tables look
    enough like a 進捗管理シート to be tried; since issue 19 a published layout that reads no item
    refuses the file instead of giving an empty batch.)"""
    new_plan_from_blank_template(store)
    from kpi.outputs.opinions import load_opinions
    from kpi.outputs.pack import pack_file
    from kpi.outputs.pack.slides import build_deck
    info = store.plan_by_name(PLAN)
    deck = build_deck(store.load_plan(info.plan_id), store.rule(info.plan_id), today=TODAY,
                      opinions=load_opinions(store, info.plan_id))
    outputs = {"pack.xlsx": pack_file(deck, "xlsx").data,
               **{f"{w}.xlsx": export.to_xlsx([export.build(store, w, today=TODAY, actor=LOCAL_ADMIN)]) for w in export.COLUMNS}}
    for name, data in outputs.items():
        prep = prepare(store, data, name, today=TODAY)
        assert prep.errors and prep.changes is None, name
        if name == "pack.xlsx":
            assert "読み取れる取組がありませんでした" in prep.errors[0].message and prep.errors[0].file == name
        wb = load_workbook(io.BytesIO(data))
        assert not any(ws.protection.sheet for ws in wb.worksheets)  # nothing in them asks for input …
        assert not any((c.fill.fgColor.rgb or "").endswith("FFF2CC") for ws in wb.worksheets
                       for row in ws.iter_rows() for c in row)  # … and no cell is yellow


# ------------------------------------------------------------------ the CLI
def run(*args):
    return run_kpi(*args)  # in this process (helpers.run_kpi); test_cli.py runs real processes


def test_cli_writes_a_department_sheet_that_round_trips(tmp_path):
    db = tmp_path / "kpi.duckdb"
    s = Store.open(db)
    new_plan_from_blank_template(s)
    s.close()
    out = tmp_path / "sheets"
    out.mkdir()
    for year in ("2022", "令和4年度", "R4"):  # the year as on the page: 西暦 or 和暦
        r = run("--db", str(db), "sheet", "--plan", PLAN, "--year", year, "--department", "担当3課", "-o", str(out))
        assert r.returncode == 0, r.stderr.decode()
        assert "記入用シートを書き出しました" in r.stdout.decode()
    files = list(out.iterdir())
    assert [f.name for f in files] == [f"{PLAN}_令和4年度_担当3課.xlsx"]
    data, filled = fill(files[0].read_bytes(), RULE.self_grade_labels)
    filled_path = tmp_path / "記入済み.xlsx"
    filled_path.write_bytes(data)
    r = run("--db", str(db), "import", str(filled_path))
    assert r.returncode == 0, r.stderr.decode()
    assert "取り込みました" in r.stdout.decode()
    s = Store.open(db)
    try:
        assert_every_value_stored(s, filled)
    finally:
        s.close()
    # a named file, and every department of the plan
    for dept in ("担当1課", "担当2課"):
        target = tmp_path / f"{dept}.xlsx"
        assert run("--db", str(db), "sheet", "--plan", PLAN, "--year", "R4", "--department", dept,
                   "-o", str(target)).returncode == 0
        assert load_workbook(target)["評価"]["A2"].value == dept[2]


@pytest.mark.parametrize("args, message", [
    (("--plan", "ない計画", "--year", "2022"), "計画「ない計画」はありません"),
    (("--plan", PLAN, "--year", "令和99年度"), "令和99年度（2117年度）の記入用シートは「往復テスト計画」にはありません"),
    (("--plan", PLAN, "--year", "来年"), "年度「来年」"),
    (("--plan", PLAN, "--year", "2022", "--department", "ない課"), "担当課「ない課」の取組はありません"),
])
def test_cli_sheet_refuses_unknown_names_in_japanese(tmp_path, args, message):
    db = tmp_path / "kpi.duckdb"
    s = Store.open(db)
    new_plan_from_blank_template(s)
    s.close()
    target = tmp_path / "x.xlsx"
    r = run("--db", str(db), "sheet", *args, "-o", str(target))
    assert r.returncode == 1
    err = r.stderr.decode()
    assert message in err and "Traceback" not in err
    assert not target.exists()


def test_a_note_typed_in_the_department_sheet_is_on_the_item_page(app_env):
    """As a manager reads it: the 備考 a department wrote is in the indicator's table on 取組・指標の詳細."""
    from conftest import NIIGATA_PLAN
    from test_pages import open_page
    s = Store.open(app_env)
    try:
        pid = s.plan_by_name(NIIGATA_PLAN).plan_id
        dl = department_sheet(s, pid, 2018, "市民協働課")
        wb = load_workbook(io.BytesIO(dl.data))
        ws = wb["年度値"]
        head = [c.value for c in ws[1]]
        row = next(r for r in ws.iter_rows(min_row=2)
                   if (r[head.index("指標名")].value, r[head.index("年度")].value) == ("まちづくりセンター数", "平成30年度"))
        assert row[head.index("備考")].protection.locked is False
        row[head.index("備考")].value = "2地区は用地の協議中"
        buf = io.BytesIO()
        wb.save(buf)
        prep = prepare(s, buf.getvalue(), dl.file_name, today=TODAY)
        commit(s, [prep], Actor("市民協働課の人", "editor", ("市民協働課",)), backup=False)
    finally:
        s.close()
    at = open_page("pages/item_detail.py", pid)
    notes = [list(df["備考"]) for df in (d.value for d in at.dataframe) if "備考" in df.columns]
    assert notes == [["", "", "", "2地区は用地の協議中"]]
