"""Small plans built in memory for the view tests: each test states the data it reads."""

from __future__ import annotations

from datetime import date

from kpi.rules.model import Department, Evaluation, Indicator, Item, PlanData, PlanInfo, YearValue

TODAY = date(2026, 11, 23)


def ind(name: str, years=(), *, direction="higher", baseline=None, baseline_fy=None, final=None, final_fy=None,
        unit="件") -> Indicator:
    """years: (fy, target, actual) triples."""
    return Indicator(name=name, unit=unit, direction=direction, baseline=baseline, baseline_fy=baseline_fy,
                     final_target=final, final_target_fy=final_fy,
                     years=tuple(YearValue(fy, t, a) for fy, t, a in years))


def item(no: str, *, path=("目標1",), indicators=(), evaluations=(), depts=("企画課",), statuses=(),
         title: str | None = None, related=()) -> Item:
    """evaluations: (fy, stage, grade) or (fy, stage, grade, status_text); depts: the first is the main one."""
    departments = tuple(Department(d, i == 0) for i, d in enumerate(depts)) + \
        tuple(Department(d, False, "関連") for d in related)
    evs = tuple(Evaluation(*e) for e in evaluations)
    return Item(no, title or f"取組{no}", tuple(path), departments, indicators=tuple(indicators), evaluations=evs,
                statuses=tuple(statuses))


def plan(*items: Item, start=2015, end=2018, levels=("基本目標", "施策"), nodes=(), name="テスト計画") -> PlanData:
    return PlanData(PlanInfo(1, name, "テスト市", "総合戦略", start, end, tuple(levels)), tuple(items), tuple(nodes))
