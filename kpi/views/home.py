"""ホーム: headline numbers with their change from last year, grade mix per policy area,
a heat map of items × fiscal years, and where self-grades and automatic grades differ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpi.rules.assess import Assessor, PlanResult, assessment, previous_assessment
from kpi.rules.fiscal import Style, format_fiscal_year, format_fiscal_year_short
from kpi.rules.grading import GradingRule, auto_shown, counted_label, summary_labels, ungraded_meaning
from kpi.rules.model import PlanData
from kpi.rules.two_axis import TwoAxisSummary, two_axis_summary
from kpi.views.common import Headline, Overview, overview, signed
from kpi.views.table import Table
from kpi.vocabulary import LAGGING, LAGGING_ITEMS, UNCONFIRMED, UNCONFIRMED_COUNT, UNGRADED, YEAR

ALL_AREAS = "すべて"
NO_AREA = "（体系なし）"
BASIS_LABELS: dict[str, str] = {"auto": "自動評価", "self": "自己評価（年度）"}
# Above this many items the heat map opens on the first policy area, not on all of them.
HEATMAP_ALL_LIMIT = 60


@dataclass(frozen=True)
class HeatRow:
    item_no: str
    title: str
    area: str
    labels: tuple[str, ...]  # one per year: a grade, a state such as 完了, or '' (nothing to show)
    hovers: tuple[str, ...]  # why that cell says what it says


@dataclass(frozen=True)
class HeatMap:
    basis: str
    basis_label: str
    years: tuple[int, ...]
    year_labels: tuple[str, ...]  # short axis labels (H27 / 2015)
    rows: tuple[HeatRow, ...]
    labels: tuple[str, ...]  # the scheme's labels, best first

    @property
    def has_any(self) -> bool:
        """Whether any cell has something to show (a plan graded by nobody has an empty map)."""
        return any(label for r in self.rows for label in r.labels)

    def table(self, style: Style = "wareki") -> Table:
        cols = ("No.", "取組", "体系") + tuple(format_fiscal_year(fy, style) for fy in self.years)
        return Table(f"評価ヒートマップ_{self.basis_label}", cols,
                     tuple((r.item_no, r.title, r.area) + r.labels for r in self.rows))


@dataclass(frozen=True)
class AreaMix:
    area: str
    counts: dict[str, int]  # per label, plus 未評価
    items: int
    lagging: int
    on_target: int  # indicators at or above their target this year
    measured: int  # indicators with a target and an actual this year
    unconfirmed: int = 0  # items whose values this year include some awaiting review (counted above too)

    @property
    def share_text(self) -> str:
        return f"{self.on_target / self.measured * 100:.0f}%" if self.measured else "―"


@dataclass(frozen=True)
class TwoAxisView:
    """実施状況 × 達成状況 (行政改革大綱 progress reports): counts, shares, the cross table and the
    change against the year before (▲ for fewer)."""

    summary: TwoAxisSummary
    basis: str  # what the achievement axis counts, in words
    note: str  # why the change column is empty, or ''
    tables: dict[str, Table]


@dataclass(frozen=True)
class HomeView:
    overview: Overview
    headlines: tuple[Headline, ...]
    grade_headlines: tuple[Headline, ...]
    areas: tuple[AreaMix, ...]
    heatmap: HeatMap
    area_options: tuple[str, ...]
    area: str
    basis_options: tuple[str, ...]
    tables: dict[str, Table]
    two_axis: TwoAxisView | None = None  # None: no item of the plan has an implementation status


def _first_years(data: PlanData) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """The first fiscal year each item and each indicator has anything recorded."""
    items: dict[str, int] = {}
    inds: dict[tuple[str, str], int] = {}
    for it in data.items:
        years = [e.fiscal_year for e in it.evaluations]
        for ind in it.indicators:
            ys = [y.fiscal_year for y in ind.years if y.target is not None or y.actual is not None]
            if ys:
                inds[(it.item_no, ind.name)] = min(ys)
                years.append(min(ys))
        if years:
            items[it.item_no] = min(years)
    return items, inds


def _headlines(data: PlanData, ov: Overview, fy: int, style: Style) -> tuple[Headline, ...]:
    first_item, first_ind = _first_years(data)
    new_items = sum(1 for y in first_item.values() if y == fy)
    new_inds = sum(1 for y in first_ind.values() if y == fy)
    has_prev = any(y < fy for y in first_item.values())
    out = []
    for h in ov.headlines:
        if h.label == "取組数" and has_prev:
            h = Headline(h.label, h.value, signed(new_items, "件"),
                         f"前年度からの増減: {format_fiscal_year(fy, style)}に初めて計画値・実績・評価が登録された取組の数",
                         changed=new_items != 0)
        elif h.label == "指標数" and has_prev:
            h = Headline(h.label, h.value, signed(new_inds, "件"),
                         f"前年度からの増減: {format_fiscal_year(fy, style)}に初めて計画値・実績が登録された指標の数",
                         changed=new_inds != 0)
        out.append(h)
    return tuple(out)


def _grade_headlines(rule: GradingRule, ov: Overview, style: Style) -> tuple[Headline, ...]:
    out = []
    labels = list(summary_labels(rule))
    for i, label in enumerate(labels):
        n = ov.grade_counts.get(label, 0)
        prev = ov.previous_counts.get(label) if ov.previous_counts else None
        if label == UNGRADED:
            better, meaning = "down", ungraded_meaning(rule)
        elif rule.rank(label) is None:
            better, meaning = "none", ""
        elif i == 0:
            better, meaning = "up", rule.meaning(label)
        elif rule.is_worse_than(label, rule.lagging_below):
            better, meaning = "down", rule.meaning(label)
        else:
            better, meaning = "none", rule.meaning(label)
        delta = signed(n - prev, "件") if prev is not None else None
        help_text = f"{format_fiscal_year(ov.as_of_fy, style)}の{'評価（自己評価）' if rule.hand_graded else '自動評価'}が {label} の取組" + (f"（{meaning}）" if meaning else "")
        if prev is not None:
            help_text += f"。前年度 {prev}件"
        pending = ov.unconfirmed_counts.get(label, 0)
        if pending:  # counted apart: these rest on a submission the 推進課 has not confirmed yet
            help_text += f"。うち {pending}件は推進課の確認待ちの値による{UNCONFIRMED}の評価"
        value = f"{n}件" + (f"（{UNCONFIRMED_COUNT} {pending}）" if pending else "")
        out.append(Headline(f"{label}" if rule.rank(label) is None else f"評価 {label}", value, delta, help_text,
                            better=better, changed=prev is not None and n != prev))
    return tuple(out)


def _areas(result: PlanResult, data: PlanData | None = None) -> tuple[AreaMix, ...]:
    rule, fy = result.rule, result.as_of_fy
    slots: dict[str, dict] = {}
    for ir in result.items:
        area = ir.item.node_path[0] if ir.item.node_path else NO_AREA
        s = slots.setdefault(area, {"counts": {label: 0 for label in summary_labels(rule)},
                                    "items": 0, "lagging": 0, "hit": 0, "total": 0, "unconfirmed": 0})
        s["unconfirmed"] += bool(data is not None and data.unconfirmed(ir.item.item_no, fy))
        y = ir.current
        label = counted_label(rule, y.auto, y.self_grade) if y else UNGRADED
        s["counts"][label if label in s["counts"] else UNGRADED] += 1
        s["items"] += 1
        s["lagging"] += ir.lagging
        for r in ir.indicator_years:
            if r.fiscal_year == fy and r.achievement.value is not None:
                s["total"] += 1
                s["hit"] += r.achievement.value >= 1.0 - 1e-12
    return tuple(AreaMix(a, s["counts"], s["items"], s["lagging"], s["hit"], s["total"], s["unconfirmed"])
                 for a, s in slots.items())


def two_axis_view(result: PlanResult, style: Style) -> TwoAxisView | None:
    if not any(ir.item.statuses for ir in result.items):
        return None
    t = two_axis_summary(result)
    rule, fy_text = result.rule, format_fiscal_year(t.fiscal_year, style)
    basis = ("担当課の評価（自己評価）" if rule.hand_graded
             else "自動評価（手動のみの区分は担当課の自己評価）" if rule.hand_only_labels else "自動評価")
    has_prev = any(a.previous is not None for a in t.status)
    note = "" if has_prev else f"{format_fiscal_year(t.fiscal_year - 1, style)}の記録がないため、前年度との増減は表示していません。"

    def axis_table(name: str, counts) -> Table:
        return Table(f"{name}_{fy_text}", (name, "取組数", "割合", "前年度", "前年度から"),
                     tuple((a.label, a.count, a.share_text, "" if a.previous is None else a.previous, a.change)
                           for a in counts))

    cross_rows = tuple((s, *row, sum(row)) for s, row in t.cross)
    totals = tuple(sum(r[i] for _s, r in t.cross) for i in range(len(t.achievement_labels)))
    tables = {
        "status": axis_table("実施状況", t.status),
        "achievement": axis_table("達成状況", t.achievement),
        "cross": Table(f"実施状況×達成状況_{fy_text}", ("実施状況＼達成状況", *t.achievement_labels, "計"),
                       cross_rows + (("計", *totals, t.total),)),
    }
    return TwoAxisView(t, basis, note, tables)


def default_basis(data: PlanData, rule: GradingRule) -> str:
    """Automatic grades where the plan has them; the departments' own grades where it grades by hand."""
    has_targets = any(ind.has_target for it in data.items for ind in it.indicators)
    return "auto" if rule.measure != "manual" and has_targets else "self"


def heat_map(result: PlanResult, data: PlanData, *, basis: str, area: str, style: Style) -> HeatMap:
    rule, fy = result.rule, result.as_of_fy
    years = tuple(y for y in sorted(set(data.plan.years) | set(data.data_years)) if y <= fy)
    rows = []
    for ir in result.items:
        it = ir.item
        it_area = it.node_path[0] if it.node_path else NO_AREA
        if area != ALL_AREAS and it_area != area:
            continue
        labels, hovers = [], []
        for y in years:
            yr = ir.year(y)
            if basis == "self":
                e = it.evaluation(y, YEAR)
                label = (e.grade or "").strip() if e else ""
                why = f"担当課の自己評価 {label}" if label else "自己評価の記入がありません"
            else:
                label = auto_shown(yr.auto) if yr else ""
                why = yr.auto.reason if yr else "データがありません"
            if data.unconfirmed(it.item_no, y):
                why += f"。推進課の確認待ちの値を含む（{UNCONFIRMED}）"
            labels.append(label)
            hovers.append(f"No.{it.item_no} {format_fiscal_year(y, style)}: {label or '―'}（{why}）")
        rows.append(HeatRow(it.item_no, it.title, it_area, tuple(labels), tuple(hovers)))
    return HeatMap(basis, BASIS_LABELS[basis], years, tuple(format_fiscal_year_short(y, style) for y in years),
                   tuple(rows), rule.labels)


def home_view(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
              style: Style = "wareki", area: str | None = None, basis: str | None = None,
              assessed: Assessor | None = None) -> HomeView:
    """The home page: the overview, its changes from the year before, the area mix and the heat map."""
    result, assessed = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    prev = previous_assessment(data, result, assessed)
    ov = overview(data, result, prev, style=style)
    fy = result.as_of_fy
    areas = _areas(result, data)
    area_options = (ALL_AREAS,) + tuple(a.area for a in areas)
    if area not in area_options:
        area = ALL_AREAS if len(data.items) <= HEATMAP_ALL_LIMIT or len(areas) < 2 else areas[0].area
    basis = basis if basis in BASIS_LABELS else default_basis(data, rule)
    hm = heat_map(result, data, basis=basis, area=area, style=style)
    fy_text = format_fiscal_year(fy, style)
    labels = list(summary_labels(rule))
    # The 未確定 column appears while a submission awaits review (the plan shows unconfirmed values).
    pending = (UNCONFIRMED_COUNT,) if data.unconfirmed_items else ()
    tables = {
        "grades": Table(f"評価の内訳_{fy_text}", ("評価", "意味", "取組数", *pending, "前年度"),
                        tuple((label, rule.meaning(label) if label != UNGRADED else ungraded_meaning(rule, short=True),
                               ov.grade_counts.get(label, 0), *((ov.unconfirmed_counts.get(label, 0),) if pending else ()),
                               "" if ov.previous_counts is None else ov.previous_counts.get(label, 0))
                              for label in labels)),
        "areas": Table(f"体系別の評価_{fy_text}", ("体系", *labels, "取組数", *pending, LAGGING, "計画値を達成した指標"),
                       tuple((a.area, *(a.counts.get(label, 0) for label in labels), a.items,
                              *((a.unconfirmed,) if pending else ()), a.lagging, a.share_text)
                             for a in areas)),
        "heatmap": hm.table(style),
        "gaps": Table("自己評価と自動評価の違い", ("No.", "取組", "年度", "自己評価", "自動評価", "内容"),
                      tuple((g.item_no, g.title, format_fiscal_year(g.fiscal_year, style), g.self_grade, g.auto_grade,
                             g.text) for g in ov.gaps)),
        "lagging": Table(f"{LAGGING_ITEMS}_{fy_text}", ("No.", "取組", "担当課", "自動評価", "自己評価", "理由", "最新のコメント"),
                         tuple((r.item_no, r.title, r.department, r.auto_grade, r.self_grade, r.reason_titles,
                                r.last_comment) for r in ov.lagging)),
    }
    return HomeView(ov, _headlines(data, ov, fy, style), _grade_headlines(rule, ov, style), areas, hm, area_options,
                    area, tuple(BASIS_LABELS), tables, two_axis_view(result, style))
