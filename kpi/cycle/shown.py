"""The plan as the dashboards show it, given the cycle (the frame and the exports call as_shown).

- Values of a submission waiting for the 推進課 are 未確定. The plan setting decides: shown, with a
  notice on every page of the plan naming the departments (default), or hidden — every page then
  shows the values as they were before the submission, until it is confirmed.
- The plan setting 評価に使う目標 'original' grades against the targets before any revision (the
  item page shows both, kpi.cycle.revisions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from kpi.cycle.calls import open_call_of, settings_of, statuses_of
from kpi.cycle.revisions import revisions_of, with_original_targets
from kpi.cycle.rules import PENDING, DeptStatus
from kpi.rules.fiscal import format_fiscal_year
from kpi.rules.model import Evaluation, PlanData
from kpi.rules.numbers import format_number
from kpi.store import cycle as db
from kpi.store.store import Store

HELD_TABLES = ("indicator_values", "value_notes", "evaluations", "item_status")
KIND_LABELS = {"target": "計画", "actual": "実績"}


@dataclass(frozen=True)
class PendingValue:
    department: str
    item_no: str
    text: str  # '指標1 令和6年度 実績 120（確認待ち）'


def pending_statuses(store: Store, plan_id: int) -> list[DeptStatus]:
    call = open_call_of(store, plan_id)
    if call is None:
        return []
    return [s for s in statuses_of(store, call) if s.status == PENDING and s.pending]


def _entries(store: Store, waiting: Sequence[DeptStatus]) -> list[tuple[str, dict]]:
    owner = {uid: s.department for s in waiting for uid in s.pending}
    standing = db.applied_uploads(store, list(owner))
    return [(owner[e["upload_id"]], e) for e in db.change_entries(store, sorted(standing), HELD_TABLES)]


def pending_values(store: Store, plan_id: int) -> tuple[PendingValue, ...]:
    """Every value written by a submission still waiting for review, as a sentence."""
    out = []
    for dept, e in _entries(store, pending_statuses(store, plan_id)):
        k, new = e["key"], e["new"] or {}
        if e["table"] == "indicator_values" and ("value" in new or "text_value" in new):
            shown = new.get("text_value") if new.get("value") is None else None  # a qualitative indicator's words
            text = (f"{k['indicator']} {format_fiscal_year(k['fiscal_year'])} {KIND_LABELS.get(k['kind'], k['kind'])} "
                    f"{shown or ('（空）' if new.get('value') is None else format_number(float(new['value'])))}")
        elif e["table"] == "evaluations" and new.get("grade"):
            text = f"{format_fiscal_year(k['fiscal_year'])} {k['stage']}の評価 {new['grade']}"
        elif e["table"] == "value_notes" and new.get("note"):
            text = f"{k['indicator']} {format_fiscal_year(k['fiscal_year'])} 備考"
        else:
            continue
        out.append(PendingValue(dept, str(k.get("item_no")), text))
    return tuple(out)


def unconfirmed_keys(entries: Sequence[tuple[str, dict]]) -> tuple[frozenset, frozenset]:
    """(values, items) a waiting submission wrote: (item_no, indicator, fiscal_year, kind) of each
    value, and (item_no, fiscal_year) of each item whose values, notes, grades or status of that year
    it changed (PlanData.unconfirmed_values / unconfirmed_items)."""
    values, items = set(), set()
    for _dept, e in entries:
        k = e["key"]
        if k.get("item_no") is None or k.get("fiscal_year") is None:
            continue
        item_no, fy = str(k["item_no"]), int(k["fiscal_year"])
        if e["table"] == "indicator_values":
            values.add((item_no, k["indicator"], fy, k["kind"]))
        items.add((item_no, fy))
    return frozenset(values), frozenset(items)


def as_shown(store: Store, data: PlanData) -> PlanData:
    """data (as stored) with the plan's cycle settings applied; a notice says what differs."""
    plan_id = data.plan.plan_id
    settings = settings_of(store, plan_id)
    notices: list[str] = []
    waiting = pending_statuses(store, plan_id)
    if waiting:
        who = "、".join(f"{s.department}（{s.submitted_at:%m/%d} 提出）" if s.submitted_at else s.department
                       for s in waiting)
        if settings.show_unconfirmed:
            values, items = unconfirmed_keys(_entries(store, waiting))
            data = replace(data, unconfirmed_values=values, unconfirmed_items=items)
            notices.append(f"未確定の値があります: {who}の提出は推進課の確認待ちです。表示している値には、"
                           "確認前（未確定）のものを含みます。")
        else:
            data = _before(data, _entries(store, waiting))
            notices.append(f"確認待ちの提出があります: {who}。確認されるまで、その値は表示していません"
                           "（計画の設定「未確定の値を表示しない」）。")
    if settings.grade_against == "original":
        revs = revisions_of(store, plan_id)
        if revs:
            data = with_original_targets(data, revs)
            notices.append(f"この計画は当初の目標で評価しています（修正された目標 {len(revs)} 件。"
                           "当初と修正後は取組の詳細に並べて表示）。")
    if notices:
        data = replace(data, notices=data.notices + tuple(notices))
    return data


def _before(data: PlanData, entries: list[tuple[str, dict]]) -> PlanData:
    """The plan with every value a waiting submission wrote put back as it was before it."""
    first: dict[tuple, dict] = {}
    for _dept, e in entries:  # oldest first: the first change of a row holds its confirmed value
        first.setdefault((e["table"], *(e["key"].get(k) for k in sorted(e["key"]))), e)
    vals: dict[tuple, tuple[str, Any]] = {}  # (item, ind, fy, kind) → ('drop' | 'old', value)
    notes: dict[tuple, tuple[str, Any]] = {}
    evals: dict[tuple, tuple[str, dict]] = {}
    stats: dict[tuple, tuple[str, dict]] = {}
    for e in first.values():
        k, how = e["key"], ("drop" if e["action"] == "insert" else "old")
        old = e["old"] or {}
        if e["table"] == "indicator_values":
            vals[(str(k["item_no"]), k["indicator"], k["fiscal_year"], k["kind"])] = (how, old)
        elif e["table"] == "value_notes":
            notes[(str(k["item_no"]), k["indicator"], k["fiscal_year"])] = (how, old.get("note"))
        elif e["table"] == "evaluations":
            evals[(str(k["item_no"]), k["fiscal_year"], k["stage"])] = (how, old)
        elif e["table"] == "item_status":
            stats[(str(k["item_no"]), k["fiscal_year"])] = (how, old)
    items = []
    for it in data.items:
        inds = []
        for ind in it.indicators:
            years = []
            for y in ind.years:
                for attr in ("target", "actual"):
                    got = vals.get((it.item_no, ind.name, y.fiscal_year, attr))
                    if got is None:
                        continue
                    how, old = got
                    if how == "drop":
                        y = replace(y, **{attr: None, f"{attr}_text": None, f"{attr}_estimate": False,
                                          f"{attr}_words": None})
                        continue
                    if "value" in old:
                        y = replace(y, **{attr: old["value"], f"{attr}_text": old.get("raw_text")})
                    if "is_estimate" in old:
                        y = replace(y, **{f"{attr}_estimate": bool(old["is_estimate"])})
                    if "text_value" in old:
                        y = replace(y, **{f"{attr}_words": old["text_value"]})
                got = notes.get((it.item_no, ind.name, y.fiscal_year))
                if got is not None:
                    y = replace(y, note=None if got[0] == "drop" else got[1])
                years.append(y)
            inds.append(replace(ind, years=tuple(years)))
        ev = []
        for e in it.evaluations:
            got = evals.get((it.item_no, e.fiscal_year, e.stage))
            if got is None:
                ev.append(e)
            elif got[0] == "old":
                ev.append(replace(e, **{f: got[1][f] for f in ("grade", "status_text", "issues_text", "next_text")
                                        if f in got[1]}))
        st = []
        for fy, status, note in it.statuses:
            got = stats.get((it.item_no, fy))
            if got is None:
                st.append((fy, status, note))
            elif got[0] == "old":
                st.append((fy, got[1].get("status", status), got[1].get("note", note)))
        items.append(replace(it, indicators=tuple(inds), evaluations=tuple(ev), statuses=tuple(st)))
    return replace(data, items=tuple(items))


__all__ = ["as_shown", "unconfirmed_keys", "pending_values", "pending_statuses", "PendingValue", "Evaluation"]
