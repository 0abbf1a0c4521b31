"""計画の体系: the plan's hierarchy (any depth), every node rolled up from the items under it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from kpi.rules.assess import Assessor, ItemResult, assessment
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import GradingRule, auto_shown, counted_label, summary_labels
from kpi.rules.model import PlanData
from kpi.views.common import chosen_kinds, indicator_kinds, mark_unconfirmed
from kpi.views.table import Table
from kpi.vocabulary import LAGGING, UNCONFIRMED_COUNT, UNGRADED, YEAR

NO_NODE = "（体系なし）"


def levels_text(level_names: tuple[str, ...]) -> str:
    """'重点改革項目 ＞ 取組項目 ＞ 取組': the plan's levels down to the items."""
    names = list(level_names) or ["体系"]
    if not names[-1].endswith("取組"):
        names.append("取組")
    return " ＞ ".join(names)


@dataclass(frozen=True)
class NodeRollup:
    path: tuple[str, ...]
    level_name: str
    n_items: int
    counts: dict[str, int]  # items per automatic grade (plus 未評価), this node and everything under it
    lagging: int
    on_target: int
    measured: int
    item_nos: tuple[str, ...]
    unconfirmed: int = 0  # items under it whose values this year include some awaiting review

    @property
    def title(self) -> str:
        return self.path[-1]

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def node_id(self) -> str:
        return json.dumps(list(self.path), ensure_ascii=False)

    @property
    def parent_id(self) -> str:
        return json.dumps(list(self.path[:-1]), ensure_ascii=False) if len(self.path) > 1 else ""

    @property
    def share_text(self) -> str:
        return f"{self.on_target / self.measured * 100:.0f}%" if self.measured else "―"

    @property
    def summary(self) -> str:
        graded = " ".join(f"{k}{v}" for k, v in self.counts.items() if v and k != UNGRADED)
        parts = [f"取組 {self.n_items}件"]
        if graded:
            parts.append(graded)
        if self.counts.get(UNGRADED):
            parts.append(f"{UNGRADED}{self.counts[UNGRADED]}")
        if self.measured:
            parts.append(f"達成 {self.share_text}")
        if self.lagging:
            parts.append(f"{LAGGING} {self.lagging}")
        return "　".join(parts)


@dataclass(frozen=True)
class ItemLeaf:
    item_no: str
    title: str
    path: tuple[str, ...]
    grade: str  # automatic grade this year, or the plan's name for why there is none; '' when neither
    self_grade: str
    lagging: bool
    department: str
    unconfirmed: bool = False  # its values this year include some awaiting review: grades marked 未確定

    @property
    def leaf_id(self) -> str:
        return "item:" + self.item_no

    @property
    def parent_id(self) -> str:
        return json.dumps(list(self.path), ensure_ascii=False) if self.path else ""


@dataclass(frozen=True)
class HierarchyView:
    as_of_fy: int
    level_names: tuple[str, ...]
    labels: tuple[str, ...]
    nodes: tuple[NodeRollup, ...]  # parents before children, in plan order
    leaves: tuple[ItemLeaf, ...]
    selected: NodeRollup | None
    selected_items: tuple[ItemLeaf, ...]
    tables: dict[str, Table]
    kind_options: tuple[str, ...] = ()  # the kinds the plan's indicators have (活動 / 対象 / 成果)
    kinds: tuple[str, ...] = ()  # the kinds filtered by, in plan order ('' none)

    def node(self, path: tuple[str, ...]) -> NodeRollup | None:
        for n in self.nodes:
            if n.path == path:
                return n
        return None

    def label_of(self, path: tuple[str, ...]) -> str:
        """'　　3 地域活動…（取組 1件）' for a picker: indented by depth."""
        n = self.node(path)
        return "　" * (len(path) - 1) + path[-1] + (f"（取組 {n.n_items}件）" if n else "")


def _paths(data: PlanData) -> list[tuple[str, ...]]:
    """Every node path in plan order: the stored nodes, then any prefix only items mention."""
    seen: dict[tuple[str, ...], None] = {}
    for p in data.nodes:
        for d in range(1, len(p) + 1):
            seen.setdefault(tuple(p[:d]), None)
    for it in data.items:
        path = it.node_path or (NO_NODE,)
        for d in range(1, len(path) + 1):
            seen.setdefault(tuple(path[:d]), None)
    # Parents first, siblings in the order they appeared.
    order = {p: i for i, p in enumerate(seen)}
    return sorted(seen, key=lambda p: tuple(order[p[:d]] for d in range(1, len(p) + 1)))


def _level_name(data: PlanData, depth: int) -> str:
    names = data.plan.level_names
    return names[depth - 1] if 0 < depth <= len(names) else f"第{depth}階層"


def hierarchy_view(data: PlanData, rule: GradingRule, *, as_of_fy: int | None = None, today: date | None = None,
                   style: Style = "wareki", selected: tuple[str, ...] | None = None,
                   assessed: Assessor | None = None, kinds: Iterable[str] = ()) -> HierarchyView:
    """kinds (活動 / 対象 / 成果): the items listed are those with an indicator of a chosen kind, and
    計画値を達成した指標 counts only such indicators; the grades stay the items' own (an item is graded
    by all its indicators)."""
    result, _ = assessment(data, rule, as_of_fy=as_of_fy, today=today, assessed=assessed)
    want = chosen_kinds(data, kinds)
    kind_of = {(it.item_no, ind.name): ind.kind for it in data.items for ind in it.indicators}
    fy = result.as_of_fy
    labels = list(summary_labels(rule))
    leaves: list[ItemLeaf] = []
    by_item: dict[str, ItemResult] = {}
    counted: dict[str, str] = {}  # what each item counts as (self-grades on a hand-graded plan)
    for ir in result.items:
        it = ir.item
        by_item[it.item_no] = ir
        y = ir.current
        e = it.evaluation(fy, YEAR)
        counted[it.item_no] = counted_label(rule, y.auto, y.self_grade) if y else UNGRADED
        leaves.append(ItemLeaf(it.item_no, it.title, it.node_path or (NO_NODE,),
                               auto_shown(y.auto) if y else "", (e.grade or "") if e else "",
                               ir.lagging, it.main_department or "", data.unconfirmed(it.item_no, fy)))
    nodes = []
    for path in _paths(data):
        under = [lf for lf in leaves if lf.path[:len(path)] == path]
        counts = {label: 0 for label in labels}
        hit = total = 0
        for lf in under:
            counts[counted[lf.item_no] if counted[lf.item_no] in counts else UNGRADED] += 1
            for r in by_item[lf.item_no].indicator_years:
                if want and kind_of.get((lf.item_no, r.indicator)) not in want:
                    continue
                if r.fiscal_year == fy and r.achievement.value is not None:
                    total += 1
                    hit += r.achievement.value >= 1.0 - 1e-12
        nodes.append(NodeRollup(path, _level_name(data, len(path)), len(under), counts,
                                sum(lf.lagging for lf in under), hit, total, tuple(lf.item_no for lf in under),
                                sum(lf.unconfirmed for lf in under)))
    sel = next((n for n in nodes if selected and n.path == tuple(selected)), None)
    sel_items = tuple(lf for lf in leaves if sel and lf.path[:len(sel.path)] == sel.path) if sel else tuple(leaves)
    if want:
        has = {it.item_no for it in data.items if any(ind.kind in want for ind in it.indicators)}
        sel_items = tuple(lf for lf in sel_items if lf.item_no in has)
    shown_kinds = tuple(k for k in indicator_kinds(data) if k in want)
    on_target = "計画値を達成した指標" + (f"（{'・'.join(shown_kinds)}）" if shown_kinds else "")
    fy_text = format_fiscal_year(fy, style)
    # The 未確定 column appears while a submission awaits review (the plan shows unconfirmed values).
    pending = (UNCONFIRMED_COUNT,) if any(lf.unconfirmed for lf in leaves) else ()
    tables = {
        # One row per node, indented by depth so the table reads as a tree (in Excel too).
        "nodes": Table(f"計画の体系_{fy_text}", ("階層", "体系", "取組数", *labels, *pending, LAGGING, on_target),
                       tuple((n.level_name, "　" * (n.depth - 1) + n.title, n.n_items,
                              *(n.counts[label] for label in labels), *((n.unconfirmed,) if pending else ()),
                              n.lagging, n.share_text) for n in nodes)),
        "items": Table(f"体系の取組_{fy_text}", ("No.", "取組", "体系", "担当課", "自動評価", "自己評価", LAGGING),
                       tuple((lf.item_no, lf.title, " ＞ ".join(lf.path), lf.department,
                              mark_unconfirmed(lf.grade or "―", lf.unconfirmed),
                              mark_unconfirmed(lf.self_grade or "―", lf.unconfirmed), LAGGING if lf.lagging else "")
                             for lf in sel_items)),
    }
    return HierarchyView(fy, data.plan.level_names, rule.labels, tuple(nodes), tuple(leaves), sel, sel_items, tables,
                         indicator_kinds(data), shown_kinds)
