"""The export tables as a city-hall reader opens them: Japanese headers, 年度 in the chosen era,
達成率 as %, はい/いいえ and 高いほど良い instead of true and higher.

kpi.outputs.export builds the machine form (English column names, Western years, rates as
fractions), which scripts keep reading (--machine on the CLI, 「機械処理用」 on the page). This
module turns a built Table into the reader's form; every cell still goes through
kpi/outputs/xlsx.py, so text never becomes a formula.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from kpi.access.permissions import Actor
from kpi.outputs import xlsx
from kpi.outputs.export import build, to_csv, to_xlsx
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.store.store import Store
from kpi.views.table import Table

HEADERS: dict[str, str] = {
    "plan": "計画名", "item_no": "取組番号", "item_title": "取組名", "departments": "担当課", "indicator": "指標名",
    "unit": "単位", "direction": "方向", "cumulative": "累計", "fiscal_year": "年度", "target": "計画",
    "actual": "実績", "achievement_rate": "達成率", "progress_rate": "進捗率", "auto_grade": "自動評価",
    "note": "備考", "stage": "段階", "grade": "評価", "comment": "コメント", "baseline_year": "基準年度",
    "baseline": "基準値", "baseline_estimated": "基準値は見込み", "final_target_year": "目標年度",
    "final_target": "最終目標", "final_target_text": "最終目標（文章）", "hierarchy": "体系", "purpose": "目的",
    "content": "取組の内容", "effect": "見込まれる効果", "qualitative_target": "定性目標", "status": "状況",
    "mark": "記号", "text": "実施状況", "activity": "工程", "section": "区分", "seq": "番号",
    "period_text": "時期", "title": "見出し", "body": "内容", "target_text": "計画（文章）", "actual_text": "実績（文章）",
    "qualitative": "定性",
    "target_original": "計画（当初）", "target_revised": "計画（修正後）", "target_revised_on": "計画の修正日",
    "target_revision_reason": "計画の修正理由", "final_target_original": "最終目標（当初）",
    "final_target_revised": "最終目標（修正後）", "final_target_year_original": "目標年度（当初）",
    "final_target_year_revised": "目標年度（修正後）", "final_target_revised_on": "最終目標の修正日",
    "final_target_revision_reason": "最終目標の修正理由", "self_grade": "自己評価", "grade_gap": "差（段階）",
    "gap_text": "自己評価と自動評価の比較", "auto_reason": "自動評価の根拠", "unconfirmed": "未確定",
}
TABLE_LABELS: dict[str, str] = {
    "values": "年度値", "evaluations": "評価", "indicators": "指標と目標", "items": "取組", "statuses": "進捗状況",
    "narratives": "実施状況", "schedules": "工程", "notes": "計画の経過・位置付け", "grades": "取組の評価",
}
YEAR_COLUMNS = {"fiscal_year", "baseline_year", "final_target_year", "final_target_year_original",
                "final_target_year_revised"}
RATE_COLUMNS = {"achievement_rate", "progress_rate"}
NUMBER_COLUMNS = {"target", "actual", "baseline", "final_target", "seq", "target_original", "target_revised",
                  "final_target_original", "final_target_revised", "grade_gap"}
VALUES = {
    "direction": {"higher": "高いほど良い", "lower": "低いほど良い"},
    "cumulative": {"true": "はい", "false": "いいえ"},
    "baseline_estimated": {"true": "はい", "false": "いいえ"},
    "qualitative": {"true": "はい", "false": "いいえ"},
    "unconfirmed": {"true": "未確定"},  # a value or grade awaiting the 推進課's review
    "section": {"milestone": "これまでの経過", "positioning": "計画の位置付け"},
}
# Characters in a column (Excel's width units) for the reader's XLSX; other columns get 12.
WIDTHS = {"plan": 28, "item_title": 36, "departments": 20, "indicator": 36, "comment": 60, "hierarchy": 36,
          "purpose": 40, "content": 40, "effect": 40, "qualitative_target": 40, "text": 60, "body": 60,
          "activity": 30, "title": 30, "note": 30, "final_target_text": 30, "status": 20, "period_text": 16,
          "target_revision_reason": 30, "final_target_revision_reason": 30, "gap_text": 40, "auto_reason": 50}


def _number(v: Any) -> Any:
    if isinstance(v, str):
        if v == "":
            return None
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def readable(table: Table, style: Style = "wareki") -> Table:
    """The same rows with Japanese headers and values as a person reads them (rates stay numbers)."""
    rows = []
    for row in table.rows:
        out = []
        for c, v in zip(table.columns, row):
            if c in VALUES:
                v = VALUES[c].get(v, v)
            elif c in YEAR_COLUMNS:
                n = _number(v)
                v = format_fiscal_year(n, style) if isinstance(n, int) else (n or None)
            elif c in RATE_COLUMNS or c in NUMBER_COLUMNS:
                v = _number(v)
            out.append(None if v == "" else v)
        rows.append(tuple(out))
    return Table(table.what, tuple(HEADERS.get(c, c) for c in table.columns), tuple(rows))


def _percent(v: Any) -> Any:
    return f"{v * 100:.1f}%" if isinstance(v, (int, float)) else v


def readable_csv(table: Table, style: Style = "wareki") -> bytes:
    """UTF-8 with a BOM (Excel opens it as is), Japanese headers, rates as 105.7%."""
    people = readable(table, style)
    rates = {i for i, c in enumerate(table.columns) if c in RATE_COLUMNS}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(people.columns)
    for row in people.rows:
        w.writerow(["" if v is None else (_percent(v) if i in rates else xlsx.csv_text(v)) for i, v in enumerate(row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def readable_xlsx(table: Table, style: Style = "wareki") -> bytes:
    """One sheet named for what it holds, Japanese headers, widths set, rates shown as %."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    people = readable(table, style)
    wb = xlsx.new_workbook()
    ws = wb.create_sheet(TABLE_LABELS.get(table.what, table.what))
    xlsx.append(ws, people.columns)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF4")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rates = {i for i, c in enumerate(table.columns) if c in RATE_COLUMNS}
    for r, row in enumerate(people.rows, start=2):
        for i, v in enumerate(row):
            cell = xlsx.write(ws, r, i + 1, v)
            if i in rates and cell.value is not None:
                cell.number_format = "0.0%"
    for i, c in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(c, 12)
    ws.freeze_panes = "A2"
    if people.rows:
        ws.auto_filter.ref = ws.dimensions
    xlsx.print_setup(ws, title_rows="1:1")
    return xlsx.save(wb)


def file_name(table: Table, fmt: str, plan: str | None, style: Style = "wareki") -> str:
    """'年度値_新潟市行政改革プラン2015_平成27年度〜平成30年度.csv': what, which plans, which years."""
    years = [_number(row[table.columns.index("fiscal_year")]) for row in table.rows] if "fiscal_year" in table.columns else []
    return name_of(table.what, fmt, plan, [y for y in years if isinstance(y, int)], style)


def name_of(what: str, fmt: str, plan: str | None, years, style: Style = "wareki") -> str:
    """The file name for an export of what, of plan (None: every plan), over years."""
    years = sorted(set(years))
    span = (format_fiscal_year(years[0], style) + (f"〜{format_fiscal_year(years[-1], style)}" if years[-1] != years[0]
                                                   else "")) if years else ""
    parts = [TABLE_LABELS.get(what, what), plan or "すべての計画"] + ([span] if span else [])
    return re.sub(r'[\\/:*?"<>|\s]+', "_", "_".join(parts)).strip("_") + f".{fmt}"


def export(store: Store, what: str, fmt: str, *, actor: Actor, plan: str | None = None, today: date | None = None,
           style: Style = "wareki", machine: bool = False) -> tuple[bytes, str]:
    """(the file's bytes, its name): the reader's form, or with machine=True the fixed English columns."""
    table = build(store, what, plan, today, actor=actor)
    if machine:
        data = to_csv(table) if fmt == "csv" else to_xlsx([table])
        return data, f"{what}{'_' + plan if plan else ''}.{fmt}".replace("/", "_")
    data = readable_csv(table, style) if fmt == "csv" else readable_xlsx(table, style)
    return data, file_name(table, fmt, plan, style)
