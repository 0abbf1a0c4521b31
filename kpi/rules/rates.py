"""達成率 and 進捗率, each able to say how it was computed.

達成率 = 実績 ÷ 計画 (or 計画 ÷ 実績 when lower is better).
進捗率 = (実績 − 基準値) ÷ (目標 − 基準値): how far from the baseline toward
the target the indicator has moved; the direction is in the signs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from kpi.rules.numbers import format_number, format_percent

Direction = Literal["higher", "lower"]

DIRECTION_LABELS: dict[str, str] = {"higher": "高いほど良い", "lower": "低いほど良い"}


@dataclass(frozen=True)
class Rate:
    """A computed rate (a fraction: 1.057 = 105.7%) or the reason there is none."""

    name: str
    value: float | None
    formula: str  # the general rule, e.g. '達成率 = 実績 ÷ 計画'
    computation: str  # with the numbers, e.g. '1,152 ÷ 1,090 = 105.7%'
    reason: str = ""  # why value is None

    def __post_init__(self) -> None:
        # A ratio of extreme values (1e14 ÷ 1e-300) overflows to inf or nan: no rate, never 'inf %' graded A.
        if self.value is not None and not math.isfinite(self.value):
            object.__setattr__(self, "value", None)
            object.__setattr__(self, "computation", "")
            object.__setattr__(self, "reason", "値の桁が大きすぎる（または小さすぎる）ため計算できません")

    @property
    def explanation(self) -> str:
        if self.value is None:
            return f"{self.name}: 算出できません（{self.reason}）"
        return f"{self.name} {format_percent(self.value)}（{self.formula}: {self.computation}）"


def achievement_rate(actual: float | None, target: float | None, direction: Direction = "higher") -> Rate:
    name = "達成率"
    if direction == "lower":
        formula = "達成率 = 計画 ÷ 実績（低いほど良い指標）"
    else:
        formula = "達成率 = 実績 ÷ 計画"
    if target is None:
        return Rate(name, None, formula, "", "計画値がありません")
    if actual is None:
        return Rate(name, None, formula, "", "実績が報告されていません")
    if direction == "lower":
        if actual == 0:
            if target >= 0:
                # Nothing is better than zero for a lower-is-better indicator.
                return Rate(name, None, formula, "", "実績が0のため比率は出せません（計画以下で達成）")
            return Rate(name, None, formula, "", "実績が0のため比率は出せません")
        value = target / actual
        return Rate(name, value, formula, f"{format_number(target)} ÷ {format_number(actual)} = {format_percent(value)}")
    if target == 0:
        return Rate(name, None, formula, "", "計画値が0のため比率は出せません")
    value = actual / target
    return Rate(name, value, formula, f"{format_number(actual)} ÷ {format_number(target)} = {format_percent(value)}")


def progress_rate(actual: float | None, baseline: float | None, target: float | None,
                  target_label: str = "目標") -> Rate:
    name = "進捗率"
    formula = f"進捗率 = (実績 − 基準値) ÷ ({target_label} − 基準値)"
    if baseline is None:
        return Rate(name, None, formula, "", "基準値がありません")
    if target is None:
        return Rate(name, None, formula, "", f"{target_label}の数値がありません")
    if actual is None:
        return Rate(name, None, formula, "", "実績が報告されていません")
    if target == baseline:
        return Rate(name, None, formula, "", f"基準値と{target_label}が同じため比率は出せません")
    value = (actual - baseline) / (target - baseline)
    computation = (f"({format_number(actual)} − {format_number(baseline)}) ÷ "
                   f"({format_number(target)} − {format_number(baseline)}) = {format_percent(value)}")
    return Rate(name, value, formula, computation)


def change_from_baseline(actual: float | None, baseline: float | None, direction: Direction = "higher") -> Rate:
    """Relative change from the baseline, signed so that positive means better."""
    name = "基準値からの変化率"
    formula = "変化率 = (実績 − 基準値) ÷ |基準値|" + ("（低いほど良い指標は符号を反転）" if direction == "lower" else "")
    if baseline is None:
        return Rate(name, None, formula, "", "基準値がありません")
    if actual is None:
        return Rate(name, None, formula, "", "実績が報告されていません")
    if baseline == 0:
        return Rate(name, None, formula, "", "基準値が0のため比率は出せません")
    value = (actual - baseline) / abs(baseline)
    if direction == "lower":
        value = -value
    computation = f"({format_number(actual)} − {format_number(baseline)}) ÷ {format_number(abs(baseline))} = {format_percent(value)}"
    return Rate(name, value, formula, computation)
