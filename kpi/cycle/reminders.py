"""Reminders: who still owes a call its sheet, with a ready-to-send message in Japanese.

For every department of an open call that is 未提出 or 差し戻し: the message (plan, deadline, what is
missing per indicator, the return comment), who it goes to (the department's editors with an email
address), and whether it is due today (kpi.cycle.rules.reminder_due). Sending is kpi.cycle.mail; a
reminder sent (or sent by hand and recorded) is a 催促 record in the call, in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from kpi.access.permissions import Actor
from kpi.cycle import clock
from kpi.cycle.calls import Call, every_call, open_call_of, record_reminder, statuses_of
from kpi.cycle.rules import NOT_SUBMITTED, RETURNED, STAGE_LABELS, DeptStatus, Due, reminder_due
from kpi.rules.fiscal import format_fiscal_year
from kpi.rules.model import PlanData
from kpi.rules.numbers import format_number
from kpi.store import cycle as db
from kpi.store.store import Store

WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Missing:
    item_no: str
    title: str
    lines: tuple[str, ...]  # one per indicator or stage: '指標1: 令和6年度の実績が未記入（計画 120件）'


def missing_for(data: PlanData, department: str, fiscal_year: int, stages: Sequence[str]) -> tuple[Missing, ...]:
    """What the department has not written for the call yet, item by item and indicator by indicator.
    Only items it is responsible for (担当・主担当, not 関連)."""
    fy = format_fiscal_year(fiscal_year)
    out = []
    for it in data.items:
        if not any(d.name == department and d.role != "関連" for d in it.departments):
            continue
        lines = []
        if "年度" in stages or "計画期間" in stages:
            for ind in it.indicators:
                yv = ind.year(fiscal_year)
                unit = ind.unit or ""
                if yv is None or not (yv.has_target or yv.has_actual):
                    if ind.has_target:
                        lines.append(f"{ind.name}: {fy}の計画値・実績が未記入")
                elif not yv.has_actual:
                    planned = f"「{yv.target_words}」" if yv.target is None else f"{format_number(yv.target)}{unit}"
                    lines.append(f"{ind.name}: {fy}の実績が未記入（計画 {planned}）")
                elif yv.actual_estimate:
                    lines.append(f"{ind.name}: {fy}の実績が見込みのまま（{format_number(yv.actual)}{unit}）")
        for stage in stages:
            e = it.evaluation(fiscal_year, stage)
            if e is None or not ((e.grade or "").strip() or (e.status_text or "").strip()):
                lines.append(f"{fy}の{STAGE_LABELS.get(stage, stage)}（評価・取組の状況）が未記入")
        if lines:
            out.append(Missing(it.item_no, it.title, tuple(lines)))
    return tuple(out)


@dataclass(frozen=True)
class Reminder:
    call: Call
    status: DeptStatus
    due: Due
    recipients: tuple[str, ...]  # email addresses of the department's editors
    subject: str
    body: str

    @property
    def department(self) -> str:
        return self.status.department


def _date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS[d.weekday()]}）"


def message(call: Call, status: DeptStatus, missing: Sequence[Missing], today: date) -> tuple[str, str]:
    """(subject, body) of the reminder, ready to send."""
    left = (call.deadline - today).days
    if status.status == RETURNED:
        head = "差し戻し"
        state = "提出いただいたシートを差し戻しました。内容を直して、もう一度提出してください"
    elif left < 0:
        head = "期限超過"
        state = f"提出期限を{-left}日過ぎていますが、まだ提出されていません"
    else:
        head = "提出のお願い"
        state = "提出期限は本日です" if left == 0 else f"提出期限まであと{left}日です"
    subject = f"【{head}】「{call.plan_name}」{call.title}（期限 {call.deadline.month}月{call.deadline.day}日）"
    lines = [f"{status.department} ご担当者様", "",
             f"「{call.plan_name}」の{call.title}について、{state}。",
             f"提出期限: {_date(call.deadline)}", ""]
    if status.status == RETURNED and status.comment:
        lines += ["差し戻しの理由:", f"  {status.comment}", ""]
    if missing:
        lines.append("まだ記入されていない項目（指標ごと）:")
        for m in missing:
            lines.append(f"・No.{m.item_no} {m.title}")
            lines += [f"    - {line}" for line in m.lines]
        lines.append("")
    if call.instructions:
        lines += ["依頼内容:", *[f"  {t}" for t in call.instructions.splitlines()], ""]
    lines += ["記入用シートは、計画進捗ダッシュボードの「照会と提出」から担当課の分をダウンロードできます。",
              "黄色のセルに記入して保存し、「データ取込」からアップロードしてください。", "",
              "（このメールは計画進捗ダッシュボードから送信しています）"]
    return subject, "\n".join(lines)


def recipients_of(store: Store, department: str) -> tuple[str, ...]:
    return tuple(email for _name, email, depts, active in db.department_users(store)
                 if active and email and department in depts)


def reminders_for(store: Store, call: Call, today: date | None = None, data: PlanData | None = None) -> tuple[Reminder, ...]:
    """One reminder per department that owes the call its sheet (未提出・差し戻し), due or not."""
    today = today or clock.today()
    data = data or store.load_plan(call.plan_id)
    out = []
    for s in statuses_of(store, call, today):
        if s.status not in (NOT_SUBMITTED, RETURNED):
            continue
        due = reminder_due(s.status, call.deadline, today, s.last_reminded.date() if s.last_reminded else None,
                           before=call.remind_before, every=call.remind_every)
        subject, body = message(call, s, missing_for(data, s.department, call.fiscal_year, call.stage_list), today)
        out.append(Reminder(call, s, due, recipients_of(store, s.department), subject, body))
    return tuple(out)


@dataclass(frozen=True)
class Sent:
    reminder: Reminder
    sent: bool
    text: str  # what happened, in Japanese


def send_due(store: Store, actor: Actor, *, today: date | None = None, plan_id: int | None = None,
             departments: Sequence[str] | None = None, force: bool = False) -> tuple[Sent, ...]:
    """Send every reminder due today (force: also those not due, for the chosen departments) through
    the configured SMTP server and record each one sent. Nothing is sent unless mail is configured
    (kpi.cycle.mail.MailNotConfigured is raised before anything happens)."""
    from kpi.cycle import mail
    settings = mail.settings(store)
    settings.require()
    password = mail.password_of(store) if settings.username else None
    today = today or clock.today()
    calls = [c for c in ([open_call_of(store, plan_id)] if plan_id is not None else every_call(store))
             if c is not None and c.is_open]
    out = []
    for call in calls:
        for r in reminders_for(store, call, today):
            if departments is not None and r.department not in departments:
                continue
            if not (r.due or force):
                continue
            if not r.recipients:
                out.append(Sent(r, False, f"{r.department}: 宛先がありません（担当課のユーザーにメールアドレスを"
                                          "登録してください）。送っていません"))
                continue
            mail.send(settings, r.recipients, r.subject, r.body, password=password)
            record_reminder(store, actor, call, r.department, f"メールで催促（{'、'.join(r.recipients)}）")
            out.append(Sent(r, True, f"{r.department}: {'、'.join(r.recipients)} に送りました（{r.due.reason}）"))
    return tuple(out)


__all__ = ["Missing", "missing_for", "Reminder", "message", "reminders_for", "send_due", "Sent", "recipients_of"]
