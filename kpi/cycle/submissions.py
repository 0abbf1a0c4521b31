"""What the cycle adds to an upload (kpi.intake.pipeline calls these): the submission record during an
open call, and the period locks that refuse a change to a 確定 year.

- An editor's upload into a plan whose call is open is that department's submission: a 'submit'
  record is written inside the same upload (same transaction, same history entry), so undoing the
  upload withdraws the submission too. Its values wait for the 推進課 (未確定) until confirmed.
  An administrator's upload is the 推進課's own correction and counts at once.
- Whoever uploads, a change to a locked period (a 確定 year's values, a locked stage's grades) is
  refused, naming the file, sheet and cell, who locked the period and when.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Sequence

from kpi.access.permissions import Actor
from kpi.cycle import clock
from kpi.cycle.calls import locks_of, open_call_of
from kpi.cycle.rules import Lock, lock_for
from kpi.errors import ImportRefused, Problem
from kpi.store.journal import TABLES, Batch, Change, ChangeSet
from kpi.store.change_words import key_words
from kpi.store.store import Store


class PeriodLocked(ImportRefused):
    title = "確定済みの期間のため取り込めません"


def with_submissions(store: Store, batches: Sequence[Batch], changes: Sequence[ChangeSet | None],
                     actor: Actor) -> list[Batch]:
    """The batches to write: each editor's batch that changes a plan with an open call gets its
    department's 'submit' record (a copy; the prepared batch is left as it was, so a refused or
    repeated commit never carries two records)."""
    if actor.role != "editor" or actor.public_only:
        return list(batches)
    out = []
    for batch, cs in zip(batches, changes):
        plan = store.plan_by_name(batch.plan_name) if batch is not None else None
        call = open_call_of(store, plan.plan_id) if plan is not None else None
        if call is None or (cs is not None and cs.is_empty):
            out.append(batch)
            continue
        departments = [d for d in actor.departments if d in call.departments] or list(actor.departments)
        rows = {k: list(v) for k, v in batch.rows.items()}
        now = clock.now()
        for d in departments:
            rows.setdefault("cycle_events", []).append(dict(
                fiscal_year=call.fiscal_year, stages=call.stages, department=d, event_id=uuid.uuid4().hex,
                action="submit", acted_at=now, actor=actor.name, comment=None, refs=None))
        out.append(dataclasses.replace(batch, rows=rows))
    return out


def _where(batch: Batch | None, table: str, key: tuple) -> dict:
    if batch is None:
        return {}
    spec = TABLES[table]
    for row in batch.table(table):
        if tuple(row.get(k) for k in spec.key) == key:
            return row
    return {}


def locked_problems(changes: ChangeSet, locks: Sequence[Lock], batch: Batch | None = None) -> list[Problem]:
    """One error per change that would alter a locked period, naming the cell it came from."""
    out: list[Problem] = []
    for c in changes.inserts + changes.updates:
        if c.table not in TABLES or c.table == "cycle_events":
            continue
        key = dict(zip(TABLES[c.table].key, c.key))
        lock = lock_for(c.table, key, locks)
        if lock is None:
            continue
        row = _where(batch, c.table, c.key)
        out.append(Problem(
            "error", f"{lock.text}。{_describe(c)} は変更できません",
            row.get("_sheet"), row.get("_cell"), row.get("_file") or (batch.source if batch else None),
            "変更が必要なときは、管理者が「照会と提出」で確定を解除（理由を記録）してから取り込んでください",
            "period_locked"))
    return out


def _describe(c: Change) -> str:
    label = TABLES[c.table].label or c.table
    return f"{label} {' '.join(key_words(c.table, c.key))}"


def preview_problems(store: Store, batch: Batch, changes: ChangeSet | None) -> list[Problem]:
    """For the preview (kpi.intake.pipeline.prepare): the same refusal before the button is pressed."""
    if changes is None or changes.plan_is_new:
        return []
    plan = store.plan_by_name(batch.plan_name)
    if plan is None:
        return []
    locks = locks_of(store, plan.plan_id)
    return locked_problems(changes, locks, batch) if locks else []


def lock_check(store: Store, batches: Sequence[Batch | None] = ()):
    """A check for Store.apply_many (run inside the transaction, before anything is written)."""
    by_plan: dict[int, list[Lock]] = {}

    def check(changes: ChangeSet, plan_id: int | None) -> None:
        if plan_id is None:
            return
        if plan_id not in by_plan:
            by_plan[plan_id] = locks_of(store, plan_id)
        if not by_plan[plan_id]:
            return
        batch = next((b for b in batches if b is not None and b.plan_name == changes.plan_name), None)
        problems = locked_problems(changes, by_plan[plan_id], batch)
        if problems:
            raise PeriodLocked(problems, f"確定済みの期間の値を変更する行が {len(problems)} 件あります。"
                                         "データベースは変更していません。")
    return check


def locked_entries(store: Store, plan_id: int | None, entries: Sequence[dict]) -> list[str]:
    """Change-log entries (an undo about to put them back) that fall into a locked period, as sentences."""
    if plan_id is None:
        return []
    locks = locks_of(store, plan_id)
    out = []
    for e in entries:
        if e["table"] == "period_locks":
            out.append("確定の記録は取り消しでは戻しません（確定の解除は、理由を記録して「確定の解除」で行います）")
            continue
        if e["table"] not in TABLES or e["table"] == "cycle_events":
            continue
        lock = lock_for(e["table"], e["key"], locks)
        if lock is not None:
            key = tuple(e["key"].get(k) for k in TABLES[e["table"]].key)
            out.append(f"{lock.text}（{TABLES[e['table']].label} {' '.join(key_words(e['table'], key))}）")
    return out
