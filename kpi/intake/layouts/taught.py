"""The reader of taught layouts: applies a layout profile (kpi/intake/layouts/profile.py) to a workbook.

One row per item (or per item and indicator, the item cells merged down), the indicator groups side
by side as the profile maps them. Every value cell goes through the one reading of numbers
(kpi/rules/numbers.py); a cell that cannot be read is an error naming its sheet and cell.
"""

from __future__ import annotations

from kpi.intake.cells import Reporter
from kpi.intake.keys import header_key, item_number
from kpi.intake.layouts.profile import Profile, ProfileError, matching_sheets, mismatch_problems
from kpi.intake.workbook import Sheet, Workbook, coord, tidy_text
from kpi.rules.numbers import FRACTION_RULE, format_number, is_fraction_series, parse_number
from kpi.store.journal import Batch

STAGE = "年度"


def detect(profile: Profile, wb: Workbook) -> float:
    exact, _near = matching_sheets(profile, wb)
    return 1.0 if exact else 0.0


def parse(profile: Profile, wb: Workbook, plan_name: str | None) -> Batch:
    exact, near = matching_sheets(profile, wb)
    if not exact:
        raise ProfileError(
            f"「{wb.file_name}」の見出しが様式「{profile.name}」と一致しません",
            hint="列や行が挿入・削除されたか、見出しが変わっています。様式を登録し直してください",
            problems=mismatch_problems(profile, wb, near))
    batch = Batch(plan_name or profile.plan_name)
    batch.problems.extend(mismatch_problems(profile, wb, near))
    seen_items: set[str] = set()
    years: set[int] = set()
    for sheet in exact:
        rep = Reporter(wb.file_name, sheet.name, batch)
        if not sheet.visible:
            rep.warning(None, None, "非表示のシートは読み込みませんでした", "取り込む場合はシートを再表示して保存してください",
                        code="hidden_sheet")
            continue
        _read_sheet(profile, sheet, rep, batch, seen_items, years)
    if years:
        batch.plan.update({"start_fy": min(years), "end_fy": max(years)})
    return batch


def _is_repeated_header(profile: Profile, sheet: Sheet, row: int) -> bool:
    """A header row repeated at a page break: its cells say what the first header row says."""
    first = profile.header_rows[-1]
    cols = [c for c in range(1, sheet.max_col + 1) if header_key(sheet.raw(first, c))]
    if not cols:
        return False
    same = sum(1 for c in cols if header_key(sheet.raw(row, c)) == header_key(sheet.raw(first, c)))
    return same >= max(2, int(0.8 * len(cols)))


def _read_sheet(profile: Profile, sheet: Sheet, rep: Reporter, batch: Batch, seen_items: set[str],
                years: set[int]) -> None:
    sort = len(seen_items)
    for r in range(profile.first_data_row, sheet.max_row + 1):
        if r in profile.skip_rows:
            continue
        texts = [tidy_text(v) for v in sheet.rows[r - 1]] if r <= len(sheet.rows) else []
        if not any(texts):
            continue
        if profile.skip_words and any(w in t for t in texts for w in profile.skip_words):
            continue
        if _is_repeated_header(profile, sheet, r):
            continue
        raw_no = sheet.value(r, profile.item_no_col)
        item_no = item_number(raw_no) if raw_no is not None else ""
        # A numeric 0 is what a lookup formula shows when the number is missing: no item number.
        if not item_no or (isinstance(raw_no, (int, float)) and raw_no == 0):
            rep.warning(r, profile.item_no_col, f"{r} 行目は取組番号が{'空欄' if not item_no else ' 0 '}のため読み込みませんでした",
                        "取り込む場合は取組番号を入れてください。読まない行なら様式の設定で読み飛ばす行にできます",
                        code="no_item_no")
            continue
        if item_no not in seen_items:
            seen_items.add(item_no)
            sort += 1
            title = tidy_text(sheet.value(r, profile.title_col)) if profile.title_col else ""
            batch.add("items", item_no=item_no, title=title or item_no, sort=sort, **rep.where(r, profile.item_no_col))
            dept = tidy_text(sheet.value(r, profile.department_col)) if profile.department_col else ""
            if not dept and profile.department_from_sheet:
                dept = tidy_text(sheet.name)
            if dept:
                batch.add("item_departments", item_no=item_no, department=dept, is_main=True, role="担当", sort=1)
            _read_evaluation(profile, sheet, rep, batch, r, item_no)
        _read_indicators(profile, sheet, rep, batch, r, item_no, years)


def _read_evaluation(profile: Profile, sheet: Sheet, rep: Reporter, batch: Batch, r: int, item_no: str) -> None:
    if profile.eval_year is None or not (profile.grade_col or profile.comment_col):
        return
    grade = tidy_text(sheet.value(r, profile.grade_col)) if profile.grade_col else ""
    comment = tidy_text(sheet.value(r, profile.comment_col)) if profile.comment_col else ""
    if grade or comment:
        batch.add("evaluations", item_no=item_no, fiscal_year=profile.eval_year, stage=STAGE,
                  grade=grade or None, status_text=comment or None)


def _read_indicators(profile: Profile, sheet: Sheet, rep: Reporter, batch: Batch, r: int, item_no: str,
                     years: set[int]) -> None:
    names_here = {row["indicator"] for row in batch.table("indicators") if row["item_no"] == item_no}
    for i, g in enumerate(profile.indicators, start=1):
        name = tidy_text(sheet.value(r, g.name_col)) if g.name_col else g.name_text
        raws = [(yc, sheet.raw(r, yc.col)) for yc in g.values]
        if not name:
            parsed = [(yc, parse_number(v)) for yc, v in raws]
            filled = [(yc, p) for yc, p in parsed if p.kind in ("number", "text")]
            # A 0 left in an unused slot of the sheet is no indicator; anything else without a name is.
            if any(p.kind == "text" or p.value != 0 for _yc, p in filled):
                rep.error(r, g.name_col, f"指標{g.kind}{g.label}の名称が空欄ですが、値が入っています"
                          f"（{'、'.join(coord(r, yc.col) for yc, _p in filled[:3])}）",
                          "指標の名称を入れるか、値を消してください", code="no_indicator_name")
            elif filled:
                rep.warning(r, g.name_col, f"指標{g.kind}{g.label}の名称が空欄のため、0 の入った欄"
                            f"（{'、'.join(coord(r, yc.col) for yc, _p in filled[:3])}）は読み込みませんでした",
                            "使う指標なら名称を入れてください", code="unused_indicator_slot")
            continue
        if name in names_here and g.name_col:
            name = f"{name}（{g.kind}{g.label}）"
        names_here.add(name)
        unit = tidy_text(sheet.value(r, g.unit_col)) if g.unit_col else g.unit_text
        what = f"No.{item_no}「{name}」"
        extra = [sheet.raw(r, c) for c in (g.baseline_col, g.final_target_col) if c]
        fraction = is_fraction_series([v for _yc, v in raws] + extra, unit)
        row = {"item_no": item_no, "indicator": name, "unit": unit or None, "indicator_kind": g.kind or None,
               "sort": len(names_here), **rep.where(r, g.name_col or profile.item_no_col)}
        for col, field in ((g.baseline_col, "baseline"), (g.final_target_col, "final_target")):
            if col:
                p = _number(rep, sheet, r, col, f"{what}の{'基準値' if field == 'baseline' else '目標値'}", unit)
                if p is not None and p.value is not None:
                    scaled = fraction and not isinstance(sheet.raw(r, col), str)
                    row[field] = p.value * 100 if scaled else p.value
        batch.add("indicators", **row)
        first_fraction = None
        for yc, raw in raws:
            p = _number(rep, sheet, r, yc.col, f"{what}の{yc.fiscal_year}年度の"
                        f"{'計画' if yc.kind == 'target' else '実績'}", unit)
            if p is None or p.value is None:
                continue
            value = p.value
            if fraction and not isinstance(raw, str):
                value = value * 100
                if 0 < raw < 1:
                    first_fraction = first_fraction or (yc, raw, value)
            years.add(yc.fiscal_year)
            batch.add("indicator_values", item_no=item_no, indicator=name, fiscal_year=yc.fiscal_year, kind=yc.kind,
                      value=value, is_estimate=p.estimate, raw_text=tidy_text(raw),
                      **rep.where(r, yc.col))
            if p.note:
                batch.add("value_notes", item_no=item_no, indicator=name, fiscal_year=yc.fiscal_year,
                          note=f"{'計画' if yc.kind == 'target' else '実績'}: {tidy_text(raw)}")
        if first_fraction:
            yc, raw, value = first_fraction
            rep.warning(r, yc.col, f"{what}（単位 {unit}）の値は割合で保存されていたため百分率で読みました"
                        f"（例: {coord(r, yc.col)} の {raw:g} → {format_number(value)}{unit}）", FRACTION_RULE,
                        code="fraction_percent")


def _number(rep: Reporter, sheet: Sheet, r: int, c: int, what: str, unit: str):
    raw = sheet.raw(r, c)
    p = parse_number(raw, unit or None)
    if p.kind == "text":
        rep.error(r, c, f"{what}に「{tidy_text(raw)}」とあり、数値として読めません",
                  "数字（例: 1,090、930(見込み)、29（4））で入力し、値がないときは空欄か「―」にしてください",
                  code="not_a_number")
        return None
    return p
