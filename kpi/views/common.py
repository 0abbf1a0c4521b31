"""What each page shows, computed without Streamlit: one call, one small frozen record.

Pages gather widget values, call one function here and render the result, so
everything a manager reads on screen can be tested without a browser. A view takes the
plan's assessment (kpi.rules.assess.PlanResult, made once per data version, plan, year and
day and shared by every page) and writes its sentences in the display style the user picked:
switching 和暦/西暦 writes the words again, it never assesses the plan again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpi.rules.assess import Assessor, ItemResult, PlanResult, assessment
from kpi.rules.departments import format_departments
from kpi.rules.fiscal import Style, fiscal_year_has_ended, format_fiscal_year
from kpi.rules.grading import GradingRule, auto_shown, counted_label
from kpi.rules.lagging import Pace, ShownReason, describe_pace, lagging_help, pace_to_goal, show_reasons
from kpi.rules.model import Evaluation, Indicator, PlanData
from kpi.vocabulary import LAGGING_ITEMS, STAGES, UNGRADED, YEAR, direction_label


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    delta: str | None = None  # change from the previous fiscal year, already formatted
    help: str = ""
    better: str = "up"  # which way of the delta is good news: "up", "down" or "none"
    changed: bool = True  # False when the delta is zero (shown without an arrow)


@dataclass(frozen=True)
class LaggingRow:
    item_no: str
    title: str
    department: str
    auto_grade: str
    self_grade: str
    reasons: tuple[ShownReason, ...]
    last_comment: str
    # What the item counts as in the summaries (a self-grade on a hand-graded plan, a named state, 未評価).
    counted: str = ""

    @property
    def reason_titles(self) -> str:
        return "、".join(dict.fromkeys(r.title for r in self.reasons if r.lagging))


@dataclass(frozen=True)
class GapRow:
    item_no: str
    title: str
    fiscal_year: int
    self_grade: str
    auto_grade: str
    steps: int
    text: str


@dataclass(frozen=True)
class Overview:
    plan_name: str
    as_of_fy: int
    as_of_label: str
    rule_text: str
    labels: tuple[str, ...]
    headlines: tuple[Headline, ...]
    grade_counts: dict[str, int]
    previous_counts: dict[str, int] | None
    lagging: tuple[LaggingRow, ...]
    gaps: tuple[GapRow, ...]
    has_indicators: bool


def _share_on_target(result: PlanResult, fy: int) -> tuple[int, int]:
    hit = total = 0
    for ir in result.items:
        for r in ir.indicator_years:
            if r.fiscal_year == fy and r.achievement.value is not None:
                total += 1
                hit += r.achievement.value >= 1.0 - 1e-12
    return hit, total


def _last_comment(ir: ItemResult, fy: int) -> str:
    evs = [e for e in ir.item.evaluations if e.fiscal_year <= fy and (e.status_text or e.issues_text)]
    if not evs:
        return ""
    order = {s: i for i, s in enumerate(STAGES)}
    e = max(evs, key=lambda e: (e.fiscal_year, order.get(e.stage, 0)))
    return (e.issues_text or e.status_text or "").strip()


def signed(n: int | float, unit: str = "") -> str:
    """A year-on-year change as people write it: '+2件', '−1件', '±0件'."""
    if n == 0:
        return f"±0{unit}"
    text = f"{abs(n):,}" if isinstance(n, int) else f"{abs(n):,.1f}"
    return f"{'+' if n > 0 else '-'}{text}{unit}"


def lagging_rows(result: PlanResult, style: Style) -> tuple[LaggingRow, ...]:
    rows = []
    for ir in result.lagging:
        cur = ir.current
        self_eval = ir.item.latest_evaluation(YEAR, result.as_of_fy)
        rows.append(LaggingRow(
            ir.item.item_no, ir.item.title, ir.item.main_department or "",
            auto_shown(cur.auto) if cur else "",
            (self_eval.grade if self_eval and self_eval.grade else ""),
            show_reasons(ir.reasons, style), _last_comment(ir, result.as_of_fy),
            counted_label(result.rule, cur.auto, cur.self_grade) if cur else UNGRADED))
    # Most reasons first, then worst automatic grade.
    rank = {label: i for i, label in enumerate(result.rule.labels)}
    rows.sort(key=lambda r: (-sum(x.lagging for x in r.reasons), -rank.get(r.auto_grade, -1), r.item_no))
    return tuple(rows)


def overview(data: PlanData, result: PlanResult, prev: PlanResult | None, *, style: Style = "wareki") -> Overview:
    """Where the plan stands as of result's year; prev (the year before, or None) gives the changes."""
    rule = result.rule
    fy = result.as_of_fy
    counts = result.grade_counts(fy)
    prev_counts = prev.grade_counts(fy - 1) if prev else None
    hit, total = _share_on_target(result, fy)
    n_ind = sum(len(it.indicators) for it in data.items)
    headlines = [
        Headline("取組数", f"{len(data.items)}"),
        Headline("指標数", f"{n_ind}"),
    ]
    share = f"{hit / total * 100:.0f}%" if total else "―"
    delta = None
    if prev:
        ph, pt = _share_on_target(prev, fy - 1)
        if pt and total:
            delta = signed(round((hit / total - ph / pt) * 100), "ポイント")
    headlines.append(Headline("計画値を達成した指標", share, delta,
                              f"{format_fiscal_year(fy, style)}に計画値と実績がある指標 {total} 件のうち {hit} 件が達成率100%以上",
                              changed=delta is not None and not delta.startswith("±")))
    lag_delta = signed(len(result.lagging) - len(prev.lagging), "件") if prev else None
    headlines.append(Headline(LAGGING_ITEMS, f"{len(result.lagging)}", lag_delta, lagging_help(),
                              better="down", changed=bool(prev) and len(result.lagging) != len(prev.lagging)))
    gaps = []
    for ir in result.items:
        for y in ir.years:
            if y.fiscal_year <= fy and y.gap.steps:
                gaps.append(GapRow(ir.item.item_no, ir.item.title, y.fiscal_year, y.self_grade or "",
                                   y.auto.label or "", y.gap.steps, y.gap.text))
    gaps.sort(key=lambda g: (-g.fiscal_year, g.item_no))
    return Overview(data.plan.name, fy, format_fiscal_year(fy, style), rule.describe(), rule.labels,
                    tuple(headlines), counts, prev_counts, lagging_rows(result, style), tuple(gaps), n_ind > 0)


@dataclass(frozen=True)
class YearPoint:
    fiscal_year: int
    label: str
    target: float | None
    actual: float | None
    target_estimate: bool
    actual_estimate: bool
    achievement: str  # explanation
    progress: str
    grade: str
    grade_reason: str
    due: bool = True  # the year is over (plus the plan's grace): a missing actual is overdue
    note: str = ""  # the 備考 the department wrote for the year


@dataclass(frozen=True)
class IndicatorView:
    name: str
    unit: str
    direction_text: str
    direction_source: str
    cumulative: bool
    baseline: float | None
    baseline_fy: int | None
    baseline_estimated: bool
    final_target: float | None
    final_target_fy: int | None
    final_target_text: str | None
    points: tuple[YearPoint, ...]
    pace: Pace | None
    trend: tuple[tuple[int, float], ...]  # projection from the last actual to the goal year
    pace_text: str = ""  # the pace in words (describe_pace), '' without a pace


@dataclass(frozen=True)
class ItemView:
    item_no: str
    title: str
    path: tuple[str, ...]
    departments: str
    current_issues: str | None
    purpose: str | None
    content: str | None
    effect: str | None
    qualitative_target: str | None
    indicators: tuple[IndicatorView, ...]
    evaluations: tuple[Evaluation, ...]
    year_grades: tuple[tuple[int, str, str, str, str], ...]  # fy, auto, self, gap text, auto reason
    reasons: tuple[ShownReason, ...]
    lagging: bool
    rule_text: str


def _indicator_view(ind: Indicator, ir: ItemResult, years: tuple[int, ...], as_of: int, style: Style,
                    plan_end: int | None, today: date | None = None, grace_months: int = 0) -> IndicatorView:
    pts = []
    for fy in years:
        r = ir.indicator_year(ind.name, fy)
        if r is None:
            continue
        due = today is None or fiscal_year_has_ended(fy, today, grace_months)
        yv = ind.year(fy)
        pts.append(YearPoint(fy, format_fiscal_year(fy, style), r.target, r.actual, r.target_estimate,
                             r.actual_estimate, r.achievement.explanation, r.progress.explanation,
                             r.grade.label or "", r.grade.reason, due, (yv.note if yv else None) or ""))
    pace = pace_to_goal(ind, as_of_fy=as_of, plan_end_fy=plan_end)
    trend: tuple[tuple[int, float], ...] = ()
    if pace is not None:
        trend = tuple((pace.last_fy + k, pace.last_actual + pace.per_year * k)
                      for k in range(0, pace.goal_fy - pace.last_fy + 1))
    return IndicatorView(ind.name, ind.unit, direction_label(ind.direction), ind.direction_source,
                         ind.cumulative, ind.baseline, ind.baseline_fy, ind.baseline_estimated, ind.final_target,
                         ind.final_target_fy, ind.final_target_text, tuple(pts), pace, trend,
                         describe_pace(pace, style) if pace is not None else "")


def item_view(data: PlanData, rule: GradingRule, item_no: str, *, as_of_fy: int | None = None,
              today: date | None = None, style: Style = "wareki", assessed: Assessor | None = None) -> ItemView | None:
    """One item: its indicators year by year, its grades and every reason it lags."""
    result, _ = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    return item_view_of(data, result, item_no, style=style)


def item_view_of(data: PlanData, result: PlanResult, item_no: str, *, style: Style = "wareki") -> ItemView | None:
    """item_view of an assessment already made (the pack and the item page build theirs from the shared one)."""
    rule = result.rule
    ir = result.item(item_no)
    if ir is None:
        return None
    it = ir.item
    years = tuple(sorted(set(data.data_years) | set(data.plan.years)))
    inds = tuple(_indicator_view(ind, ir, years, result.as_of_fy, style, data.plan.end_fy, result.today,
                                 rule.actual_grace_months) for ind in it.indicators)
    order = {s: i for i, s in enumerate(STAGES)}
    evals = tuple(sorted(it.evaluations, key=lambda e: (e.fiscal_year, order.get(e.stage, 9))))
    yg = tuple((y.fiscal_year, y.auto.label or "", y.self_grade or "", y.gap.text, y.auto.reason)
               for y in ir.years if y.auto.graded or y.self_grade)
    return ItemView(it.item_no, it.title, it.node_path, format_departments(it.departments), it.current_issues,
                    it.purpose, it.content, it.effect, it.qualitative_target, inds, evals, yg,
                    show_reasons(ir.reasons, style), ir.lagging, rule.describe())
