"""Calls (照会), the departments' records in them, period locks and the plan's cycle settings.

Every step is a Batch written through the one write path (kpi.access.permissions.apply_as, kind
'cycle'): it is an upload in the history with its change log, and undo works on it. Only an
administrator (the 推進課) opens, confirms, returns, closes and unlocks (permission 'cycle'); a
department's submission is its own upload, recorded by kpi.cycle.submissions inside that upload.
The 差し戻し, which undoes the returned upload, is kpi.intake.cycle_review (it needs the undo).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Sequence

from kpi.access.permissions import Actor, apply_as, require
from kpi.cycle import clock
from kpi.cycle.rules import (
    CONFIRMED,
    PENDING,
    DeptStatus,
    Event,
    Lock,
    call_title,
    department_status,
    stages_key,
)
from kpi.errors import KpiError, NotFound
from kpi.rules.fiscal import format_fiscal_year
from kpi.store import cycle as db
from kpi.store.journal import Batch
from kpi.store.store import ApplyResult, Store

OPEN, FINAL = "open", "final"
CALL_STATUS_LABELS = {OPEN: "受付中", FINAL: "確定"}


class CycleError(KpiError):
    title = "照会の操作ができません"


@dataclass(frozen=True)
class Call:
    plan_id: int
    plan_name: str
    fiscal_year: int
    stages: str  # '年度' / '年度・計画期間'
    deadline: date
    instructions: str
    departments: tuple[str, ...]
    status: str
    remind_before: int
    remind_every: int
    opened_at: datetime | None
    opened_by: str
    closed_at: datetime | None
    closed_by: str

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def stage_list(self) -> tuple[str, ...]:
        return tuple(self.stages.split("・"))

    @property
    def title(self) -> str:
        return call_title(self.fiscal_year, self.stages)

    @property
    def status_label(self) -> str:
        return CALL_STATUS_LABELS.get(self.status, self.status)


def _call(plan_id: int, plan_name: str, r: dict) -> Call:
    deadline = r["deadline"]
    if isinstance(deadline, datetime):
        deadline = deadline.date()
    return Call(plan_id, plan_name, int(r["fiscal_year"]), r["stages"], deadline, r["instructions"] or "",
                tuple(json.loads(r["departments"])) if r["departments"] else (), r["status"] or OPEN,
                int(r["remind_before"] if r["remind_before"] is not None else 3),
                int(r["remind_every"] if r["remind_every"] is not None else 7),
                r["opened_at"], r["opened_by"] or "", r["closed_at"], r["closed_by"] or "")


def calls_of(store: Store, plan_id: int) -> list[Call]:
    name = store.plan(plan_id).name
    return [_call(plan_id, name, r) for r in db.calls(store, plan_id)]


def every_call(store: Store) -> list[Call]:
    names = {p.plan_id: p.name for p in store.plans()}
    return [_call(pid, names.get(pid, ""), r) for pid, r in db.all_calls(store) if pid in names]


def open_call_of(store: Store, plan_id: int) -> Call | None:
    """The plan's call that is taking submissions now (at most one per plan)."""
    return next((c for c in calls_of(store, plan_id) if c.is_open), None)


def find_call(store: Store, plan_id: int, fiscal_year: int | None = None, stages: str | None = None) -> Call:
    """The call of that year (and stages); without a year, the open one, else the latest."""
    found = calls_of(store, plan_id)
    if fiscal_year is not None:
        found = [c for c in found if c.fiscal_year == fiscal_year]
    if stages is not None:
        key = stages_key(stages.replace("、", "・").split("・"))
        found = [c for c in found if c.stages == key]
    if not found:
        what = f"{format_fiscal_year(fiscal_year)}の" if fiscal_year is not None else ""
        raise NotFound(f"計画「{store.plan(plan_id).name}」に{what}照会はありません",
                       hint="照会を開始してから操作してください（画面「照会と提出」または python -m kpi cycle open）")
    return next((c for c in found if c.is_open), found[0])


def events_of(store: Store, call: Call) -> list[Event]:
    return [Event(r["department"], r["action"], r["acted_at"], r["actor"] or "", r["comment"], r["upload_id"],
                  tuple(int(x) for x in r["refs"]))
            for r in db.events(store, call.plan_id, call.fiscal_year, call.stages)]


def statuses_of(store: Store, call: Call, today: date | None = None,
                events: Sequence[Event] | None = None) -> list[DeptStatus]:
    """Every department of the call (and any other that submitted into it), in the call's order."""
    today = today or clock.today()
    events = list(events if events is not None else events_of(store, call))
    names = list(call.departments) + sorted({e.department for e in events} - set(call.departments))
    return [department_status(d, events, call.deadline, today) for d in names]


def locks_of(store: Store, plan_id: int) -> list[Lock]:
    """The periods of the plan that are locked now."""
    return [Lock(int(r["fiscal_year"]), r["stage"], r["locked_at"], r["locked_by"] or "")
            for r in db.locks(store, plan_id) if r["locked"]]


def lock_history(store: Store, plan_id: int) -> list[dict]:
    """Every lock row, locked or unlocked since (with who unlocked and why)."""
    return db.locks(store, plan_id)


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class CycleSettings:
    show_unconfirmed: bool = True  # values awaiting review are shown, marked 未確定 (False: hidden until confirmed)
    grade_against: str = "revised"  # revised: the current target; original: the target before any revision

    @property
    def text(self) -> str:
        shown = "表示する（未確定と明示）" if self.show_unconfirmed else "確定するまで表示しない"
        against = "当初の目標" if self.grade_against == "original" else "修正後の目標"
        return f"未確定の値: {shown}。評価の基準: {against}"


SETTING_NAMES = {"show_unconfirmed": "未確定の値の表示", "grade_against": "評価に使う目標"}


def settings_of(store: Store, plan_id: int) -> CycleSettings:
    raw = db.plan_settings(store, plan_id)
    return CycleSettings(show_unconfirmed=raw.get("show_unconfirmed", "true") != "false",
                         grade_against="original" if raw.get("grade_against") == "original" else "revised")


def save_settings(store: Store, actor: Actor, plan_id: int, *, show_unconfirmed: bool | None = None,
                  grade_against: str | None = None) -> ApplyResult:
    """The plan's cycle settings (administrators: kind 'settings', in the history)."""
    batch = Batch(store.plan(plan_id).name, source="照会の設定")
    if show_unconfirmed is not None:
        batch.add("plan_settings", name="show_unconfirmed", value="true" if show_unconfirmed else "false")
    if grade_against is not None:
        if grade_against not in ("revised", "original"):
            raise CycleError(f"評価に使う目標「{grade_against}」は選べません", hint="revised（修正後）か original（当初）です")
        batch.add("plan_settings", name="grade_against", value=grade_against)
    return apply_as(store, actor, batch, kind="settings", note="照会の設定の変更")


# ---------------------------------------------------------------- actions
def _write(store: Store, actor: Actor, call_or_plan: Call | int, note: str, fill) -> ApplyResult:
    plan_id = call_or_plan.plan_id if isinstance(call_or_plan, Call) else call_or_plan
    batch = Batch(store.plan(plan_id).name, source="照会")
    fill(batch)
    return apply_as(store, actor, batch, kind="cycle", action="cycle", note=note)


def _event(batch: Batch, call: Call, department: str, action: str, actor: Actor, *, comment: str | None = None,
           refs: Iterable[int] = ()) -> None:
    batch.add("cycle_events", fiscal_year=call.fiscal_year, stages=call.stages, department=department,
              event_id=uuid.uuid4().hex, action=action, acted_at=clock.now(), actor=actor.name,
              comment=comment or None, refs=json.dumps(list(refs)) if refs else None)


def open_new(store: Store, actor: Actor, plan_id: int, fiscal_year: int, stages: Iterable[str], deadline: date,
             instructions: str = "", departments: Iterable[str] | None = None, *, remind_before: int = 3,
             remind_every: int = 7) -> Call:
    """Open a call: which year and stages it collects, by when, from which departments (default: every
    department responsible for an item of the plan). One call per plan takes submissions at a time."""
    require(actor, "cycle")
    try:
        key = stages_key(stages)
    except ValueError as exc:
        raise CycleError(str(exc)) from exc
    if not key:
        raise CycleError("集める段階（上半期・年度・中間・計画期間）を1つ以上選んでください")
    current = open_call_of(store, plan_id)
    if current is not None:
        raise CycleError(f"「{current.title}」が受付中です。照会は計画ごとに1つずつ開きます",
                         hint="受付中の照会を確定してから、次の照会を開始してください")
    if any(c.fiscal_year == fiscal_year and c.stages == key for c in calls_of(store, plan_id)):
        raise CycleError(f"{call_title(fiscal_year, key)}はすでにあります（確定済み）",
                         hint="確定を解除して直すときは「確定の解除」を使ってください")
    known = [d for _no, d in db.plan_departments(store, plan_id)]
    known = list(dict.fromkeys(known))
    chosen = list(dict.fromkeys(d.strip() for d in departments if d.strip())) if departments is not None else known
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise CycleError(f"担当課「{'、'.join(unknown)}」はこの計画の取組の担当にありません",
                         hint="この計画の担当課: " + ("、".join(known) or "（登録なし）"))
    if not chosen:
        raise CycleError("照会する担当課がありません", hint="取組に担当課が登録されているか確かめてください")
    if remind_before < 0 or remind_every < 0:
        raise CycleError("催促の日数は0以上にしてください")
    now = clock.now()

    def fill(batch: Batch) -> None:
        batch.add("cycle_calls", fiscal_year=fiscal_year, stages=key, deadline=deadline,
                  instructions=instructions.strip() or None, departments=json.dumps(chosen, ensure_ascii=False),
                  status=OPEN, remind_before=remind_before, remind_every=remind_every, opened_at=now,
                  opened_by=actor.name)

    _write(store, actor, plan_id, f"{call_title(fiscal_year, key)}を開始（期限 {deadline:%Y-%m-%d}）", fill)
    return find_call(store, plan_id, fiscal_year, key)


def confirm(store: Store, actor: Actor, call: Call, department: str, comment: str | None = None) -> ApplyResult:
    """The 推進課 accepts a department's waiting submission: its values count from now on."""
    require(actor, "cycle")
    status = _status(store, call, department)
    if status.status != PENDING:
        raise CycleError(f"{department}の提出は「{status.label}」のため、確認するものがありません")
    return _write(store, actor, call, f"{call.title}: {department}の提出を確認（取込番号 "
                                      f"{'、'.join(map(str, status.pending))}）",
                  lambda b: _event(b, call, department, "confirm", actor, comment=comment, refs=status.pending))


def record_return(store: Store, actor: Actor, call: Call, department: str, comment: str,
                  refs: Sequence[int]) -> ApplyResult:
    """The 差し戻し's record, written after its uploads were undone (kpi.intake.cycle_review)."""
    return _write(store, actor, call, f"{call.title}: {department}に差し戻し（{comment}）",
                  lambda b: _event(b, call, department, "return", actor, comment=comment, refs=refs))


def record_reminder(store: Store, actor: Actor, call: Call, department: str, comment: str) -> ApplyResult:
    return _write(store, actor, call, f"{call.title}: {department}に催促（{comment}）",
                  lambda b: _event(b, call, department, "remind", actor, comment=comment))


def _status(store: Store, call: Call, department: str) -> DeptStatus:
    for s in statuses_of(store, call):
        if s.department == department:
            return s
    raise NotFound(f"{call.title}に担当課「{department}」はありません",
                   hint="照会の担当課: " + "、".join(call.departments))


def finalize(store: Store, actor: Actor, call: Call) -> Call:
    """確定: the call stops taking submissions and its year's values and grades for its stages are locked.

    Refused while a submission is waiting for review (confirm or return it first). Departments that
    never submitted stay 未提出 on the board; their values are locked as they are."""
    require(actor, "cycle")
    if not call.is_open:
        raise CycleError(f"{call.title}はすでに確定しています（{call.closed_at:%Y-%m-%d %H:%M} {call.closed_by}）"
                         if call.closed_at else f"{call.title}はすでに確定しています")
    waiting = [s.department for s in statuses_of(store, call) if s.status == PENDING]
    if waiting:
        raise CycleError(f"確認待ちの提出があります（{'、'.join(waiting)}）。確定していません",
                         hint="確認するか差し戻してから、もう一度確定してください")
    now = clock.now()

    def fill(batch: Batch) -> None:
        batch.add("cycle_calls", fiscal_year=call.fiscal_year, stages=call.stages, status=FINAL, closed_at=now,
                  closed_by=actor.name)
        for stage in call.stage_list:
            batch.add("period_locks", fiscal_year=call.fiscal_year, stage=stage, locked=True, locked_at=now,
                      locked_by=actor.name, changed_at=now, changed_by=actor.name, reason=f"{call.title}の確定")

    _write(store, actor, call, f"{call.title}を確定（{format_fiscal_year(call.fiscal_year)}の"
                               f"{call.stages}を確定し、変更できないようにしました）", fill)
    return find_call(store, call.plan_id, call.fiscal_year, call.stages)


def unlock(store: Store, actor: Actor, plan_id: int, fiscal_year: int, stage: str, reason: str) -> ApplyResult:
    """An administrator lifts a period lock; the reason is required and kept in the history."""
    require(actor, "cycle")
    reason = (reason or "").strip()
    if not reason:
        raise CycleError("確定を解除する理由を書いてください", hint="理由は取込履歴に残ります")
    if not any(lk.fiscal_year == fiscal_year and lk.stage == stage for lk in locks_of(store, plan_id)):
        raise CycleError(f"{format_fiscal_year(fiscal_year)}の{stage}は確定していません")
    now = clock.now()
    return _write(store, actor, plan_id, f"確定の解除: {format_fiscal_year(fiscal_year)} {stage}（理由: {reason}）",
                  lambda b: b.add("period_locks", fiscal_year=fiscal_year, stage=stage, locked=False, reason=reason,
                                  changed_at=now, changed_by=actor.name))


def relock(store: Store, actor: Actor, plan_id: int, fiscal_year: int, stage: str) -> ApplyResult:
    """Lock an unlocked period again (after the correction it was unlocked for)."""
    require(actor, "cycle")
    rows = [r for r in db.locks(store, plan_id) if r["fiscal_year"] == fiscal_year and r["stage"] == stage]
    if not rows:
        raise CycleError(f"{format_fiscal_year(fiscal_year)}の{stage}は確定したことがありません",
                         hint="照会を確定すると、その年度と段階が確定します")
    if rows[0]["locked"]:
        raise CycleError(f"{format_fiscal_year(fiscal_year)}の{stage}はすでに確定しています")
    now = clock.now()
    return _write(store, actor, plan_id, f"再確定: {format_fiscal_year(fiscal_year)} {stage}",
                  lambda b: b.add("period_locks", fiscal_year=fiscal_year, stage=stage, locked=True, locked_at=now,
                                  locked_by=actor.name, reason="再確定", changed_at=now, changed_by=actor.name))


__all__ = ["Call", "CycleError", "CycleSettings", "calls_of", "every_call", "open_call_of", "find_call", "events_of",
           "statuses_of", "locks_of", "lock_history", "settings_of", "save_settings", "open_new", "confirm",
           "record_return", "record_reminder", "finalize", "unlock", "relock", "OPEN", "FINAL", "CONFIRMED"]
