"""評価ルール: a plan's grading rule edited as a small form, its effect previewed, and saved.

The form is what a person edits (labels best first with thresholds in percent,
the last label taking everything below); rule_from_form turns it into a
GradingRule and says, in Japanese, what is wrong with it. preview_rule_change
shows which items would change grade before anything is saved; save_rule writes
through the one write path, for administrators only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Sequence

from kpi.assess import PlanResult, assess_plan
from kpi.batch import Batch
from kpi.errors import KpiError
from kpi.export import Table
from kpi.fiscal import Style, format_fiscal_year
from kpi.grading import PRESETS, Band, GradingRule
from kpi.model import PlanData

CURRENT = "current"


class RuleInvalid(KpiError):
    title = "評価ルールに問題があります"


@dataclass(frozen=True)
class RuleForm:
    name: str
    measure: str
    rows: tuple[tuple[str, float | None, str], ...]  # (label, threshold in %, meaning), best first; last = それ以外
    lagging_below: str
    grace_months: int = 0
    first_half_lagging: str = ""  # words separated by 、 or ,
    ungraded: tuple[str, ...] = ()
    extra_self_labels: tuple[str, ...] = ()


def form_of(rule: GradingRule) -> RuleForm:
    rows = tuple((b.label, round(b.min_rate * 100, 6), b.meaning) for b in rule.bands)
    rows += ((rule.default_label, None, rule.default_meaning),)
    return RuleForm(rule.name, rule.measure, rows, rule.lagging_below, rule.actual_grace_months,
                    "、".join(rule.first_half_lagging), rule.ungraded, rule.extra_self_labels)


def preset_of(rule: GradingRule) -> str:
    """The preset a rule equals, or CURRENT when it has been customised."""
    for key, preset in PRESETS.items():
        if preset == rule:
            return key
    return CURRENT


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def _percent(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        f = float(str(v).replace("%", "").replace("％", "").strip())
    except ValueError:
        return None
    return None if math.isnan(f) else f


def rows_from_editor(records: Sequence[dict[str, Any]]) -> tuple[tuple[str, float | None, str], ...]:
    """Rows of the page's table editor (区分 / しきい値 / 意味); blank rows are dropped."""
    out = []
    for r in records:
        label = _text(r.get("区分"))
        threshold = _percent(r.get("しきい値（%以上）"))
        meaning = _text(r.get("意味"))
        if label or threshold is not None or meaning:
            out.append((label, threshold, meaning))
    return tuple(out)


def rule_from_form(form: RuleForm) -> tuple[GradingRule | None, tuple[str, ...]]:
    """The rule a form describes, or None with every problem found (in Japanese)."""
    problems: list[str] = []
    rows = list(form.rows)
    if len(rows) < 2:
        problems.append("評価の区分は2つ以上必要です（最後の区分は「それ以外」として使います）")
    for i, (label, threshold, _m) in enumerate(rows[:-1], start=1):
        if not label:
            problems.append(f"{i}行目: 区分名が空です")
        if threshold is None and form.measure != "manual":
            problems.append(f"{i}行目（{label or '区分名なし'}）: しきい値（%）を入れてください")
    if rows and not rows[-1][0]:
        problems.append(f"{len(rows)}行目: 最後の区分（それ以外）の名前が空です")
    if form.grace_months < 0 or form.grace_months > 24:
        problems.append("実績の報告を待つ月数は0〜24か月にしてください")
    if problems:
        return None, tuple(problems)
    # A hand-graded plan needs no thresholds: the bands only name the labels, kept in order.
    n = len(rows) - 1
    bands = tuple(Band(label, (threshold if threshold is not None else float((n - i) * 10)) / 100, meaning)
                  for i, (label, threshold, meaning) in enumerate(rows[:-1]))
    words = tuple(w for w in (s.strip() for s in re.split(r"[、,，\n]", form.first_half_lagging)) if w)
    rule = GradingRule(name=form.name.strip() or "独自の評価ルール", measure=form.measure,  # type: ignore[arg-type]
                       bands=bands, default_label=rows[-1][0], default_meaning=rows[-1][2],
                       ungraded=form.ungraded or GradingRule().ungraded, lagging_below=form.lagging_below,
                       first_half_lagging=words or GradingRule().first_half_lagging,
                       actual_grace_months=int(form.grace_months), extra_self_labels=form.extra_self_labels)
    problems = rule.validate()
    if problems:
        return None, tuple(problems)
    return rule, ()


def check_rule(text: str) -> tuple[GradingRule | None, tuple[str, ...]]:
    """A rule that did not come from this page (a file's 評価方式 cell, JSON) checked by the page's
    own code: its shape first (GradingRule.parse_json), then the form the page would show for it
    through rule_from_form, exactly as if a person had typed it here. Returns the rule the page
    would save, or None and every problem in Japanese."""
    rule, problems = GradingRule.parse_json(text)
    if rule is None:
        return None, problems
    return rule_from_form(form_of(rule))


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
                        today: date | None = None, style: Style = "wareki") -> RulePreview:
    """What saving the form would change: per item in the selected year (old → new), and in total."""
    today = today or date.today()
    new, problems = rule_from_form(form)
    before = assess_plan(data, old, as_of_fy=as_of_fy, today=today, style=style)
    fy = before.as_of_fy
    empty = Table("評価ルール変更の影響", ("No.", "取組", "年度", "変更前", "変更後", "遅れ（変更前）", "遅れ（変更後）"), ())
    if new is None:
        return RulePreview(fy, old.describe(), "", None, problems, False, (), 0, before.grade_counts(fy), {},
                           len(before.lagging), len(before.lagging), empty, style)
    after = assess_plan(data, new, as_of_fy=fy, today=today, style=style)
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
         "遅れ" if c.lagging_before else "", "遅れ" if c.lagging_after else "") for c in changes))
    return RulePreview(fy, old.describe(), new.describe(), new, (), new == old, tuple(changes), other,
                       before.grade_counts(fy), after.grade_counts(fy), len(lag0), len(lag1), table, style)


def rule_batch(plan_name: str, rule: GradingRule) -> Batch:
    b = Batch(plan_name=plan_name, layout="settings", source="評価ルールの設定")
    b.plan["grading_rule"] = rule.to_json()
    return b


def save_rule(store, plan_name: str, rule: GradingRule, actor):
    """Store a plan's rule through the write path, as this actor (administrators only; checked
    inside the transaction). Returns the ApplyResult (upload_id None when nothing changed)."""
    from kpi.permissions import apply_as
    problems = rule.validate()
    if problems:
        raise RuleInvalid("、".join(problems), hint="評価の区分としきい値を見直してください")
    if store.plan_by_name(plan_name) is None:
        from kpi.errors import NotFound
        raise NotFound(f"計画「{plan_name}」はありません")
    return apply_as(store, actor, rule_batch(plan_name, rule), kind="settings", note=f"評価ルール: {rule.describe()}")
