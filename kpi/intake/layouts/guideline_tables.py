"""協働の推進に関する指針: the plan's timeline and policy positioning tables (seed 002).

Two kinds of table, found by their header row (spaces inside headers, as in
'年 度' and '取 組 内 容', are ignored):

* milestones — 年度 | 取組内容: plan_notes(section 'milestone', seq, period_text
  '平成16年度', fiscal_year 2004, title = 取組内容, body NULL);
* positioning — 時期 | 計画・条例等 | 内容: plan_notes(section 'positioning', seq,
  period_text '平成18年3月', fiscal_year = the fiscal year that month falls in
  (平成18年3月 → 2005: the fiscal year starts in April), title = 計画・条例等,
  body = 内容).

seq counts the rows of each section in sheet order (1, 2, …). A period that
cannot be read as a year keeps its text with fiscal_year NULL and a warning.
"""

from __future__ import annotations

import re
import unicodedata

from kpi.errors import FiscalYearError
from kpi.intake.cells import Reporter, layout_sheets
from kpi.intake.keys import header_key, header_keys
from kpi.intake.workbook import Sheet, Workbook, tidy_text
from kpi.rules.fiscal import era_year_to_western, parse_fiscal_year
from kpi.rules.numbers import NO_VALUE_MARKS
from kpi.store.journal import Batch

LAYOUT = "guideline_tables"
LAYOUT_LABEL = "計画の経過・位置付けの表（年度・取組内容／時期・計画・内容）"

_PERIOD_HEADERS = ("年度", "年", "時期", "年月", "期日", "年月日")
_MILESTONE_TITLE = ("取組内容", "取組", "主な取組", "内容", "取組経過", "できごと")
_POSITION_TITLE = ("計画・条例等", "計画・条例", "計画等", "計画・条例・指針等", "名称")
_POSITION_BODY_PREFIX = ("内容", "概要", "目標・方針")
_YEAR_MONTH_RE = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHR])\s*\.?\s*(元|\d{1,2})\s*[年.．/]\s*(\d{1,2})\s*月?"
                            r"|(\d{4})\s*[年./]\s*(\d{1,2})\s*月?")


def _table(sheet: Sheet) -> tuple[int, str, dict[str, int]] | None:
    """(header row, section, columns) of the first table on the sheet."""
    for r in range(1, min(sheet.max_row, 20) + 1):
        keys = {c: header_key(sheet.raw(r, c)) for c in range(1, sheet.max_col + 1) if sheet.raw(r, c) is not None}
        period = next((c for c, k in keys.items() if k in header_keys(_PERIOD_HEADERS)), None)
        if period is None:
            continue
        title = next((c for c, k in keys.items() if c > period and k in header_keys(_POSITION_TITLE)), None)
        if title is not None:
            body = next((c for c, k in keys.items() if c > title and k.startswith(_POSITION_BODY_PREFIX)), None)
            return r, "positioning", {"period": period, "title": title, **({"body": body} if body else {})}
        title = next((c for c, k in keys.items() if c > period and k in header_keys(_MILESTONE_TITLE)), None)
        if title is not None:
            return r, "milestone", {"period": period, "title": title}
    return None


def _period_rows(sheet: Sheet, header_row: int, col: int) -> int:
    n = 0
    for r in range(header_row + 1, min(sheet.max_row, header_row + 30) + 1):
        if period_fiscal_year(sheet.raw(r, col)) is not None:
            n += 1
    return n


def detect(sheet: Sheet) -> float:
    found = _table(sheet)
    if found is None:
        return 0.0
    r, _section, cols = found
    # The rows under the header must be periods, or this is some other table with a 年度 column.
    return 0.9 if _period_rows(sheet, r, cols["period"]) >= 1 else 0.0


def period_fiscal_year(value: object) -> int | None:
    """'平成16年度' → 2004; '平成18年3月' → 2005 (the fiscal year of that month); '2021年4月' → 2021."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and 1868 <= value <= 2200 else None
    if hasattr(value, "year") and hasattr(value, "month"):  # a date cell
        return value.year if value.month >= 4 else value.year - 1
    s = unicodedata.normalize("NFKC", str(value)).strip()
    m = _YEAR_MONTH_RE.search(s)
    if m and "年度" not in s:
        try:
            year = era_year_to_western(m.group(1), m.group(2)) if m.group(1) else int(m.group(4))
        except FiscalYearError:
            return None
        month = int(m.group(3) if m.group(1) else m.group(5))
        if not 1 <= month <= 12:
            return None
        return year if month >= 4 else year - 1
    try:
        return parse_fiscal_year(s)
    except FiscalYearError:
        return None


def parse(wb: Workbook, plan_name: str | None) -> Batch:
    batch = Batch(plan_name=plan_name or "", layout=LAYOUT, source=wb.file_name)
    seq: dict[str, int] = {}
    for sheet in layout_sheets(wb, detect, batch):
        header_row, section, cols = _table(sheet)  # type: ignore[misc]
        rep = Reporter(wb.file_name, sheet.name, batch)
        for r in range(header_row + 1, sheet.max_row + 1):
            period_v = sheet.value(r, cols["period"])
            title_v = sheet.value(r, cols["title"])
            body_v = sheet.value(r, cols["body"]) if "body" in cols else None
            period = tidy_text(period_v) if period_v is not None else ""
            title = tidy_text(title_v) if title_v is not None else ""
            body = str(body_v).strip() if body_v is not None else ""
            if title in NO_VALUE_MARKS:
                title = ""
            if body in NO_VALUE_MARKS:
                body = ""
            if not title and not body:
                continue
            if header_key(period_v) in header_keys(_PERIOD_HEADERS):
                continue  # the header repeated
            fy = period_fiscal_year(period_v)
            if fy is None:
                rep.warning(r, cols["period"], f"時期「{period}」を年度として読めないため、年度なしで記録します",
                            "平成16年度 や 令和3年4月 のように書いてください", code="bad_year")
            seq[section] = seq.get(section, 0) + 1
            batch.add("plan_notes", section=section, seq=seq[section], period_text=period or None, fiscal_year=fy,
                      title=title or None, body=(body or None) if section == "positioning" else None,
                      **rep.where(r, cols["title"]))
    return batch
