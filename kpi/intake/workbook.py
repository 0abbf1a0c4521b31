"""Reading an uploaded file into plain cells, safely, and the cells as the parsers see them.

read_workbook() hands the file to kpi/intake/isolated_reader.py, which checks it (kpi/intake/package_checks.py: its real
type, the zip, macros, DTDs, and every number python-calamine would allocate from) and reads it with
calamine in a child process with memory and time limits, so no file can take the server down. Nothing
is evaluated or executed. Error cells (#DIV/0!, #N/A …) arrive as blanks, listed in Workbook.cell_errors.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from itertools import islice, takewhile
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from kpi.errors import BadWorkbook, Problem
from kpi.intake.isolated_reader import CellError, read_isolated
from kpi.intake.package_checks import (  # noqa: F401
    MAX_CELLS_PER_SHEET,
    MAX_CELLS_TOTAL,
    MAX_FILE_BYTES,
    MAX_SHEETS,
    column_letter,
    coord,
)

# Characters that show nothing where they stand: C0/C1 controls (not tab and line breaks, which the
# callers fold into spaces), format characters (zero-width space, joiners, word joiner, BOM, soft hyphen,
# bidi marks and overrides, tags), variation selectors, the combining grapheme joiner and the fillers.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
                        "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
                        "\ufff0-\ufff8\U000e0000-\U000e0fff]")


def strip_invisible(text: str) -> str:
    """Text without the characters a person cannot see: 'No.1' and 'No.1' + U+200B are the same item."""
    return _INVISIBLE.sub("", text)


_SPACE_RUN = re.compile(r"\s+")


def _clean(s: str) -> str:
    return _SPACE_RUN.sub(" ", unicodedata.normalize("NFKC", s)).strip()


# The parsers ask for the same labels and values again and again (a 300-sheet book: ~280,000 times);
# only text is kept, as equal numbers can print differently (0.0 and -0.0).
_clean_str = lru_cache(maxsize=1 << 16)(_clean)


def clean_text(v: Any) -> str:
    """Cell text for matching: NFKC, no line breaks or repeated spaces."""
    if v is None:
        return ""
    if type(v) is str:
        return _clean_str(v)
    return _clean(str(v))


def tidy_text(v: Any) -> str:
    """Cell text to store: the characters as written, whitespace runs collapsed."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return _SPACE_RUN.sub(" ", str(v)).strip()


_KEPT_CELLS = 50_000  # a sheet of up to this many cells keeps its non-empty ones (a 進捗管理シート: 200)


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # 0-based grid as read
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based r0, c0, r1, c1
    visible: bool = True
    _anchor: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict, repr=False)
    # (row, col, value) of every non-empty cell, made on the first whole-sheet look: a 進捗管理シート
    # is searched a dozen times for its labels. The grid is never changed once read.
    _cells: list[tuple[int, int, Any]] | None = field(default=None, init=False, repr=False, compare=False)
    _texts: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: parsers ask for it in every row loop.
        self._max_col = max((len(r) for r in self.rows), default=0)
        for r0, c0, r1, c1 in self.merged:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        self._anchor[(r, c)] = (r0, c0)

    @property
    def max_row(self) -> int:
        return len(self.rows)

    @property
    def max_col(self) -> int:
        return self._max_col

    def raw(self, row: int, col: int) -> Any:
        """The value stored in exactly this cell ('' and None both mean empty)."""
        if row < 1 or col < 1:
            return None
        try:
            v = self.rows[row - 1][col - 1]
        except IndexError:
            return None
        return None if v == "" else v

    def value(self, row: int, col: int) -> Any:
        """The value shown in the cell: a merged range shows its top-left value everywhere."""
        anchor = self._anchor.get((row, col))
        if anchor:
            return self.raw(*anchor)
        return self.raw(row, col)

    def text(self, row: int, col: int) -> str:
        if not 1 <= col <= self._max_col or not self._keeps_cells():
            return clean_text(self.value(row, col))
        texts = self._texts.get(row)
        if texts is None:
            # a 進捗管理シート's rows are read for their labels three or four times over
            texts = self._texts[row] = [clean_text(self.value(row, c)) for c in range(1, self._max_col + 1)]
        return texts[col - 1]

    def merge_of(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        for m in self.merged:
            if m[0] <= row <= m[2] and m[1] <= col <= m[3]:
                return m
        return None

    def is_merge_anchor_or_single(self, row: int, col: int) -> bool:
        return (row, col) not in self._anchor

    def row_texts(self, row: int) -> list[str]:
        return [self.text(row, c) for c in range(1, self.max_col + 1)]

    def iter_nonempty(self, max_row: int | None = None) -> Iterator[tuple[int, int, Any]]:
        if max_row is None and self._keeps_cells():
            return iter(self._nonempty())
        return self._scan(self.rows if max_row is None else self.rows[:max_row])

    def nonempty_in(self, rows: range) -> Iterator[tuple[int, int, Any]]:
        """iter_nonempty's cells of these rows (a step-1 range), without looking at the others."""
        if not self._keeps_cells():
            first = max(rows.start, 1)
            return self._scan(self.rows[first - 1:max(rows.stop - 1, first - 1)], first)
        cells = self._nonempty()
        at = bisect_left(cells, (rows.start, 0))
        return takewhile(lambda cell: cell[0] < rows.stop, islice(cells, at, None))

    def _keeps_cells(self) -> bool:
        # only a small sheet keeps them: a 100,000-row one searched once for a cell is not held twice
        return len(self.rows) * self._max_col <= _KEPT_CELLS

    def _nonempty(self) -> list[tuple[int, int, Any]]:
        if self._cells is None:
            self._cells = list(self._scan(self.rows))
        return self._cells

    @staticmethod
    def _scan(rows: list[list[Any]], first: int = 1) -> Iterator[tuple[int, int, Any]]:
        for ri, r in enumerate(rows, start=first):
            for ci, v in enumerate(r, start=1):
                if v not in (None, ""):
                    yield ri, ci, v

    def find(self, predicate) -> list[tuple[int, int]]:
        return [(r, c) for r, c, v in self.iter_nonempty() if predicate(clean_text(v))]


@dataclass
class Workbook:
    file_name: str
    sha256: str
    sheets: list[Sheet]
    size: int = 0
    cell_errors: list[CellError] = field(default_factory=list)  # cells holding #DIV/0!, #N/A …, read as blank

    def sheet(self, name: str) -> Sheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None


def read_workbook(source: bytes | str | Path, file_name: str | None = None) -> Workbook:
    """Load a workbook after the safety checks. Raises BadWorkbook with a message for people."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        file_name = file_name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BadWorkbook(f"ファイル「{file_name}」が見つかりません。") from exc
        if size > MAX_FILE_BYTES:
            raise BadWorkbook(f"「{file_name}」は {size / 1024 / 1024:.1f} MB あり、上限（{MAX_FILE_BYTES // (1024 * 1024)} MB）を超えています。",
                              hint="ファイルを分けてアップロードしてください")
        data = path.read_bytes()
    else:
        data = bytes(source)
        file_name = file_name or "upload.xlsx"
    if len(data) > MAX_FILE_BYTES:
        raise BadWorkbook(f"「{file_name}」は {len(data) / 1024 / 1024:.1f} MB あり、上限（{MAX_FILE_BYTES // (1024 * 1024)} MB）を超えています。",
                          hint="ファイルを分けてアップロードしてください")
    if not data:
        raise BadWorkbook(f"「{file_name}」は空のファイルです。")
    raw = read_isolated(data, file_name)
    sheets = [Sheet(s.name, s.rows, s.merged, s.visible) for s in raw.sheets]
    return Workbook(file_name, hashlib.sha256(data).hexdigest(), sheets, len(data), raw.cell_errors)


def cell_error_problems(wb: Workbook) -> list[Problem]:
    """A warning for every cell that holds an Excel error value: it was read as blank."""
    return [Problem("warning", f"セルがエラー値「{e.value}」のため、空欄として読みました", e.sheet, e.cell, wb.file_name,
                    "Excelで計算式や参照先を確かめ、値を入れ直してください", code="error_cell")
            for e in wb.cell_errors]
