"""Long tables for IT staff and Excel users: values, item grades, evaluations, indicators and the rest.

Each plan is exported as the pages show it (kpi.cycle.shown): graded against the original or the
revised targets as the plan's setting says (target is the one graded against; a revised one also
stands in its own columns, 当初 and 修正後 with the date and reason), values awaiting review shown and
marked unconfirmed, or left out until confirmed.

Columns are fixed (see COLUMNS). fiscal_year is the Western year in which the
fiscal year starts; numbers are plain (no separators, rates as fractions);
unknown values are empty. CSV is UTF-8 with a BOM so Excel opens it; every cell goes
through kpi/outputs/xlsx.py, so text that Excel would run as a formula (=, +, -, @ at the start)
is written as text in both formats.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from kpi.access.permissions import Actor, readable_plans
from kpi.cycle.revisions import Revision, revisions_of
from kpi.cycle.shown import as_shown
from kpi.errors import NotFound
from kpi.outputs import xlsx
from kpi.outputs.xlsx import csv_text
from kpi.rules.assess import assess_plan
from kpi.rules.departments import format_departments
from kpi.rules.numbers import plain
from kpi.store.store import Store
from kpi.views.table import Table
from kpi.vocabulary import STAGES

# A revised target (kpi.cycle.revisions) stands beside the one graded against: 当初 and 修正後 with
# the date and reason of the last revision; empty where the target was never revised.
REVISION_COLUMNS = ("target_original", "target_revised", "target_revised_on", "target_revision_reason")
FINAL_REVISION_COLUMNS = ("final_target_original", "final_target_revised", "final_target_year_original",
                          "final_target_year_revised", "final_target_revised_on", "final_target_revision_reason")
COLUMNS: dict[str, tuple[str, ...]] = {
    "values": ("plan", "item_no", "item_title", "departments", "indicator", "unit", "direction", "cumulative",
               "fiscal_year", "target", *REVISION_COLUMNS, "actual", "achievement_rate", "progress_rate",
               # a qualitative (定性) indicator's 計画/実績 in words; target and actual stay numbers only
               "auto_grade", "target_text", "actual_text", "note", "unconfirmed"),
    "evaluations": ("plan", "item_no", "fiscal_year", "stage", "grade", "comment", "unconfirmed"),
    "indicators": ("plan", "item_no", "indicator", "unit", "direction", "baseline_year", "baseline",
                   "baseline_estimated", "final_target_year", "final_target", "final_target_text", "qualitative",
                   *FINAL_REVISION_COLUMNS),
    # The item's grade per year: automatic and the department's own, side by side with the gap
    # (grade_gap: steps the self-grade is kinder, negative when stricter; gap_text says it in words).
    "grades": ("plan", "item_no", "item_title", "departments", "fiscal_year", "auto_grade", "self_grade",
               "grade_gap", "gap_text", "auto_reason", "unconfirmed"),
    # What the qualitative layouts hold (action lists, 総合戦略 lists, marks, guideline tables).
    "items": ("plan", "item_no", "hierarchy", "item_title", "departments", "purpose", "content", "effect",
              "qualitative_target"),
    "statuses": ("plan", "item_no", "item_title", "fiscal_year", "status", "mark", "note"),
    "narratives": ("plan", "item_no", "item_title", "fiscal_year", "text"),
    "schedules": ("plan", "item_no", "activity", "fiscal_year", "mark"),
    "notes": ("plan", "section", "seq", "period_text", "fiscal_year", "title", "body"),
}
RATE_DECIMALS = 3  # 1152 ÷ 1090 → 1.057, as shown on the page (105.7%)
STAGE_ORDER = {stage: i for i, stage in enumerate(STAGES)}


def _bool(v: bool | None) -> str:
    return "" if v is None else ("true" if v else "false")


def _graded_items(data, rule, today):
    """(the item's result, the item, its departments as written) for each item of the plan, graded."""
    for ir in assess_plan(data, rule, today=today).items:
        yield ir, ir.item, format_departments(ir.item.departments)


def build(store: Store, what: str = "values", plan: str | None = None, today: date | None = None, *,
          actor: Actor) -> Table:
    """One long table over the plans this actor may read (plan: only that one).

    actor is required: which plans an export may hold is decided by kpi.access.permissions, the same
    rule as the pages (a visitor without sign-in gets the public plans only, whatever the scope)."""
    if what not in COLUMNS:
        raise ValueError(what)
    rows: list[tuple[Any, ...]] = []
    # plan as a person names it, compared normalised, among the plans this actor may read only: a plan
    # that exists but is hidden from the actor gets the same answer as one that does not exist.
    readable = readable_plans(store, actor)
    if plan is not None:
        found = store.plan_by_name(plan)
        if found is None or all(p.plan_id != found.plan_id for p in readable):
            names = "、".join(f"「{p.name}」" for p in readable[:10]) or "（ありません）"
            raise NotFound(f"計画「{plan}」はありません", hint=f"書き出せる計画: {names}")
        readable = [p for p in readable if p.plan_id == found.plan_id]
    plans = readable
    for info in plans:
        # As the pages show it: the plan's setting decides whether values awaiting review are shown
        # (marked unconfirmed) and whether grades are against the original or the revised targets.
        data = as_shown(store, store.load_plan(info.plan_id))
        revs = {(r.item_no, r.indicator, r.fiscal_year, r.field): r for r in revisions_of(store, info.plan_id)}
        if what == "values":
            for ir, it, depts in _graded_items(data, store.rule(info.plan_id), today):
                for ind in it.indicators:
                    for yv in sorted(ind.years, key=lambda y: y.fiscal_year):
                        r = ir.indicator_year(ind.name, yv.fiscal_year)
                        unconfirmed = any((it.item_no, ind.name, yv.fiscal_year, k) in data.unconfirmed_values
                                          for k in ("target", "actual"))
                        rows.append((info.name, it.item_no, it.title, depts, ind.name, ind.unit, ind.direction,
                                     _bool(ind.cumulative), yv.fiscal_year, plain(yv.target),
                                     *_revision_cells(revs.get((it.item_no, ind.name, yv.fiscal_year, "value"))),
                                     plain(yv.actual),
                                     plain(r.achievement.value, RATE_DECIMALS) if r else "",
                                     plain(r.progress.value, RATE_DECIMALS) if r else "",
                                     (r.grade.label or "") if r else "", yv.target_words or "",
                                     yv.actual_words or "", yv.note or "", _bool(unconfirmed or None)))
        elif what == "grades":
            for ir, it, depts in _graded_items(data, store.rule(info.plan_id), today):
                for y in ir.years:
                    auto = (y.auto.label or y.auto.state or "") if (y.auto.graded or y.auto.state) else ""
                    if not auto and not y.self_grade:
                        continue  # nothing graded that year, by the rules or by the department
                    rows.append((info.name, it.item_no, it.title, depts, y.fiscal_year, auto, y.self_grade or "",
                                 "" if y.gap.steps is None else y.gap.steps, y.gap.text if y.self_grade else "",
                                 y.auto.reason or "", _bool(data.unconfirmed(it.item_no, y.fiscal_year) or None)))
        elif what == "evaluations":
            for it in data.items:
                for e in sorted(it.evaluations, key=lambda e: (e.fiscal_year, STAGE_ORDER.get(e.stage, 9))):
                    parts = [e.status_text or ""]
                    if e.issues_text:
                        parts.append(f"【課題・今後の方針】{e.issues_text}")
                    if e.next_text:
                        parts.append(f"【次期の方向】{e.next_text}")
                    comment = "\n".join(p for p in parts if p)
                    rows.append((info.name, it.item_no, e.fiscal_year, e.stage, e.grade or "", comment,
                                 _bool(data.unconfirmed(it.item_no, e.fiscal_year) or None)))
        elif what in _TEXT_TABLES:
            rows.extend(_text_rows(store, what, info.plan_id, info.name, data))
        else:
            for it in data.items:
                for ind in it.indicators:
                    rows.append((info.name, it.item_no, ind.name, ind.unit, ind.direction, ind.baseline_fy or "",
                                 plain(ind.baseline), _bool(ind.baseline_estimated) if ind.baseline is not None else "",
                                 ind.final_target_fy or "", plain(ind.final_target), ind.final_target_text or "",
                                 _bool(ind.qualitative),
                                 *_final_revision_cells(revs.get((it.item_no, ind.name, None, "final_target")),
                                                        revs.get((it.item_no, ind.name, None, "final_target_fy")))))
    return Table(what, COLUMNS[what], tuple(rows))


def _revision_cells(rev: Revision | None) -> tuple[Any, ...]:
    """当初, 修正後, the day of the last revision and its reason (empty when never revised)."""
    if rev is None:
        return ("", "", "", "")
    return (plain(rev.original), plain(rev.revised), f"{rev.last.at:%Y-%m-%d}", rev.last.reason or "理由の記録なし")


def _final_revision_cells(target: Revision | None, year: Revision | None) -> tuple[Any, ...]:
    if target is None and year is None:
        return ("",) * 6
    last = max((r for r in (target, year) if r is not None), key=lambda r: r.last.at).last
    return (plain(target.original) if target else "", plain(target.revised) if target else "",
            (year.original or "") if year else "", (year.revised or "") if year else "",
            f"{last.at:%Y-%m-%d}", last.reason or "理由の記録なし")


_TEXT_TABLES = ("items", "statuses", "narratives", "schedules", "notes")
# The store's named read of each qualitative table (rows in the columns of COLUMNS after plan/item).
_TEXT_READS = {"statuses": Store.item_statuses, "narratives": Store.narratives, "schedules": Store.schedules,
               "notes": Store.plan_notes}


def _text_rows(store: Store, what: str, plan_id: int, plan: str, data) -> list[tuple[Any, ...]]:
    order = {it.item_no: i for i, it in enumerate(data.items)}
    titles = {it.item_no: it.title for it in data.items}
    if what == "items":
        return [(plan, it.item_no, " > ".join(it.node_path), it.title, format_departments(it.departments),
                 it.purpose or "", it.content or "", it.effect or "", it.qualitative_target or "")
                for it in data.items]
    rows = _TEXT_READS[what](store, plan_id)
    if what == "notes":
        return [(plan, *("" if v is None else v for v in r)) for r in rows]
    if what == "schedules":
        rows = sorted(rows, key=lambda r: (order.get(r[0], 1 << 30), r[4] or 0, r[2] or 0))
        return [(plan, r[0], r[1], r[2], r[3] or "") for r in rows]
    rows = sorted(rows, key=lambda r: (order.get(r[0], 1 << 30), r[1] if r[1] is not None else -1))
    return [(plan, r[0], titles.get(r[0], ""), "" if r[1] is None else r[1],
             *("" if v is None else v for v in r[2:])) for r in rows]


NUMERIC_COLUMNS = {"fiscal_year", "target", "actual", "achievement_rate", "progress_rate", "baseline_year",
                   "baseline", "final_target_year", "final_target", "seq", "target_original", "target_revised",
                   "final_target_original", "final_target_revised", "final_target_year_original",
                   "final_target_year_revised", "grade_gap"}


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(table.columns)
    for row in table.rows:
        w.writerow([v if c in NUMERIC_COLUMNS else csv_text(v) for c, v in zip(table.columns, row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(tables: Iterable[Table], sheet_names: dict[str, str] | None = None) -> bytes:
    wb = xlsx.new_workbook()
    for table in tables:
        ws = wb.create_sheet((sheet_names or {}).get(table.what, table.what))
        xlsx.append(ws, table.columns)
        for row in table.rows:
            out = []
            for c, v in zip(table.columns, row):
                if c in NUMERIC_COLUMNS and isinstance(v, str) and v != "":
                    try:
                        v = int(v)
                    except ValueError:
                        try:
                            v = float(v)  # 'inf' too: the writer leaves what Excel cannot hold blank
                        except ValueError:
                            pass
                out.append(None if v == "" else v)
            xlsx.append(ws, out)
        ws.freeze_panes = "A2"
    return xlsx.save(wb)


def write(store: Store, what: str, fmt: str, out: Path | None, plan: str | None = None,
          today: date | None = None, *, actor: Actor) -> bytes:
    table = build(store, what, plan, today, actor=actor)
    data = to_csv(table) if fmt == "csv" else to_xlsx([table])
    if out is not None:
        Path(out).write_bytes(data)
    return data
