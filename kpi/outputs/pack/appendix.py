"""The committee pack's appendix (issue 20): the status board of the year's call (照会の状況, which
department submitted, was returned or is late) and the revised targets (当初 and 修正 side by side,
with the date and reason). Plain tables: the slides draw them (render.py), the workbook writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpi.cycle.board import COLUMNS, current_board
from kpi.cycle.revisions import revisions_of
from kpi.rules.fiscal import Style
from kpi.store.store import Store

ROWS_PER_PAGE = 12


@dataclass(frozen=True)
class Appendix:
    title: str
    note: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative widths of the columns
    flagged: tuple[bool, ...] = ()  # rows to highlight (overdue departments)


def cycle_appendix(store: Store, plan_id: int, today: date, style: Style = "wareki") -> tuple[Appendix, ...]:
    out = []
    b = current_board(store, plan_id, today)
    if b is not None:
        out.append(Appendix(f"付録　{b.call.title}の状況", f"{b.progress}（期限 {b.call.deadline:%Y-%m-%d}、"
                            f"{today:%Y-%m-%d} 現在、{b.call.status_label}）", COLUMNS, tuple(b.table()),
                            (2.0, 2.4, 1.3, 1.0, 1.3, 1.0, 1.1, 2.0), tuple(r.overdue for r in b.rows)))
    revs = revisions_of(store, plan_id)
    if revs:
        rows = tuple((r.item_no, r.label(style), r.shown(r.original, style), r.shown(r.revised, style),
                      f"{r.last.at:%Y-%m-%d}", r.last.by, r.last.reason or "（記録なし）") for r in revs)
        out.append(Appendix("付録　目標の修正（当初・修正）", "修正された計画値・最終目標。当初の目標と修正後の目標を並べています。",
                            ("No.", "目標", "当初", "修正", "修正日", "修正した人", "理由"), rows,
                            (0.6, 2.8, 0.9, 0.9, 1.1, 1.1, 2.6)))
    return tuple(out)


__all__ = ["Appendix", "cycle_appendix", "ROWS_PER_PAGE"]
