"""Helpers shared by the importers: finding labels, reading numbers and years with cell names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from kpi.errors import FiscalYearError, Problem
from kpi.intake.keys import header_key, header_keys
from kpi.intake.workbook import Sheet, Workbook, clean_text, coord
from kpi.rules.fiscal import find_fiscal_years
from kpi.rules.numbers import ParsedNumber, parse_number
from kpi.store.journal import Batch


@dataclass
class Reporter:
    """Collects problems for one sheet of one file, naming the cell each time."""

    file: str
    sheet: str
    batch: Batch

    def error(self, row: int | None, col: int | None, message: str, hint: str | None = None, code: str = "") -> None:
        cell = coord(row, col) if row and col else None
        self.batch.problems.append(Problem("error", message, self.sheet, cell, self.file, hint, code))

    def warning(self, row: int | None, col: int | None, message: str, hint: str | None = None, code: str = "") -> None:
        cell = coord(row, col) if row and col else None
        self.batch.problems.append(Problem("warning", message, self.sheet, cell, self.file, hint, code))

    def where(self, row: int, col: int) -> dict[str, str]:
        """Provenance stored on batch rows (keys starting with '_' are never written to the database)."""
        return {"_sheet": self.sheet, "_cell": coord(row, col), "_file": self.file}


def find_label(sheet: Sheet, predicate: Callable[[str], bool], *, rows: range | None = None,
               max_len: int = 40) -> tuple[int, int] | None:
    """The first cell (top to bottom, left to right) whose short text satisfies predicate."""
    cells = sheet.nonempty_in(rows) if rows is not None and rows.step == 1 else sheet.iter_nonempty()
    for r, c, v in cells:
        if rows is not None and r not in rows:
            continue
        if not sheet.is_merge_anchor_or_single(r, c):
            continue
        t = clean_text(v)
        if len(t) <= max_len and predicate(t):
            return r, c
    return None


def right_value(sheet: Sheet, row: int, col: int) -> tuple[Any, int] | None:
    """The first value to the right of a label, skipping the label's own merged cells."""
    m = sheet.merge_of(row, col)
    start = (m[3] + 1) if m else col + 1
    for c in range(start, sheet.max_col + 1):
        if not sheet.is_merge_anchor_or_single(row, c):
            continue
        v = sheet.raw(row, c)
        if v is not None:
            return v, c
    return None


def label_rows(sheet: Sheet, row: int, col: int) -> range:
    """Rows a (possibly merged) label spans."""
    m = sheet.merge_of(row, col)
    return range(m[0], m[2] + 1) if m else range(row, row + 1)


def read_number(rep: Reporter, sheet: Sheet, row: int, col: int, what: str,
                unit: str | None = None, *, allow_text: bool = False) -> ParsedNumber:
    """Parse a number cell; text that is not a number is an error naming the cell."""
    raw = sheet.raw(row, col)
    p = parse_number(raw, unit)
    if p.kind == "text" and not allow_text:
        rep.error(row, col, f"{what}に「{clean_text(raw)}」とあり、数値として読めません",
                  "数字（例: 1,090 や 930(見込み)）で入力し、値がないときは空欄か「―」にしてください",
                  code="not_a_number")
    return p


def read_column(values: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """[fn(v) for v in values], with fn worked out once per distinct value (by type and value: 1 and
    1.0 are two). A 100,000-row column of years, item numbers or indicator names holds a few hundred
    distinct values; fn must be pure and its results shared (frozen, or never changed)."""
    return read_column_distinct(values, fn)[0]


def read_column_distinct(values: list[Any], fn: Callable[[Any], Any]) -> tuple[list[Any], list[Any]]:
    """read_column, and fn's result for each distinct value: a caller asks those whether any cell
    needs a closer look (a text in a number column) before it looks at the cells one by one."""
    kinds = set(map(type, values))
    if len(kinds) == 1 or kinds <= {str, type(None)}:
        # one type (or text and blanks, which never compare equal): the values are keys as they are,
        # without a (type, value) pair per cell
        try:
            made = {v: fn(v) for v in set(values)}
        except TypeError:
            out = [fn(v) for v in values]
            return out, out
        return list(map(made.__getitem__, values)), list(made.values())
    keys = list(zip(map(type, values), values))
    try:
        made = {k: fn(k[1]) for k in set(keys)}
    except TypeError:  # an unhashable value (none that calamine gives): one by one
        out = [fn(v) for v in values]
        return out, out
    return list(map(made.__getitem__, keys)), list(made.values())


_ERA_ZERO_RE = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHRmtshr])\s*\.?\s*[0０]+(?![0-9０-９])")


def years_in(text: str, default_era: str | None = None) -> list[int]:
    """Fiscal years mentioned in a header; an impossible one ('令和0年度') is skipped, not raised."""
    if type(text) is str:
        # each of 300 item sheets repeats the same year headers
        return list(_years_in_text(text, default_era))
    return _years_in(text, default_era)


def _years_in(text: Any, default_era: str | None) -> list[int]:
    try:
        return [f.year for f in find_fiscal_years(text, default_era)]
    except FiscalYearError:
        try:
            return [f.year for f in find_fiscal_years(_ERA_ZERO_RE.sub(" ", str(text)), default_era)]
        except FiscalYearError:
            return []


@lru_cache(maxsize=1 << 14)
def _years_in_text(text: str, default_era: str | None) -> tuple[int, ...]:
    return tuple(_years_in(text, default_era))


_UNIT_BY_SUFFIX = (("者数", "人"), ("人数", "人"), ("件数", "件"), ("回数", "回"), ("団体数", "団体"), ("率", "%"))


def guess_unit(name: str) -> str:
    """A unit only where the name makes it unambiguous ('受講者数' → 人); otherwise none."""
    n = re.sub(r"[\(（][^)）]*[\)）]\s*$", "", clean_text(name)).strip()
    for suffix, unit in _UNIT_BY_SUFFIX:
        if n.endswith(suffix):
            return unit
    return ""


def named_columns(sheet: Sheet, row: int, headers: dict[str, Any]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Columns of a header row by name (first match of each name's aliases), and the header
    texts no name claimed, as (column, key) for layouts that recognise more by pattern."""
    cols: dict[str, int] = {}
    rest: list[tuple[int, str]] = []
    for c in range(1, sheet.max_col + 1):
        key = header_key(sheet.raw(row, c))
        if not key:
            continue
        name = next((n for n, aliases in headers.items() if n not in cols and key in header_keys(aliases)), None)
        if name is None:
            rest.append((c, key))
        else:
            cols[name] = c
    return cols, rest


_PLAN_WORDS = r"(?:プラン|計画|戦略|指針|方針|ビジョン)"


def plan_name_from_title(text: Any) -> str | None:
    """'小平市第3次行財政再構築プラン 実行プログラム(案)' → '小平市第3次行財政再構築プラン'.

    The title row of a sheet names its plan; what follows (実行プログラム, 進捗状況一覧表, a period in
    parentheses) names the document, not the plan. A leading fiscal year is dropped.
    """
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text or ""))).strip()
    s = re.sub(r"^(?:(?:平成|令和|H|R)\s*(?:元|[0-9]{1,2})|[0-9]{4})\s*年度?\s*", "", s)
    m = re.match(rf"^(\S.*?{_PLAN_WORDS})(?=[\s(（【]|$)", s)
    if not m or len(m.group(1)) > 60:
        return None
    return m.group(1).strip()


def layout_sheets(wb: Workbook, detect_sheet: Callable[[Sheet], float], batch: Batch,
                  min_score: float = 0.6) -> list[Sheet]:
    """The visible sheets of one layout; hidden ones are named in a warning and skipped."""
    out = []
    for sheet in wb.sheets:
        if detect_sheet(sheet) < min_score:
            continue
        if not sheet.visible:
            Reporter(wb.file_name, sheet.name, batch).warning(
                None, None, "非表示のシートは読み込みませんでした", "取り込む場合はシートを再表示して保存してください",
                code="hidden_sheet")
            continue
        out.append(sheet)
    return out
