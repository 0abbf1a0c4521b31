"""担当課別: per department, its items and grades, and what it has not reported yet for the year.

Not reported (for the selected fiscal year), only for items the department is
responsible for (担当, not 関連):
- 実績: an indicator has a target (計画) for the year but no actual;
- 年度の自己評価: no 年度 grade, when the plan records 年度 evaluations at all;
- 上半期: no 上半期 entry once the first half (April–September) is over, when the
  plan records 上半期 checks at all.
Each is marked overdue (期限切れ) once its period is over (plus the plan's grace months for actuals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpi.rules.assess import Assessor, assessment
from kpi.rules.fiscal import Style, fiscal_year_has_ended, format_fiscal_year
from kpi.rules.grading import GradingRule, auto_shown, counted_label, summary_labels
from kpi.rules.model import PlanData
from kpi.views.common import mark_unconfirmed
from kpi.views.table import Table
from kpi.vocabulary import FIRST_HALF, LAGGING, NOT_REPORTED, OVERDUE, UNCONFIRMED_COUNT, UNGRADED, YEAR

NO_DEPARTMENT = "（担当課なし）"


@dataclass(frozen=True)
class DeptItem:
    item_no: str
    title: str
    role: str  # 主担当 / 担当 / 関連
    auto_grade: str
    self_grade: str
    lagging: bool
    reasons: str
    unconfirmed: bool = False  # its values this year include some awaiting review: grades marked 未確定


@dataclass(frozen=True)
class Missing:
    item_no: str
    title: str
    what: str  # 実績 / 年度の自己評価 / 上半期の進捗
    detail: str
    overdue: bool


@dataclass(frozen=True)
class DeptSummary:
    name: str
    items: tuple[DeptItem, ...]
    missing: tuple[Missing, ...]
    counts: dict[str, int]  # items per summary label (kpi.rules.grading.counted_label: self-grades on a hand-graded plan)

    @property
    def unconfirmed(self) -> int:
        return sum(i.unconfirmed for i in self.items)

    @property
    def lagging(self) -> int:
        return sum(i.lagging for i in self.items)

    @property
    def overdue(self) -> int:
        return sum(m.overdue for m in self.missing)


@dataclass(frozen=True)
class DepartmentsView:
    as_of_fy: int
    labels: tuple[str, ...]
    departments: tuple[DeptSummary, ...]  # most overdue reports first
    selected: DeptSummary | None
    tables: dict[str, Table]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.departments)


def first_half_over(fy: int, today: date) -> bool:
    """上半期 (April–September of fiscal year fy) is over from 1 October."""
    return today >= date(fy, 10, 1)


def missing_reports(data: PlanData, rule: GradingRule, item_nos: set[str], fy: int, today: date,
                    style: Style = "wareki") -> tuple[Missing, ...]:
    uses_year = any(e.stage == YEAR for it in data.items for e in it.evaluations)
    uses_half = any(e.stage == FIRST_HALF for it in data.items for e in it.evaluations)
    year_over = fiscal_year_has_ended(fy, today)
    fy_text = format_fiscal_year(fy, style)
    out: list[Missing] = []
    for it in data.items:
        if it.item_no not in item_nos:
            continue
        for ind in it.indicators:
            yv = ind.year(fy)
            if yv is not None and yv.has_target and not yv.has_actual:
                due = fiscal_year_has_ended(fy, today, rule.actual_grace_months)
                out.append(Missing(it.item_no, it.title, "実績",
                                   f"{ind.name}: {fy_text}の計画値はあるが実績がない"
                                   + ("（年度終了後も未報告）" if due else "（年度終了後に報告）"), due))
        if uses_year:
            e = it.evaluation(fy, YEAR)
            if e is None or not (e.grade or "").strip():
                out.append(Missing(it.item_no, it.title, "年度の自己評価",
                                   f"{fy_text}の自己評価（{'・'.join(rule.labels)}）がない"
                                   + ("（年度終了後も未記入）" if year_over else "（年度終了後に記入）"), year_over))
        if uses_half and first_half_over(fy, today):
            e = it.evaluation(fy, FIRST_HALF)
            if e is None or not ((e.grade or "").strip() or (e.status_text or "").strip()):
                out.append(Missing(it.item_no, it.title, "上半期の進捗",
                                   f"{fy_text}上半期（9月末まで）の進捗管理の記入がない", True))
    return tuple(out)


def departments_view(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
                     style: Style = "wareki", department: str | None = None,
                     assessed: Assessor | None = None) -> DepartmentsView:
    today = today or date.today()
    result, _ = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    fy = result.as_of_fy
    labels = summary_labels(rule)
    members: dict[str, list[tuple[str, str]]] = {}  # department → [(item_no, role)]
    for it in data.items:
        depts = it.departments or ()
        if not depts:
            members.setdefault(NO_DEPARTMENT, []).append((it.item_no, "担当"))
        for d in depts:
            role = "主担当" if d.is_main else d.role
            members.setdefault(d.name, []).append((it.item_no, role))
    by_no = {ir.item.item_no: ir for ir in result.items}
    summaries = []
    for name, entries in members.items():
        items = []
        counts = {label: 0 for label in labels}
        for item_no, role in entries:
            ir = by_no.get(item_no)
            y = ir.current if ir else None
            auto = auto_shown(y.auto) if y else ""
            e = ir.item.evaluation(fy, YEAR) if ir else None
            items.append(DeptItem(item_no, ir.item.title if ir else "", role, auto, (e.grade or "") if e else "",
                                  bool(ir and ir.lagging),
                                  "、".join(dict.fromkeys(r.title for r in ir.reasons if r.lagging)) if ir else "",
                                  data.unconfirmed(item_no, fy)))
            label = counted_label(rule, y.auto, y.self_grade) if y else UNGRADED
            counts[label if label in counts else UNGRADED] += 1
        responsible = {no for no, role in entries if role != "関連"}
        summaries.append(DeptSummary(name, tuple(items), missing_reports(data, rule, responsible, fy, today, style),
                                     counts))
    summaries.sort(key=lambda d: (-d.overdue, -len(d.missing), -d.lagging, d.name))
    # An unknown or missing choice falls back to the department with the most overdue reports.
    selected = next((d for d in summaries if d.name == department), summaries[0] if summaries else None)
    fy_text = format_fiscal_year(fy, style)
    # The 未確定 column appears while a submission awaits review (the plan shows unconfirmed values).
    pending = (UNCONFIRMED_COUNT,) if any(d.unconfirmed for d in summaries) else ()
    tables = {
        "summary": Table(f"担当課別の状況_{fy_text}", ("担当課", "取組数", *labels, *pending, LAGGING, NOT_REPORTED,
                                                   f"うち{OVERDUE}"),
                         tuple((d.name, len(d.items), *(d.counts[label] for label in labels),
                                *((d.unconfirmed,) if pending else ()), d.lagging, len(d.missing), d.overdue)
                               for d in summaries)),
    }
    if selected is not None:
        tables["items"] = Table(f"{selected.name}の取組_{fy_text}",
                                ("No.", "取組", "役割", "自動評価", "自己評価", LAGGING, "遅れの理由"),
                                tuple((i.item_no, i.title, i.role, mark_unconfirmed(i.auto_grade or "―", i.unconfirmed),
                                       mark_unconfirmed(i.self_grade or "―", i.unconfirmed),
                                       LAGGING if i.lagging else "", i.reasons) for i in selected.items))
        tables["missing"] = Table(f"{selected.name}の{NOT_REPORTED}_{fy_text}", ("No.", "取組", "未報告の項目", "内容", OVERDUE),
                                  tuple((m.item_no, m.title, m.what, m.detail, OVERDUE if m.overdue else "")
                                        for m in selected.missing))
    return DepartmentsView(fy, labels, tuple(summaries), selected, tables)
