"""Apply a plan's rules to its data: rates, grades, gaps and lagging, per item and year.

The result is plain data (frozen records of codes and numbers, no sentences and no display
style): one assessment per plan, fiscal year and day serves every page and the committee pack,
each of which writes the sentences in the style its reader picked (describe_grade, describe_rate,
describe_reason, describe_pace) when it shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from typing import Callable, Iterable

from kpi.rules.fiscal import fiscal_year_of
from kpi.rules.frozen import quick_init
from kpi.rules.grading import (Grade, GradeGap, GradingRule, counted_label, grade_gap, grade_indicator_year,
                               grade_text_year, item_grade, no_year_target_grade, summary_labels)
from kpi.rules.graded import graded
from kpi.rules.lagging import LagReason, is_lagging, lagging_reasons
from kpi.rules.model import Indicator, Item, PlanData, PlanInfo
from kpi.rules.rates import Rate, achievement_rate, progress_rate
from kpi.vocabulary import FIRST_HALF, UNGRADED, YEAR


@quick_init
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
    # A qualitative indicator's 計画/実績 in words (None for numbers).
    target_words: str | None = None
    actual_words: str | None = None


@quick_init
@dataclass(frozen=True)
class ItemYearResult:
    fiscal_year: int
    auto: Grade
    self_grade: str | None
    gap: GradeGap


@quick_init
@dataclass(frozen=True)
class ItemResult:
    item: Item
    as_of_fy: int
    indicator_years: tuple[IndicatorYearResult, ...]
    years: tuple[ItemYearResult, ...]
    reasons: tuple[LagReason, ...]
    # The graded plan's Series of each indicator (kpi.rules.graded), for the views' pace to the goal
    # not to read every indicator again; not part of what the result is (left out of equality).
    series: tuple = field(default=(), compare=False, repr=False)

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
        return self._by_indicator_year.get((name, fy))

    @cached_property  # a slide or an item page looks up every indicator in every year
    def _by_indicator_year(self) -> dict[tuple[str, int], IndicatorYearResult]:
        out: dict[tuple[str, int], IndicatorYearResult] = {}
        for r in self.indicator_years:
            out.setdefault((r.indicator, r.fiscal_year), r)
        return out


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
        return self._by_item_no.get(item_no)

    @cached_property
    def _by_item_no(self) -> dict[str, ItemResult]:
        out: dict[str, ItemResult] = {}
        for r in self.items:
            out.setdefault(r.item.item_no, r)
        return out

    def grade_counts(self, fy: int | None = None) -> dict[str, int]:
        """Items per summary label in a year (kpi.rules.grading.summary_labels, counted_label:
        self-grades on a hand-graded plan), 未評価 last."""
        fy = self.as_of_fy if fy is None else fy
        counts = {label: 0 for label in summary_labels(self.rule)}
        for r in self.items:
            y = r.year(fy)
            label = counted_label(self.rule, y.auto if y else None, y.self_grade if y else None)
            counts[label if label in counts else UNGRADED] += 1
        return counts


def indicator_year_result(rule: GradingRule, ind: Indicator, fy: int) -> IndicatorYearResult:
    yv = ind.year(fy)
    target = yv.target if yv else None
    actual = yv.actual if yv else None
    if ind.final_target is not None:
        progress = progress_rate(actual, ind.baseline, ind.final_target, "最終目標")
    else:
        progress = progress_rate(actual, ind.baseline, target, "計画値")
    if ind.qualitative:
        # Words, not numbers: the rule's text matches grade the 実績, or a person does.
        grade = grade_text_year(rule, actual_words=yv.actual_words if yv else None)
    else:
        grade = grade_indicator_year(rule, actual=actual, target=target, direction=ind.direction,
                                     baseline=ind.baseline, final_target=ind.final_target)
    return IndicatorYearResult(
        indicator=ind.name, fiscal_year=fy, target=target, actual=actual,
        target_estimate=bool(yv and yv.target_estimate), actual_estimate=bool(yv and yv.actual_estimate),
        achievement=achievement_rate(actual, target, ind.direction),
        progress=progress, grade=grade,
        target_words=yv.target_words if yv else None, actual_words=yv.actual_words if yv else None,
    )


def assess_item(rule: GradingRule, item: Item, *, as_of_fy: int, today: date, years: tuple[int, ...],
                plan_end_fy: int | None = None) -> ItemResult:
    ind_years: list[IndicatorYearResult] = []
    auto_by_year: dict[int, Grade] = {}
    year_results: list[ItemYearResult] = []
    self_by_year = item.grades_by_year(YEAR)
    half_by_year = item.grades_by_year(FIRST_HALF)
    for fy in years:
        named = []
        for ind in item.indicators:
            r = indicator_year_result(rule, ind, fy)
            if ind.year(fy) is not None:
                ind_years.append(r)
            if r.target is not None or r.grade.graded or ind.has_words(fy):
                named.append((ind.name, r.grade))
        auto = item_grade(rule, named) if named else no_year_target_grade(rule)
        auto_by_year[fy] = auto
        sg = self_by_year.get(fy)
        year_results.append(ItemYearResult(fy, auto, sg, grade_gap(rule, sg, auto)))
    reasons = lagging_reasons(rule, as_of_fy=as_of_fy, today=today, indicators=item.indicators,
                              item_grades=auto_by_year, self_grades=self_by_year,
                              first_half=half_by_year, plan_end_fy=plan_end_fy)
    return ItemResult(item, as_of_fy, tuple(ind_years), tuple(year_results), reasons)


def default_as_of(data: PlanData, today: date) -> int:
    """The latest fiscal year with any actual, evaluation or dated status, not after the current one.

    A plan reported in words (statuses, no numbers) is shown as of its latest status: headed with the
    current year it would show the 平成29年度 statuses under a 令和元年度 heading (issue 18)."""
    return latest_reported(data.plan, data.reported_years, today)


def latest_reported(plan: PlanInfo, reported_years: Iterable[int], today: date) -> int:
    """default_as_of from the plan's period and its reported years alone (the frame's year picker
    reads them without the plan: Store.plan_years)."""
    current = fiscal_year_of(today)
    candidates = [fy for fy in reported_years if fy <= current]
    if candidates:
        return max(candidates)
    # Nothing reported yet: the current year, kept inside the plan period.
    fy = current
    if plan.end_fy is not None:
        fy = min(fy, plan.end_fy)
    if plan.start_fy is not None:
        fy = max(fy, plan.start_fy)
    return fy


def assess_plan(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None,
                today: date | None = None) -> PlanResult:
    """The plan's rules applied to every item, as of a fiscal year (by default the latest reported one).

    Gives what assess_item gives for each item (tests/test_graded_parity.py holds them equal)."""
    today = today or date.today()
    as_of = as_of_fy if as_of_fy is not None else default_as_of(data, today)
    # The grades of every year come from the plan's one graded table (kpi.rules.graded, shared by
    # every as-of year); only the lagging reasons depend on the year the plan is shown as of.
    table = graded(data, rule)
    end_fy = data.plan.end_fy
    items = tuple(ItemResult(g.item, as_of, g.indicator_years, g.years,
                             lagging_reasons(rule, as_of_fy=as_of, today=today, indicators=g.item.indicators,
                                             item_grades=g.item_grades, self_grades=g.self_grades,
                                             first_half=g.first_half, plan_end_fy=end_fy, series=g.series),
                             g.series)
                  for g in table.items)
    return PlanResult(data.plan, rule, as_of, items, today)


# The plan's assessment as of a fiscal year. The pages pass the frame's (ui/frame.assessed: one per
# data version, plan, year and day, shared by every view of a run and by the pack); without one a
# view assesses the plan itself, each year at most once (assessor).
Assessor = Callable[[int], PlanResult]


def assessor(data: PlanData, rule: GradingRule, *, today: date | None = None) -> Assessor:
    """assess_plan as of any fiscal year, each year assessed once."""
    day = today or date.today()
    made: dict[int, PlanResult] = {}

    def as_of(fy: int) -> PlanResult:
        if fy not in made:
            made[fy] = assess_plan(data, rule, as_of_fy=fy, today=day)
        return made[fy]
    return as_of


def assessment(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
               assessed: Assessor | None = None) -> tuple[PlanResult, Assessor]:
    """The plan's assessment as of the chosen year (by default the latest reported), and where the
    assessments of other years come from: `assessed` when given (the shared one), else the plan's own."""
    day = today or date.today()
    assessed = assessed or assessor(data, rule, today=day)
    return assessed(as_of_fy if as_of_fy is not None else default_as_of(data, day)), assessed


def previous_year(data: PlanData, as_of_fy: int) -> int | None:
    """The year a year-on-year change is measured from: the year before, when the plan has data for it."""
    return as_of_fy - 1 if (as_of_fy - 1) in set(data.data_years) else None


def previous_assessment(data: PlanData, result: PlanResult, assessed: Assessor) -> PlanResult | None:
    """The same plan assessed as of the year before (for year-on-year changes), if it has data."""
    fy = previous_year(data, result.as_of_fy)
    return None if fy is None else assessed(fy)
