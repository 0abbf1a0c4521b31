"""Whether an indicator is better higher or lower, when the sheet does not say.

The numbers decide first: a final target below the baseline means lower is
better. Only when the numbers are silent do words in the name help (ごみ量,
削減…). An explicit choice (from a sheet column or a person) always wins and is
never overwritten by inference.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Sequence

from kpi.rules.rates import Direction
from kpi.vocabulary import direction_label

Source = Literal["sheet", "manual", "inferred", "default"]

LOWER_WORDS = ("削減", "減少", "抑制", "以下", "ごみ量", "ごみの量", "排出量", "焼却量", "埋立量", "埋立処分量",
               "発生量", "温室効果ガス", "二酸化炭素", "CO2", "待機児童", "事故", "被害", "滞納", "未収", "超過勤務",
               "残業", "死亡", "犯罪", "不法投棄", "空き家数", "経費", "コスト", "待ち時間", "待ち日数", "処理日数")
HIGHER_WORDS = ("増加", "拡大", "以上", "向上", "拡充")

_TEXT_LOWER = ("低いほど", "少ないほど", "減", "↓", "lower", "下げる")
_TEXT_HIGHER = ("高いほど", "多いほど", "増", "↑", "higher", "上げる")


@dataclass(frozen=True)
class DirectionDecision:
    direction: Direction
    source: Source
    reason: str


def parse_direction(text: object) -> Direction | None:
    """A direction written in a cell: '高いほど良い', '低いほど良い', '↑', 'lower'…"""
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    if not s:
        return None
    if any(w in s for w in _TEXT_LOWER):
        return "lower"
    if any(w in s for w in _TEXT_HIGHER):
        return "higher"
    return None


def infer_direction(*, baseline: float | None = None, final_target: float | None = None,
                    yearly_targets: Sequence[tuple[int, float]] = (), name: str = "",
                    target_text: str = "", explicit: Direction | None = None,
                    explicit_source: Source = "sheet") -> DirectionDecision:
    if explicit is not None:
        who = "担当者が指定" if explicit_source == "manual" else "シートに記載"
        return DirectionDecision(explicit, explicit_source, f"{who}: {direction_label(explicit)}")
    if baseline is not None and final_target is not None and final_target != baseline:
        d: Direction = "lower" if final_target < baseline else "higher"
        return DirectionDecision(d, "inferred",
                                 f"最終目標（{_n(final_target)}）が基準値（{_n(baseline)}）より"
                                 f"{'低い' if d == 'lower' else '高い'}ため「{direction_label(d)}」と判断")
    targets = sorted(yearly_targets)
    if final_target is not None and targets:
        # The final target beyond every yearly target (家庭系プラスチックごみの焼却量: 5.8 a year, 5.5 at the end).
        values = [v for _fy, v in targets]
        if all(final_target < v for v in values) or all(final_target > v for v in values):
            d = "lower" if final_target < values[0] else "higher"
            return DirectionDecision(d, "inferred",
                                     f"最終目標（{_n(final_target)}）が年度の計画値（{_range(values)}）より"
                                     f"{'低い' if d == 'lower' else '高い'}ため「{direction_label(d)}」と判断")
    if baseline is not None and targets and targets[-1][1] != baseline:
        last = targets[-1][1]
        d = "lower" if last < baseline else "higher"
        return DirectionDecision(d, "inferred",
                                 f"{targets[-1][0]}年度の計画値（{_n(last)}）が基準値（{_n(baseline)}）より"
                                 f"{'低い' if d == 'lower' else '高い'}ため「{direction_label(d)}」と判断")
    if len(targets) >= 2 and targets[0][1] != targets[-1][1]:
        d = "lower" if targets[-1][1] < targets[0][1] else "higher"
        return DirectionDecision(d, "inferred", f"計画値が年度ごとに{'減って' if d == 'lower' else '増えて'}いるため「{direction_label(d)}」と判断")
    for w in LOWER_WORDS:
        if w in _head_noun(name) or w in _head_noun(target_text):
            return DirectionDecision("lower", "inferred", f"指標名・目標に「{w}」とあるため「{direction_label('lower')}」と判断")
    return DirectionDecision("higher", "default", NO_EVIDENCE)


# What a default direction says: nothing in the numbers or the name decided it.
NO_EVIDENCE = f"判断材料がないため「{direction_label('higher')}」とみなしました（設定で変更できます）"


def _range(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    return _n(lo) if lo == hi else f"{_n(lo)}〜{_n(hi)}"


_BRACKETS = re.compile(r"[\(（][^)）]*[\)）]")


@lru_cache(maxsize=8192)  # every indicator of a big book asks about the same few names
def _head_noun(text: str, tail: int = 8) -> str:
    """The end of a name, where Japanese puts what is counted.

    '振り込め詐欺被害防止キャンペーン参加者数' counts participants (higher is better) although
    it mentions 被害; '交通事故件数' counts accidents. Brackets such as '(累計)' are dropped.
    """
    s = unicodedata.normalize("NFKC", text or "")
    s = _BRACKETS.sub("", s).strip()
    return s[-tail:]


def _n(v: float) -> str:
    from kpi.rules.numbers import format_number
    return format_number(v)


_CUMULATIVE_RE = re.compile(r"[\(（]\s*累計\s*[\)）]|累計")


def is_cumulative_name(name: str) -> bool:
    """'受講者数(累計)' marks a cumulative indicator."""
    return bool(_CUMULATIVE_RE.search(unicodedata.normalize("NFKC", name)))
