"""A plan's grading rule as the 評価ルール page edits it: the form's fields, turning a form into a rule
(with every problem in Japanese), and checking a rule that did not come from the page (a file's 評価方式
cell) with the same code."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from kpi.errors import KpiError
from kpi.rules.grading import PRESETS, Band, GradingRule

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
