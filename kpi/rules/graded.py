"""A plan's grades as columns: every item × indicator × year graded at once, for every as-of year.

Grading an indicator year does not depend on the year the plan is shown as of; only the lagging
reasons do. So a plan is graded once per rule (grade_plan: one row per indicator year, the rates
and the band decisions computed column-wise with numpy), and each as-of year adds only its lagging
step (kpi.rules.assess.assess_plan). The records the pages read (IndicatorYearResult, ItemYearResult,
Grade, Rate) are built from the code columns once and shared by every as-of year's PlanResult;
the sentences are still written only when shown (describe_grade, describe_rate).

The per-row rules of kpi.rules.rates and kpi.rules.grading stay the definition: grade_plan gives
exactly what they give (tests/test_graded_parity.py runs both over every sample plan and rule).
The rates, the band each value holds (per label, on the label's own measure for a mixed rule) and
the item's worst grade come from columns; the records are then assembled per row. Qualitative
indicators (their 実績 are words, matched against the rule's text grades) are graded one by one by
grade_text_year, and an item graded by the average of points by item_grade.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from threading import Lock

import numpy as np

from kpi.rules.frozen import quick_init
from kpi.rules.grading import (Grade, GradingRule, Unjudged, grade_gap, grade_text_year, item_grade,
                               no_year_target_grade, worst_grade)
from kpi.rules.lagging import Series, series_of
from kpi.rules.model import Item, PlanData, YearValue
from kpi.rules.rates import Rate
from kpi.vocabulary import FIRST_HALF, YEAR

# Rate.missing codes, by column code (0: the rate has a value).
_ACH_MISSING = ("", "no_target", "no_actual", "zero_actual_met", "zero_actual", "zero_target", "overflow")
_PROG_MISSING = ("", "no_baseline", "no_goal", "no_actual", "same_goal", "overflow")
_CHANGE_MISSING = ("", "no_baseline", "no_actual", "zero_baseline", "overflow")


@quick_init
@dataclass(frozen=True)
class GradedItem:
    """One item's grades in every year of the plan: what each as-of year's ItemResult shares."""

    item: Item
    indicator_years: tuple  # IndicatorYearResult, by year then indicator (as assess_item lists them)
    years: tuple  # ItemYearResult per fiscal year of the plan
    item_grades: dict  # fiscal year → the automatic item Grade
    self_grades: dict  # fiscal year → the 年度 self-grade
    first_half: dict  # fiscal year → the 上半期 entry
    series: tuple[Series, ...]  # per indicator: what the lagging rules read from it


@dataclass(frozen=True)
class GradedPlan:
    rule: GradingRule
    years: tuple[int, ...]
    items: tuple[GradedItem, ...]


def _floats(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _first_code(conditions: list[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """The code of the first condition that holds per row (checked in order, as the scalar rules
    check them), 0 where none does."""
    code = np.zeros(n, dtype=np.int8)
    for mask, c in reversed(conditions):
        code[mask] = c
    return code


def _rates(T, A, B, F, has_t, has_a, has_b, has_f, lower):
    """Achievement, progress and change from the baseline for every row: (values, missing codes)."""
    n = len(T)
    with np.errstate(all="ignore"):
        ach = np.where(lower, T / A, A / T)
        ach_code = _first_code([(~has_t, 1), (~has_a, 2), (lower & (A == 0) & (T >= 0), 3),
                                (lower & (A == 0), 4), (~lower & (T == 0), 5)], n)
        ach_code[(ach_code == 0) & ~np.isfinite(ach)] = 6
        G = np.where(has_f, F, T)
        has_g = has_f | has_t
        prog = (A - B) / (G - B)
        prog_code = _first_code([(~has_b, 1), (~has_g, 2), (~has_a, 3), (G == B, 4)], n)
        prog_code[(prog_code == 0) & ~np.isfinite(prog)] = 5
        change = (A - B) / np.abs(B)
        change = np.where(lower, -change, change)
        change_code = _first_code([(~has_b, 1), (~has_a, 2), (B == 0, 3)], n)
        change_code[(change_code == 0) & ~np.isfinite(change)] = 4
    return (ach, ach_code), (prog, prog_code, has_g), (change, change_code)


def _band_choice(rule: GradingRule, values: np.ndarray) -> np.ndarray:
    """Index of the first computed band a value holds (Band.holds, top-down); len(bands) for none."""
    bands = rule.computed_bands
    choice = np.full(len(values), len(bands), dtype=np.int16)
    with np.errstate(invalid="ignore"):
        for i in range(len(bands) - 1, -1, -1):
            b = bands[i]
            low = values > b.min_rate + 1e-12 if b.strict else values >= b.min_rate - 1e-12
            if b.max_rate is not None:
                low &= values <= b.max_rate + 1e-12
            choice[low] = i
    return choice


def grade_plan(data: PlanData, rule: GradingRule) -> GradedPlan:
    """Every indicator year and item year of the plan graded by the rule (see the module's doc)."""
    from kpi.rules.assess import IndicatorYearResult, ItemYearResult
    years_t = tuple(sorted(set(data.data_years) | set(data.plan.years)))
    year_index = {fy: i for i, fy in enumerate(years_t)}

    # One row per (item, indicator, fiscal year) with a yearly value (ind.year(fy): the first one),
    # laid out as assess_item lists them: by item, then year, then indicator.
    row_ind: list = []
    row_yv: list[YearValue] = []
    spans: list[list[tuple[int, int]]] = []  # per item, per year: the rows [start, end)
    for it in data.items:
        buckets: list[list] = [[] for _ in years_t]
        for ind in it.indicators:
            seen: set[int] = set()
            for yv in ind.years:
                fy = yv.fiscal_year
                if fy not in seen:
                    seen.add(fy)
                    buckets[year_index[fy]].append((ind, yv))
        item_spans = []
        for bucket in buckets:
            start = len(row_yv)
            for ind, yv in bucket:
                row_ind.append(ind)
                row_yv.append(yv)
            item_spans.append((start, len(row_yv)))
        spans.append(item_spans)
    n = len(row_yv)
    targets = [yv.target for yv in row_yv]
    actuals = [yv.actual for yv in row_yv]
    baselines = [ind.baseline for ind in row_ind]
    finals = [ind.final_target for ind in row_ind]
    directions = [ind.direction for ind in row_ind]
    T, A, B, F = _floats(targets), _floats(actuals), _floats(baselines), _floats(finals)
    has_t, has_a, has_b, has_f = (np.array([v is not None for v in vs], dtype=bool)
                                  for vs in (targets, actuals, baselines, finals))
    lower = np.array([d == "lower" for d in directions], dtype=bool)
    (ach, ach_code), (prog, prog_code, has_g), (change, change_code) = _rates(T, A, B, F, has_t, has_a, has_b, has_f,
                                                                             lower)

    ach_v, ach_c = ach.tolist(), ach_code.tolist()
    prog_v, prog_c, final_goal = prog.tolist(), prog_code.tolist(), has_f.tolist()
    achievements = [Rate("achievement", ach_v[r] if not ach_c[r] else None, actuals[r], targets[r], None,
                         directions[r], "目標", _ACH_MISSING[ach_c[r]]) for r in range(n)]
    progresses = [Rate("progress", prog_v[r] if not prog_c[r] else None, actuals[r], finals[r], baselines[r],
                       "higher", "最終目標", _PROG_MISSING[prog_c[r]]) if final_goal[r] else
                  Rate("progress", prog_v[r] if not prog_c[r] else None, actuals[r], targets[r], baselines[r],
                       "higher", "計画値", _PROG_MISSING[prog_c[r]]) for r in range(n)]

    grades = _grades(rule, row_ind, row_yv, achievements, progresses, (change, change_code), has_t, has_g, has_f,
                     actuals, baselines, directions)
    # Named in the item's grade: an indicator year with a target, a grade, or words.
    named_rows = (has_t | np.array([g.label is not None for g in grades], dtype=bool)
                  | np.array([ind.qualitative and bool(yv.target_words or yv.actual_words)
                              for ind, yv in zip(row_ind, row_yv)], dtype=bool)).tolist()

    no_year_target = no_year_target_grade(rule)
    grade_item = _item_grader(rule)
    records = [IndicatorYearResult(ind.name, yv.fiscal_year, yv.target, yv.actual, bool(yv.target_estimate),
                                   bool(yv.actual_estimate), achievements[r], progresses[r], grades[r],
                                   yv.target_words, yv.actual_words)
               for r, (ind, yv) in enumerate(zip(row_ind, row_yv))]
    items = []
    for it, item_spans in zip(data.items, spans):
        self_by_year = it.grades_by_year(YEAR)
        half_by_year = it.grades_by_year(FIRST_HALF)
        auto_by_year: dict[int, Grade] = {}
        year_results = []
        for fy, (lo, hi) in zip(years_t, item_spans):
            named = [(row_ind[r].name, grades[r]) for r in range(lo, hi) if named_rows[r]]
            auto = grade_item(named) if named else no_year_target
            auto_by_year[fy] = auto
            sg = self_by_year.get(fy)
            year_results.append(ItemYearResult(fy, auto, sg, grade_gap(rule, sg, auto)))
        first, last = item_spans[0][0] if item_spans else 0, item_spans[-1][1] if item_spans else 0
        items.append(GradedItem(it, tuple(records[first:last]), tuple(year_results), auto_by_year, self_by_year,
                                half_by_year, tuple(series_of(ind, data.plan.end_fy) for ind in it.indicators)))
    return GradedPlan(rule, years_t, tuple(items))


def _item_grader(rule: GradingRule):
    """item_grade(rule, named) for an item year; the worst grade (most rules) with each label's rank
    looked up once per plan instead of once per indicator."""
    if rule.item_grade == "manual" or rule.item_grade == "average":
        return lambda named: item_grade(rule, named)
    ranks: dict[str, int | None] = {}

    def worst(named: list[tuple[str, Grade]]) -> Grade:
        graded = []
        for name, g in named:
            if g.label is not None:
                rank = ranks[g.label] if g.label in ranks else ranks.setdefault(g.label, rule.rank(g.label))
                if rank is not None:
                    graded.append((name, g, rank))
        if not graded:
            return worst_grade(rule, named)  # no indicator graded: the item's ungraded state
        name, g, rank = graded[0]
        for other in graded[1:]:
            if other[2] > rank:  # the first of the worst, as max() picks it
                name, g, rank = other
        if len(graded) == 1:
            return Grade(g.label, "one", g.rate, indicator=name, basis=g)
        return Grade(g.label, "worst", g.rate, indicator=name, basis=g, named=tuple((n, x) for n, x, _r in graded))
    return worst


def _grades(rule: GradingRule, row_ind, row_yv, achievements, progresses, change_cols, has_t, has_g, has_f,
            actuals, baselines, directions) -> list[Grade]:
    """The automatic grade of every row (grade_indicator_year / grade_text_year)."""
    n = len(row_yv)
    qualitative = [ind.qualitative for ind in row_ind]
    if rule.measure == "manual":
        manual = grade_text_year(rule, actual_words=None)  # the one 'manual' grade, for words and numbers alike
        return [manual] * n
    out: list[Grade | None] = [None] * n
    change, change_code = change_cols
    by_measure: dict[str, tuple[list, list, str]] = {}

    def measure_rates(measure: str) -> tuple[list, list, str]:
        """Per row, the rate a measure reads (None where the rule has none) and the code of why none
        (_measure_rate: a measure it does not name reads as the baseline comparison)."""
        if measure not in by_measure:
            if measure == "achievement":
                by_measure[measure] = (achievements, has_t.tolist(), "no_target")
            elif measure == "progress":
                by_measure[measure] = (progresses, has_g.tolist(), "no_goal")
            else:
                has = (has_t | has_f).tolist()
                ch_v, ch_c = change.tolist(), change_code.tolist()
                by_measure[measure] = ([Rate("change", ch_v[r] if not ch_c[r] else None, actuals[r], None, baselines[r],
                                             direction=directions[r], missing=_CHANGE_MISSING[ch_c[r]])
                                        if has[r] else None for r in range(n)], has, "no_target_set")
        return by_measure[measure]

    def values_of(rates: list, has: list) -> np.ndarray:
        return np.array([rates[r].value if has[r] and rates[r].value is not None else np.nan for r in range(n)],
                        dtype=np.float64)

    bands = rule.computed_bands
    states = {c: rule.state_for(c) for c in ("no_actual", "not_measurable", "no_target")}
    rate_measure = rule.measure
    if rule.mixed:
        _mixed_grades(rule, out, qualitative, actuals, measure_rates, values_of, states)
    else:
        rates, has_rate, no_rate_why = measure_rates(rule.measures[0])
        no_rate = Grade(None, no_rate_why, None, "ungraded", state=states["no_target"], condition="no_target")
        choice = _band_choice(rule, values_of(rates, has_rate)).tolist()
        for r in range(n):
            if qualitative[r]:
                continue
            rt = rates[r] if has_rate[r] else None
            if rt is None:
                out[r] = no_rate
            elif rt.value is None:
                cond = "no_actual" if rt.missing == "no_actual" else "not_measurable"
                out[r] = Grade(None, "no_rate", rt, "ungraded", state=states[cond], condition=cond)
            elif choice[r] < len(bands):
                out[r] = Grade(bands[choice[r]].label, "band", rt, band=bands[choice[r]], measure=rate_measure)
            elif not bands:
                out[r] = Grade(rule.default_label, "default_only", rt, measure=rate_measure)
            else:
                out[r] = Grade(rule.default_label, "below", rt, band=bands[-1], measure=rule.measure)
    for r in range(n):
        if qualitative[r]:
            out[r] = grade_text_year(rule, actual_words=row_yv[r].actual_words)
    return out  # type: ignore[return-value]


def _mixed_grades(rule: GradingRule, out: list, qualitative: list, actuals: list, measure_rates, values_of,
                  states: dict) -> None:
    """_grade_mixed for every row: each label on its own measure, checked top-down. Whether each
    label's value exists and holds is a column per label; the labels passed over (Unjudged) are
    then listed per row."""
    bands = rule.computed_bands
    measures = [b.measure_of(rule.measure) for b in bands]
    columns = [measure_rates(m) for m in measures]
    valid, holds = [], []
    for b, (rates, has, _why) in zip(bands, columns):
        values = values_of(rates, has)
        ok = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            low = values > b.min_rate + 1e-12 if b.strict else values >= b.min_rate - 1e-12
            if b.max_rate is not None:
                low &= values <= b.max_rate + 1e-12
        valid.append(ok.tolist())
        holds.append((ok & low).tolist())
    distinct = [measure_rates(m) for m in dict.fromkeys(measures)]
    for r in range(len(out)):
        if qualitative[r]:
            continue
        passed: list[Unjudged] = []
        last = None
        grade = None
        for i, b in enumerate(bands):
            rates, has, why = columns[i]
            if not valid[i][r]:
                rt = rates[r] if has[r] else None
                passed.append(Unjudged(b.label, measures[i], why if rt is None else "", rt))
                continue
            if holds[i][r]:
                grade = Grade(b.label, "band", rates[r], band=b, measure=rule.measure, unjudged=tuple(passed))
                break
            last = i
        if grade is None:
            if last is None:
                if not any(has[r] for _rates, has, _why in distinct):
                    cond = "no_target"
                else:
                    cond = "no_actual" if actuals[r] is None else "not_measurable"
                grade = Grade(None, "no_measure", None, "ungraded", state=states[cond], condition=cond,
                              unjudged=tuple(passed))
            elif passed:
                # それ以外 means 'none of the above'; a label left unjudged may have held, so no grade.
                cond = "no_actual" if actuals[r] is None else "not_measurable"
                grade = Grade(None, "unjudged_below", columns[last][0][r], "ungraded", state=states[cond],
                              condition=cond, band=bands[last], measure=rule.measure, unjudged=tuple(passed))
            else:
                grade = Grade(rule.default_label, "below", columns[last][0][r], band=bands[last], measure=rule.measure)
        out[r] = grade


# One graded plan per plan object and rule: the frame keeps one plan object per (data version,
# plan), so every as-of year, page and session of that version shares the grading. Keyed by
# identity (a PlanData hashes by its whole content); the entry goes when the plan object does.
_GRADED: dict[int, tuple[weakref.ref, dict[GradingRule, GradedPlan]]] = {}
_LOCK = Lock()
_RULES_PER_PLAN = 4  # the rule page previews edited rules on the same plan object


def graded(data: PlanData, rule: GradingRule) -> GradedPlan:
    """grade_plan(data, rule), once per plan object and rule."""
    key = id(data)
    with _LOCK:
        entry = _GRADED.get(key)
        if entry is not None and entry[0]() is data:
            found = entry[1].get(rule)
            if found is not None:
                return found
    result = grade_plan(data, rule)
    with _LOCK:
        entry = _GRADED.get(key)
        if entry is None or entry[0]() is not data:
            entry = (weakref.ref(data, lambda _r, key=key: _forget(key, _r)), {})
            _GRADED[key] = entry
        by_rule = entry[1]
        by_rule[rule] = result
        while len(by_rule) > _RULES_PER_PLAN:
            by_rule.pop(next(iter(by_rule)))
    return result


def _forget(key: int, ref: weakref.ref) -> None:
    with _LOCK:
        entry = _GRADED.get(key)
        if entry is not None and entry[0] is ref:
            del _GRADED[key]
