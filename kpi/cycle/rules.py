"""The cycle's rules, pure: a department's status in a call, overdue, when a reminder is due, what a
period lock covers, and the progress sentence. Every answer carries its reason in Japanese.

A department's status follows from its records in the call, in the order they were written:
- 提出 (submit): its upload is waiting for the 推進課 → 提出済（確認待ち）;
- 確認 (confirm): the waiting uploads count → 確定;
- 差し戻し (return): the waiting uploads were undone, with a comment → 差し戻し;
- 催促 (remind): no change of status, remembered for when the next reminder is due.
A submission that was undone later (the department withdrew it, or an administrator undid it) has
lost its record with its values, so it no longer counts; a 確認 with nothing left to confirm is moot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Sequence

from kpi.rules.fiscal import format_fiscal_year

NOT_SUBMITTED, PENDING, RETURNED, CONFIRMED = "not_submitted", "pending", "returned", "confirmed"
STATUS_LABELS: dict[str, str] = {NOT_SUBMITTED: "未提出", PENDING: "提出済（確認待ち）", RETURNED: "差し戻し",
                                 CONFIRMED: "確定"}
ACTION_LABELS: dict[str, str] = {"submit": "提出", "confirm": "確認", "return": "差し戻し", "remind": "催促"}
STAGE_LABELS: dict[str, str] = {"上半期": "上半期の進捗管理", "年度": "年度評価", "中間": "中間評価",
                                "計画期間": "計画期間の評価"}
# Stages whose lock also locks the fiscal year's values (計画・実績・備考, 進捗状況, 実施状況): those are
# reported at the year's end. A 上半期 or 中間 lock holds that stage's evaluations only.
VALUE_STAGES = ("年度", "計画期間")
YEAR_TABLES = ("indicator_values", "value_notes", "item_status", "narratives")


@dataclass(frozen=True)
class Event:
    department: str
    action: str  # submit / confirm / return / remind
    acted_at: datetime
    actor: str
    comment: str | None = None
    upload_id: int | None = None  # the upload that wrote the record (a submission's own upload)
    refs: tuple[int, ...] = ()  # the submissions a 確認 or 差し戻し acted on


@dataclass(frozen=True)
class DeptStatus:
    department: str
    status: str
    submitted_at: datetime | None  # the latest submission that still stands (or was returned)
    submitted_by: str
    acted_at: datetime | None  # the 推進課's latest 確認 / 差し戻し
    acted_by: str
    comment: str  # the 差し戻し comment
    pending: tuple[int, ...]  # upload ids waiting for review
    last_reminded: datetime | None
    reminders: int
    overdue: bool
    days_late: int
    late_submission: bool  # submitted (or confirmed) after the deadline

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def submitted(self) -> bool:
        """提出済: waiting for review or confirmed."""
        return self.status in (PENDING, CONFIRMED)

    @property
    def state_text(self) -> str:
        """The status with its reason: '期限切れ（3日経過）', '差し戻し（理由: …）'."""
        text = self.label
        if self.overdue:
            text += f"・期限切れ（{self.days_late}日経過）"
        elif self.late_submission:
            text += "・期限後の提出"
        if self.status == RETURNED and self.comment:
            text += f"（理由: {self.comment}）"
        return text


def is_overdue(status: str, deadline: date, today: date) -> tuple[bool, int]:
    """(overdue, days past the deadline): a department owes its sheet (未提出 or 差し戻し) after the deadline day."""
    days = (today - deadline).days
    return status in (NOT_SUBMITTED, RETURNED) and days > 0, max(days, 0)


def department_status(department: str, events: Iterable[Event], deadline: date, today: date) -> DeptStatus:
    status = NOT_SUBMITTED
    pending: list[int] = []
    submitted_at: datetime | None = None
    submitted_by = acted_by = comment = ""
    acted_at = last_reminded = None
    reminders = 0
    for e in (e for e in events if e.department == department):  # in the order they were written
        if e.action == "submit":
            status = PENDING
            pending.append(e.upload_id or 0)
            submitted_at, submitted_by = e.acted_at, e.actor
        elif e.action == "confirm":
            if not pending:
                continue  # what it confirmed was undone since
            status, pending = CONFIRMED, []
            acted_at, acted_by, comment = e.acted_at, e.actor, ""
        elif e.action == "return":
            status, pending = RETURNED, []
            acted_at, acted_by, comment = e.acted_at, e.actor, e.comment or ""
        elif e.action == "remind":
            reminders += 1
            last_reminded = e.acted_at
    overdue, days = is_overdue(status, deadline, today)
    late = status in (PENDING, CONFIRMED) and submitted_at is not None and submitted_at.date() > deadline
    return DeptStatus(department, status, submitted_at, submitted_by, acted_at, acted_by, comment, tuple(pending),
                      last_reminded, reminders, overdue, days if overdue else 0, late)


@dataclass(frozen=True)
class Due:
    due: bool
    reason: str

    def __bool__(self) -> bool:
        return self.due


def reminder_due(status: str, deadline: date, today: date, last_reminded: date | None, *,
                 before: int = 3, every: int = 7) -> Due:
    """Whether a reminder should go out today, and why.

    before: a first reminder from that many days before the deadline (0: none before it).
    every: after the deadline, again every that many days (0: once only, the day after the deadline).
    Only a department that owes its sheet (未提出, 差し戻し) is reminded, at most once a day.
    """
    if status not in (NOT_SUBMITTED, RETURNED):
        return Due(False, f"{STATUS_LABELS[status]}のため催促しません")
    if last_reminded is not None and last_reminded >= today:
        return Due(False, "今日はもう催促しました")
    left = (deadline - today).days
    if left >= 0:
        if before <= 0 or left > before:
            return Due(False, f"期限まであと{left}日（催促は期限の{before}日前から）" if before > 0
                       else f"期限まであと{left}日（期限前の催促はしない設定）")
        start = date.fromordinal(deadline.toordinal() - before)
        if last_reminded is not None and last_reminded >= start:
            return Due(False, f"期限前の催促は{last_reminded:%m/%d}に送りました")
        return Due(True, "期限は今日です" if left == 0 else f"期限まであと{left}日です")
    late = -left
    if last_reminded is None or last_reminded <= deadline:
        return Due(True, f"期限を{late}日過ぎています")
    since = (today - last_reminded).days
    if every <= 0:
        return Due(False, f"期限後の催促は{last_reminded:%m/%d}に送りました（くり返さない設定）")
    if since >= every:
        return Due(True, f"期限を{late}日過ぎています（前回の催促から{since}日）")
    return Due(False, f"前回の催促から{since}日（{every}日ごとに催促）")


def progress_text(statuses: Sequence[DeptStatus]) -> str:
    """'14 / 22 課 提出済、3 課 期限切れ' (with the waiting and returned ones when there are any)."""
    n = len(statuses)
    done = sum(s.submitted for s in statuses)
    parts = [f"{done} / {n} 課 提出済"]
    waiting = sum(s.status == PENDING for s in statuses)
    returned = sum(s.status == RETURNED for s in statuses)
    overdue = sum(s.overdue for s in statuses)
    if waiting:
        parts.append(f"うち確認待ち {waiting} 課")
    if returned:
        parts.append(f"差し戻し {returned} 課")
    parts.append(f"{overdue} 課 期限切れ")
    return "、".join(parts)


# ---------------------------------------------------------------- period locks
@dataclass(frozen=True)
class Lock:
    fiscal_year: int
    stage: str
    locked_at: datetime | None
    locked_by: str

    @property
    def text(self) -> str:
        when = f"{self.locked_at:%Y-%m-%d %H:%M}" if self.locked_at else "日時不明"
        return (f"{format_fiscal_year(self.fiscal_year)}の{STAGE_LABELS.get(self.stage, self.stage)}は"
                f"{when}に{self.locked_by}が確定しました")


def lock_for(table: str, key: dict, locks: Sequence[Lock]) -> Lock | None:
    """The lock that holds this row, if any (key: the row's natural key as a dict)."""
    fy = key.get("fiscal_year")
    if fy is None:
        return None
    for lock in locks:
        if lock.fiscal_year != fy:
            continue
        if table == "evaluations" and key.get("stage") == lock.stage:
            return lock
        if table in YEAR_TABLES and lock.stage in VALUE_STAGES:
            return lock
    return None


def stages_key(stages: Iterable[str]) -> str:
    """The stages of a call as stored and shown: '年度' or '年度・計画期間', in the plan's order."""
    from kpi.rules.model import STAGES
    chosen = set(stages)
    unknown = chosen - set(STAGES)
    if unknown:
        raise ValueError(f"段階「{'・'.join(sorted(unknown))}」はありません（{'・'.join(STAGES)} から選びます）")
    return "・".join(s for s in STAGES if s in chosen)


def call_title(fiscal_year: int, stages: str, style="wareki") -> str:
    return f"{format_fiscal_year(fiscal_year, style)} {'・'.join(STAGE_LABELS.get(s, s) for s in stages.split('・'))}の照会"
