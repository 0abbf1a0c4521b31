"""The submissions waiting for the 推進課's review, with what each changed (the preview's words).

Here in kpi/cycle so the page's view (kpi.views) can show them; the 差し戻し itself, which needs the
undo, is kpi.intake.cycle_review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi.cycle.calls import Call, statuses_of
from kpi.cycle.rules import PENDING
from kpi.store.journal import TABLES, Change
from kpi.store.change_words import key_words
from kpi.store.store import Store


@dataclass(frozen=True)
class Submission:
    department: str
    upload_ids: tuple[int, ...]
    changes: tuple[str, ...]  # what the waiting uploads changed, one sentence per value


def _describe(e: dict[str, Any]) -> str:
    table, action = e["table"], e["action"]
    if table not in TABLES:
        return f"{'変更' if action == 'update' else '新規' if action == 'insert' else '削除'} {table}"
    key = tuple(e["key"].get(k) for k in TABLES[table].key)
    if action == "delete":
        return f"削除 {TABLES[table].label or table} {' '.join(key_words(table, key))}"
    if action == "insert":
        return Change(table, key, "insert", None, {**e["key"], **(e["new"] or {})}).describe()
    return Change(table, key, "update", e["old"] or {}, e["new"] or {}).describe()


def waiting(store: Store, call: Call) -> tuple[Submission, ...]:
    """Every department's submission waiting for review, with what it changed (not the record itself)."""
    out = []
    for s in statuses_of(store, call):
        if s.status != PENDING:
            continue
        lines: list[str] = []
        for uid in s.pending:
            lines += [f"取込番号 {uid}: {_describe(e)}" for e in store.change_log(uid) if e["table"] != "cycle_events"]
        out.append(Submission(s.department, s.pending, tuple(lines)))
    return tuple(out)


__all__ = ["Submission", "waiting"]
