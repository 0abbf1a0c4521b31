"""The parts of a plan the rules do not need but pages show: schedules, narratives, notes, status marks.

PlanData (kpi/rules/model.py) carries what the evaluation rules work on; these tables
are read separately, once per data version (ui/frame.load_extras caches them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi.store.store import Store


@dataclass(frozen=True)
class ScheduleEntry:
    activity: str
    fiscal_year: int
    mark: str  # '実施', '→', '検討' … as the sheet wrote it
    sort: int = 0


@dataclass(frozen=True)
class Narrative:
    item_no: str
    fiscal_year: int | None
    text: str


@dataclass(frozen=True)
class PlanNote:
    section: str  # 'milestone' / 'positioning' / …
    seq: int
    period_text: str
    fiscal_year: int | None
    title: str
    body: str


@dataclass(frozen=True)
class PlanExtras:
    schedules: dict[str, tuple[ScheduleEntry, ...]] = field(default_factory=dict)  # by item_no
    narratives: tuple[Narrative, ...] = ()
    notes: tuple[PlanNote, ...] = ()
    status_marks: dict[tuple[str, int | None], str] = field(default_factory=dict)  # (item_no, fy) → ✓ ◇ ・

    def narratives_of(self, item_no: str) -> tuple[Narrative, ...]:
        return tuple(n for n in self.narratives if n.item_no == item_no)

    def notes_in(self, section: str) -> tuple[PlanNote, ...]:
        return tuple(sorted((n for n in self.notes if n.section == section), key=lambda n: n.seq))



def load_extras(store: Store, plan_id: int) -> PlanExtras:
    p = [plan_id]
    sched = store.query("SELECT item_no, activity, fiscal_year, mark, sort FROM schedules WHERE plan_id = ? "
                        "ORDER BY item_no, sort, activity, fiscal_year", p)
    narr = store.query("SELECT item_no, fiscal_year, text FROM narratives WHERE plan_id = ? AND text IS NOT NULL "
                       "ORDER BY fiscal_year, item_no", p)
    notes = store.query("SELECT section, seq, period_text, fiscal_year, title, body FROM plan_notes WHERE plan_id = ? "
                        "ORDER BY section, seq", p)
    marks = store.query("SELECT item_no, fiscal_year, mark FROM item_status WHERE plan_id = ? AND mark IS NOT NULL", p)
    schedules: dict[str, list[ScheduleEntry]] = {}
    for item_no, activity, fy, mark, sort in sched:
        schedules.setdefault(item_no, []).append(ScheduleEntry(activity or "", fy, mark or "", sort or 0))
    return PlanExtras(
        {k: tuple(v) for k, v in schedules.items()},
        tuple(Narrative(r[0], r[1], r[2]) for r in narr),
        tuple(PlanNote(r[0] or "", r[1] or 0, r[2] or "", r[3], r[4] or "", r[5] or "") for r in notes),
        {(r[0], r[1]): r[2] for r in marks})
