"""Apply a plan's rules to its data: rates, grades, gaps and lagging, per item and year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from kpi.rules.fiscal import Style, fiscal_year_of
from kpi.rules.grading import (UNGRADED_LABEL, Grade, GradeGap, GradingRule, counted_label, grade_gap,
                               grade_indicator_year, item_grade, summary_labels)
from kpi.rules.lagging import LagReason, is_lagging, lagging_reasons
from kpi.rules.model import Indicator, Item, PlanData, PlanInfo
from kpi.rules.rates import Rate, achievement_rate, progress_rate


@dataclass(frozen=True)
class IndicatorYearResult:
    indicator: str
    fiscal_year: int
    target: float | None
    actual: float | None
    target_estimate: bool
    actual_estimate: bool
    achievement: Rate
    progress: Rate
    grade: Grade


@dataclass(frozen=True)
class ItemYearResult:
    fiscal_year: int
    auto: Grade
    self_grade: str | None
    gap: GradeGap


@dataclass(frozen=True)
class ItemResult:
    item: Item
    as_of_fy: int
    indicator_years: tuple[IndicatorYearResult, ...]
    years: tuple[ItemYearResult, ...]
    reasons: tuple[LagReason, ...]

    @property
    def lagging(self) -> bool:
        return is_lagging(self.reasons)

    def year(self, fy: int) -> ItemYearResult | None:
        for y in self.years:
            if y.fiscal_year == fy:
                return y
        return None

    @property
    def current(self) -> ItemYearResult | None:
        return self.year(self.as_of_fy)

    def indicator_year(self, name: str, fy: int) -> IndicatorYearResult | None:
        for r in self.indicator_years:
            if r.indicator == name and r.fiscal_year == fy:
                return r
        return None


@dataclass(frozen=True)
class PlanResult:
    plan: PlanInfo
    rule: GradingRule
    as_of_fy: int
    items: tuple[ItemResult, ...]
    today: date | None = None  # the day the rules were applied (what counts as overdue)

    @property
    def lagging(self) -> tuple[ItemResult, ...]:
        return tuple(r for r in self.items if r.lagging)

    def item(self, item_no: str) -> ItemResult | None:
        for r in self.items:
            if r.item.item_no == item_no:
                return r
        return None

    def grade_counts(self, fy: int | None = None) -> dict[str, int]:
        """Items per summary label in a year (kpi.rules.grading.summary_labels, counted_label:
        self-grades on a hand-graded plan), '未評価' last."""
        fy = self.as_of_fy if fy is None else fy
        counts = {label: 0 for label in summary_labels(self.rule)}
        for r in self.items:
            y = r.year(fy)
            label = counted_label(self.rule, y.auto if y else None, y.self_grade if y else None)
            counts[label if label in counts else UNGRADED_LABEL] += 1
        return counts


def indicator_year_result(rule: GradingRule, ind: Indicator, fy: int) -> IndicatorYearResult:
    yv = ind.year(fy)
    target = yv.target if yv else None
    actual = yv.actual if yv else None
    if ind.final_target is not None:
        progress = progress_rate(actual, ind.baseline, ind.final_target, "最終目標")
    else:
        progress = progress_rate(actual, ind.baseline, target, "計画値")
    return IndicatorYearResult(
        indicator=ind.name, fiscal_year=fy, target=target, actual=actual,
        target_estimate=bool(yv and yv.target_estimate), actual_estimate=bool(yv and yv.actual_estimate),
        achievement=achievement_rate(actual, target, ind.direction),
        progress=progress,
        grade=grade_indicator_year(rule, actual=actual, target=target, direction=ind.direction,
                                   baseline=ind.baseline, final_target=ind.final_target),
    )


def assess_item(rule: GradingRule, item: Item, *, as_of_fy: int, today: date, years: tuple[int, ...],
                style: Style = "wareki", plan_end_fy: int | None = None) -> ItemResult:
    ind_years: list[IndicatorYearResult] = []
    auto_by_year: dict[int, Grade] = {}
    year_results: list[ItemYearResult] = []
    self_by_year: dict[int, str] = {}
    half_by_year: dict[int, str] = {}
    for e in item.evaluations:
        if e.stage == "年度" and e.grade:
            self_by_year[e.fiscal_year] = e.grade
        if e.stage == "上半期" and e.grade:
            half_by_year[e.fiscal_year] = e.grade
    for fy in years:
        named = []
        for ind in item.indicators:
            r = indicator_year_result(rule, ind, fy)
            if ind.year(fy) is not None:
                ind_years.append(r)
            if r.target is not None or r.grade.graded:
                named.append((ind.name, r.grade))
        auto = item_grade(rule, named) if named else Grade(None, "この年度の計画値がある指標がないため評価しません", None,
                                                           "ungraded", rule.state_for("no_target"), "no_target")
        auto_by_year[fy] = auto
        sg = self_by_year.get(fy)
        year_results.append(ItemYearResult(fy, auto, sg, grade_gap(rule, sg, auto)))
    reasons = lagging_reasons(rule, as_of_fy=as_of_fy, today=today, indicators=item.indicators,
                              item_grades=auto_by_year, self_grades=self_by_year,
                              first_half=half_by_year, style=style, plan_end_fy=plan_end_fy)
    return ItemResult(item, as_of_fy, tuple(ind_years), tuple(year_results), reasons)


def default_as_of(data: PlanData, today: date) -> int:
    """The latest fiscal year with any actual or evaluation, not after the current one."""
    current = fiscal_year_of(today)
    years = [fy for fy in data.data_years if fy <= current]
    reported = set()
    for it in data.items:
        for ind in it.indicators:
            reported.update(y.fiscal_year for y in ind.years if y.actual is not None)
        reported.update(e.fiscal_year for e in it.evaluations if e.stage == "年度")
    candidates = [fy for fy in years if fy in reported]
    if candidates:
        return max(candidates)
    # Nothing reported yet: the current year, kept inside the plan period.
    fy = current
    if data.plan.end_fy is not None:
        fy = min(fy, data.plan.end_fy)
    if data.plan.start_fy is not None:
        fy = max(fy, data.plan.start_fy)
    return fy


def assess_plan(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None,
                today: date | None = None, style: Style = "wareki") -> PlanResult:
    today = today or date.today()
    as_of = as_of_fy if as_of_fy is not None else default_as_of(data, today)
    years = set(data.data_years) | set(data.plan.years)
    years_t = tuple(sorted(years))
    items = tuple(assess_item(rule, it, as_of_fy=as_of, today=today, years=years_t, style=style,
                              plan_end_fy=data.plan.end_fy)
                  for it in data.items)
    return PlanResult(data.plan, rule, as_of, items, today)


def grades_by_year(result: ItemResult) -> Mapping[int, str | None]:
    return {y.fiscal_year: y.auto.label for y in result.years}
