"""達成率 and 進捗率: the numbers a rate is made of, and the sentence that says how it was computed.

達成率 = 実績 ÷ 計画 (or 計画 ÷ 実績 when lower is better).
進捗率 = (実績 − 基準値) ÷ (目標 − 基準値): how far from the baseline toward
the target the indicator has moved; the direction is in the signs.

A Rate is data: its kind, its value and the numbers it was computed from, or the code of why
there is none. The formula, the computation with the numbers and the reason are sentences made
from that data when someone reads them (Rate.explanation, describe_rate), not while a plan is
assessed: a plan of 300 items has thousands of rates and only the shown ones are ever read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from kpi.rules.frozen import quick_init
from kpi.rules.numbers import format_number, format_percent
from kpi.vocabulary import DIRECTION_LABELS

Direction = Literal["higher", "lower"]
RateKind = Literal["achievement", "progress", "change"]

__all__ = ["DIRECTION_LABELS", "Direction", "Rate", "achievement_rate", "change_from_baseline", "describe_rate",
           "progress_rate"]

RATE_NAMES: dict[str, str] = {"achievement": "達成率", "progress": "進捗率", "change": "基準値からの変化率"}

# Why a rate has no value, by code (progress rates name their goal: 最終目標 / 計画値 / 目標).
_MISSING: dict[str, str] = {
    "no_target": "計画値がありません",
    "no_actual": "実績が報告されていません",
    "zero_actual_met": "実績が0のため比率は出せません（計画以下で達成）",
    "zero_actual": "実績が0のため比率は出せません",
    "zero_target": "計画値が0のため比率は出せません",
    "no_baseline": "基準値がありません",
    "no_goal": "{goal}の数値がありません",
    "same_goal": "基準値と{goal}が同じため比率は出せません",
    "zero_baseline": "基準値が0のため比率は出せません",
    "overflow": "値の桁が大きすぎる（または小さすぎる）ため計算できません",
}


@quick_init
@dataclass(frozen=True)
class Rate:
    """A computed rate (a fraction: 1.057 = 105.7%) with its operands, or the code of why there is none."""

    kind: RateKind
    value: float | None
    actual: float | None = None
    target: float | None = None  # 達成率: the year's target; 進捗率: the goal (最終目標 or 計画値)
    baseline: float | None = None
    direction: Direction = "higher"
    goal_label: str = "目標"  # 進捗率: what the goal is
    missing: str = ""  # why value is None (a key of _MISSING)

    def __post_init__(self) -> None:
        # A ratio of extreme values (1e14 ÷ 1e-300) overflows to inf or nan: no rate, never 'inf %' graded A.
        if self.value is not None and not math.isfinite(self.value):
            object.__setattr__(self, "value", None)
            object.__setattr__(self, "missing", "overflow")

    @property
    def name(self) -> str:
        return RATE_NAMES[self.kind]

    @property
    def formula(self) -> str:
        """The general rule, e.g. '達成率 = 実績 ÷ 計画'."""
        if self.kind == "achievement":
            return "達成率 = 計画 ÷ 実績（低いほど良い指標）" if self.direction == "lower" else "達成率 = 実績 ÷ 計画"
        if self.kind == "progress":
            return f"進捗率 = (実績 − 基準値) ÷ ({self.goal_label} − 基準値)"
        return "変化率 = (実績 − 基準値) ÷ |基準値|" + ("（低いほど良い指標は符号を反転）" if self.direction == "lower" else "")

    @property
    def computation(self) -> str:
        """With the numbers, e.g. '1,152 ÷ 1,090 = 105.7%'; '' when there is no value."""
        if self.value is None:
            return ""
        n, shown = format_number, format_percent(self.value)
        if self.kind == "achievement":
            a, b = (self.target, self.actual) if self.direction == "lower" else (self.actual, self.target)
            return f"{n(a)} ÷ {n(b)} = {shown}"
        if self.kind == "progress":
            return f"({n(self.actual)} − {n(self.baseline)}) ÷ ({n(self.target)} − {n(self.baseline)}) = {shown}"
        return f"({n(self.actual)} − {n(self.baseline)}) ÷ {n(abs(self.baseline))} = {shown}"

    @property
    def reason(self) -> str:
        """Why there is no value ('' when there is one)."""
        if self.value is not None:
            return ""
        return _MISSING.get(self.missing, self.missing).format(goal=self.goal_label)

    @property
    def explanation(self) -> str:
        return describe_rate(self)


def describe_rate(rate: Rate) -> str:
    """'達成率 105.7%（達成率 = 実績 ÷ 計画: 1,152 ÷ 1,090 = 105.7%）', or why it cannot be computed."""
    if rate.value is None:
        return f"{rate.name}: 算出できません（{rate.reason}）"
    return f"{rate.name} {format_percent(rate.value)}（{rate.formula}: {rate.computation}）"


def achievement_rate(actual: float | None, target: float | None, direction: Direction = "higher") -> Rate:
    def rate(value: float | None, missing: str = "") -> Rate:
        return Rate("achievement", value, actual, target, direction=direction, missing=missing)
    if target is None:
        return rate(None, "no_target")
    if actual is None:
        return rate(None, "no_actual")
    if direction == "lower":
        if actual == 0:
            # Nothing is better than zero for a lower-is-better indicator.
            return rate(None, "zero_actual_met" if target >= 0 else "zero_actual")
        return rate(target / actual)
    if target == 0:
        return rate(None, "zero_target")
    return rate(actual / target)


def progress_rate(actual: float | None, baseline: float | None, target: float | None,
                  target_label: str = "目標") -> Rate:
    def rate(value: float | None, missing: str = "") -> Rate:
        return Rate("progress", value, actual, target, baseline, goal_label=target_label, missing=missing)
    if baseline is None:
        return rate(None, "no_baseline")
    if target is None:
        return rate(None, "no_goal")
    if actual is None:
        return rate(None, "no_actual")
    if target == baseline:
        return rate(None, "same_goal")
    return rate((actual - baseline) / (target - baseline))


def change_from_baseline(actual: float | None, baseline: float | None, direction: Direction = "higher") -> Rate:
    """Relative change from the baseline, signed so that positive means better."""
    def rate(value: float | None, missing: str = "") -> Rate:
        return Rate("change", value, actual, None, baseline, direction=direction, missing=missing)
    if baseline is None:
        return rate(None, "no_baseline")
    if actual is None:
        return rate(None, "no_actual")
    if baseline == 0:
        return rate(None, "zero_baseline")
    value = (actual - baseline) / abs(baseline)
    return rate(-value if direction == "lower" else value)
