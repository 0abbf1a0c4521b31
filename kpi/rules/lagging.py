"""Why an item is late: every reason listed, each one an object with its check and its words.

Like datasette's filters (each filter has its test and its human description), every reason an
item may lag is one LagRule in LAG_RULES: its code, its title, the check that finds it in an
item's records, the sentence that tells a found reason (in the display style the user picked),
and the description of the rule itself in Japanese. The plan page (kpi/views/plan.py), the help
texts on the pages and the README's 評価のルール section are all written from LAG_RULES
(lagging_rule_text, lagging_help, rules_markdown), so what a user reads is what is checked.

An item lags when any cause holds as of the chosen fiscal year: its automatic grade or its
self-grade is below the plan's threshold, its 上半期 check says it is behind, an actual is
missing after its year ended, or at the pace so far an indicator cannot reach its goal. Years
below target are listed too, as supporting facts. Grades and 上半期 entries older than the
year before the chosen one are stale and ignored (RECENT_YEARS).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

from kpi.rules.fiscal import Style, fiscal_year_has_ended, format_fiscal_year
from kpi.rules.frozen import quick_init
from kpi.rules.grading import DEFAULT_RULE, Grade, GradingRule, describe_grade, normalize_label
from kpi.rules.model import Indicator
from kpi.rules.numbers import format_number
from kpi.vocabulary import LAGGING_ITEMS, REASON_TITLES

# Grades, self-grades and 上半期 entries count only from the chosen year and the year before it.
RECENT_YEARS = 2


@dataclass(frozen=True)
class Pace:
    """Where an indicator heads at the pace it has kept so far (describe_pace says it in words)."""

    indicator: str
    direction: str
    goal: float
    goal_fy: int
    goal_kind: str  # "final": the final target; "last_target": the plan's last yearly target
    last_fy: int
    last_actual: float
    per_year: float  # observed change per year
    needed_per_year: float
    projected: float
    reachable: bool

    @property
    def goal_label(self) -> str:
        return "最終目標" if self.goal_kind == "final" else "計画最終年度の計画値"

    @property
    def text(self) -> str:
        """The sentence in 和暦, the default display; describe_pace(pace, style) writes it in another."""
        return describe_pace(self, "wareki")

    @property
    def already_met(self) -> bool:
        return self.last_actual <= self.goal if self.direction == "lower" else self.last_actual >= self.goal


@quick_init
@dataclass(frozen=True)
class LagReason:
    """One reason found for one item, as data: its code and the facts its sentence is made of."""

    code: str
    lagging: bool = True  # False: a supporting fact, not a cause by itself
    indicator: str | None = None
    years: tuple[int, ...] = ()
    threshold: str = ""  # auto_grade / self_grade: the label the grade is below
    grade: Grade | None = None  # auto_grade: the item's automatic grade that year
    entry: str = ""  # self_grade: the self-grade; first_half: what the 上半期 check says
    pace: Pace | None = None  # pace
    below: tuple[tuple[int, float, float], ...] = ()  # below_target: (fiscal year, actual, target)
    direction: str = "higher"

    @property
    def title(self) -> str:
        return LAG_RULES_BY_CODE[self.code].title(self.threshold) if self.code in LAG_RULES_BY_CODE else self.code

    @property
    def detail(self) -> str:
        """The sentence in 和暦, the default display; describe_reason(reason, style) writes it in another."""
        return describe_reason(self, "wareki")


@dataclass(frozen=True)
class Signals:
    """What the rules look at for one item, as of a fiscal year."""

    as_of_fy: int
    today: date
    indicators: Sequence[Indicator]
    item_grades: Mapping[int, Grade]  # the automatic item grade per fiscal year
    self_grades: Mapping[int, str]  # the department's 年度 grade per fiscal year
    first_half: Mapping[int, str]  # the 上半期 entry per fiscal year
    plan_end_fy: int | None = None
    # The indicators' Series, in the same order, when the plan keeps them (kpi.rules.graded).
    kept_series: Sequence[Series] | None = None

    @property
    def series(self) -> Sequence[Series]:
        if self.kept_series is None:
            object.__setattr__(self, "kept_series", tuple(series_of(i, self.plan_end_fy) for i in self.indicators))
        return self.kept_series  # type: ignore[return-value]

    @property
    def recent(self) -> range:
        return range(self.as_of_fy - RECENT_YEARS + 1, self.as_of_fy + 1)

    def latest_recent(self, by_year: Mapping[int, object]) -> int | None:
        years = [fy for fy, v in by_year.items() if fy in self.recent and v]
        return max(years) if years else None


class LagRule:
    """One kind of reason: its code, its title, its check, its sentence and the rule in words."""

    code: str
    cause = True  # False: a supporting fact, listed beside the causes but not making the item lag
    short = ""  # its name in the one-line help ('自動評価', '実績の未報告' …)
    recent_only = False  # looks at the chosen year and the year before only (RECENT_YEARS)
    signal = ""  # what it looks at, in the sentence about stale records

    def title(self, threshold: str = "") -> str:
        return REASON_TITLES[self.code]

    def condition(self, rule: GradingRule) -> str:
        """The phrase in the one-sentence rule ('自動評価がB未満')."""
        return self.title(rule.lagging_below)

    def describe(self, rule: GradingRule) -> str:
        """The rule in full, in Japanese, with the plan's own threshold, words and months."""
        raise NotImplementedError

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        raise NotImplementedError

    def detail(self, reason: LagReason, style: Style) -> str:
        """The sentence of one found reason, years in the chosen display style."""
        raise NotImplementedError


class AutoGradeBelow(LagRule):
    code, short, recent_only, signal = "auto_grade", "自動評価", True, "自動評価"

    def title(self, threshold: str = "") -> str:
        return f"自動評価が{threshold}未満" if threshold else super().title()

    def describe(self, rule: GradingRule) -> str:
        return (f"取組の自動評価（指標のうち最も低い評価）が {rule.lagging_below} より低い。"
                f"{recent_window()}の評価のうち最も新しいもので判断します")

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        fy = s.latest_recent({y: g.graded for y, g in s.item_grades.items()})
        if fy is None or not rule.is_worse_than(s.item_grades[fy].label, rule.lagging_below):
            return []
        return [LagReason(self.code, threshold=rule.lagging_below, grade=s.item_grades[fy], years=(fy,))]

    def detail(self, reason: LagReason, style: Style) -> str:
        g = reason.grade
        return f"{format_fiscal_year(reason.years[0], style)}の自動評価は {g.label}: {describe_grade(g)}"


class SelfGradeBelow(LagRule):
    code, short, recent_only, signal = "self_grade", "自己評価", True, "自己評価"

    def title(self, threshold: str = "") -> str:
        return f"自己評価が{threshold}未満" if threshold else super().title()

    def describe(self, rule: GradingRule) -> str:
        return (f"担当課の年度の自己評価が {rule.lagging_below} より低い。"
                f"{recent_window()}の自己評価のうち最も新しいもので判断します")

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        fy = s.latest_recent(s.self_grades)
        if fy is None:
            return []
        grade = normalize_label(s.self_grades[fy])
        if not rule.is_worse_than(grade, rule.lagging_below):
            return []
        return [LagReason(self.code, threshold=rule.lagging_below, entry=grade, years=(fy,))]

    def detail(self, reason: LagReason, style: Style) -> str:
        return f"{format_fiscal_year(reason.years[0], style)}の担当課の自己評価は {reason.entry}"


class FirstHalfBehind(LagRule):
    code, short, recent_only, signal = "first_half", "上半期の進捗", True, "上半期の進捗管理"

    def condition(self, rule: GradingRule) -> str:
        return f"上半期の進捗管理が「{'」「'.join(rule.first_half_lagging)}」"

    def describe(self, rule: GradingRule) -> str:
        return (f"上半期（4〜9月）の進捗管理の記入に「{'」「'.join(rule.first_half_lagging)}」のいずれかの言葉がある。"
                f"{recent_window()}の記入のうち最も新しいもので判断します")

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        fy = s.latest_recent(s.first_half)
        if fy is None:
            return []
        text = str(s.first_half[fy]).strip()
        if not any(word in text for word in rule.first_half_lagging):
            return []
        return [LagReason(self.code, entry=text, years=(fy,))]

    def detail(self, reason: LagReason, style: Style) -> str:
        return f"{format_fiscal_year(reason.years[0], style)}上半期の進捗管理: {reason.entry}"


def _grace(rule: GradingRule) -> str:
    return f"（年度終了後 {rule.actual_grace_months} か月を過ぎても）" if rule.actual_grace_months else "（年度終了後も）"


class ActualMissing(LagRule):
    code, short = "actual_missing", "実績の未報告"

    def condition(self, rule: GradingRule) -> str:
        return f"実績が未報告{_grace(rule)}"

    def describe(self, rule: GradingRule) -> str:
        wait = (f"年度が終わってから {rule.actual_grace_months} か月を過ぎても" if rule.actual_grace_months
                else "年度が終わっても")
        return f"選んだ年度までの、計画値のある年度の実績が、{wait}報告されていない（指標ごと）"

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        out = []
        for ser in s.series:
            missing = tuple(fy for fy in ser.unreported
                            if fy <= s.as_of_fy and fiscal_year_has_ended(fy, s.today, rule.actual_grace_months))
            if missing:
                out.append(LagReason(self.code, indicator=ser.indicator.name, years=missing))
        return out

    def detail(self, reason: LagReason, style: Style) -> str:
        return f"{reason.indicator}: {years_text(reason.years, style)}の実績が年度終了後も報告されていません"


class PaceShort(LagRule):
    code, short = "pace", "目標到達ペース"

    def condition(self, rule: GradingRule) -> str:
        return "これまでのペースでは最終目標に届かない"

    def describe(self, rule: GradingRule) -> str:
        return ("基準値（なければ最初の実績）から選んだ年度までの最新の実績へのペースのまま進むと、"
                "最終目標（なければ計画最終年度の計画値）の年度に目標に届かない（指標ごと。"
                "すでに目標に達していても、このペースでは下回る場合を含みます）")

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        out = []
        for ser in s.series:
            p = pace_to_goal(ser.indicator, as_of_fy=s.as_of_fy, plan_end_fy=s.plan_end_fy, series=ser)
            if p is not None and not p.reachable:
                out.append(LagReason(self.code, indicator=ser.indicator.name, years=(p.last_fy, p.goal_fy), pace=p))
        return out

    def detail(self, reason: LagReason, style: Style) -> str:
        return describe_pace(reason.pace, style)


class BelowTarget(LagRule):
    code, cause = "below_target", False

    def describe(self, rule: GradingRule) -> str:
        return ("選んだ年度までに、実績が計画値に届かなかった年度（低いほど良い指標は計画値を上回った年度）。"
                "これだけでは遅れとせず、参考として理由と並べて示します")

    def check(self, rule: GradingRule, s: Signals) -> list[LagReason]:
        out = []
        for ser in s.series:
            below = ser.below_to(s.as_of_fy)
            if below:
                out.append(LagReason(self.code, lagging=False, indicator=ser.indicator.name,
                                     years=tuple(b[0] for b in below), below=below, direction=ser.indicator.direction))
        return out

    def detail(self, reason: LagReason, style: Style) -> str:
        pairs = "、".join(f"{format_fiscal_year(fy, style)} {format_number(a)}/{format_number(t)}"
                          for fy, a, t in reason.below)
        worse = "上回りました（低いほど良い指標）" if reason.direction == "lower" else "下回りました"
        return f"{reason.indicator}: {years_text(reason.years, style)}に計画値を{worse}（実績/計画: {pairs}）"


# The order is the order reasons are listed in, on every page and in every file.
LAG_RULES: tuple[LagRule, ...] = (AutoGradeBelow(), SelfGradeBelow(), FirstHalfBehind(), ActualMissing(),
                                  PaceShort(), BelowTarget())
LAG_RULES_BY_CODE: dict[str, LagRule] = {r.code: r for r in LAG_RULES}
CAUSES: tuple[LagRule, ...] = tuple(r for r in LAG_RULES if r.cause)


@quick_init
@dataclass(frozen=True)
class Series:
    """What the per-indicator rules read from one indicator, in fiscal-year order. It does not
    depend on the as-of year, so a plan keeps it once (kpi.rules.graded) and each as-of year only
    cuts it at its year."""

    indicator: Indicator
    actuals: tuple[tuple[int, float], ...]  # (fiscal year, actual), sorted
    unreported: tuple[int, ...]  # years with a target and no actual, sorted
    below: tuple[tuple[int, float, float], ...]  # (fiscal year, actual, target) of the years worse than target
    goal: tuple[float, int, str] | None  # (goal, its fiscal year, "final" / "last_target")

    def actuals_to(self, as_of_fy: int) -> tuple[tuple[int, float], ...]:
        return self.actuals[:bisect_right(self.actuals, as_of_fy, key=lambda a: a[0])]

    def below_to(self, as_of_fy: int) -> tuple[tuple[int, float, float], ...]:
        return self.below[:bisect_right(self.below, as_of_fy, key=lambda b: b[0])]


def series_of(ind: Indicator, plan_end_fy: int | None = None) -> Series:
    actuals = tuple(sorted((y.fiscal_year, y.actual) for y in ind.years if y.actual is not None))
    unreported = tuple(sorted(y.fiscal_year for y in ind.years if y.has_target and not y.has_actual))
    goal = None
    if ind.final_target is not None and ind.final_target_fy is not None:
        goal = (ind.final_target, ind.final_target_fy, "final")
    else:
        later = sorted((y.fiscal_year, y.target) for y in ind.years if y.target is not None)
        if plan_end_fy is not None:
            later = [t for t in later if t[0] <= plan_end_fy]
        if later:
            goal = (later[-1][1], later[-1][0], "last_target")
    return Series(ind, actuals, unreported, tuple(_below_target(ind)), goal)


def pace_to_goal(ind: Indicator, *, as_of_fy: int, plan_end_fy: int | None = None,
                 series: Series | None = None) -> Pace | None:
    """Project the trend to the final target (or the plan's last yearly target).

    The observed pace runs from the baseline (or the first actual) to the latest
    actual up to as_of_fy. None when there is nothing left to project. series: the indicator's
    Series, when the plan keeps it (else read from the indicator).
    """
    s = series or series_of(ind, plan_end_fy)
    actuals = s.actuals_to(as_of_fy)
    if not actuals or s.goal is None:
        return None
    goal, goal_fy, kind = s.goal
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
    return Pace(ind.name, ind.direction, goal, goal_fy, kind, last_fy, last, per_year, needed, projected, reachable)


def describe_pace(p: Pace, style: Style) -> str:
    """'受講者数: これまでのペース（年 +95.67）では令和2年度に 1,862.33 の見込みで、最終目標 2,000 に届きません（…）'."""
    sign = "+" if p.per_year >= 0 else "−"
    pace = f"これまでのペース（年 {sign}{format_number(round(abs(p.per_year), 2))}）"
    when = f"{format_fiscal_year(p.goal_fy, style)}に {format_number(round(p.projected, 2))} の見込み"
    label = p.goal_label
    if p.already_met:
        # Needing "−207 a year" reads as nonsense: say the goal is met, and whether it will hold.
        return (f"{p.indicator}: {format_fiscal_year(p.last_fy, style)}の実績 {format_number(p.last_actual)} で{label} "
                f"{format_number(p.goal)} にすでに達しています" +
                ("" if p.reachable else
                 f"が、{pace}では{when}で、{label}を{'上回り' if p.direction == 'lower' else '下回り'}ます"))
    nsign = "+" if p.needed_per_year >= 0 else "−"
    return (f"{p.indicator}: {pace}では{when}で、{label} {format_number(p.goal)} に"
            f"{'届きます' if p.reachable else '届きません'}"
            f"（必要なペース 年 {nsign}{format_number(round(abs(p.needed_per_year), 2))}）")


def _below_target(ind: Indicator) -> list[tuple[int, float, float]]:
    out = []
    for y in sorted(ind.years, key=lambda y: y.fiscal_year):
        if y.target is None or y.actual is None:
            continue
        worse = y.actual > y.target if ind.direction == "lower" else y.actual < y.target
        if worse:
            out.append((y.fiscal_year, y.actual, y.target))
    return out


def years_text(years: Sequence[int], style: Style) -> str:
    """'平成28年度〜平成30年度' for three or more years in a row, else '平成28年度、平成30年度'."""
    ys = sorted(years)
    if len(ys) >= 3 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{format_fiscal_year(ys[0], style)}〜{format_fiscal_year(ys[-1], style)}"
    return "、".join(format_fiscal_year(y, style) for y in ys)


def lagging_reasons(rule: GradingRule, *, as_of_fy: int, today: date,
                    indicators: Sequence[Indicator],
                    item_grades: Mapping[int, Grade],
                    self_grades: Mapping[int, str],
                    first_half: Mapping[int, str],
                    plan_end_fy: int | None = None,
                    series: Sequence[Series] | None = None) -> tuple[LagReason, ...]:
    """Every reason an item lags as of a fiscal year (each rule of LAG_RULES checked in turn).

    item_grades: automatic item grade per fiscal year; self_grades: the department's 年度
    grade per fiscal year; first_half: 上半期 entry per year; series: the indicators' Series
    when the plan keeps them (series_of, same order), else read from the indicators.
    """
    s = Signals(as_of_fy, today, indicators, item_grades, self_grades, first_half, plan_end_fy, series)
    return tuple(reason for r in LAG_RULES for reason in r.check(rule, s))


def is_lagging(reasons: Sequence[LagReason]) -> bool:
    return any(r.lagging for r in reasons)


def describe_reason(reason: LagReason, style: Style) -> str:
    """The sentence of a found reason, years in the chosen display style."""
    rule = LAG_RULES_BY_CODE.get(reason.code)
    return rule.detail(reason, style) if rule else reason.code


@dataclass(frozen=True)
class ShownReason:
    """A reason as a page, a slide or a table shows it: its title and its sentence, already written."""

    code: str
    title: str
    detail: str
    lagging: bool
    indicator: str | None = None
    years: tuple[int, ...] = ()


def show_reasons(reasons: Sequence[LagReason], style: Style) -> tuple[ShownReason, ...]:
    return tuple(ShownReason(r.code, r.title, describe_reason(r, style), r.lagging, r.indicator, r.years)
                 for r in reasons)


# --------------------------------------------------------------------------- the rule in words

def lagging_rule_text(rule: GradingRule) -> str:
    """The lagging rule in one sentence, with the window of recent records (the plan page)."""
    return ("、".join(r.condition(rule) for r in CAUSES) + f" のいずれかに当てはまる取組を「{LAGGING_ITEMS}」とします。"
            + staleness_text())


def staleness_text() -> str:
    """Which records count only while recent, and for how long (RECENT_YEARS)."""
    recent = "・".join(r.signal for r in LAG_RULES if r.recent_only)
    return f"{recent}は、{recent_window()}の記録だけを見ます（それより前の記録では遅れとしません）。"


def recent_window() -> str:
    """The years whose grades and 上半期 entries count, in words (RECENT_YEARS)."""
    return "選んだ年度とその前年度" if RECENT_YEARS == 2 else f"選んだ年度までの{RECENT_YEARS}年度"


def lagging_help() -> str:
    """The short form for a tooltip: which signals make an item lag."""
    return "・".join(r.short for r in CAUSES) + "のいずれかに該当"


def rule_rows(rule: GradingRule) -> tuple[tuple[str, str, str], ...]:
    """(reason, what it checks, how it counts) per reason, for the plan page's table."""
    return tuple((r.condition(rule) if r.cause else r.title(), r.describe(rule), "遅れの理由" if r.cause else "参考")
                 for r in LAG_RULES)


def rules_markdown(rule: GradingRule = DEFAULT_RULE) -> str:
    """The README's lagging rules (評価のルール), written from LAG_RULES (scripts/readme_rules.py)."""
    lines = [f"- {LAGGING_ITEMS}: 次の理由のいずれかに当てはまる取組です（区分・言葉・待つ月数は既定の評価ルール"
             f"「{rule.name}」のもの。計画ごとの評価ルールで変わり、「計画の概要」の画面にその計画のルールが出ます）。"
             "理由はすべて文章で表示します。"]
    for r in LAG_RULES:
        head = r.condition(rule) if r.cause else f"参考: {r.title()}"
        lines.append(f"  - **{head}**: {r.describe(rule)}。")
    lines.append(f"  - {staleness_text()}")
    return "\n".join(lines)
