"""照会と提出: what the page of the yearly cycle shows, for the 推進課 (administrator) and for a department.

One call gathers it all (cycle_view): the plan's calls, the board of the current one, the submissions
waiting for review with what they changed, the reminders with their ready-to-send text, the locks,
the plan's cycle settings, the mail settings and, for a department, its own status and the comment of
a 差し戻し. cycle_progress is the one line the home page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpi.access.permissions import Actor, decide
from kpi.cycle import mail
from kpi.cycle.board import Board, board, current_board
from kpi.cycle.calls import Call, CycleSettings, calls_of, lock_history, locks_of, settings_of
from kpi.cycle.reminders import Reminder, reminders_for
from kpi.cycle.revisions import Revision, revisions_of
from kpi.cycle.rules import DeptStatus
from kpi.cycle.review import Submission, waiting
from kpi.store.store import Store


@dataclass(frozen=True)
class CycleView:
    manage: bool  # the actor runs the cycle (administrator)
    calls: tuple[Call, ...]
    board: Board | None
    submissions: tuple[Submission, ...]
    reminders: tuple[Reminder, ...]
    locks: tuple[tuple[int, str, str], ...]  # (fiscal_year, stage, sentence) of every period locked now
    unlocked: tuple[str, ...]  # periods unlocked since, with who and why
    settings: CycleSettings
    mail_text: str
    mail_configured: bool
    mail: mail.MailSettings  # for the administrator's form (no password: only whether one is stored)
    mine: tuple[DeptStatus, ...]  # a department's own status in the current call
    departments: tuple[str, ...]  # the plan's departments (for opening a call)
    revisions: tuple[Revision, ...]

    @property
    def call(self) -> Call | None:
        return self.board.call if self.board else None


def cycle_view(store: Store, actor: Actor, plan_id: int, today: date) -> CycleView:
    from kpi.store.cycle import plan_departments
    manage = decide(actor, "cycle").allowed
    b = current_board(store, plan_id, today)
    subs = waiting(store, b.call) if (b and b.call.is_open and manage) else ()
    rems = reminders_for(store, b.call, today) if (b and b.call.is_open and manage) else ()
    mine = tuple(r.status for r in b.rows if r.status.department in actor.departments) if b else ()
    locks = tuple((lk.fiscal_year, lk.stage, lk.text) for lk in locks_of(store, plan_id))
    unlocked = tuple(f"{r['fiscal_year']}年度 {r['stage']}: {r['changed_at']:%Y-%m-%d %H:%M} {r['changed_by']}が"
                     f"解除（理由: {r['reason']}）" for r in lock_history(store, plan_id) if not r["locked"])
    ms = mail.settings(store)
    return CycleView(manage, tuple(calls_of(store, plan_id)), b, tuple(subs), tuple(rems), locks, unlocked,
                     settings_of(store, plan_id), ms.text, ms.configured, ms if manage else mail.MailSettings(), mine,
                     tuple(dict.fromkeys(d for _no, d in plan_departments(store, plan_id))),
                     revisions_of(store, plan_id))


def cycle_progress(store: Store, plan_id: int, today: date) -> str | None:
    """The home page's line: '令和6年度 年度評価の照会（期限 2025-05-31）: 14 / 22 課 提出済、3 課 期限切れ'."""
    b = current_board(store, plan_id, today)
    return b.heading if b is not None else None


def call_board(store: Store, call: Call, today: date) -> Board:
    return board(store, call, today)


__all__ = ["CycleView", "cycle_view", "cycle_progress", "call_board", "item_revisions"]


def item_revisions(store: Store, plan_id: int, item_no: str, style: str = "wareki") -> tuple[dict[str, str], ...]:
    """The item page's table of revised targets: 当初 and 修正 side by side, with the date, who and why."""
    from kpi.cycle.revisions import for_item
    return tuple({"目標": r.label(style), "当初": r.shown(r.original, style), "修正": r.shown(r.revised, style),
                  "修正日": f"{r.last.at:%Y-%m-%d}", "修正した人": r.last.by, "理由": r.last.reason or "（記録なし）",
                  "修正の回数": str(len(r.steps))}
                 for r in for_item(revisions_of(store, plan_id), item_no))
