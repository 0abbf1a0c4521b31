"""評価ルール: a plan's grading rule edited as a small form, its effect previewed, and saved.

The form is what a person edits (labels best first with thresholds in percent,
the last label taking everything below); rule_from_form turns it into a
GradingRule and says, in Japanese, what is wrong with it. preview_rule_change
shows which items would change grade before anything is saved; save_rule writes
through the one write path, for administrators only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from kpi.rules.assess import Assessor, PlanResult, assess_plan, assessment
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import GradingRule
from kpi.rules.model import PlanData
from kpi.rules.rule_form import RuleForm, RuleInvalid, rule_from_form
from kpi.store.journal import Batch
from kpi.views.table import Table
from kpi.vocabulary import LAGGING


@dataclass(frozen=True)
class GradeChange:
    item_no: str
    title: str
    fiscal_year: int
    old: str  # '' when not graded
    new: str
    lagging_before: bool
    lagging_after: bool


@dataclass(frozen=True)
class RulePreview:
    as_of_fy: int
    old_text: str
    new_text: str
    rule: GradingRule | None  # None when the form has problems
    problems: tuple[str, ...]
    same: bool  # the new rule equals the stored one
    changes: tuple[GradeChange, ...]  # items whose grade or lagging changes in the selected year
    other_years: int  # item-years whose grade changes in the other years
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    lagging_before: int
    lagging_after: int
    table: Table
    style: Style = "wareki"

    @property
    def summary(self) -> str:
        if self.rule is None:
            return "ルールに問題があるため、影響を計算できません。"
        if self.same:
            return "今のルールと同じです。保存しても何も変わりません。"
        graded = sum(1 for c in self.changes if c.old != c.new)
        text = (f"{format_fiscal_year(self.as_of_fy, self.style)}の自動評価が変わる取組 {graded}件、"
                f"遅れている取組 {self.lagging_before}件 → {self.lagging_after}件")
        if self.other_years:
            text += f"（ほかの年度で評価が変わる取組・年度 {self.other_years}件）"
        return text


def _grades(result: PlanResult) -> dict[tuple[str, int], str]:
    return {(ir.item.item_no, y.fiscal_year): (y.auto.label or "") if y.auto.graded else ""
            for ir in result.items for y in ir.years}


def preview_rule_change(data: PlanData, old: GradingRule, form: RuleForm, *, as_of_fy: int | None = None,
                        today: date | None = None, style: Style = "wareki",
                        assessed: Assessor | None = None) -> RulePreview:
    """What saving the form would change: per item in the selected year (old → new), and in total.

    assessed: the plan's assessments under its stored rule (the pages' shared one); only the new
    rule's assessment is made here."""
    before, _ = assessment(data, old, as_of_fy=as_of_fy, today=today, assessed=assessed)
    new, problems = rule_from_form(form)
    fy = before.as_of_fy
    empty = Table("評価ルール変更の影響", ("No.", "取組", "年度", "変更前", "変更後", "遅れ（変更前）", "遅れ（変更後）"), ())
    if new is None:
        return RulePreview(fy, old.describe(), "", None, problems, False, (), 0, before.grade_counts(fy), {},
                           len(before.lagging), len(before.lagging), empty, style)
    after = assess_plan(data, new, as_of_fy=fy, today=before.today)
    g0, g1 = _grades(before), _grades(after)
    lag0 = {ir.item.item_no for ir in before.lagging}
    lag1 = {ir.item.item_no for ir in after.lagging}
    changes = []
    for ir in before.items:
        no = ir.item.item_no
        o, n = g0.get((no, fy), ""), g1.get((no, fy), "")
        if o != n or (no in lag0) != (no in lag1):
            changes.append(GradeChange(no, ir.item.title, fy, o, n, no in lag0, no in lag1))
    other = sum(1 for k, v in g0.items() if k[1] != fy and g1.get(k, "") != v)
    table = replace(empty, rows=tuple(
        (c.item_no, c.title, format_fiscal_year(c.fiscal_year, style), c.old or "―", c.new or "―",
         LAGGING if c.lagging_before else "", LAGGING if c.lagging_after else "") for c in changes))
    return RulePreview(fy, old.describe(), new.describe(), new, (), new == old, tuple(changes), other,
                       before.grade_counts(fy), after.grade_counts(fy), len(lag0), len(lag1), table, style)


def rule_batch(plan_name: str, rule: GradingRule) -> Batch:
    b = Batch(plan_name=plan_name, layout="settings", source="評価ルールの設定")
    b.plan["grading_rule"] = rule.to_json()
    return b


def save_rule(store, plan_name: str, rule: GradingRule, actor):
    """Store a plan's rule through the write path, as this actor (administrators only; checked
    inside the transaction). Returns the ApplyResult (upload_id None when nothing changed)."""
    from kpi.access.permissions import apply_as
    problems = rule.validate()
    if problems:
        raise RuleInvalid("、".join(problems), hint="評価の区分としきい値を見直してください")
    if store.plan_by_name(plan_name) is None:
        from kpi.errors import NotFound
        raise NotFound(f"計画「{plan_name}」はありません")
    return apply_as(store, actor, rule_batch(plan_name, rule), kind="settings", note=f"評価ルール: {rule.describe()}")
