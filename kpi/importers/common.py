"""Helpers shared by the importers: finding labels, reading numbers and years with cell names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from kpi.batch import Batch
from kpi.errors import Problem
from kpi.fiscal import find_fiscal_years, parse_fiscal_year
from kpi.errors import FiscalYearError
from kpi.importers.workbook import Sheet, clean_text, coord
from kpi.numbers import ParsedNumber, parse_number


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
    for r, c, v in sheet.iter_nonempty():
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


def read_fiscal_year(rep: Reporter, sheet: Sheet, row: int, col: int, what: str = "年度",
                     default_era: str | None = None) -> int | None:
    raw = sheet.value(row, col)
    try:
        return parse_fiscal_year(raw, default_era)
    except FiscalYearError as exc:
        rep.error(row, col, f"{what}「{clean_text(raw)}」: {exc.message}", exc.hint or "例: 平成27年度、R3、2021年度",
                  code="bad_year")
        return None


def years_in(text: str, default_era: str | None = None) -> list[int]:
    return [f.year for f in find_fiscal_years(text, default_era)]


_UNIT_BY_SUFFIX = (("者数", "人"), ("人数", "人"), ("件数", "件"), ("回数", "回"), ("団体数", "団体"), ("率", "%"))


def guess_unit(name: str) -> str:
    """A unit only where the name makes it unambiguous ('受講者数' → 人); otherwise none."""
    n = re.sub(r"[\(（][^)）]*[\)）]\s*$", "", clean_text(name)).strip()
    for suffix, unit in _UNIT_BY_SUFFIX:
        if n.endswith(suffix):
            return unit
    return ""
