"""行財政再構築プラン 実行プログラム: one row block per item, as Kodaira City publishes it (seed 000).

Read by content: the header row is the row that names 成果指標 and 実施内容
with fiscal years to their right (平成29年度 … or 令和3年度 …). Columns left of
No. are the plan's hierarchy (方針, 取組: their header texts become the level
names); No., 項目, 担当課, 実施目的, 取組概要, 見込まれる効果 and 成果指標 are
found by their header text. An item's block is its No. cell (merged down, or
followed by rows whose No. is blank); each row of the block is one activity of
the schedule, with a mark ('実施', '→') per fiscal year.

The 成果指標 text becomes indicators with final targets (kpi.rules.target_text):
each indicator row carries `_from_text` = the text it was read from, so the
upload page can let a person confirm or correct what was read; what has no
number stays the item's qualitative target. Without a year in the text, the
target year is the last fiscal year of the schedule.
"""

from __future__ import annotations

import json

from kpi.intake.cells import Reporter, layout_sheets, named_columns, plan_name_from_title, years_in
from kpi.intake.keys import header_key, header_keys, item_number
from kpi.intake.workbook import Sheet, Workbook, tidy_text
from kpi.rules.departments import parse_departments
from kpi.rules.fiscal import dominant_era
from kpi.rules.numbers import NO_VALUE_MARKS
from kpi.rules.target_text import parse_target_text
from kpi.store.journal import Batch

LAYOUT = "action_list"
LAYOUT_LABEL = "実行プログラム（取組ごとの行・成果指標・年度別工程）"

# column key → header texts (spaces removed) that name it
HEADERS: dict[str, tuple[str, ...]] = {
    "no": ("No.", "No", "NO.", "番号", "項目番号"),
    "title": ("項目", "項目名", "取組項目", "取組名", "実施項目"),
    "departments": ("担当課", "所管課", "担当部署", "担当課名"),
    "purpose": ("実施目的", "目的"),
    "content": ("取組概要", "取組内容", "取組の内容", "概要"),
    "effect": ("見込まれる効果", "期待される効果", "効果"),
    "target": ("成果指標", "成果目標", "指標・目標", "成果指標(目標)"),
    "activity": ("実施内容", "具体的な実施内容", "工程", "スケジュール"),
}
_REQUIRED = ("no", "title", "target")


def _columns(sheet: Sheet, row: int) -> tuple[dict[str, int], dict[int, int]]:
    """Named columns and fiscal-year columns (col → year) of a header row."""
    cols, _rest = named_columns(sheet, row, HEADERS)
    era = dominant_era([sheet.text(row, c) for c in range(1, sheet.max_col + 1)])
    years: dict[int, int] = {}
    start = cols.get("activity", cols.get("target", 0))
    for c in range(start + 1, sheet.max_col + 1):
        t = sheet.text(row, c)
        if t and len(t) <= 20:
            ys = years_in(t, era)
            if ys:
                years[c] = ys[0]
    return cols, years


def _header_row(sheet: Sheet) -> tuple[int, dict[str, int], dict[int, int]] | None:
    for r in range(1, min(sheet.max_row, 30) + 1):
        cols, years = _columns(sheet, r)
        if all(k in cols for k in _REQUIRED) and (years or "activity" in cols):
            return r, cols, years
    return None


def detect(sheet: Sheet) -> float:
    found = _header_row(sheet)
    if found is None:
        return 0.0
    _r, cols, years = found
    score = 0.6 + 0.05 * sum(k in cols for k in ("departments", "purpose", "content", "effect", "activity"))
    return min(1.0, score + (0.1 if years else 0.0))


def _is_header_again(sheet: Sheet, r: int, cols: dict[str, int]) -> bool:
    return header_key(sheet.raw(r, cols["no"])) in header_keys(HEADERS["no"]) and \
        header_key(sheet.raw(r, cols["title"])) in header_keys(HEADERS["title"])


def parse(wb: Workbook, plan_name: str | None) -> Batch:
    batch = Batch(plan_name=plan_name or "", layout=LAYOUT, source=wb.file_name)
    level_names: list[str] = []
    all_years: set[int] = set()
    seen_nodes: set[str] = set()
    sort = 0
    for sheet in layout_sheets(wb, detect, batch):
        header_row, cols, years = _header_row(sheet)  # type: ignore[misc]
        rep = Reporter(wb.file_name, sheet.name, batch)
        if not batch.plan_name:
            for r in range(1, header_row):
                name = next((plan_name_from_title(sheet.raw(r, c)) for c in range(1, sheet.max_col + 1)
                             if sheet.raw(r, c) is not None), None)
                if name:
                    batch.plan_name = name
                    break
        level_cols = [c for c in range(1, cols["no"]) if sheet.text(header_row, c)]
        names = [sheet.text(header_row, c) for c in level_cols]
        if len(names) > len(level_names):
            level_names[:] = names
        all_years.update(years.values())
        last_year = max(years.values()) if years else None
        blocks = _blocks(sheet, header_row, cols)
        carried: dict[int, str] = {}
        for start, end in blocks:
            sort += 1
            _parse_block(sheet, rep, batch, cols, years, level_cols, names, carried, start, end, sort, last_year,
                         seen_nodes)
    if all_years:
        batch.plan["start_fy"] = min(all_years)
        batch.plan["end_fy"] = max(all_years)
    if level_names:
        batch.plan["level_names"] = json.dumps(level_names, ensure_ascii=False)
    return batch


def _blocks(sheet: Sheet, header_row: int, cols: dict[str, int]) -> list[tuple[int, int]]:
    """(first row, last row) of each item: its No. cell and the rows below it until the next No."""
    no_col = cols["no"]
    starts = [r for r in range(header_row + 1, sheet.max_row + 1)
              if sheet.is_merge_anchor_or_single(r, no_col) and sheet.raw(r, no_col) is not None
              and not _is_header_again(sheet, r, cols)]
    out = []
    for i, s in enumerate(starts):
        e = starts[i + 1] - 1 if i + 1 < len(starts) else sheet.max_row
        # Trailing blank rows (notes, page footers) are not part of the block.
        while e > s and not any(sheet.raw(e, c) is not None for c in range(1, sheet.max_col + 1)):
            e -= 1
        out.append((s, e))
    return out


def _cell(sheet: Sheet, r: int, cols: dict[str, int], key: str, *, keep_lines: bool = True) -> str | None:
    c = cols.get(key)
    if c is None:
        return None
    v = sheet.value(r, c)
    if v is None:
        return None
    text = str(v).strip() if keep_lines else tidy_text(v)
    if not text or text in NO_VALUE_MARKS or text in ("―", "－", "-"):
        return None
    return text


def _parse_block(sheet: Sheet, rep: Reporter, batch: Batch, cols: dict[str, int], years: dict[int, int],
                 level_cols: list[int], level_names: list[str], carried: dict[int, str], start: int, end: int,
                 sort: int, last_year: int | None, seen_nodes: set[str]) -> None:
    item_no = item_number(sheet.raw(start, cols["no"]))
    title = _cell(sheet, start, cols, "title", keep_lines=False)
    if not title:
        rep.error(start, cols["title"], f"No.{item_no} の項目名が空欄です", "項目の欄に取組の名前を入力してください",
                  code="missing_title")
        return
    path: list[str] = []
    for c in level_cols:
        v = sheet.value(start, c)
        text = tidy_text(v) if v is not None else ""
        if text:
            if carried.get(c) != text:  # a new upper level: what was carried below it no longer applies
                for lower in [k for k in carried if k > c]:
                    carried.pop(lower)
            carried[c] = text
        elif c in carried:
            text = carried[c]
        if text:
            path.append(text)
    for depth in range(1, len(path) + 1):
        key = json.dumps(path[:depth], ensure_ascii=False)
        if key in seen_nodes:
            continue
        seen_nodes.add(key)
        batch.add("nodes", path=key, depth=depth,
                  level_name=level_names[depth - 1] if depth - 1 < len(level_names) else None,
                  title=path[depth - 1], sort=sort)

    target_text = _cell(sheet, start, cols, "target", keep_lines=False)
    parsed = parse_target_text(target_text, last_year) if target_text else None
    batch.add("items", item_no=item_no, title=title, node_path=json.dumps(path, ensure_ascii=False),
              purpose=_cell(sheet, start, cols, "purpose"), content=_cell(sheet, start, cols, "content"),
              effect=_cell(sheet, start, cols, "effect"),
              qualitative_target=parsed.qualitative if parsed else None, sort=sort,
              **rep.where(start, cols["no"]))
    for i, d in enumerate(parse_departments(_cell(sheet, start, cols, "departments", keep_lines=False))):
        batch.add("item_departments", item_no=item_no, department=d.name, is_main=d.is_main, role=d.role, sort=i)
    if parsed:
        for i, t in enumerate(parsed.indicators, start=1):
            batch.add("indicators", item_no=item_no, indicator=t.name, unit=t.unit or None, direction=t.direction,
                      direction_source=t.direction_source, cumulative=t.cumulative, final_target=t.value,
                      final_target_fy=t.fiscal_year, sort=i, _from_text=parsed.source, _reading=t.describe(),
                      **rep.where(start, cols["target"]))

    act_col = cols.get("activity")
    n = 0
    used: set[str] = set()
    for r in range(start, end + 1):
        if r != start and _is_header_again(sheet, r, cols):
            continue  # the header repeated at a page break
        activity = None
        if act_col:
            v = sheet.value(r, act_col) if not sheet.is_merge_anchor_or_single(r, act_col) else sheet.raw(r, act_col)
            if v is not None:
                activity = tidy_text(v).lstrip("・･").strip() or None
        marks = {}
        for c, fy in years.items():
            v = sheet.raw(r, c)
            if v is None and not sheet.is_merge_anchor_or_single(r, c):
                v = sheet.value(r, c)  # a mark merged across years or rows
            text = tidy_text(v) if v is not None else ""
            if text and text not in NO_VALUE_MARKS | {"―", "－"}:
                marks[fy] = text
        if not marks:
            continue
        if activity is None:
            activity = title  # a schedule row without its own words is the item itself
        n += 1
        if activity in used:  # the same words twice under one item: keep both rows apart
            activity = f"{activity}（{n}）"
        used.add(activity)
        for fy, mark in sorted(marks.items()):
            batch.add("schedules", item_no=item_no, activity=activity, fiscal_year=fy, mark=mark, sort=n,
                      **rep.where(r, act_col or cols["no"]))
