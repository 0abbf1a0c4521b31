"""The one cell writer of every workbook the app writes: the department sheet, the blank
template, the committee pack's tables and the exports (and the CSV text for Excel).

A cell holds what a person typed, never a program:

- Text is always a text cell. openpyxl 3.1.5 turns any string of two or more characters
  that starts with '=' into a formula (Cell._bind_value sets data_type 'f') and the seven
  error names ('#N/A', '#DIV/0!' …) into error cells; here every string is put back to
  data_type 's'. Text Excel would take as a formula when the cell is next edited ('=', '+',
  '-', '@', a leading tab or CR, and the full-width forms Japanese Excel accepts as well)
  also gets the cell's quotePrefix, Excel's own "typed with a leading apostrophe" mark: it
  stays text after F2 + Enter, and the value read back is the text as typed.
- Characters XML 1.0 cannot hold are dropped (C0 controls other than tab, LF and CR; lone
  surrogates; U+FFFE/U+FFFF). openpyxl refuses the controls with IllegalCharacterError, so
  one bad stored title would otherwise make a download fail. Text longer than Excel's
  32,767 characters is cut there (openpyxl does the same silently).
- Numbers stay numbers; a number that is not finite (inf, nan) cannot be written as one and
  is left blank, an integer of more than 15 digits (more than Excel keeps) is written as its
  digits. Booleans, dates and None pass through.
- In CSV, which has no cell types, formula-like text gets a leading apostrophe instead
  (csv_text), the usual defence against CSV injection.

save() is the last step of every workbook: it turns any formula or error cell that got past
put() back into text, so no file the app hands out can carry a live formula.

The cells a person may fill are marked the same way everywhere (open_cell, open_column):
yellow and unlocked, on a protected sheet. A sheet the app hands out for filling in unlocks
only cells the importer reads back (tests/test_sheet_round_trip.py checks every one).
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

INPUT_COLOR = "FFF2CC"  # light yellow: the cells to fill
MAX_CELL_CHARS = 32767  # Excel's limit for the text of one cell
# Text Excel reads as the start of a formula when it is typed (or opened from CSV). Japanese
# Excel takes the full-width ＝ ＋ － ＠ like their ASCII forms.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value: Any) -> str:
    """value as cell text: characters a workbook cannot hold removed, cut to Excel's limit."""
    return _NOT_XML.sub("", str(value))[:MAX_CELL_CHARS]


def is_formula_like(s: str) -> bool:
    return s.startswith(FORMULA_PREFIXES)


def put(cell, value: Any):
    """Write value into an openpyxl cell as data: text as a text cell, numbers as numbers."""
    if value is None or isinstance(value, (bool, datetime, date, time, timedelta)):
        cell.value = value
    elif isinstance(value, int):
        if abs(value) < 10 ** 15:
            cell.value = value
        else:  # more digits than Excel keeps: the digits, exactly, as text
            try:
                _put_text(cell, text(value))
            except ValueError:  # past Python's int-to-text limit (4,300 digits)
                _put_text(cell, "（桁数が多すぎる数）")
    elif isinstance(value, float):
        cell.value = value if math.isfinite(value) else None
    else:
        s = text(value)
        if s:
            _put_text(cell, s)
        else:  # nothing a cell can show: a blank cell, not an empty text
            cell.value = None
    return cell


def _put_text(cell, s: str) -> None:
    cell.value = s  # openpyxl may infer 'f' (leading '=') or 'e' ('#N/A'): it is text
    cell.data_type = "s"
    if is_formula_like(s):
        cell.quotePrefix = True


def write(ws, row: int, column: int, value: Any):
    """ws.cell(row, column, value), through put()."""
    return put(ws.cell(row=row, column=column), value)


def append(ws, values: Iterable[Any]) -> int:
    """ws.append(values), through put(); returns the row number written."""
    from openpyxl.cell import Cell
    cells = [put(Cell(ws), v) for v in values]
    ws.append(cells)
    return cells[0].row if cells else ws.max_row


def new_workbook():
    """An empty openpyxl workbook (no sheet yet): create_sheet() what it holds."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def save(wb) -> bytes:
    """The workbook's bytes, after a last pass that leaves no formula or error cell in it."""
    for ws in wb.worksheets:
        # the cells that exist (ws._cells, openpyxl 3.1.5): iter_rows would create every empty one
        for cell in ws._cells.values():
            if cell.data_type in ("f", "e"):
                v = cell.value
                _put_text(cell, text(getattr(v, "text", None) or v))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(value: Any) -> Any:
    """A CSV field Excel shows as text: formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


# ------------------------------------------------------------------ the cells to fill
def input_style():
    """(fill, protection) of a cell to fill."""
    from openpyxl.styles import PatternFill, Protection
    return PatternFill("solid", fgColor=INPUT_COLOR), Protection(locked=False)


def open_cell(cell, note: str | None = None) -> None:
    """Make cell one to fill: yellow, unlocked, with an optional comment saying what to write."""
    from openpyxl.comments import Comment
    cell.fill, cell.protection = input_style()
    if note:
        cell.comment = Comment(note, "計画進捗ダッシュボード")


def open_column(ws, column: int) -> None:
    """Every cell of a column below its header to fill (the column's style; the header keeps its own)."""
    from openpyxl.styles import Protection
    from openpyxl.utils import get_column_letter
    head = ws.cell(row=1, column=column)
    head.protection = Protection(locked=True)  # a header cell must keep its own, locked style
    dim = ws.column_dimensions[get_column_letter(column)]
    dim.fill, dim.protection = input_style()


def protect(ws, *, rows: bool = False) -> None:
    """Lock every cell that is not opened; no password (the lock prevents slips, not people).
    rows: rows may still be inserted and deleted (a blank template grows with the plan)."""
    ws.protection.sheet = True
    if rows:
        ws.protection.insertRows = False
        ws.protection.deleteRows = False
    ws.protection.formatColumns = False  # widening a column to read it is fine


def list_validation(options: Iterable[str], error: str | None = None):
    """A drop-down list of fixed choices, or None when the choices cannot be written as one.

    The list is a formula ("A,B,C"): a choice holding a comma would split, a quote is doubled,
    and Excel takes at most 255 characters. Without the list, the importer still checks the
    value (a drop-down is a convenience, not the check).
    """
    from openpyxl.worksheet.datavalidation import DataValidation
    choices = [text(o).replace('"', '""') for o in options]
    if not choices or any("," in c or not c.strip() for c in choices):
        return None
    formula = '"' + ",".join(choices) + '"'
    if len(formula) > 257:
        return None
    # Stop style with the message on: a typed value that is not a choice is refused, not just
    # warned about (openpyxl leaves showErrorMessage off, and Excel then accepts anything typed).
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True, errorStyle="stop",
                        errorTitle="選べない値です")
    if error:
        dv.error = text(error)
    return dv


# ------------------------------------------------------------------ printing
LINE_POINTS = 15.5  # one line of 11 pt text with Japanese glyphs, in row-height points


def display_width(s: str) -> int:
    """Width in Excel's column units: a full-width (Japanese) character takes two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def lines_needed(value: Any, width: float) -> int:
    """Lines a wrapped cell of this column width needs to show all of value."""
    if value is None:
        return 1
    usable = max(1.0, width - 1.5)  # the cell's padding
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(value).split("\n"))


def fit_row_heights(ws, *, first_row: int = 1, max_lines: int = 30) -> None:
    """Set each row's height to the lines its wrapped cells need.

    Neither openpyxl nor LibreOffice measures rows when a workbook is written or opened, so
    without this a wrapped cell shows one line (a header overlaps the value under it, a
    multi-line comment shows its last line). Excel grows a row on edit; here it is right
    from the start, on screen and on paper."""
    from openpyxl.utils import get_column_letter
    widths: dict[int, float] = {}
    for row in ws.iter_rows(min_row=first_row):
        need = 1
        for cell in row:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            col = cell.column
            if col not in widths:
                widths[col] = ws.column_dimensions[get_column_letter(col)].width or 8.43
            need = max(need, lines_needed(cell.value, widths[col]))
        if need > 1:
            ws.row_dimensions[row[0].row].height = min(need, max_lines) * LINE_POINTS + 3


def print_setup(ws, *, landscape: bool = True, title_rows: str | None = None, area: str | None = None,
                footer: str | None = None) -> None:
    """A4, fitted to the page width (as many pages down as it takes), the header rows on every page.

    Excel and LibreOffice both honour fitToWidth=1 / fitToHeight=0 once the sheet's
    pageSetUpPr.fitToPage is on; without that flag the scale is ignored and wide tables
    print as many one-column pages."""
    from openpyxl.worksheet.properties import PageSetupProperties
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.7
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    if area:
        ws.print_area = area
    if footer:
        # & starts a header/footer code: a plan name holding one must print as itself
        ws.oddFooter.left.text = text(footer).replace("&", "&&")
        ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = "&P / &N"
    ws.oddFooter.right.size = 8


__all__ = ["INPUT_COLOR", "FORMULA_PREFIXES", "text", "is_formula_like", "put", "write", "append", "new_workbook",
           "save", "csv_text", "open_cell", "open_column", "protect", "list_validation", "print_setup",
           "fit_row_heights", "lines_needed", "display_width"]
