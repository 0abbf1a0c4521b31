"""A workbook with n problems: the standard template whose 年度値 rows each hold text in 計画 (not a number)."""

from __future__ import annotations

from pathlib import Path


def many_problems_book(path: Path, n: int = 50_000) -> Path:
    from openpyxl import Workbook

    from kpi.intake.layouts.canonical import COLUMNS
    wb = Workbook(write_only=True)
    plan = wb.create_sheet("計画")
    for r in (["項目", "内容"], ["計画名", "問題だらけの計画"], ["開始年度", "2020年度"], ["終了年度", "2022年度"]):
        plan.append(r)
    items = wb.create_sheet("取組")
    items.append(["体系1", "体系2"] + [a[0] for a in COLUMNS["取組"].values()])
    items.append(["方針", "施策", 9001, "取組", "市民課"])  # a number no demo plan has
    ind = wb.create_sheet("指標")
    ind.append([a[0] for a in COLUMNS["指標"].values()])
    for k in range(n):  # one indicator per row: every row is its own value, so each problem is the text
        ind.append([9001, f"件数{k}", "件", "高いほど良い"])  # direction written: the problems are the values only
    val = wb.create_sheet("年度値")
    val.append([a[0] for a in COLUMNS["年度値"].values()])
    for k in range(n):
        val.append([9001, f"件数{k}", 2020, f"約{k}件", None])
    wb.save(path)
    return path
