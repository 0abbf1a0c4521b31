"""Small builders for test workbooks (canonical layout and edited copies of the samples)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook, load_workbook

from kpi.importers.canonical import COLUMNS, SHEET_EVALS, SHEET_INDICATORS, SHEET_ITEMS, SHEET_PLAN, SHEET_VALUES


def canonical_workbook(path: Path, *, plan: dict[str, Any] | None = None, items: Iterable[dict] = (),
                       indicators: Iterable[dict] = (), values: Iterable[dict] = (),
                       evaluations: Iterable[dict] = (), levels: int = 2) -> Path:
    """Rows are dicts keyed by the Japanese header text of each sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    if plan is not None:
        ws = wb.create_sheet(SHEET_PLAN)
        ws.append(["項目", "内容"])
        for k, v in plan.items():
            ws.append([k, v])
    for name, rows, extra in ((SHEET_ITEMS, items, [f"体系{i}" for i in range(1, levels + 1)]),
                              (SHEET_INDICATORS, indicators, []), (SHEET_VALUES, values, []),
                              (SHEET_EVALS, evaluations, [])):
        rows = list(rows)
        if not rows and name != SHEET_ITEMS:
            continue
        headers = extra + [aliases[0] for aliases in COLUMNS[name].values()]
        ws = wb.create_sheet(name)
        ws.append(headers)
        for row in rows:
            ws.append([row.get(h) for h in headers])
    wb.save(path)
    return path


def edited_copy(src: Path, dst: Path, edits: dict[tuple[str, str], Any]) -> Path:
    """Copy a workbook and change cells: {(sheet, 'E14'): value}."""
    shutil.copy(src, dst)
    wb = load_workbook(dst)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell].value = value
    wb.save(dst)
    return dst
