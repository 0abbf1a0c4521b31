"""遅れている取組: lagging items ranked (most reasons first, then worst grade), with filters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from kpi.rules.assess import Assessor, assessment
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import GradingRule, summary_labels
from kpi.rules.lagging import LAG_RULES, lagging_rule_text
from kpi.rules.model import PlanData
from kpi.views.common import LaggingRow, chosen_kinds, indicator_kinds, lagging_rows
from kpi.views.table import Table
from kpi.vocabulary import LAGGING_ITEMS, UNGRADED


@dataclass(frozen=True)
class LaggingEntry:
    rank: int  # place in the full ranking, kept when filters hide others
    row: LaggingRow
    departments: tuple[str, ...]
    path: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.code for r in self.row.reasons if r.lagging))


@dataclass(frozen=True)
class LaggingView:
    as_of_fy: int
    total: int
    entries: tuple[LaggingEntry, ...]
    reason_options: tuple[tuple[str, str], ...]  # (code, title, with count) of reasons that occur
    department_options: tuple[str, ...]
    grade_options: tuple[str, ...]
    table: Table
    rule_text: str = ""  # when an item counts as lagging, written from the rules themselves
    kind_options: tuple[str, ...] = ()  # the kinds the plan's indicators have (活動 / 対象 / 成果)
    grade_filter_label: str = "自動評価"  # what the grade filter picks by (the self-grade on a hand-graded plan)


def lagging_view(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
                 style: Style = "wareki", reasons: Iterable[str] = (), departments: Iterable[str] = (),
                 grades: Iterable[str] = (), assessed: Assessor | None = None,
                 kinds: Iterable[str] = ()) -> LaggingView:
    """Every lagging item, ranked; filters keep items having ANY chosen reason, department or grade.
    kinds (活動 / 対象 / 成果) keeps items with a reason about an indicator of a chosen kind: one that
    lags (a missing actual, a pace short of the goal) or fell below its target, which is what lowers
    the item's automatic grade. A reason about the item as a whole (its self-grade) names no kind."""
    result, _ = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    rows = lagging_rows(result, style, data)
    all_entries = []
    for i, row in enumerate(rows, start=1):
        it = data.item(row.item_no)
        all_entries.append(LaggingEntry(i, row, it.department_names if it else (), it.node_path if it else ()))
    reason_counts: Counter[str] = Counter()
    titles: dict[str, str] = {}
    dept_counts: Counter[str] = Counter()
    for e in all_entries:
        for r in e.row.reasons:
            if r.lagging:
                titles.setdefault(r.code, r.title)
        reason_counts.update(e.codes)
        dept_counts.update(e.departments)
    order = [r.code for r in LAG_RULES]
    reason_options = tuple((code, f"{titles[code]}（{reason_counts[code]}件）")
                           for code in sorted(titles, key=lambda c: order.index(c) if c in order else 99))
    want_reasons, want_depts, want_grades = set(reasons), set(departments), set(grades)
    want_kinds = chosen_kinds(data, kinds)
    kind_of = {(it.item_no, ind.name): ind.kind for it in data.items for ind in it.indicators}
    entries = tuple(
        e for e in all_entries
        if (not want_reasons or want_reasons & set(e.codes))
        and (not want_depts or want_depts & set(e.departments))
        and (not want_grades or (e.row.counted or UNGRADED) in want_grades)
        and (not want_kinds or any(kind_of.get((e.row.item_no, r.indicator)) in want_kinds for r in e.row.reasons)))
    table = Table(f"{LAGGING_ITEMS}_{format_fiscal_year(result.as_of_fy, style)}",
                  ("順位", "No.", "取組", "担当課", "自動評価", "自己評価", "遅れの理由", "詳細", "最新のコメント"),
                  tuple((e.rank, e.row.item_no, e.row.title, "、".join(e.departments), e.row.auto_grade or "―",
                         e.row.self_grade or "―", e.row.reason_titles,
                         "\n".join(f"{r.title}: {r.detail}" for r in e.row.reasons), e.row.last_comment)
                        for e in entries))
    return LaggingView(result.as_of_fy, len(all_entries), entries, reason_options,
                       tuple(d for d, _n in sorted(dept_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                       summary_labels(rule), table, lagging_rule_text(rule), indicator_kinds(data),
                       "評価（自己評価）" if rule.hand_graded else "評価")
