"""Committee opinions (委員意見) and the departments' answers (回答・対応), per item and meeting.

The review committee comments on items at a meeting; the department answers
before the next one, and the next meeting's pack shows each item's earlier
opinions with their answers. Rows go to committee_opinions through the one
write path (a Batch and Store.apply), so every entry and answer is recorded
with who wrote it and the previous text.

Meetings are ordered by the fiscal year in their name or date, then by the
number in '第N回', then by date: '令和8年度第1回' comes before '令和8年度第2回'
whether or not a date was entered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from kpi.access.permissions import Actor, apply_as
from kpi.errors import KpiError
from kpi.rules.fiscal import Style, find_fiscal_years, fiscal_year_of, format_date, format_fiscal_year
from kpi.rules.model import PlanData
from kpi.store.journal import Batch
from kpi.store.store import ApplyResult, Store

MAX_OPINION_CHARS = 2000


class OpinionError(KpiError):
    title = "委員意見を保存できません"


@dataclass(frozen=True)
class Meeting:
    name: str
    held_on: date | None = None

    @property
    def label(self) -> str:
        return self.label_in("seireki")

    def label_in(self, style: Style) -> str:
        """'令和8年度第1回（令和8年7月1日）' under 和暦, '…（2026年7月1日）' under 西暦."""
        return f"{self.name}（{date_label(self.held_on, style)}）" if self.held_on else self.name


@dataclass(frozen=True)
class Opinion:
    item_no: str
    meeting: str
    seq: int
    meeting_date: date | None
    opinion: str
    response: str | None = None
    response_department: str | None = None

    @property
    def answered(self) -> bool:
        return bool((self.response or "").strip())

    @property
    def meeting_label(self) -> str:
        return Meeting(self.meeting, self.meeting_date).label

    def meeting_label_in(self, style: Style) -> str:
        return Meeting(self.meeting, self.meeting_date).label_in(style)


def date_label(d: date | None, style: Style = "seireki") -> str:
    """A meeting day as the chosen era writes it (kpi.rules.fiscal.format_date)."""
    return format_date(d, style)


_ROUND_RE = re.compile(r"第\s*(\d+)\s*回")


def meeting_key(name: str, held_on: date | None = None) -> tuple[int, int, int, str]:
    """Sort key: (fiscal year, round number, date, name); unknown parts sort first."""
    s = unicodedata.normalize("NFKC", name or "")
    found = find_fiscal_years(s)
    if found:
        fy = found[0].year
    elif held_on is not None:
        fy = fiscal_year_of(held_on)
    else:
        fy = 0
    m = _ROUND_RE.search(s)
    n = int(m.group(1)) if m else 0
    return (fy, n, held_on.toordinal() if held_on else 0, s)


def meetings(opinions: Iterable[Opinion]) -> tuple[Meeting, ...]:
    """Every meeting that has opinions, oldest first (the latest date given wins for a name)."""
    dates: dict[str, date | None] = {}
    for op in opinions:
        if op.meeting not in dates or (op.meeting_date and not dates[op.meeting]):
            dates[op.meeting] = op.meeting_date
    return tuple(sorted((Meeting(n, d) for n, d in dates.items()), key=lambda m: meeting_key(m.name, m.held_on)))


def in_order(opinions: Iterable[Opinion]) -> tuple[Opinion, ...]:
    """Oldest meeting first (each meeting placed by its recorded date), then by number."""
    ops = list(opinions)
    keys = {m.name: meeting_key(m.name, m.held_on) for m in meetings(ops)}
    return tuple(sorted(ops, key=lambda op: (keys[op.meeting], op.seq, op.item_no)))


def earlier(opinions: Iterable[Opinion], current: Meeting | None) -> tuple[Opinion, ...]:
    """The opinions a pack for `current` shows: those of meetings before it (all when None)."""
    ops = list(opinions)
    if current is not None:
        ck = meeting_key(current.name, current.held_on)
        known = {m.name: m for m in meetings(ops)}
        ops = [op for op in ops if op.meeting != current.name
               and meeting_key(op.meeting, known[op.meeting].held_on) < ck]
    return in_order(ops)


def for_item(opinions: Iterable[Opinion], item_no: str) -> tuple[Opinion, ...]:
    return tuple(op for op in opinions if op.item_no == item_no)


def suggest_meeting_name(today: date, existing: Sequence[Meeting] = ()) -> str:
    """'令和8年度第1回', or the next round after this fiscal year's last recorded one."""
    fy = fiscal_year_of(today)
    rounds = [meeting_key(m.name, m.held_on)[1] for m in existing if meeting_key(m.name, m.held_on)[0] == fy]
    return f"{format_fiscal_year(fy)}第{max(rounds, default=0) + 1}回"


def load_opinions(store: Store, plan_id: int) -> tuple[Opinion, ...]:
    return in_order(Opinion(r.item_no, r.meeting, int(r.seq), r.meeting_date, r.opinion or "", r.response,
                            r.response_department) for r in store.committee_opinions(plan_id))


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def new_opinion_batch(data: PlanData, existing: Sequence[Opinion], *, item_no: str, meeting: str,
                      held_on: date | None, opinion: str) -> Batch:
    """A batch adding one opinion as the next number within its item and meeting."""
    meeting, opinion = _clean(meeting), _clean(opinion)
    if data.item(item_no) is None:
        raise OpinionError(f"No.{item_no} はこの計画の取組にありません。", hint="取組を選び直してください")
    if not meeting:
        raise OpinionError("会議名が空欄です。", hint="例: 令和8年度第1回")
    if not opinion:
        raise OpinionError("委員意見が空欄です。", hint="意見の内容を入力してください")
    if len(opinion) > MAX_OPINION_CHARS:
        raise OpinionError(f"委員意見が長すぎます（{len(opinion)}文字）。",
                           hint=f"{MAX_OPINION_CHARS}文字以内にしてください")
    dates = {op.meeting_date for op in existing if op.meeting == meeting and op.meeting_date}
    if held_on is not None and dates and held_on not in dates:
        raise OpinionError(f"「{meeting}」の開催日は {date_label(min(dates))} と記録されています。",
                           hint="同じ会議なら同じ開催日を、別の会議なら別の会議名を入力してください")
    if held_on is None and dates:
        held_on = min(dates)  # one meeting, one date
    seq = 1 + max((op.seq for op in existing if op.item_no == item_no and op.meeting == meeting), default=0)
    b = Batch(plan_name=data.plan.name, layout="opinion", source="委員意見の入力")
    b.add("committee_opinions", item_no=item_no, meeting=meeting, seq=seq, meeting_date=held_on, opinion=opinion)
    return b


def response_batch(data: PlanData, op: Opinion, *, response: str, department: str | None) -> Batch:
    """A batch recording (or changing) the department's answer to one opinion."""
    response = _clean(response)
    if not response:
        raise OpinionError("回答・対応が空欄です。", hint="担当課の回答や対応の内容を入力してください")
    if len(response) > MAX_OPINION_CHARS:
        raise OpinionError(f"回答・対応が長すぎます（{len(response)}文字）。",
                           hint=f"{MAX_OPINION_CHARS}文字以内にしてください")
    b = Batch(plan_name=data.plan.name, layout="opinion", source="委員意見への回答")
    b.add("committee_opinions", item_no=op.item_no, meeting=op.meeting, seq=op.seq, response=response,
          response_department=_clean(department) or None)
    return b


def save(store: Store, batch: Batch, actor: Actor, note: str) -> ApplyResult:
    """Write through the one path as an edit by `actor`, whose right to enter opinions and answers
    for the item's departments is checked inside the transaction."""
    return apply_as(store, actor, batch, kind="edit", action="opinion", note=note)
