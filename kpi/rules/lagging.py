"""Why an item is late: every reason listed, each with its own sentence.

An item lags when any of these holds (as of the chosen fiscal year):
- its automatic grade is below the plan's threshold (default: worse than B);
- the department's own grade is below it (C or worse);
- the 上半期 check says 進捗に遅れあり (or the plan's equivalent);
- an actual is missing although its fiscal year is over;
- at the pace so far, an indicator cannot reach its final target in time.
Indicators below target in past years are listed too, as supporting facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

from kpi.rules.fiscal import Style, fiscal_year_has_ended, format_fiscal_year
from kpi.rules.grading import Grade, GradingRule, normalize_label
from kpi.rules.model import Indicator
from kpi.rules.numbers import format_number

REASON_TITLES: dict[str, str] = {
    "auto_grade": "自動評価が基準未満",
    "self_grade": "自己評価が基準未満",
    "first_half": "上半期の進捗に遅れ",
    "actual_missing": "実績が未報告",
    "pace": "このペースでは目標に届かない",
    "below_target": "計画値を下回った年度",
}


@dataclass(frozen=True)
class LagReason:
    code: str
    title: str
    detail: str
    lagging: bool = True  # False: a supporting fact, not a cause by itself
    indicator: str | None = None
    years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Pace:
    """Where an indicator heads at the pace it has kept so far."""

    goal: float
    goal_fy: int
    goal_label: str
    last_fy: int
    last_actual: float
    per_year: float  # observed change per year
    needed_per_year: float
    projected: float
    reachable: bool
    text: str


def pace_to_goal(ind: Indicator, *, as_of_fy: int, style: Style = "wareki",
                 plan_end_fy: int | None = None) -> Pace | None:
    """Project the trend to the final target (or the plan's last yearly target).

    The observed pace runs from the baseline (or the first actual) to the latest
    actual up to as_of_fy. None when there is nothing left to project.
    """
    actuals = sorted((y.fiscal_year, y.actual) for y in ind.years
                     if y.actual is not None and y.fiscal_year <= as_of_fy)
    if not actuals:
        return None
    goal, goal_fy, label = None, None, ""
    if ind.final_target is not None and ind.final_target_fy is not None:
        goal, goal_fy, label = ind.final_target, ind.final_target_fy, "最終目標"
    else:
        later = sorted((y.fiscal_year, y.target) for y in ind.years if y.target is not None)
        if plan_end_fy is not None:
            later = [t for t in later if t[0] <= plan_end_fy]
        if later:
            goal_fy, goal = later[-1]
            label = "計画最終年度の計画値"
    if goal is None or goal_fy is None:
        return None
    last_fy, last = actuals[-1]
    if last_fy >= goal_fy:
        return None
    if ind.baseline is not None and ind.baseline_fy is not None and ind.baseline_fy < last_fy:
        start_fy, start = ind.baseline_fy, ind.baseline
    elif len(actuals) >= 2:
        start_fy, start = actuals[0]
    else:
        return None
    per_year = (last - start) / (last_fy - start_fy)
    remaining = goal_fy - last_fy
    projected = last + per_year * remaining
    needed = (goal - last) / remaining
    if ind.direction == "lower":
        reachable = projected <= goal + 1e-9
    else:
        reachable = projected >= goal - 1e-9
    sign = "+" if per_year >= 0 else "−"
    pace = f"これまでのペース（年 {sign}{format_number(round(abs(per_year), 2))}）"
    when = f"{format_fiscal_year(goal_fy, style)}に {format_number(round(projected, 2))} の見込み"
    already = last <= goal if ind.direction == "lower" else last >= goal
    if already:
        # Needing "−207 a year" reads as nonsense: say the goal is met, and whether it will hold.
        text = (f"{ind.name}: {format_fiscal_year(last_fy, style)}の実績 {format_number(last)} で{label} "
                f"{format_number(goal)} にすでに達しています" +
                ("" if reachable else f"が、{pace}では{when}で、{label}を{'上回り' if ind.direction == 'lower' else '下回り'}ます"))
    else:
        nsign = "+" if needed >= 0 else "−"
        text = (f"{ind.name}: {pace}では{when}で、{label} {format_number(goal)} に{'届きます' if reachable else '届きません'}"
                f"（必要なペース 年 {nsign}{format_number(round(abs(needed), 2))}）")
    return Pace(goal, goal_fy, label, last_fy, last, per_year, needed, projected, reachable, text)


def _below_target(ind: Indicator, as_of_fy: int) -> list[tuple[int, float, float]]:
    out = []
    for y in sorted(ind.years, key=lambda y: y.fiscal_year):
        if y.fiscal_year > as_of_fy or y.target is None or y.actual is None:
            continue
        worse = y.actual > y.target if ind.direction == "lower" else y.actual < y.target
        if worse:
            out.append((y.fiscal_year, y.actual, y.target))
    return out


def _years_text(years: Sequence[int], style: Style) -> str:
    ys = sorted(years)
    if len(ys) >= 3 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{format_fiscal_year(ys[0], style)}〜{format_fiscal_year(ys[-1], style)}"
    return "、".join(format_fiscal_year(y, style) for y in ys)


def lagging_reasons(rule: GradingRule, *, as_of_fy: int, today: date,
                    indicators: Sequence[Indicator],
                    item_grades: Mapping[int, Grade],
                    self_grades: Mapping[int, str],
                    first_half: Mapping[int, str],
                    style: Style = "wareki",
                    plan_end_fy: int | None = None) -> tuple[LagReason, ...]:
    """All reasons an item lags as of a fiscal year.

    item_grades: automatic item grade per fiscal year; self_grades: the
    department's 年度 grade per fiscal year; first_half: 上半期 entry per year.
    Signals older than the year before as_of_fy are considered stale.
    """
    reasons: list[LagReason] = []
    recent = range(as_of_fy - 1, as_of_fy + 1)
    threshold = rule.lagging_below

    graded_years = [fy for fy, g in item_grades.items() if fy in recent and g.graded]
    if graded_years:
        fy = max(graded_years)
        g = item_grades[fy]
        if rule.is_worse_than(g.label, threshold):
            reasons.append(LagReason("auto_grade", f"自動評価が{threshold}未満",
                                     f"{format_fiscal_year(fy, style)}の自動評価は {g.label}: {g.reason}",
                                     years=(fy,)))

    self_years = [fy for fy, s in self_grades.items() if fy in recent and s]
    if self_years:
        fy = max(self_years)
        s = normalize_label(self_grades[fy])
        if rule.is_worse_than(s, threshold):
            reasons.append(LagReason("self_grade", f"自己評価が{threshold}未満",
                                     f"{format_fiscal_year(fy, style)}の担当課の自己評価は {s}",
                                     years=(fy,)))

    half_years = [fy for fy, t in first_half.items() if fy in recent and t]
    if half_years:
        fy = max(half_years)
        text = str(first_half[fy]).strip()
        if any(word in text for word in rule.first_half_lagging):
            reasons.append(LagReason("first_half", "上半期の進捗に遅れ",
                                     f"{format_fiscal_year(fy, style)}上半期の進捗管理: {text}", years=(fy,)))

    for ind in indicators:
        missing = [y.fiscal_year for y in ind.years
                   if y.fiscal_year <= as_of_fy and y.target is not None and y.actual is None
                   and fiscal_year_has_ended(y.fiscal_year, today, rule.actual_grace_months)]
        if missing:
            reasons.append(LagReason("actual_missing", "実績が未報告",
                                     f"{ind.name}: {_years_text(missing, style)}の実績が年度終了後も報告されていません",
                                     indicator=ind.name, years=tuple(sorted(missing))))

    for ind in indicators:
        pace = pace_to_goal(ind, as_of_fy=as_of_fy, style=style, plan_end_fy=plan_end_fy)
        if pace is not None and not pace.reachable:
            reasons.append(LagReason("pace", "このペースでは目標に届かない", pace.text,
                                     indicator=ind.name, years=(pace.last_fy, pace.goal_fy)))

    for ind in indicators:
        below = _below_target(ind, as_of_fy)
        if below:
            pairs = "、".join(f"{format_fiscal_year(fy, style)} {format_number(a)}/{format_number(t)}"
                              for fy, a, t in below)
            reasons.append(LagReason("below_target", "計画値を下回った年度",
                                     f"{ind.name}: {_years_text([b[0] for b in below], style)}に計画値を"
                                     f"{'上回りました（低いほど良い指標）' if ind.direction == 'lower' else '下回りました'}"
                                     f"（実績/計画: {pairs}）",
                                     lagging=False, indicator=ind.name, years=tuple(b[0] for b in below)))
    return tuple(reasons)


def is_lagging(reasons: Sequence[LagReason]) -> bool:
    return any(r.lagging for r in reasons)
