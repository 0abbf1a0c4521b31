"""Workbook layouts: detection from the sheet content (never the file name) and parsing.

Each layout module offers detect(...) → a score between 0 and 1, and
parse(workbook, plan_name) → Batch. A layout is chosen when its score is the
highest and at least MIN_SCORE.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kpi.batch import Batch
from kpi.errors import BadWorkbook, Problem
from kpi.importers import canonical, progress_sheet
from kpi.importers.workbook import Workbook, read_workbook

MIN_SCORE = 0.6


@dataclass(frozen=True)
class Layout:
    key: str
    label: str
    detect: Callable[[Workbook], float]
    parse: Callable[[Workbook, str | None], Batch]


def _sheetwise(detect_sheet: Callable) -> Callable[[Workbook], float]:
    return lambda wb: max((detect_sheet(s) for s in wb.sheets), default=0.0)


LAYOUTS: list[Layout] = [
    Layout(canonical.LAYOUT, canonical.LAYOUT_LABEL, canonical.detect, canonical.parse),
    Layout(progress_sheet.LAYOUT, progress_sheet.LAYOUT_LABEL, _sheetwise(progress_sheet.detect),
           lambda wb, plan: progress_sheet.parse(wb, plan or "")),
]


def register(layout: Layout) -> None:
    """Add a layout (used by the modules for the other published formats)."""
    for i, existing in enumerate(LAYOUTS):
        if existing.key == layout.key:
            LAYOUTS[i] = layout
            return
    LAYOUTS.append(layout)


def layout_label(key: str | None) -> str:
    for lay in LAYOUTS:
        if lay.key == key:
            return lay.label
    return key or ""


def detect_layout(wb: Workbook) -> Layout:
    scored = sorted(((lay.detect(wb), i, lay) for i, lay in enumerate(LAYOUTS)), key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] < MIN_SCORE:
        names = "、".join(f"「{s.name}」" for s in wb.sheets[:5])
        raise BadWorkbook(
            f"「{wb.file_name}」はどの様式にも当てはまりませんでした（シート: {names}）。",
            hint="標準テンプレート（画面の「テンプレートをダウンロード」）か、進捗管理シートなど公開されている様式で提出してください")
    return scored[0][2]


def parse_workbook(wb: Workbook, plan_name: str | None = None, layout: Layout | None = None) -> Batch:
    layout = layout or detect_layout(wb)
    batch = layout.parse(wb, plan_name)
    batch.layout = layout.key
    batch.source = wb.file_name
    return batch


def resolve_plan_name(batch: Batch, known_plans: dict[str, set[str]], file_name: str) -> None:
    """When a sheet does not name its plan, use the one plan that has its items, else the file name.

    known_plans maps plan name → item numbers already stored.
    """
    if batch.plan_name:
        return
    nos = {r["item_no"] for r in batch.table("items")} | {r["item_no"] for r in batch.table("indicator_values")}
    matches = [name for name, items in known_plans.items() if nos and nos <= items]
    if len(matches) == 1:
        batch.plan_name = matches[0]
        batch.problems.append(Problem("warning", f"計画名がシートにないため、同じ取組番号を持つ計画「{matches[0]}」に取り込みます",
                                      file=file_name, code="plan_guessed"))
        return
    stem = Path(file_name).stem
    batch.plan_name = stem
    batch.problems.append(Problem("warning", f"計画名がシートにないため、ファイル名「{stem}」を計画名にします",
                                  file=file_name, hint="別の計画に取り込むときは取り込み先の計画を指定してください",
                                  code="plan_from_file"))


__all__ = ["LAYOUTS", "Layout", "MIN_SCORE", "Workbook", "detect_layout", "parse_workbook", "read_workbook",
           "register", "resolve_plan_name", "layout_label"]
