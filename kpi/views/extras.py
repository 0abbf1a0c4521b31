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
    schedules: dict[str, list[ScheduleEntry]] = {}
    for r in store.schedules(plan_id):
        schedules.setdefault(r.item_no, []).append(ScheduleEntry(r.activity or "", r.fiscal_year, r.mark or "",
                                                                 r.sort or 0))
    return PlanExtras(
        {k: tuple(v) for k, v in schedules.items()},
        tuple(Narrative(r.item_no, r.fiscal_year, r.text) for r in store.narratives(plan_id) if r.text is not None),
        tuple(PlanNote(r.section or "", r.seq or 0, r.period_text or "", r.fiscal_year, r.title or "", r.body or "")
              for r in store.plan_notes(plan_id)),
        {(r.item_no, r.fiscal_year): r.mark for r in store.item_statuses(plan_id) if r.mark is not None})
