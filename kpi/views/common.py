"""What each page shows, computed without Streamlit: one call, one small frozen record.

Pages gather widget values, call one function here and render the result, so
everything a manager reads on screen can be tested without a browser. A view takes the
plan's assessment (kpi.rules.assess.PlanResult, made once per data version, plan, year and
day and shared by every page) and writes its sentences in the display style the user picked:
switching 和暦/西暦 writes the words again, it never assesses the plan again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from typing import Callable, Iterable

from kpi.rules.assess import Assessor, ItemResult, PlanResult, assessment
from kpi.rules.departments import format_departments
from kpi.rules.fiscal import Style, fiscal_year_has_ended, format_fiscal_year
from kpi.rules.frozen import quick_init
from kpi.rules.grading import Grade, GradingRule, auto_shown, counted_label
from kpi.rules.lagging import Pace, Series, ShownReason, describe_pace, lagging_help, pace_to_goal, show_reasons
from kpi.rules.model import Evaluation, Indicator, PlanData
from kpi.rules.rates import Rate
from kpi.vocabulary import INDICATOR_KINDS, LAGGING_ITEMS, STAGES, UNCONFIRMED, UNGRADED, YEAR, direction_label


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    delta: str | None = None  # change from the previous fiscal year, already formatted
    help: str = ""
    better: str = "up"  # which way of the delta is good news: "up", "down" or "none"
    changed: bool = True  # False when the delta is zero (shown without an arrow)


@quick_init
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


@quick_init
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
    # items per label whose grade this year rests on values awaiting review (counted in grade_counts too)
    unconfirmed_counts: dict[str, int] = field(default_factory=dict)


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


def mark_unconfirmed(grade: str, unconfirmed: bool) -> str:
    """A grade that rests on values awaiting review, as every table shows it: 'B（未確定）'."""
    return f"{grade}（{UNCONFIRMED}）" if unconfirmed and grade and grade != "―" else grade


def unmarked(grade: str) -> str:
    """The grade itself, without mark_unconfirmed's mark (for filters and colours)."""
    return grade.removesuffix(f"（{UNCONFIRMED}）")


def unconfirmed_counts(data: PlanData, counted: dict[str, str], fy: int) -> dict[str, int]:
    """Of the items counted per label (item_no → label), how many rest on values awaiting review."""
    out: dict[str, int] = {}
    for item_no, label in counted.items():
        if data.unconfirmed(item_no, fy):
            out[label] = out.get(label, 0) + 1
    return out


def signed(n: int | float, unit: str = "") -> str:
    """A year-on-year change as people write it: '+2件', '−1件', '±0件'."""
    if n == 0:
        return f"±0{unit}"
    text = f"{abs(n):,}" if isinstance(n, int) else f"{abs(n):,.1f}"
    return f"{'+' if n > 0 else '-'}{text}{unit}"


def lagging_rows(result: PlanResult, style: Style, data: PlanData | None = None,
                 shown: Callable[[ItemResult], tuple[ShownReason, ...]] | None = None) -> tuple[LaggingRow, ...]:
    """data: the plan as shown, whose values awaiting review mark the grades 未確定. shown: an item's
    reasons in words (show_reasons), when the caller writes them for other things too (the deck)."""
    rows = []
    for ir in result.lagging:
        cur = ir.current
        self_eval = ir.item.latest_evaluation(YEAR, result.as_of_fy)
        pending = data is not None and data.unconfirmed(ir.item.item_no, result.as_of_fy)
        rows.append(LaggingRow(
            ir.item.item_no, ir.item.title, ir.item.main_department or "",
            mark_unconfirmed(auto_shown(cur.auto) if cur else "", pending),
            mark_unconfirmed(self_eval.grade if self_eval and self_eval.grade else "",
                             pending and self_eval is not None and self_eval.fiscal_year == result.as_of_fy),
            shown(ir) if shown else show_reasons(ir.reasons, style), _last_comment(ir, result.as_of_fy),
            counted_label(result.rule, cur.auto, cur.self_grade) if cur else UNGRADED))
    # Most reasons first, then worst automatic grade.
    rank = {label: i for i, label in enumerate(result.rule.labels)}
    rows.sort(key=lambda r: (-sum(x.lagging for x in r.reasons),
                             -rank.get(unmarked(r.auto_grade), -1), r.item_no))
    return tuple(rows)


def overview(data: PlanData, result: PlanResult, prev: PlanResult | None, *, style: Style = "wareki",
             shown: Callable[[ItemResult], tuple[ShownReason, ...]] | None = None) -> Overview:
    """Where the plan stands as of result's year; prev (the year before, or None) gives the changes.
    shown: as lagging_rows."""
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
    counted = {ir.item.item_no: counted_label(rule, ir.year(fy).auto if ir.year(fy) else None,
                                              ir.year(fy).self_grade if ir.year(fy) else None) for ir in result.items}
    return Overview(data.plan.name, fy, format_fiscal_year(fy, style), rule.describe(), rule.labels,
                    tuple(headlines), counts, prev_counts, lagging_rows(result, style, data, shown), tuple(gaps), n_ind > 0,
                    unconfirmed_counts(data, counted, fy))


def indicator_kinds(data: PlanData) -> tuple[str, ...]:
    """The kinds (活動 / 対象 / 成果) the plan's indicators have, in that order: the choices of the pages'
    kind filter, shown only when there are any (a plan read from a sheet that names no kinds has none)."""
    present = {ind.kind for it in data.items for ind in it.indicators if ind.kind}
    return tuple(k for k in INDICATOR_KINDS if k in present) + tuple(sorted(present - set(INDICATOR_KINDS)))


def chosen_kinds(data: PlanData, kinds: Iterable[str]) -> frozenset[str]:
    """The kinds a page filters by: the chosen ones this plan has. Nothing chosen (or only kinds left over
    from another plan, whose filter this plan does not show) is no filter at all, never an empty list."""
    return frozenset(kinds) & frozenset(indicator_kinds(data))


def kinds_text(data: PlanData) -> str:
    """'（活動 9件・対象 9件・成果 9件）' after the count of indicators, with '種類なし 2件' for those of no
    kind (a cost read beside them); '' when no indicator has a kind."""
    counts = {k: sum(ind.kind == k for it in data.items for ind in it.indicators) for k in indicator_kinds(data)}
    if not counts:
        return ""
    counts["種類なし"] = sum(not ind.kind for it in data.items for ind in it.indicators)
    return f"（{'・'.join(f'{k} {n}件' for k, n in counts.items() if n)}）"


@quick_init
@dataclass(frozen=True)
class YearPoint:
    fiscal_year: int
    label: str
    target: float | None
    actual: float | None
    target_estimate: bool
    actual_estimate: bool
    achievement_rate: Rate
    progress_rate: Rate
    grade: str
    graded: Grade
    due: bool = True  # the year is over (plus the plan's grace): a missing actual is overdue
    note: str = ""  # the 備考 the department wrote for the year
    # A qualitative indicator's 計画/実績 in words (把握 → 実施); '' for numbers. What a table or a
    # slide shows in place of the number.
    target_words: str = ""
    actual_words: str = ""

    # The sentences are written when first read: a deck or a sheet builds every point of a plan
    # (thousands at prefecture scale), and most of them are never shown (issue 17, cold pages).
    @cached_property
    def achievement(self) -> str:
        """The achievement rate with its formula and numbers (kpi.rules.rates.describe_rate)."""
        return self.achievement_rate.explanation

    @cached_property
    def progress(self) -> str:
        return self.progress_rate.explanation

    @cached_property
    def grade_reason(self) -> str:
        return self.graded.reason


@quick_init
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
    kind: str = ""  # 活動 / 対象 / 成果 when the sheet grouped its indicators so
    qualitative: bool = False  # 定性: points carry words (target_words/actual_words), no rates, no chart


@quick_init
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
    kind_options: tuple[str, ...] = ()  # the kinds the plan's indicators have (the page's filter)
    n_all_indicators: int = 0  # the item's indicators before the kind filter


def _indicator_view(ind: Indicator, ir: ItemResult, years: tuple[int, ...], as_of: int, style: Style,
                    plan_end: int | None, today: date | None = None, grace_months: int = 0,
                    shown_years: tuple[tuple[int, str, bool], ...] | None = None,
                    series: Series | None = None) -> IndicatorView:
    """shown_years: (fiscal year, its label, due) of each of years, when the caller has them (a deck
    writes the same years for every indicator); series: the indicator's Series the grading kept."""
    if shown_years is None:
        shown_years = year_labels(years, style, today, grace_months)
    by_year = {}
    for yv in ind.years:  # Indicator.year: the first of a year
        by_year.setdefault(yv.fiscal_year, yv)
    found = ir.indicator_year
    name = ind.name
    pts = []
    for fy, label, due in shown_years:
        r = found(name, fy)
        if r is None:
            continue
        yv = by_year.get(fy)
        pts.append(YearPoint(fy, label, r.target, r.actual, r.target_estimate,
                             r.actual_estimate, r.achievement, r.progress, r.grade.label or "", r.grade, due,
                             (yv.note if yv else None) or "", r.target_words or "", r.actual_words or ""))
    pace = pace_to_goal(ind, as_of_fy=as_of, plan_end_fy=plan_end, series=series)
    trend: tuple[tuple[int, float], ...] = ()
    if pace is not None:
        trend = tuple((pace.last_fy + k, pace.last_actual + pace.per_year * k)
                      for k in range(0, pace.goal_fy - pace.last_fy + 1))
    return IndicatorView(ind.name, ind.unit, direction_label(ind.direction), ind.direction_source,
                         ind.cumulative, ind.baseline, ind.baseline_fy, ind.baseline_estimated, ind.final_target,
                         ind.final_target_fy, ind.final_target_text, tuple(pts), pace, trend,
                         describe_pace(pace, style) if pace is not None else "", ind.kind, ind.qualitative)


def view_years(data: PlanData) -> tuple[int, ...]:
    """The years an indicator view goes through: the plan's and those with data."""
    return tuple(sorted(set(data.data_years) | set(data.plan.years)))


def year_labels(years: Iterable[int], style: Style, today: date | None,
                grace_months: int = 0) -> tuple[tuple[int, str, bool], ...]:
    """(fiscal year, its label, whether it is over) of each year, as every point of those years shows them."""
    return tuple((fy, format_fiscal_year(fy, style), today is None or fiscal_year_has_ended(fy, today, grace_months))
                 for fy in years)


def indicator_views(data: PlanData, result: PlanResult, ir: ItemResult, *, style: Style = "wareki",
                    want: frozenset[str] = frozenset(),
                    shown_years: tuple[tuple[int, str, bool], ...] | None = None) -> tuple[IndicatorView, ...]:
    """The item's indicators year by year (want: only those of these kinds; empty: all). shown_years:
    year_labels of view_years, when the caller writes many items."""
    years = view_years(data)
    if shown_years is None:
        shown_years = year_labels(years, style, result.today, result.rule.actual_grace_months)
    series = ir.series if len(ir.series) == len(ir.item.indicators) else (None,) * len(ir.item.indicators)
    return tuple(_indicator_view(ind, ir, years, result.as_of_fy, style, data.plan.end_fy, result.today,
                                 result.rule.actual_grace_months, shown_years,
                                 ser if ser is not None and ser.indicator is ind else None)
                 for ind, ser in zip(ir.item.indicators, series) if not want or ind.kind in want)


def item_view(data: PlanData, rule: GradingRule, item_no: str, *, as_of_fy: int | None = None,
              today: date | None = None, style: Style = "wareki", assessed: Assessor | None = None) -> ItemView | None:
    """One item: its indicators year by year, its grades and every reason it lags."""
    result, _ = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    return item_view_of(data, result, item_no, style=style)


def item_view_of(data: PlanData, result: PlanResult, item_no: str, *, style: Style = "wareki",
                 kinds: Iterable[str] = ()) -> ItemView | None:
    """item_view of an assessment already made (the pack and the item page build theirs from the shared one).
    kinds: only the indicators of these kinds (活動 / 対象 / 成果); the grades and reasons stay the item's."""
    rule = result.rule
    ir = result.item(item_no)
    if ir is None:
        return None
    it = ir.item
    kind_options = indicator_kinds(data)
    want = frozenset(kinds) & frozenset(kind_options)  # chosen_kinds
    inds = indicator_views(data, result, ir, style=style, want=want)
    order = {s: i for i, s in enumerate(STAGES)}
    evals = tuple(sorted(it.evaluations, key=lambda e: (e.fiscal_year, order.get(e.stage, 9))))
    yg = tuple((y.fiscal_year, y.auto.label or "", y.self_grade or "", y.gap.text, y.auto.reason)
               for y in ir.years if y.auto.graded or y.self_grade)
    return ItemView(it.item_no, it.title, it.node_path, format_departments(it.departments), it.current_issues,
                    it.purpose, it.content, it.effect, it.qualitative_target, inds, evals, yg,
                    show_reasons(ir.reasons, style), ir.lagging, rule.describe(), kind_options,
                    len(it.indicators))
