"""The status board of a call: every department at a glance, overdue ones flagged, with dates and who
acted. The page, the home page's progress line, the CLI and the committee pack's appendix all show
this one table (so they never disagree)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kpi.cycle import clock
from kpi.cycle.calls import Call, locks_of, open_call_of, calls_of, statuses_of
from kpi.cycle.rules import DeptStatus, progress_text
from kpi.store.store import Store

COLUMNS = ("担当課", "状況", "提出日時", "提出者", "確認・差し戻し日時", "操作者", "催促", "コメント")


def _when(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M}" if t else ""


@dataclass(frozen=True)
class BoardRow:
    status: DeptStatus

    @property
    def overdue(self) -> bool:
        return self.status.overdue

    def cells(self) -> tuple[str, ...]:
        s = self.status
        state = s.label + (f"・期限切れ（{s.days_late}日経過）" if s.overdue else "・期限後の提出" if s.late_submission else "")
        reminded = f"{s.reminders}回（最終 {s.last_reminded:%m/%d}）" if s.reminders and s.last_reminded else ""
        return (s.department, state, _when(s.submitted_at), s.submitted_by, _when(s.acted_at), s.acted_by, reminded,
                s.comment)


@dataclass(frozen=True)
class Board:
    call: Call
    today: date
    rows: tuple[BoardRow, ...]
    locks: tuple[str, ...]  # the plan's locked periods, as sentences

    @property
    def progress(self) -> str:
        return progress_text([r.status for r in self.rows])

    @property
    def heading(self) -> str:
        return (f"{self.call.title}（{self.call.status_label}、期限 {self.call.deadline:%Y-%m-%d}）: "
                f"{self.progress}")

    def table(self) -> list[tuple[str, ...]]:
        return [r.cells() for r in self.rows]


def board(store: Store, call: Call, today: date | None = None) -> Board:
    today = today or clock.today()
    rows = tuple(BoardRow(s) for s in statuses_of(store, call, today))
    return Board(call, today, rows, tuple(lk.text for lk in locks_of(store, call.plan_id)))


def current_board(store: Store, plan_id: int, today: date | None = None) -> Board | None:
    """The board of the plan's open call, else of its latest call; None when the plan has no call."""
    call = open_call_of(store, plan_id) or next(iter(calls_of(store, plan_id)), None)
    return board(store, call, today) if call is not None else None


__all__ = ["Board", "BoardRow", "COLUMNS", "board", "current_board"]
