"""計画の概要: the plan's facts, its grading rule in words, when an item counts as lagging (written from
the lagging rules themselves, kpi/rules/lagging.py), and its notes (section 'milestone': the timeline of
milestones; 'positioning': where it sits among other plans)."""

from __future__ import annotations

from dataclasses import dataclass

from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import MEASURE_LABELS, MEASURE_NAMES, STATE_CONDITIONS, GradingRule, condition_text
from kpi.rules.lagging import lagging_rule_text, rule_rows
from kpi.rules.model import PlanData
from kpi.store.journal import SECTION_LABELS
from kpi.views.common import kinds_text
from kpi.views.extras import PlanExtras, PlanNote
from kpi.views.hierarchy import levels_text
from kpi.views.table import Table


@dataclass(frozen=True)
class Milestone:
    seq: int
    when: str  # '平成22年度' (or the sheet's own text when it names no fiscal year)
    fiscal_year: int | None
    title: str
    body: str


@dataclass(frozen=True)
class PlanView:
    name: str
    facts: tuple[tuple[str, str], ...]
    rule_name: str
    rule_text: str
    lagging_text: str
    lagging_rules: Table  # every reason, what it checks, and whether it makes an item lag
    bands: Table
    milestones: tuple[Milestone, ...]
    milestone_groups: tuple[tuple[str, tuple[Milestone, ...]], ...]  # consecutive milestones of one year
    tables: dict[str, Table]


def _bands(rule: GradingRule) -> Table:
    rows = []
    if rule.measure == "manual":
        rows = [(label, "担当課・推進課が判断", rule.meaning(label)) for label in rule.labels]
    else:
        rows = [(b.label, "手動のみ（担当課・推進課が付ける）" if b.hand_only else
                 f"{MEASURE_NAMES[b.measure_of(rule.measure)]} {condition_text(b, rule.measure).removeprefix('基準値から')}"
                 if rule.mixed else condition_text(b, rule.measure),
                 b.meaning) for b in rule.bands]
        rows.append((rule.default_label, "それ以外", rule.default_meaning))
        rows += [(b.label, "手動のみ（担当課・推進課が付ける）", b.meaning) for b in rule.hand_labels]
    named: dict[str, list[str]] = {}
    for c, label in rule.auto_states:
        named.setdefault(label, []).append(STATE_CONDITIONS.get(c, c))
    rows += [(label, f"評価しない（{'、'.join(whens)}とき）", "") for label, whens in named.items()]
    rows += [(state, "評価の対象外（順位をつけない）", "") for state in rule.ungraded]
    return Table(f"評価の区分_{rule.name}", ("区分", "基準", "意味"), tuple(rows))


def _milestone(n: PlanNote, style: Style) -> Milestone:
    when = format_fiscal_year(n.fiscal_year, style) if n.fiscal_year is not None else n.period_text
    return Milestone(n.seq, when or n.period_text or "", n.fiscal_year, n.title, n.body)


def plan_view(data: PlanData, extras: PlanExtras, rule: GradingRule, *, style: Style = "wareki") -> PlanView:
    p = data.plan
    period = (f"{format_fiscal_year(p.start_fy, style)}〜{format_fiscal_year(p.end_fy, style)}"
              f"（{p.end_fy - p.start_fy + 1}年間）" if p.start_fy and p.end_fy else "―")
    n_ind = sum(len(it.indicators) for it in data.items)
    facts = (
        ("計画名", p.name), ("自治体", p.municipality or "―"), ("計画の種類", p.kind or "―"), ("計画期間", period),
        ("体系", levels_text(p.level_names) if p.level_names else "―"),
        ("取組数", f"{len(data.items)}件"), ("指標数", f"{n_ind}件{kinds_text(data)}"),
        ("評価方式", f"{rule.name}　{MEASURE_LABELS.get(rule.measure, rule.measure)}"),
        ("公開", "公開（サインインなしで閲覧可）" if p.public else "非公開"),
        ("説明", p.description or "―"),
    )
    milestones = tuple(_milestone(n, style) for n in extras.notes_in("milestone"))
    groups: list[tuple[str, list[Milestone]]] = []
    for m in milestones:
        if groups and groups[-1][0] == m.when:
            groups[-1][1].append(m)
        else:
            groups.append((m.when, [m]))
    tables = {
        "milestones": Table("これまでの経過", ("時期", "取組内容", "備考"),
                            tuple((m.when, m.title, m.body) for m in milestones)),
        "positioning": Table("計画の位置付け", ("時期", "計画・条例等", "内容（目標・方針）"),
                             tuple((n.period_text or format_fiscal_year(n.fiscal_year, style), n.title, n.body)
                                   for n in extras.notes_in("positioning"))),
    }
    for section in dict.fromkeys(n.section for n in extras.notes):
        if section not in SECTION_LABELS:
            tables[section] = Table(section, ("時期", "項目", "内容"),
                                    tuple((n.period_text or format_fiscal_year(n.fiscal_year, style), n.title, n.body)
                                          for n in extras.notes_in(section)))
    lagging_rules = Table("遅れの理由", ("理由", "内容", "扱い"), rule_rows(rule))
    return PlanView(p.name, facts, rule.name, rule.describe(), lagging_rule_text(rule), lagging_rules, _bands(rule),
                    milestones, tuple((w, tuple(ms)) for w, ms in groups), tables)
