"""Upload history and undo.

Every write is an upload with its change_log (kpi/store/store.py), so the history is
a list of uploads with sentences saying what each one changed, and undo puts
back exactly what one upload replaced. An undo never loses later work: when a
later upload changed the same rows, it is refused, naming the rows and the
later upload to undo first. The undo is itself an upload (kind 'undo'), so it
shows in the history and the original is marked 取消済み.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kpi.access.permissions import Actor, decide
from kpi.errors import KpiError, NotFound, PermissionDenied
from kpi.intake.layouts import layout_label
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.store.journal import TABLES, YEAR_FIELDS, Change, _key_text
from kpi.store.store import RevertResult, Store, UploadMeta, UploadRecord

KIND_LABELS: dict[str, str] = {"import": "取込", "edit": "画面で編集", "settings": "設定の変更", "demo": "デモ",
                               "undo": "取り消し"}
STATUS_LABELS: dict[str, str] = {"applied": "反映済み", "undone": "取消済み"}


class UndoRefused(KpiError):
    title = "取り消せません"


@dataclass(frozen=True)
class UploadEntry:
    upload_id: int
    kind: str
    kind_label: str
    who: str
    when: datetime
    file_name: str
    plan_name: str
    layout_label: str
    summary: str  # 新規 3 件、変更 2 件
    note: str
    status: str
    status_label: str  # 反映済み / 取消済み（11/23 山田）
    undo_of: int | None
    record: UploadRecord


def entry(r: UploadRecord, n_deleted: int | None = None) -> UploadEntry:
    status = STATUS_LABELS.get(r.status, r.status or "")
    if r.status == "undone" and r.undone_at:
        status += f"（{r.undone_at:%m/%d %H:%M} {r.undone_by or ''}）"
    summary = (f"取込番号 {r.undo_of} を取り消し（値を戻した {r.n_update} 件、削除 {n_deleted or 0} 件）"
               if r.kind == "undo" else f"新規 {r.n_insert} 件、変更 {r.n_update} 件")
    return UploadEntry(r.upload_id, r.kind, KIND_LABELS.get(r.kind, r.kind), r.uploaded_by, r.uploaded_at,
                       r.file_name or "", r.plan_name or "", layout_label(r.layout) if r.layout else "", summary,
                       r.note or "", r.status, status, r.undo_of, r)


def upload_list(store: Store, *, plan_id: int | None = None, limit: int | None = None) -> tuple[UploadEntry, ...]:
    """Newest first: who, when, which file, into which plan, and how much it changed."""
    recs = store.uploads(limit=limit, plan_id=plan_id)
    undo_ids = [r.upload_id for r in recs if r.kind == "undo"]
    deleted: dict[int, int] = {}
    if undo_ids:
        marks = ", ".join("?" for _ in undo_ids)
        deleted = {r[0]: r[1] for r in store.query(
            f"SELECT upload_id, count(*) FROM change_log WHERE action = 'delete' AND upload_id IN ({marks}) "
            "GROUP BY upload_id", undo_ids)}
    return tuple(entry(r, deleted.get(r.upload_id, 0)) for r in recs)


def _key_tuple(table: str, key: dict[str, Any]) -> tuple:
    return tuple(key.get(k) for k in TABLES[table].key)


def describe_entry(e: dict[str, Any], style: Style = "seireki") -> str:
    """One change_log row as a sentence (the same words as the upload preview), years in style's era."""
    table, action = e["table"], e["action"]
    if table == "plans":
        name = e["key"].get("name", "")
        if action == "insert":
            return f"新規 計画「{name}」"
        if action == "delete":
            return f"削除 計画「{name}」"
        from kpi.rules.grading import GradingRule
        from kpi.store.journal import PLAN_FIELD_LABELS

        def shown(k: str, v: Any) -> Any:
            if k == "grading_rule" and v:
                return GradingRule.from_json(v).name
            return format_fiscal_year(v, style) if k in YEAR_FIELDS and isinstance(v, int) else v

        fields = "、".join(f"{PLAN_FIELD_LABELS.get(k, k)}: {shown(k, (e['old'] or {}).get(k))} → {shown(k, v)}"
                           for k, v in (e["new"] or {}).items())
        return f"変更 計画「{name}」（{fields}）"
    if table not in TABLES:
        return f"{action} {table}"
    key = _key_tuple(table, e["key"])
    if action == "delete":
        return f"削除 {TABLES[table].label or table} {' '.join(_key_text(table, key, style))}"
    if action == "insert":
        return Change(table, key, "insert", None, {**e["key"], **(e["new"] or {})}).describe(style)
    return Change(table, key, "update", e["old"] or {}, e["new"] or {}).describe(style)


def changes_of(store: Store, upload_id: int, limit: int = 500, style: Style = "seireki") -> tuple[str, ...]:
    """What one upload changed, as sentences (at most limit, then how many more)."""
    log = store.change_log(upload_id)
    lines = [describe_entry(e, style) for e in log[:limit]]
    if len(log) > limit:
        lines.append(f"ほか {len(log) - limit} 件")
    return tuple(lines)


@dataclass(frozen=True)
class UndoDecision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def can_undo(actor: Actor, upload: UploadRecord | UploadEntry) -> UndoDecision:
    """Admins may undo any upload; an editor only their own. Undo records and undone uploads cannot be undone."""
    rec = upload.record if isinstance(upload, UploadEntry) else upload
    if rec.kind == "undo":
        return UndoDecision(False, "取り消しの記録は取り消せません。元に戻すには、元のファイルをもう一度取り込んでください。")
    if rec.status == "undone":
        return UndoDecision(False, f"取込番号 {rec.upload_id} はすでに取り消されています"
                                   f"（{rec.undone_at:%Y-%m-%d %H:%M} {rec.undone_by or ''}）。" if rec.undone_at else
                                   f"取込番号 {rec.upload_id} はすでに取り消されています。")
    # Who may undo is one rule of the permission table (admins any upload, editors their own).
    d = decide(actor, "undo", owner=rec.uploaded_by)
    return UndoDecision(True) if d.allowed else UndoDecision(False, d.reason)


def _counts(later: UploadRecord, undoing: UploadRecord) -> bool:
    """Whether a later upload's changes still stand on top of the one being undone."""
    if later.status == "undone":
        return False  # it was itself undone: its undo put the rows back
    if later.kind == "undo" and later.undo_of is not None and later.undo_of > undoing.upload_id:
        return False  # the undo of an upload that came after: the pair cancels out
    return True


def later_conflicts(upload: UploadRecord, entries: list[dict[str, Any]],
                    later: list[tuple[UploadRecord, list[dict[str, Any]]]],
                    style: Style = "seireki") -> list[tuple[UploadRecord, list[str]]]:
    """Later uploads that changed rows this upload wrote (or anything in a plan it created)."""
    touched = {(e["table"], json.dumps(e["key"], sort_keys=True, ensure_ascii=False)) for e in entries}
    created_plan = any(e["table"] == "plans" and e["action"] == "insert" for e in entries)
    out = []
    for rec, log in later:
        if not _counts(rec, upload):
            continue
        rows = [describe_entry(e, style) for e in log
                if created_plan or (e["table"], json.dumps(e["key"], sort_keys=True, ensure_ascii=False)) in touched]
        if rows:
            out.append((rec, rows))
    return out


def _refusal(upload: UploadRecord, conflicts: list[tuple[UploadRecord, list[str]]]) -> UndoRefused:
    first = conflicts[-1][0]  # the latest one has to go first
    parts = []
    for rec, rows in conflicts:
        shown = "、".join(rows[:3]) + (f" ほか {len(rows) - 3} 件" if len(rows) > 3 else "")
        parts.append(f"取込番号 {rec.upload_id}（{rec.uploaded_at:%Y-%m-%d %H:%M} {rec.uploaded_by}"
                     f"{'、' + rec.file_name if rec.file_name else ''}）: {shown}")
    return UndoRefused(
        f"取込番号 {upload.upload_id} のあとに、同じデータを変更した取り込みがあります。"
        f"取り消すとその変更が失われるため、取り消していません。\n" + "\n".join(parts),
        hint=f"先に取込番号 {first.upload_id} から新しい順に取り消してください")


def undo(store: Store, upload_id: int, actor: Actor | str, *, note: str | None = None,
         style: Style = "seireki") -> RevertResult:
    """Put back what one upload changed, through the store's write path (one transaction).

    Refused (nothing written) when the actor may not, when it was already undone, or when a
    later upload changed the same rows. A plain name stands for the trusted local administrator (CLI).
    """
    if isinstance(actor, str):
        actor = Actor(actor, "admin")

    def check(rec: UploadRecord, entries, later) -> None:
        decision = can_undo(actor, rec)
        if not decision:
            refused_by_role = not decide(actor, "undo", owner=rec.uploaded_by).allowed
            raise (PermissionDenied if refused_by_role else UndoRefused)(decision.reason)
        conflicts = later_conflicts(rec, entries, later, style)
        if conflicts:
            raise _refusal(rec, conflicts)

    meta = UploadMeta(user=actor.name, kind="undo", note=note or f"取込番号 {upload_id} の取り消し")
    if decide(actor, "undo").allowed:
        from kpi.intake.backup import before_import
        before_import(store)  # an undo rewrites stored values too: keep the state it replaces
    return store.revert(upload_id, meta, check=check)


def find_upload(store: Store, upload_id: int) -> UploadEntry:
    rows = [e for e in upload_list(store) if e.upload_id == upload_id]
    if not rows:
        raise NotFound(f"取込番号 {upload_id} はありません")
    return rows[0]


__all__ = ["UploadEntry", "upload_list", "changes_of", "describe_entry", "can_undo", "UndoDecision", "undo",
           "later_conflicts", "UndoRefused", "find_upload", "KIND_LABELS", "STATUS_LABELS"]
