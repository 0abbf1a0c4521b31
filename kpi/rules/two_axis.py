"""The two-axis summary of 行政改革大綱 progress reports: each item's implementation status
(未着手 / 取組中 / 完了) and its achievement (the plan's grades, self-grades on a hand-graded plan),
counted with shares, crossed, and compared with the previous year (▲ for a decrease)."""

from __future__ import annotations

from dataclasses import dataclass

from kpi.rules.assess import ItemResult, PlanResult
from kpi.rules.grading import counted_label, summary_labels
from kpi.vocabulary import UNGRADED

STATUS_LABELS: tuple[str, ...] = ("未着手", "取組中", "完了")
# The statuses the sheets bring, on the three-step axis.
STATUS_AXIS: dict[str, str] = {"未着手": "未着手", "取組中": "取組中", "実施中": "取組中", "継続中": "取組中",
                               "完了の目途": "取組中", "見直し": "取組中", "完了": "完了", "中止": "完了"}
NO_STATUS = "未記入"


@dataclass(frozen=True)
class AxisCount:
    label: str
    count: int
    share: float  # of all items, 0–1
    previous: int | None  # the year before, None when that year has no data

    @property
    def share_text(self) -> str:
        return f"{self.share * 100:.1f}%"

    @property
    def change(self) -> str:
        """'▲2' for two fewer than the year before, '+1', '±0'; '' without a previous year."""
        if self.previous is None:
            return ""
        d = self.count - self.previous
        return "±0" if d == 0 else (f"▲{-d}" if d < 0 else f"+{d}")


@dataclass(frozen=True)
class TwoAxisSummary:
    fiscal_year: int
    total: int
    status: tuple[AxisCount, ...]
    achievement: tuple[AxisCount, ...]
    cross: tuple[tuple[str, tuple[int, ...]], ...]  # status row → counts per achievement label

    @property
    def achievement_labels(self) -> tuple[str, ...]:
        return tuple(a.label for a in self.achievement)


def status_of(ir: ItemResult, fy: int) -> str:
    """The item's status in a year: the latest recorded up to that year, on the three-step axis."""
    found = [(y if y is not None else -1, s) for y, s, _n in ir.item.statuses if y is None or y <= fy]
    if not found:
        return NO_STATUS
    return STATUS_AXIS.get(max(found, key=lambda t: t[0])[1], NO_STATUS)


def status_labels(result: PlanResult) -> tuple[str, ...]:
    """The three steps as the plan words them: a step for which the plan uses one word only shows that
    word (実施中 where the sheets say 実施中), else the step's own name; then 未記入."""
    used: dict[str, set[str]] = {}
    for ir in result.items:
        for _y, s, _n in ir.item.statuses:
            if s in STATUS_AXIS:
                used.setdefault(STATUS_AXIS[s], set()).add(s)
    words = [next(iter(used[step])) if len(used.get(step, ())) == 1 else step for step in STATUS_LABELS]
    return tuple(words) + (NO_STATUS,)


def _counts(labels: tuple[str, ...], values: list[str]) -> dict[str, int]:
    counts = {label: 0 for label in labels}
    for v in values:
        counts[v if v in counts else labels[-1]] += 1
    return counts


def two_axis_summary(result: PlanResult, fy: int | None = None) -> TwoAxisSummary:
    fy = result.as_of_fy if fy is None else fy
    rule = result.rule
    steps = STATUS_LABELS + (NO_STATUS,)
    words = dict(zip(steps, status_labels(result)))
    grade_labels = summary_labels(rule)

    def achievement(ir: ItemResult, year: int) -> str:
        y = ir.year(year)
        return counted_label(rule, y.auto if y else None, y.self_grade if y else None) if y else UNGRADED

    n = len(result.items)
    now_s = _counts(steps, [status_of(ir, fy) for ir in result.items])
    now_a = _counts(grade_labels, [achievement(ir, fy) for ir in result.items])
    has_prev = any(ir.year(fy - 1) is not None and (ir.year(fy - 1).auto.graded or ir.year(fy - 1).self_grade)
                   for ir in result.items) or any(y is not None and y <= fy - 1 for ir in result.items
                                                  for y, _s, _n in ir.item.statuses)
    prev_s = _counts(steps, [status_of(ir, fy - 1) for ir in result.items]) if has_prev else None
    prev_a = _counts(grade_labels, [achievement(ir, fy - 1) for ir in result.items]) if has_prev else None

    def axis(counts: dict[str, int], prev: dict[str, int] | None, names: dict[str, str]) -> tuple[AxisCount, ...]:
        return tuple(AxisCount(names.get(k, k), v, v / n if n else 0.0, prev[k] if prev else None)
                     for k, v in counts.items())

    cross = []
    for s in steps:
        row = _counts(grade_labels, [achievement(ir, fy) for ir in result.items if status_of(ir, fy) == s])
        cross.append((words[s], tuple(row.values())))
    return TwoAxisSummary(fy, n, axis(now_s, prev_s, words), axis(now_a, prev_a, {}), tuple(cross))
