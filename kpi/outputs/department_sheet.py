"""The department's own sheet, pre-filled: the canonical template with their items already in it.

For a plan, a fiscal year and a department, the workbook holds the department's
items and indicators as stored, last year's plan/actual and this year's plan.
The cells to fill (this year's actual, anything still empty, the 備考 of each
year, the year's self-evaluation) are yellow and unlocked; every other cell is
locked by sheet protection without a password, so the numbers and names the
import matches on stay as they are. What is written is what the importer reads
back: uploading the untouched file changes nothing, a filled one needs no
retyping, and every unlocked cell is one the importer reads. Every cell goes
through kpi/outputs/xlsx.py (text never becomes a formula).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from kpi.errors import FiscalYearError, NotFound
from kpi.intake.layouts.canonical import (
    SHEET_EVALS,
    SHEET_HELP,
    SHEET_INDICATORS,
    SHEET_ITEMS,
    SHEET_PLAN,
    SHEET_VALUES,
)
from kpi.intake.workbook import clean_text
from kpi.outputs import xlsx
from kpi.outputs.template import header_row, template_workbook, write_template
from kpi.outputs.xlsx import INPUT_COLOR
from kpi.rules.fiscal import fiscal_year_of, format_fiscal_year, parse_fiscal_year
from kpi.rules.model import Indicator, Item, PlanData, YearValue
from kpi.rules.numbers import format_number
from kpi.sanitize import safe_file_name
from kpi.store.store import Store
from kpi.vocabulary import YEAR, direction_label

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFERENCE_ITEMS, REFERENCE_INDICATORS = "取組（参考）", "指標（参考）"


@dataclass(frozen=True)
class Download:
    file_name: str
    data: bytes
    mime: str
    description: str


def departments_of(store: Store, plan_id: int) -> tuple[str, ...]:
    """Departments with at least one item in the plan, sorted by name."""
    return store.departments(plan_id)


def _value_text(value: float | None, estimate: bool) -> Any:
    """A stored value as the importer reads it back: a number, or '930(見込み)'."""
    if value is None:
        return None
    if estimate:
        return f"{format_number(value)}(見込み)"
    return int(value) if float(value).is_integer() else value


def _departments_text(item: Item) -> str | None:
    if not any(d.is_main for d in item.departments):
        return None  # without a main one the text cannot say so; leaving it blank keeps what is stored
    parts = []
    for d in item.departments:
        name = f"{d.name}●" if d.is_main else d.name
        parts.append(f"({name})" if d.role == "関連" else name)
    return "、".join(parts)


def _direction_text(ind: Indicator) -> str | None:
    if ind.direction_source not in ("sheet", "manual"):
        return None  # inferred again from the same numbers on the way back
    return direction_label(ind.direction)


def _year(ind: Indicator, fy: int) -> YearValue:
    return ind.year(fy) or YearValue(fy)


def department_sheet(store: Store, plan_id: int, fiscal_year: int, department: str | None) -> Download:
    """The pre-filled workbook for one department (None: every item of the plan)."""
    data = store.load_plan(plan_id)
    info = data.plan
    rule = store.rule(plan_id)
    items = _items_of(data, department)
    levels = max((len(it.node_path) for it in items), default=0)
    wb = template_workbook(plan_name=info.name, municipality=info.municipality, start_fy=info.start_fy,
                           end_fy=info.end_fy, levels=max(levels, 1))

    # 計画: only what identifies the plan. Settings (評価方式, 階層名) are left out so that a
    # department's upload never proposes to change them.
    plan = wb[SHEET_PLAN]
    for row in plan.iter_rows(min_row=2):
        label = row[0].value
        if label == "種類":
            xlsx.put(row[1], info.kind or None)
        elif label in ("階層名", "評価方式", "説明"):
            xlsx.put(row[1], None)

    ws = wb[SHEET_ITEMS]
    if not levels:
        ws.delete_cols(1)  # the template's 体系1 column; no item of this plan has a hierarchy
    for it in items:
        xlsx.append(ws, list(it.node_path) + [None] * (levels - len(it.node_path)) +
                    [it.item_no, it.title, _departments_text(it)])

    ws = wb[SHEET_INDICATORS]
    for it in items:
        for ind in it.indicators:
            xlsx.append(ws, [it.item_no, ind.name, ind.unit or None, _direction_text(ind),
                             "○" if ind.cumulative else "×",
                             format_fiscal_year(ind.baseline_fy) if ind.baseline_fy else None,
                             _value_text(ind.baseline, ind.baseline_estimated),
                             format_fiscal_year(ind.final_target_fy) if ind.final_target_fy else None,
                             _value_text(ind.final_target, False), ind.final_target_text,
                             "○" if ind.qualitative else None])

    ws = wb[SHEET_VALUES]
    headers = header_row(SHEET_VALUES)
    xlsx.write(ws, 1, len(headers) + 1, "単位（参考）")
    xlsx.write(ws, 1, len(headers) + 2, TITLE_REFERENCE)
    col = {h: i + 1 for i, h in enumerate(headers)}
    for it in items:
        for ind in it.indicators:
            for fy in (fiscal_year - 1, fiscal_year):
                yv = _year(ind, fy)
                # a qualitative indicator's words go back as written (read back as the same words)
                target = yv.target_words if ind.qualitative and yv.target_words else _value_text(yv.target, yv.target_estimate)
                actual = yv.actual_words if ind.qualitative and yv.actual_words else _value_text(yv.actual, yv.actual_estimate)
                r = xlsx.append(ws, [it.item_no, ind.name, format_fiscal_year(fy), target, actual, yv.note,
                                     ind.unit or None, it.title])
                for kind, value, estimate in (("計画", target, yv.target_estimate),
                                              ("実績", actual, yv.actual_estimate)):
                    this_actual = fy == fiscal_year and kind == "実績"
                    if value is None or estimate or this_actual:
                        what = "見込みの値は確定値に直してください" if estimate else None
                        xlsx.open_cell(ws.cell(row=r, column=col[kind]), what)
                xlsx.open_cell(ws.cell(row=r, column=col["備考"]))

    ws = wb[SHEET_EVALS]
    headers = header_row(SHEET_EVALS)
    col = {h: i + 1 for i, h in enumerate(headers)}
    labels = list(rule.self_grade_labels)
    dv = xlsx.list_validation(labels, f"{'・'.join(labels)} から選んでください")
    if dv is not None:
        ws.add_data_validation(dv)
    xlsx.write(ws, 1, len(headers) + 1, TITLE_REFERENCE)
    for it in items:
        ev = next((e for e in it.evaluations if e.fiscal_year == fiscal_year and e.stage == YEAR), None)
        r = xlsx.append(ws, [it.item_no, format_fiscal_year(fiscal_year), YEAR, ev.grade if ev else None,
                             ev.status_text if ev else None, ev.issues_text if ev else None, it.title])
        for h in ("評価", "取組の状況", "課題・今後の方針"):
            xlsx.open_cell(ws.cell(row=r, column=col[h]))
        if dv is not None:
            dv.add(ws.cell(row=r, column=col["評価"]))

    # Every sheet is protected: the only cells that can be typed into are the yellow ones opened
    # above, and each of them is read back by the importer (tests/test_sheet_round_trip.py).
    for ws in wb.worksheets:
        xlsx.protect(ws)
    # Items and indicators are shown for reference only: under these names the importer skips
    # them, so a department's report can never redefine an indicator or re-infer its direction.
    wb[SHEET_ITEMS].title = REFERENCE_ITEMS
    wb[SHEET_INDICATORS].title = REFERENCE_INDICATORS

    help_ws = wb[SHEET_HELP]
    who = department or "すべての担当課"
    help_ws.insert_rows(2, 2)
    xlsx.write(help_ws, 2, 1, "この様式")
    xlsx.write(help_ws, 2, 2, f"「{info.name}」{format_fiscal_year(fiscal_year)}の報告用（{who}）。"
                              "登録済みの取組・指標と、前年度の計画・実績、今年度の計画を書き込んであります。")
    xlsx.write(help_ws, 3, 1, "入力するセル")
    xlsx.write(help_ws, 3, 2, "黄色のセルだけ入力できます（年度値シートの実績・空欄の計画・見込みの値・備考、評価シートの評価と文章）。"
                              "ほかのセルは保護されています（パスワードなし）。「取組（参考）」「指標（参考）」は確認用で、取り込みでは読みません。"
                              "保存したら、そのまま「データ取込」からアップロードしてください。")
    help_ws.cell(row=3, column=1).fill = xlsx.input_style()[0]
    for ws in wb.worksheets:
        _for_reading_and_print(ws)
    wb.active = wb.sheetnames.index(SHEET_VALUES)
    file_name, description = department_sheet_label(data, fiscal_year, department)
    return Download(file_name, xlsx.save(wb), XLSX_MIME, description)


TITLE_REFERENCE = "取組名（参考）"  # not a column the importer reads: the name beside every No.


def _for_reading_and_print(ws) -> None:
    """Every text shows whole, on screen and on A4: names get the width they need (指標名 up to its
    「(累計)」), long texts wrap, rows are as tall as their lines, and each sheet prints fitted to
    the page width with its header row on every page."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    if ws.max_row < 1:
        return
    head = [c.value for c in ws[1]]
    if ws.title == SHEET_HELP:
        ws.column_dimensions["B"].width = 100
        wrap_cols = {2}
    elif ws.title == SHEET_PLAN:
        wrap_cols = {2}
    else:
        wrap_cols = set()
        for i, h in enumerate(head, start=1):
            if h is None:
                continue
            longest = max((xlsx.display_width(str(c.value)) for (c,) in ws.iter_rows(min_row=1, min_col=i, max_col=i)
                           if c.value is not None), default=0)
            letter = get_column_letter(i)
            now = ws.column_dimensions[letter].width or 8.43
            if h in ("取組の状況", "課題・今後の方針", "現状と課題", "目的", "取組の内容", "見込まれる効果", "備考",
                     "最終目標（文章）", TITLE_REFERENCE, "取組名"):
                wrap_cols.add(i)  # long texts: wrapped in a fixed width
                if h == TITLE_REFERENCE:
                    ws.column_dimensions[letter].width = 36
                elif ws.max_row < 2 or longest <= xlsx.display_width(str(h)):
                    ws.column_dimensions[letter].width = xlsx.display_width(str(h)) + 3  # nothing to read in it
            elif h in ("指標名", "単位", "単位（参考）") or longest + 2 <= 40:
                # names and numbers: wide enough to read whole (指標名 …（累計）), at most 60
                ws.column_dimensions[letter].width = max(now, min(60, longest + 2))
            else:  # a long name (体系, 取組名): wrapped in a readable width
                wrap_cols.add(i)
                ws.column_dimensions[letter].width = 30
    for row in ws.iter_rows():
        for cell in row:
            wrap = cell.column in wrap_cols or cell.row == 1
            cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    xlsx.fit_row_heights(ws)
    if ws.title in (SHEET_HELP, SHEET_PLAN):
        xlsx.print_setup(ws, landscape=False, area=ws.dimensions)
    else:
        xlsx.print_setup(ws, title_rows="1:1", area=ws.dimensions)


def _items_of(data: PlanData, department: str | None) -> list:
    return [it for it in data.items if department is None or department in {d.name for d in it.departments}]


def department_sheet_label(data: PlanData, fiscal_year: int, department: str | None) -> tuple[str, str]:
    """(file name, description) of department_sheet, without building the workbook: the page
    shows them on the button and builds the file only when it is pressed."""
    items = _items_of(data, department)
    who = department or "すべての担当課"
    return (safe_file_name(f"{data.plan.name}_{format_fiscal_year(fiscal_year)}_{who}.xlsx"),
            f"{who}の取組 {len(items)} 件・指標 {sum(len(it.indicators) for it in items)} 件")


def sheet_years(data: PlanData, current_fy: int) -> list[int]:
    """The fiscal years a department sheet can be made for: the plan's period, every year with
    data, and the current one (what the download page offers)."""
    plan = data.plan
    years = set(range(plan.start_fy, plan.end_fy + 1)) if plan.start_fy and plan.end_fy else set()
    return sorted(years | set(data.data_years) | {current_fy})


def sheet_for(store: Store, plan_name: str, year: object, department: str | None, today: date) -> Download:
    """department_sheet named the way a person writes it: the plan's name, the year as on the page
    (2024, 令和6年度, R6) and the department (None: every item of the plan). Unknown names and
    years are refused with the choices there are."""
    info = store.require_plan(plan_name)  # compared in the one normalised form of plan names
    try:
        fy = parse_fiscal_year(year)
    except FiscalYearError as exc:
        raise FiscalYearError(f"年度「{year}」: {exc.message}", hint=exc.hint or "例: 2024、令和6年度、R6") from exc
    data = store.load_plan(info.plan_id)
    years = sheet_years(data, fiscal_year_of(today))
    if fy not in years:
        raise NotFound(f"{format_fiscal_year(fy)}（{fy}年度）の記入用シートは「{info.name}」にはありません",
                       hint=f"選べる年度: {_year_ranges(years)}")
    if department is not None:
        known = departments_of(store, info.plan_id)
        found = department if department in known else clean_text(department)
        if found not in known:
            raise NotFound(f"「{info.name}」に担当課「{department}」の取組はありません",
                           hint="この計画の担当課: " + ("、".join(known) or "（登録なし）"))
        department = found
    return department_sheet(store, info.plan_id, fy, department)


def _year_ranges(years: list[int]) -> str:
    """[2015, 2016, 2017, 2026] → '平成27年度〜平成29年度、令和8年度'."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return "、".join(format_fiscal_year(r[0]) + (f"〜{format_fiscal_year(r[-1])}" if len(r) > 1 else "") for r in runs)


def blank_template_name(plan_name: str = "") -> str:
    return safe_file_name(f"標準テンプレート{('_' + plan_name) if plan_name else ''}.xlsx")


@lru_cache(maxsize=8)  # the same bytes every time: made once per process
def blank_template(plan_name: str = "") -> Download:
    return Download(blank_template_name(plan_name), write_template(plan_name=plan_name), XLSX_MIME,
                    "計画・取組・指標・年度値・評価の空の様式")


__all__ = ["Download", "department_sheet", "department_sheet_label", "sheet_for", "sheet_years", "blank_template",
           "blank_template_name",
           "departments_of", "INPUT_COLOR"]
