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
from kpi.importers import action_list, canonical, guideline_tables, marks_progress, progress_sheet, strategy_list
from kpi.importers.workbook import Workbook, cell_error_problems, read_workbook

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
    Layout(action_list.LAYOUT, action_list.LAYOUT_LABEL, _sheetwise(action_list.detect), action_list.parse),
    Layout(strategy_list.LAYOUT, strategy_list.LAYOUT_LABEL, _sheetwise(strategy_list.detect), strategy_list.parse),
    Layout(marks_progress.LAYOUT, marks_progress.LAYOUT_LABEL, _sheetwise(marks_progress.detect), marks_progress.parse),
    Layout(guideline_tables.LAYOUT, guideline_tables.LAYOUT_LABEL, _sheetwise(guideline_tables.detect),
           guideline_tables.parse),
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
    batch.problems.extend(cell_error_problems(wb))
    batch.layout = layout.key
    batch.source = wb.file_name
    return batch


def resolve_plan_name(batch: Batch, known_plans: dict[str, set[str]], file_name: str, *,
                      existing: set[str] | frozenset[str] = frozenset(), from_sheet: bool = True) -> None:
    """Decide the plan when nobody chose one.

    known_plans maps the plans already fed with this layout to their item numbers. A sheet
    that names no plan, or names one not registered (a title written differently from the
    plan's registered name), goes to the one such plan holding all its items; a layout
    without items (plan notes) to the one plan fed with it; otherwise a sheet's own name
    makes a new plan, and a sheet without one is named after its file.
    """
    named = batch.plan_name
    if named and (not from_sheet or named in existing):
        return
    nos = {r["item_no"] for r in batch.table("items")} | {r["item_no"] for r in batch.table("indicator_values")}
    if nos:
        matches = [name for name, items in known_plans.items() if nos <= items]
    else:
        matches = list(known_plans) if batch.count() else []
    if len(matches) == 1:
        batch.plan_name = matches[0]
        reason = (f"シートの計画名「{named}」は登録されていないため" if named else "計画名がシートにないため")
        what = "同じ取組番号を持つ" if nos else "同じ様式を取り込んだ"
        batch.problems.append(Problem("warning", f"{reason}、{what}計画「{matches[0]}」に取り込みます",
                                      file=file_name, hint="別の計画に取り込むときは取り込み先の計画を指定してください",
                                      code="plan_guessed"))
        return
    if named:
        return
    stem = Path(file_name).stem
    batch.plan_name = stem
    batch.problems.append(Problem("warning", f"計画名がシートにないため、ファイル名「{stem}」を計画名にします",
                                  file=file_name, hint="別の計画に取り込むときは取り込み先の計画を指定してください",
                                  code="plan_from_file"))


__all__ = ["LAYOUTS", "Layout", "MIN_SCORE", "Workbook", "detect_layout", "parse_workbook", "read_workbook",
           "register", "resolve_plan_name", "layout_label"]
