"""The plan as read from the store: small frozen records the rules work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from kpi.rules.frozen import quick_init
from kpi.rules.rates import Direction
from kpi.vocabulary import STAGES, STATUS_MARKS, STATUSES, YEAR

__all__ = ["STAGES", "STATUSES", "STATUS_MARKS", "Department", "Evaluation", "Indicator", "Item", "PlanData",
           "PlanInfo", "Stage", "YearValue"]  # the words are kpi.vocabulary's, named here for the layouts

Stage = Literal["上半期", "年度", "中間", "計画期間"]


@quick_init
@dataclass(frozen=True)
class YearValue:
    fiscal_year: int
    target: float | None = None
    actual: float | None = None
    target_estimate: bool = False
    actual_estimate: bool = False
    target_text: str | None = None  # what the sheet said, e.g. '1,090'
    actual_text: str | None = None
    note: str | None = None  # the 年度値 row's 備考
    # A qualitative indicator's 計画/実績 as words (把握, 実施), as written; None for a number.
    target_words: str | None = None
    actual_words: str | None = None

    # A 計画 or 実績 is there when it is a number or, for a qualitative indicator, words: 把握 with no
    # 実績 is as unreported as 100 with none.
    @property
    def has_target(self) -> bool:
        return self.target is not None or bool(self.target_words)

    @property
    def has_actual(self) -> bool:
        return self.actual is not None or bool(self.actual_words)


@quick_init
@dataclass(frozen=True)
class Indicator:
    name: str
    unit: str = ""
    direction: Direction = "higher"
    direction_source: str = "default"
    cumulative: bool = False
    baseline: float | None = None
    baseline_fy: int | None = None
    baseline_estimated: bool = False
    final_target: float | None = None
    final_target_fy: int | None = None
    final_target_text: str | None = None
    years: tuple[YearValue, ...] = ()
    sort: int = 0
    kind: str = ""  # 活動 / 対象 / 成果, as a taught layout groups them; empty when the sheet does not say
    # 定性: its yearly 計画/実績 are words (把握 → 実施), graded by the rule's text matches or by hand.
    qualitative: bool = False

    def year(self, fy: int) -> YearValue | None:
        for y in self.years:
            if y.fiscal_year == fy:
                return y
        return None

    @property
    def has_target(self) -> bool:
        return self.final_target is not None or any(y.target is not None for y in self.years)

    def has_words(self, fy: int) -> bool:
        """A qualitative indicator with a 計画 or 実績 in words for the year."""
        y = self.year(fy)
        return self.qualitative and y is not None and bool(y.target_words or y.actual_words)


@quick_init
@dataclass(frozen=True)
class Evaluation:
    fiscal_year: int
    stage: str
    grade: str | None = None
    status_text: str | None = None  # 取組の状況 / 取組工程、指標に対する評価
    issues_text: str | None = None  # 課題、今後の方針、改善事項など
    next_text: str | None = None  # the next period's direction (平成29年度以降…)


@quick_init
@dataclass(frozen=True)
class Department:
    name: str
    is_main: bool = False
    role: str = "担当"  # 担当 / 関連


@quick_init
@dataclass(frozen=True)
class Item:
    item_no: str
    title: str
    node_path: tuple[str, ...] = ()
    departments: tuple[Department, ...] = ()
    current_issues: str | None = None  # 現状と課題
    purpose: str | None = None  # 目的
    content: str | None = None  # 取組の内容
    effect: str | None = None  # 見込まれる効果
    qualitative_target: str | None = None
    indicators: tuple[Indicator, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()
    statuses: tuple[tuple[int | None, str, str | None], ...] = ()  # (fy, status, note)
    sort: int = 0

    @property
    def department_names(self) -> tuple[str, ...]:
        ordered = sorted(self.departments, key=lambda d: (not d.is_main, d.role != "担当"))
        return tuple(d.name for d in ordered)

    @property
    def main_department(self) -> str | None:
        for d in self.departments:
            if d.is_main:
                return d.name
        return self.departments[0].name if self.departments else None

    def evaluation(self, fy: int, stage: str) -> Evaluation | None:
        for e in self.evaluations:
            if e.fiscal_year == fy and e.stage == stage:
                return e
        return None

    def grades_by_year(self, stage: str) -> dict[int, str]:
        """The grades given at a stage (年度 or 上半期), by fiscal year; a later record of a year wins."""
        return {e.fiscal_year: e.grade for e in self.evaluations if e.stage == stage and e.grade}

    def latest_evaluation(self, stage: str, up_to: int) -> Evaluation | None:
        found = [e for e in self.evaluations if e.stage == stage and e.fiscal_year <= up_to and (e.grade or e.status_text)]
        return max(found, key=lambda e: e.fiscal_year) if found else None


@dataclass(frozen=True)
class PlanInfo:
    plan_id: int
    name: str
    municipality: str = ""
    kind: str = ""
    start_fy: int | None = None
    end_fy: int | None = None
    level_names: tuple[str, ...] = ()
    description: str = ""
    public: bool = False

    @property
    def years(self) -> tuple[int, ...]:
        if self.start_fy is None or self.end_fy is None:
            return ()
        return tuple(range(self.start_fy, self.end_fy + 1))


@dataclass(frozen=True)
class PlanData:
    plan: PlanInfo
    items: tuple[Item, ...] = ()
    nodes: tuple[tuple[str, ...], ...] = field(default=())  # every hierarchy path, parents first
    # Stored records the readers could not use as they are (a value that is not a finite number),
    # each naming the record and what is shown instead, in Japanese; the frame shows them.
    notices: tuple[str, ...] = ()
    # What a submission awaiting the 推進課's review wrote and the pages show (kpi.cycle.shown, when the
    # plan shows unconfirmed values): (item_no, indicator, fiscal_year, kind) of each value, and
    # (item_no, fiscal_year) of each item whose values or grades of that year include one. Summaries
    # count these items apart and mark them 未確定.
    unconfirmed_values: frozenset[tuple[str, str, int, str]] = frozenset()
    unconfirmed_items: frozenset[tuple[str, int]] = frozenset()

    def unconfirmed(self, item_no: str, fiscal_year: int | None) -> bool:
        return (str(item_no), fiscal_year) in self.unconfirmed_items

    def item(self, item_no: str) -> Item | None:
        for it in self.items:
            if it.item_no == item_no:
                return it
        return None

    @cached_property  # read for every item of a deck or a sheet: computed once per plan
    def data_years(self) -> tuple[int, ...]:
        ys: set[int] = set()
        for it in self.items:
            for ind in it.indicators:
                ys.update(y.fiscal_year for y in ind.years)
            ys.update(e.fiscal_year for e in it.evaluations)
        return tuple(sorted(ys))

    @cached_property  # asked on every page run (the frame's default year): computed once per plan
    def reported_years(self) -> frozenset[int]:
        """Every fiscal year with an actual (a number or words), a year-end evaluation or a dated status."""
        ys: set[int] = set()
        for it in self.items:
            for ind in it.indicators:
                ys.update(y.fiscal_year for y in ind.years if y.actual is not None or y.actual_words)
            ys.update(e.fiscal_year for e in it.evaluations if e.stage == YEAR)
            ys.update(fy for fy, _s, _n in it.statuses if fy is not None)
        return frozenset(ys)
