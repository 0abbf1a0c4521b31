"""The committee deck: what each slide says, computed once for the screen and the files.

The meeting page, the PowerPoint, the PDF and the Excel tables all render the
Deck built here, so what the committee sees on the projector and on paper is
the same: a summary slide (grade counts and their change from last year, the
lagging items), then one slide per item in the presenter's order, each with its
grades and their reasons, the numbers, the chart series and the earlier
meetings' opinions with the departments' answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from kpi.outputs.opinions import Meeting, Opinion, earlier, for_item
from kpi.rules.assess import Assessor, ItemResult, PlanResult, assessment, previous_assessment
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.frozen import quick_init
from kpi.rules.grading import GradingRule, summary_labels, ungraded_meaning
from kpi.rules.departments import format_departments
from kpi.rules.lagging import ShownReason, show_reasons
from kpi.rules.model import PlanData
from kpi.rules.numbers import format_number, format_percent
from kpi.rules.two_axis import TwoAxisSummary, two_axis_summary
from kpi.views.common import (Headline, IndicatorView, indicator_views, mark_unconfirmed, overview, view_years,
                              year_labels)
from kpi.vocabulary import FIRST_HALF, NOT_REPORTED, STAGE_TITLES, STAGES, UNGRADED, YEAR

SORTS: dict[str, str] = {
    "plan": "計画の順",
    "lagging_first": "遅れている取組を先に",
    "worst_first": "評価の低い順",
    "custom": "選んだ取組を選んだ順に",
}
TABLE_YEARS = 5  # years in an item's numbers table (the chart shows them all)


@quick_init
@dataclass(frozen=True)
class GradeRow:
    label: str
    meaning: str
    count: int
    previous: int | None
    change: str  # '+1', '−2', '±0'; '' when there is no previous year


@quick_init
@dataclass(frozen=True)
class LagEntry:
    item_no: str
    title: str
    department: str
    auto_grade: str
    self_grade: str
    reasons: str  # reason titles, '、'-joined


@dataclass(frozen=True)
class SummarySlide:
    title: str
    subtitle: str
    headlines: tuple[Headline, ...]
    grades: tuple[GradeRow, ...]
    previous_label: str  # the year the change is measured from, '' when none
    lagging: tuple[LagEntry, ...]
    rule_text: str
    has_indicators: bool
    # whose grades the table counts: a hand-graded plan counts the departments' self-grades
    graded_by: str = "自動評価"

    kind = "summary"

    @property
    def grade_counts(self) -> dict[str, int]:
        return {g.label: g.count for g in self.grades}


@quick_init
@dataclass(frozen=True)
class NumbersTable:
    """Years across, 計画 / 実績 / 達成率 / 評価 down, as the departments' sheets lay them out."""

    columns: tuple[str, ...]  # first is the row label column
    rows: tuple[tuple[str, ...], ...]

    def row(self, label: str) -> tuple[str, ...]:
        for r in self.rows:
            if r[0] == label:
                return r
        raise KeyError(label)


@quick_init
@dataclass(frozen=True)
class IndicatorPanel:
    name: str
    unit: str
    facts: str  # baseline, final target, direction
    table: NumbersTable
    pace: str | None
    pace_reachable: bool | None
    view: IndicatorView  # the chart series
    rates: tuple[float | None, ...]  # achievement rate per view.points entry

    @property
    def title(self) -> str:
        return self.name + (f"（{self.unit}）" if self.unit else "")


@quick_init
@dataclass(frozen=True)
class Comment:
    heading: str
    text: str
    issues: str
    fiscal_year: int | None = None
    narrative: bool = False  # the 実施状況 in words (no evaluation comment was written)


@quick_init
@dataclass(frozen=True)
class ItemSlide:
    item_no: str
    title: str
    path: str
    departments: str
    year_label: str
    auto_grade: str
    auto_reason: str
    self_grade: str
    gap: str
    lagging: bool
    reasons: tuple[ShownReason, ...]  # causes first, then supporting facts
    indicators: tuple[IndicatorPanel, ...]
    comments: tuple[Comment, ...]
    status: str  # '令和2年度の状況: 完了の目途（…）'
    opinions: tuple[Opinion, ...]
    status_label: str = ""  # '完了の目途': what the slide shows instead of a grade when there are no indicators
    section: str = ""  # the top level of the plan's structure (基本目標 / 推進項目): the list table it is in
    plan_text: str = ""  # the list table's 計画: the targets, else what the plan says it will do
    progress_text: str = ""  # its 実績・状況: the latest actuals, the status, the 実施状況 in words

    kind = "item"

    @property
    def has_chart(self) -> bool:
        """Some indicator has a yearly value to draw: the item gets its own slide, else a row in the list."""
        return any(pt.target is not None or pt.actual is not None for p in self.indicators for pt in p.view.points)

    @property
    def grade_text(self) -> str:
        """The list table's 評価: the automatic grade and the department's, or the status."""
        parts = [f"自動 {self.auto_grade}" if self.auto_grade else "", f"自己 {self.self_grade}" if self.self_grade else ""]
        text = "　".join(p for p in parts if p)
        return text or self.status_label or "―"

    @property
    def comment_text(self) -> str:
        """The department's comment for the list (a narrative already stands in 実績・状況)."""
        return "\n".join(f"{c.text}{'　課題: ' + c.issues if c.issues else ''}".strip()
                         for c in self.comments if c.text or c.issues) if not self.progress_from_narrative else ""

    @property
    def progress_from_narrative(self) -> bool:
        return any(c.narrative for c in self.comments)

    @property
    def heading(self) -> str:
        return f"No.{self.item_no}　{self.title}"

    @property
    def causes(self) -> tuple[ShownReason, ...]:
        return tuple(r for r in self.reasons if r.lagging)

    @property
    def notes(self) -> tuple[ShownReason, ...]:
        return tuple(r for r in self.reasons if not r.lagging)


@dataclass(frozen=True)
class ListSection:
    """One section's items as a table: 取組, 担当課, 計画, 実績・状況, 評価, コメント."""

    name: str  # '' for a plan without sections
    items: tuple[ItemSlide, ...]

    COLUMNS = ("No.", "取組", "担当課", "計画", "実績・状況", "評価", "コメント")

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        return tuple((s.item_no, s.title, s.departments or "―", s.plan_text or "―", s.progress_text or "―",
                      s.grade_text, s.comment_text or "―") for s in self.items)


@dataclass(frozen=True)
class Deck:
    plan_name: str
    as_of_fy: int
    as_of_label: str
    meeting: Meeting | None
    labels: tuple[str, ...]  # the plan's grade labels, best first
    summary: SummarySlide
    items: tuple[ItemSlide, ...]
    lagging_only: bool
    sort: str
    style: Style = "wareki"
    appendix: tuple = ()  # kpi.outputs.pack.appendix.Appendix tables after the items (issue 20)
    two_axis: TwoAxisSummary | None = None  # status × achievement, for plans whose items have statuses

    @property
    def charted(self) -> tuple[ItemSlide, ...]:
        """The items that get their own slides: those with a chart to show."""
        return tuple(s for s in self.items if s.has_chart)

    @property
    def sections(self) -> tuple[ListSection, ...]:
        """The other items as list tables, one per section of the plan, in the presenter's order."""
        groups: dict[str, list[ItemSlide]] = {}
        for s in self.items:
            if not s.has_chart:
                groups.setdefault(s.section, []).append(s)
        return tuple(ListSection(name, tuple(rows)) for name, rows in groups.items())

    @property
    def slides(self) -> tuple[SummarySlide | ItemSlide, ...]:
        return (self.summary,) + self.items

    @property
    def title(self) -> str:
        return f"{self.plan_name}　進捗状況"

    def item(self, item_no: str) -> ItemSlide | None:
        for s in self.items:
            if s.item_no == item_no:
                return s
        return None


def _change(count: int, previous: int | None) -> str:
    if previous is None:
        return ""
    d = count - previous
    return "±0" if d == 0 else f"{d:+d}".replace("-", "−")


def _summary(data: PlanData, result: PlanResult, previous: PlanResult | None, style: Style,
             meeting: Meeting | None, shown=None) -> SummarySlide:
    rule = result.rule
    ov = overview(data, result, previous, style=style, shown=shown)
    grades = []
    for label in summary_labels(rule):
        prev = ov.previous_counts.get(label) if ov.previous_counts is not None else None
        meaning = (rule.meaning(label) if label != UNGRADED else ungraded_meaning(rule, short=True)) or "―"
        grades.append(GradeRow(label, meaning, ov.grade_counts.get(label, 0), prev,
                               _change(ov.grade_counts.get(label, 0), prev)))
    lag = tuple(LagEntry(r.item_no, r.title, r.department, r.auto_grade, r.self_grade, r.reason_titles)
                for r in ov.lagging)
    subtitle = f"{ov.as_of_label}までの状況"
    if meeting is not None:
        subtitle = f"{meeting.label_in(style)}　{subtitle}"
    prev_label = format_fiscal_year(ov.as_of_fy - 1, style) if ov.previous_counts is not None else ""
    return SummarySlide(f"{ov.plan_name}　進捗状況", subtitle, ov.headlines, tuple(grades), prev_label, lag,
                        ov.rule_text, ov.has_indicators, "自己評価" if rule.hand_graded else "自動評価")


def _number(value: float | None, estimate: bool) -> str:
    if value is None:
        return "―"
    return format_number(value) + ("（見込み）" if estimate else "")


def _numbers(view: IndicatorView, ir: ItemResult, as_of: int, style: Style,
             pending: frozenset = frozenset()) -> NumbersTable:
    """pending: the plan's values awaiting the 推進課's review (PlanData.unconfirmed_values), marked
    未確定 in the table, and so is the grade that rests on them, as on the pages."""
    no = str(ir.item.item_no)

    def waits(p, *kinds: str) -> bool:
        return bool(pending) and any((no, view.name, p.fiscal_year, k) in pending for k in kinds)

    pts = [p for p in view.points if p.target is not None or p.actual is not None]
    shown = [p for p in pts if p.fiscal_year <= as_of][-TABLE_YEARS:] or pts[:TABLE_YEARS]
    # A point carries its year's label in this style and the rate of ir's result for its year (the view was made from ir).
    cols = ("",) + tuple(p.label for p in shown)
    rates = [format_percent(p.achievement_rate.value) for p in shown]
    rows = (("計画",) + tuple(mark_unconfirmed(_number(p.target, p.target_estimate), waits(p, "target")) for p in shown),
            ("実績",) + tuple(mark_unconfirmed(_number(p.actual, p.actual_estimate), waits(p, "actual"))
                              if p.actual is not None
                              else (NOT_REPORTED if p.fiscal_year <= as_of and p.target is not None else "―")
                              for p in shown),
            ("達成率",) + tuple(rates),
            ("評価",) + tuple(mark_unconfirmed(p.grade or "―", waits(p, "target", "actual")) for p in shown))
    return NumbersTable(cols, rows)


def _facts(view: IndicatorView, style: Style) -> str:
    facts = [f"方向: {view.direction_text}"]
    if view.cumulative:
        facts.append("累計")
    if view.baseline is not None:
        when = format_fiscal_year(view.baseline_fy, style)
        facts.append(f"基準値 {format_number(view.baseline)}"
                     + (f"（{when}{'・見込み' if view.baseline_estimated else ''}）" if when else ""))
    if view.final_target is not None:
        facts.append(f"最終目標 {format_number(view.final_target)}（{format_fiscal_year(view.final_target_fy, style)}）")
    elif view.final_target_text:
        facts.append(f"最終目標: {view.final_target_text}")
    return "　".join(facts)


def _comments(ir: ItemResult, as_of: int, style: Style) -> tuple[Comment, ...]:
    """The department's words for the year: its year-end evaluation (the 上半期 note only while there is none)."""
    order = {s: i for i, s in enumerate(STAGES)}
    evs = [e for e in ir.item.evaluations if e.fiscal_year <= as_of and (e.status_text or e.issues_text)]
    if not evs:
        return ()
    fy = max(e.fiscal_year for e in evs)
    evs = sorted((e for e in evs if e.fiscal_year == fy), key=lambda e: order.get(e.stage, 9))
    if any(e.stage != FIRST_HALF for e in evs):
        evs = [e for e in evs if e.stage != FIRST_HALF]
    out = []
    for e in evs:
        head = f"{format_fiscal_year(fy, style)}　{STAGE_TITLES.get(e.stage, e.stage)}"
        if e.grade:
            head += f"　{e.grade}"
        out.append(Comment(head, (e.status_text or "").strip(), (e.issues_text or "").strip()))
    return tuple(out)


def _status(ir: ItemResult, as_of: int, style: Style) -> tuple[str, str]:
    """(the sentence, the short label) of the latest status up to the year shown."""
    found = [(fy, s, note) for fy, s, note in ir.item.statuses if fy is None or fy <= as_of]
    if not found:
        return "", ""
    fy, s, note = max(found, key=lambda t: t[0] or 0)
    text = f"{format_fiscal_year(fy, style)}の状況: {s}" if fy else f"状況: {s}"
    return text + (f"（{note}）" if note else ""), s


def _narrative(narratives: Sequence, item_no: str, as_of: int, style: Style) -> tuple[Comment, ...]:
    """The latest 実施状況 text up to the year shown (plans reported in words, not numbers)."""
    found = [n for n in narratives
             if n.item_no == item_no and (n.fiscal_year or 0) <= as_of and (n.text or "").strip()]
    if not found:
        return ()
    n = max(found, key=lambda n: n.fiscal_year or 0)
    head = f"{format_fiscal_year(n.fiscal_year, style)}の実施状況" if n.fiscal_year else "実施状況"
    return (Comment(head, n.text.strip(), "", n.fiscal_year, narrative=True),)


def _plan_text(ir: ItemResult, indicators: Sequence[IndicatorView], style: Style) -> str:
    """The targets ('市との協働事業数 60事業（令和2年度）'), else the plan's words for the item."""
    targets = []
    for v in indicators:
        if v.final_target is not None:
            when = f"（{format_fiscal_year(v.final_target_fy, style)}）" if v.final_target_fy else ""
            targets.append(f"{v.name} {format_number(v.final_target)}{v.unit}{when}")
        elif v.final_target_text:
            targets.append(f"{v.name} {v.final_target_text}")
    if targets:
        return "目標: " + "、".join(targets)
    it = ir.item
    return (it.qualitative_target or it.content or it.purpose or "").strip()


def _progress_text(ir: ItemResult, indicators: Sequence[IndicatorView], fy: int, comments: tuple[Comment, ...],
                   graded: bool, style: Style) -> str:
    """The latest actuals up to the year, the status (its label only when a grade takes the 評価
    column) and the 実施状況 in words; years other than the deck's are named."""
    def when(year: int | None) -> str:
        return f"（{format_fiscal_year(year, style)}）" if year and year != fy else ""

    parts = []
    for v in indicators:
        worded = [p for p in v.points if v.qualitative and p.fiscal_year <= fy and (p.actual_words or p.target_words)]
        if worded:  # 定性: the year's words, 計画「把握」→ 実績「実施」
            p = worded[-1]
            said = "→".join(t for t in ((f"計画「{p.target_words}」" if p.target_words else ""),
                                       (f"実績「{p.actual_words}」" if p.actual_words else "")) if t)
            parts.append(f"{v.name} {said}（{format_fiscal_year(p.fiscal_year, style)}）")
            continue
        done = [p for p in v.points if p.actual is not None and p.fiscal_year <= fy]
        if done:
            p = done[-1]
            parts.append(f"{v.name} {format_number(p.actual)}{v.unit}{when(p.fiscal_year) or '（' + format_fiscal_year(p.fiscal_year, style) + '）'}")
    if indicators and not parts:
        parts.append("実績は未登録")
    found = [(y, st, note) for y, st, note in ir.item.statuses if y is None or y <= fy]
    if found:
        y, st, note = max(found, key=lambda t: t[0] or 0)
        text = "　".join(t for t in ((st if graded else ""), note or "") if t)
        if text:
            parts.append(text + when(y))
    parts += [c.text + when(c.fiscal_year) for c in comments if c.narrative]
    return "\n".join(parts)


def order_items(result_items: Sequence[ItemResult], rule: GradingRule, sort: str = "plan",
                pick: Sequence[str] | None = None) -> list[ItemResult]:
    """The presenter's order: the plan's, lagging first, worst grade first, or their own pick."""
    items = list(result_items)
    if sort == "custom":
        by_no = {ir.item.item_no: ir for ir in items}
        return [by_no[n] for n in dict.fromkeys(pick or ()) if n in by_no]
    if sort == "lagging_first":
        return sorted(items, key=lambda ir: not ir.lagging)  # stable: plan order within each group
    if sort == "worst_first":
        def rank(ir: ItemResult) -> int:
            cur = ir.current
            r = rule.rank(cur.auto.label) if cur and cur.auto.graded else None
            return -1 if r is None else r
        return sorted(items, key=lambda ir: (-rank(ir), not ir.lagging))
    if sort != "plan":
        raise ValueError(sort)
    return items


def build_deck(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
               style: Style = "wareki", sort: str = "plan", pick: Sequence[str] | None = None,
               lagging_only: bool = False, opinions: Sequence[Opinion] = (), meeting: Meeting | None = None,
               narratives: Sequence = (), assessed: Assessor | None = None) -> Deck:
    """Every slide of a meeting: the summary, then the chosen items in the chosen order.

    The plan is assessed once as of the chosen year (and once as of the year before, for the
    summary's changes); assessed: where those come from (the pages' shared assessments).
    opinions: all recorded for the plan; an item's slide shows those of meetings before
    `meeting` (all of them when no meeting is given), each with its answer.
    narratives: the plan's 実施状況 texts (kpi.views.extras.Narrative: item_no, fiscal_year,
    text); an item's latest one is shown when its department wrote no evaluation comment.
    """
    result, assessed = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    fy = result.as_of_fy
    # What the summary and the items' slides both write, written once: a lagging item's reasons in
    # words, each year's label (item_view_of's, shared by every indicator of the plan).
    said: dict[int, tuple[ShownReason, ...]] = {}

    def shown(ir: ItemResult) -> tuple[ShownReason, ...]:
        got = said.get(id(ir))
        if got is None:
            got = said[id(ir)] = show_reasons(ir.reasons, style)
        return got
    years = year_labels(view_years(data), style, result.today, result.rule.actual_grace_months)
    summary = _summary(data, result, previous_assessment(data, result, assessed), style, meeting, shown)
    shown_opinions = earlier(opinions, meeting)
    chosen = order_items(result.items, rule, sort, pick)
    if lagging_only:
        chosen = [ir for ir in chosen if ir.lagging]
    slides = []
    for ir in chosen:
        # item_view_of's indicators and reasons, without the rest of the item page's view
        views = indicator_views(data, result, ir, style=style, shown_years=years)
        cur = ir.current
        self_eval = ir.item.evaluation(fy, YEAR)
        panels = tuple(
            IndicatorPanel(v.name, v.unit, _facts(v, style), _numbers(v, ir, fy, style, data.unconfirmed_values),
                           v.pace_text or None, v.pace.reachable if v.pace else None, v,
                           tuple(p.achievement_rate.value for p in v.points))  # each point's year's achievement rate
            for v in views)
        reasons = tuple(sorted(shown(ir), key=lambda r: not r.lagging))
        status, status_label = _status(ir, fy, style)
        comments = _comments(ir, fy, style) or _narrative(narratives, ir.item.item_no, fy, style)
        section = ir.item.node_path[0] if ir.item.node_path else ""
        slides.append(ItemSlide(
            item_no=ir.item.item_no, title=ir.item.title, path=" ＞ ".join(ir.item.node_path),
            departments=format_departments(ir.item.departments), year_label=format_fiscal_year(fy, style),
            auto_grade=(cur.auto.label or "") if cur else "", auto_reason=cur.auto.reason if cur else "",
            self_grade=(self_eval.grade or "") if self_eval else "",
            gap=cur.gap.text if cur and (cur.self_grade or cur.auto.graded) and cur.gap.steps is not None else "",
            lagging=ir.lagging, reasons=reasons, indicators=panels, comments=comments,
            status=status, opinions=for_item(shown_opinions, ir.item.item_no), status_label=status_label,
            section=section, plan_text=_plan_text(ir, views, style),
            progress_text=_progress_text(ir, views, fy, comments, bool(cur and cur.auto.label) or bool(
                self_eval and self_eval.grade), style)))
    has_status = any(ir.item.statuses for ir in result.items)
    return Deck(data.plan.name, fy, format_fiscal_year(fy, style), meeting, rule.labels, summary, tuple(slides),
                lagging_only, sort, style, two_axis=two_axis_summary(result) if has_status else None)
