"""進捗状況・実施状況: qualitative plans — status per item (✓ 完了 / ◇ 完了の目途 / ・ 継続中,
実施中 / 未着手), completion per top-level node (推進項目), and the yearly narratives, searchable."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.model import Item, PlanData
from kpi.views.extras import PlanExtras
from kpi.views.table import Table
from kpi.vocabulary import MARK_OF_STATUS, NO_STATUS, STATUSES

NO_AREA = "（体系なし）"
DONE = ("完了",)
NEARLY = ("完了の目途",)
AS_REPORTED = "時点の記載なし"


@dataclass(frozen=True)
class StatusRow:
    item_no: str
    title: str
    path: tuple[str, ...]
    status: str
    mark: str
    note: str
    fiscal_year: int | None  # None: the sheet gave no year ('as reported')
    department: str

    @property
    def area(self) -> str:
        return self.path[0] if self.path else NO_AREA


@dataclass(frozen=True)
class AreaCompletion:
    area: str
    counts: dict[str, int]  # per status, plus 未記入
    total: int

    @property
    def done(self) -> int:
        return sum(self.counts.get(s, 0) for s in DONE)

    @property
    def nearly(self) -> int:
        return sum(self.counts.get(s, 0) for s in NEARLY)

    @property
    def reported(self) -> int:
        return self.total - self.counts.get(NO_STATUS, 0)

    @property
    def completion_text(self) -> str:
        """完了 among the items with a reported status (those without one are counted apart)."""
        if not self.reported:
            return "―"
        text = f"{self.done / self.reported * 100:.0f}%"
        if self.nearly:
            text += f"（目途を含め {(self.done + self.nearly) / self.reported * 100:.0f}%）"
        return text


@dataclass(frozen=True)
class NarrativeHit:
    item_no: str
    title: str
    fiscal_year: int | None
    year_label: str
    text: str


@dataclass(frozen=True)
class QualitativeView:
    as_of_fy: int | None
    statuses: tuple[str, ...]  # the status order used in charts and tables
    areas: tuple[AreaCompletion, ...]
    rows: tuple[StatusRow, ...]
    narratives: tuple[NarrativeHit, ...]  # after the search
    narrative_total: int
    narrative_years: tuple[int | None, ...]
    query: str
    tables: dict[str, Table]

    @property
    def has_statuses(self) -> bool:
        return any(r.status != NO_STATUS for r in self.rows)

    @property
    def by_year(self) -> tuple[tuple[str, tuple[NarrativeHit, ...]], ...]:
        groups: dict[str, list[NarrativeHit]] = {}
        for n in self.narratives:
            groups.setdefault(n.year_label, []).append(n)
        return tuple((k, tuple(v)) for k, v in groups.items())


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def matches(text: str, query: str) -> bool:
    """Every word of the query (split on spaces, full-width too) appears, ignoring width and case."""
    words = _norm(query).split()
    hay = _norm(text)
    return all(w in hay for w in words)


def status_as_of(item: Item, fy: int | None) -> tuple[int | None, str, str | None] | None:
    """The latest status reported up to fy; an entry without a year counts as the current one."""
    dated = [s for s in item.statuses if s[0] is not None and (fy is None or s[0] <= fy)]
    undated = [s for s in item.statuses if s[0] is None]
    if dated:
        return max(dated, key=lambda s: s[0])
    return undated[-1] if undated else None


def qualitative_of(data: PlanData, _rule: object, *, extras: PlanExtras, as_of_fy: int | None = None,
                   style: Style = "wareki", query: str = "", year: int | None = None, **_shared) -> QualitativeView:
    """qualitative_view as ui.frame.view calls a view (the plan and its rule first; the grading rule,
    day and assessment it also passes are not used), so the page keeps one view per choice instead
    of building it, and its tables, on every run."""
    return qualitative_view(data, extras, as_of_fy=as_of_fy, style=style, query=query, year=year)


def qualitative_view(data: PlanData, extras: PlanExtras, *, as_of_fy: int | None = None, style: Style = "wareki",
                     query: str = "", year: int | None = None) -> QualitativeView:
    rows = []
    for it in data.items:
        st = status_as_of(it, as_of_fy)
        if st is None:
            rows.append(StatusRow(it.item_no, it.title, it.node_path, NO_STATUS, "", "", None, it.main_department or ""))
            continue
        fy, status, note = st
        mark = extras.status_marks.get((it.item_no, fy)) or MARK_OF_STATUS.get(status, "")
        rows.append(StatusRow(it.item_no, it.title, it.node_path, status, mark, note or "", fy,
                              it.main_department or ""))
    used = {r.status for r in rows}
    statuses = tuple(s for s in STATUSES if s in used) + tuple(sorted(used - set(STATUSES) - {NO_STATUS})) \
        + ((NO_STATUS,) if NO_STATUS in used else ())
    areas: dict[str, dict[str, int]] = {}
    for r in rows:
        slot = areas.setdefault(r.area, {s: 0 for s in statuses})
        slot[r.status] += 1
    area_rows = tuple(AreaCompletion(a, c, sum(c.values())) for a, c in areas.items())

    titles = {it.item_no: it.title for it in data.items}
    all_narr = [n for n in extras.narratives if as_of_fy is None or n.fiscal_year is None or n.fiscal_year <= as_of_fy]
    hits = [n for n in all_narr
            if (year is None or n.fiscal_year == year)
            and (not query.strip() or matches(f"{n.text} {titles.get(n.item_no, '')} No.{n.item_no}", query))]
    order = {it.item_no: i for i, it in enumerate(data.items)}
    hits.sort(key=lambda n: (-(n.fiscal_year or 0), order.get(n.item_no, len(order))))
    narratives = tuple(NarrativeHit(n.item_no, titles.get(n.item_no, ""), n.fiscal_year,
                                    format_fiscal_year(n.fiscal_year, style) if n.fiscal_year else AS_REPORTED, n.text)
                       for n in hits)
    years = tuple(sorted({n.fiscal_year for n in all_narr}, key=lambda y: -(y or 0)))
    fy_text = format_fiscal_year(as_of_fy, style) if as_of_fy else ""
    tables = {
        "areas": Table(f"推進項目ごとの進捗_{fy_text}", ("体系", *statuses, "取組数", "完了の割合（記入のある取組のうち）"),
                       tuple((a.area, *(a.counts.get(s, 0) for s in statuses), a.total, a.completion_text)
                             for a in area_rows)),
        "status": Table(f"取組の進捗状況_{fy_text}", ("No.", "取組", "体系", "記号", "状況", "内容", "時点", "担当課"),
                        tuple((r.item_no, r.title, " ＞ ".join(r.path), r.mark, r.status, r.note,
                               format_fiscal_year(r.fiscal_year, style) if r.fiscal_year else AS_REPORTED,
                               r.department) for r in rows)),
        "narratives": Table("実施状況" + (f"_{query.strip()}" if query.strip() else ""), ("年度", "No.", "取組", "実施状況"),
                            tuple((n.year_label, n.item_no, n.title, n.text) for n in narratives)),
    }
    return QualitativeView(as_of_fy, statuses, area_rows, tuple(rows), narratives, len(all_narr), years,
                           query, tables)

