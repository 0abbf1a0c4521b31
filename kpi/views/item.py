"""取組・指標の詳細: the item view of kpi.views.common plus what the sheets add around it —
the evaluation timeline as a table, the yearly schedule (工程) and the narratives per year."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable

from kpi.rules.assess import Assessor, assess_plan, assessment, default_as_of
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import GradingRule
from kpi.rules.model import PlanData
from kpi.rules.numbers import format_number
from kpi.views.common import ItemView, item_view_of, mark_unconfirmed
from kpi.views.extras import PlanExtras
from kpi.views.table import Table
from kpi.vocabulary import STAGES, UNCONFIRMED, YEAR


@dataclass(frozen=True)
class ItemDetail:
    view: ItemView
    timeline: Table  # 年度 × 上半期 / 年度 / 中間 / 計画期間 (+ the automatic grade)
    schedule: Table  # 実施内容 × 年度 with the sheet's marks (実施, →)
    grades: Table  # automatic vs self-grade per year, with the reason of the automatic grade
    narratives: tuple[tuple[str, str], ...]  # (year label, text), oldest first
    status: tuple[str, str, str] | None  # (mark, status, note) latest
    indicator_tables: tuple[Table, ...]


def _schedule(extras: PlanExtras, item_no: str, style: Style) -> Table:
    entries = extras.schedules.get(item_no, ())
    years = sorted({e.fiscal_year for e in entries})
    acts: dict[str, dict[int, str]] = {}
    for e in sorted(entries, key=lambda e: e.sort):
        acts.setdefault(e.activity, {})[e.fiscal_year] = e.mark
    return Table(f"工程_No.{item_no}", ("実施内容", *(format_fiscal_year(y, style) for y in years)),
                 tuple((a, *(marks.get(y, "") for y in years)) for a, marks in acts.items()))


def item_detail_of(data: PlanData, rule: GradingRule, *, item_no: str, extras: PlanExtras,
                   as_of_fy: int | None = None, today: date | None = None, style: Style = "wareki",
                   assessed: Assessor | None = None, kinds: Iterable[str] = ()) -> ItemDetail | None:
    """item_detail_view in the order ui.frame.view calls a view in (the plan and its rule first), so the
    page keeps one detail per item and choice instead of building it, and its tables, on every run.

    The item is assessed alone, not taken from the shared plan assessment (assessed is not used):
    its grades and reasons do not depend on the other items (tests/test_views_item.py holds the two
    equal), and right after an import the page waits for one item's grades, not the whole plan's."""
    return item_detail_view(data, extras, rule, item_no, as_of_fy=as_of_fy, today=today, style=style, kinds=kinds)


def item_detail_view(data: PlanData, extras: PlanExtras, rule: GradingRule, item_no: str, *,
                     as_of_fy: int | None = None, today: date | None = None, style: Style = "wareki",
                     assessed: Assessor | None = None, kinds: Iterable[str] = ()) -> ItemDetail | None:
    """One item in detail; None for an item the plan does not have. kinds: only the indicators of
    these kinds (活動 / 対象 / 成果) are shown (kpi.views.common.chosen_kinds).

    The page passes the shared assessment (assessed); without one only this item is assessed (an
    item's grades and reasons do not depend on the others)."""
    if assessed is None:
        item = data.item(item_no)
        if item is None:
            return None
        today = today or date.today()
        as_of = as_of_fy if as_of_fy is not None else default_as_of(data, today)
        result = assess_plan(replace(data, items=(item,)), rule, as_of_fy=as_of, today=today)
    else:
        result, _ = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    view = item_view_of(data, result, item_no, style=style, kinds=kinds)
    if view is None:
        return None
    ir = result.item(item_no)
    item = ir.item
    years = sorted({e.fiscal_year for e in item.evaluations} | {y.fiscal_year for y in ir.years if y.auto.graded})
    rows = []
    for fy in years:
        y = ir.year(fy)
        cells = []
        for stage in STAGES:
            e = item.evaluation(fy, stage)
            cells.append((e.grade or ("記入あり" if e.status_text else "")) if e else "")
        # a plan's named ungraded state (評価なし, −) shows as it is named; 未評価 stays blank as before
        rows.append((format_fiscal_year(fy, style), (y.auto.label or y.auto.state or "") if y else "", *cells))
    timeline = Table(f"評価の経過_No.{item_no}", ("年度", "自動評価", *(f"{s}（自己評価）" if s == YEAR else s for s in STAGES)),
                     tuple(rows))
    narratives = tuple((format_fiscal_year(n.fiscal_year, style) if n.fiscal_year else "年度の記載なし", n.text)
                       for n in sorted(extras.narratives_of(item_no), key=lambda n: n.fiscal_year or 0))
    status = None
    dated = [s for s in item.statuses if s[0] is None or s[0] <= result.as_of_fy]
    if dated:
        fy, st, note = max(dated, key=lambda s: s[0] or 0)
        status = (extras.status_marks.get((item_no, fy), ""), st, note or "")
    ind_tables = tuple(_indicator_table(ind, item_no, data.unconfirmed_values) for ind in view.indicators)
    grades = Table(f"自動評価と自己評価_No.{item_no}", ("年度", "自動評価", "自己評価", "比較", "自動評価の根拠"),
                   tuple((format_fiscal_year(fy, style), mark_unconfirmed(auto or "―", data.unconfirmed(item_no, fy)),
                          mark_unconfirmed(own or "―", data.unconfirmed(item_no, fy)), gap, reason)
                         for fy, auto, own, gap, reason in view.year_grades))
    return ItemDetail(view, timeline, _schedule(extras, item_no, style), grades, narratives, status, ind_tables)


def _indicator_table(ind, item_no: str, unconfirmed: frozenset = frozenset()) -> Table:
    """計画・実績 per year; the 備考 column appears once a department has written one. A value from a
    submission awaiting review is marked 未確定, and so is the grade that rests on it. A qualitative
    indicator shows its words and how each year was graded (no rates: there are no numbers)."""
    notes = any(p.note for p in ind.points)

    def pending(p, kind: str) -> bool:
        return (str(item_no), ind.name, p.fiscal_year, kind) in unconfirmed

    def mark(text: str, flag: bool) -> str:
        return f"{text}（{UNCONFIRMED}）" if flag and text != "―" else text

    if ind.qualitative:
        return Table(f"{ind.name}_No.{item_no}", ("年度", "計画", "実績", "評価", "評価の根拠") + (("備考",) if notes else ()),
                     tuple((p.label, mark(p.target_words or _num(p.target, p.target_estimate), pending(p, "target")),
                            mark(p.actual_words or _num(p.actual, p.actual_estimate), pending(p, "actual")),
                            mark(p.grade or "―", pending(p, "target") or pending(p, "actual")), p.grade_reason)
                           + ((p.note,) if notes else ()) for p in ind.points))
    return Table(f"{ind.name}_No.{item_no}",
                 ("年度", "計画", "実績", "達成率", "進捗率", "自動評価", "評価の根拠") + (("備考",) if notes else ()),
                 tuple((p.label, mark(_num(p.target, p.target_estimate), pending(p, "target")),
                        mark(_num(p.actual, p.actual_estimate), pending(p, "actual")), p.achievement,
                        p.progress, mark(p.grade or "―", pending(p, "target") or pending(p, "actual")), p.grade_reason)
                       + ((p.note,) if notes else ())
                       for p in ind.points))


def _num(v: float | None, estimate: bool) -> str:
    if v is None:
        return "―"
    return format_number(v) + ("（見込み）" if estimate else "")
