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
from kpi.rules.fiscal import Style
from kpi.store.change_words import describe_plan, key_words
from kpi.store.journal import TABLES, Change
from kpi.store.store import RevertResult, Store, UploadMeta, UploadRecord
from kpi.store.users import ACCOUNT_KIND

KIND_LABELS: dict[str, str] = {"import": "取込", "edit": "画面で編集", "settings": "設定の変更", "demo": "デモ",
                               "undo": "取り消し", ACCOUNT_KIND: "ユーザーの変更",
                               "cycle": "照会", "layout": "様式の登録"}
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
    deleted = store.deletions(r.upload_id for r in recs if r.kind == "undo")
    return tuple(entry(r, deleted.get(r.upload_id, 0)) for r in recs)


def _key_tuple(table: str, key: dict[str, Any]) -> tuple:
    return tuple(key.get(k) for k in TABLES[table].key)


def _account_text(e: dict[str, Any]) -> str:
    """An account change as a sentence: the fields in the page's words (the password only as set or replaced)."""
    from kpi.access.permissions import ROLE_LABELS
    labels = {"role": "役割", "departments": "所属課", "email": "メール", "password": "パスワード", "active": "状態"}

    def shown(k: str, v: Any) -> str:
        if v is None or v == []:
            return "（空）"
        if k == "role":
            return ROLE_LABELS.get(v, str(v))
        if k == "departments":
            return "、".join(v)
        if k == "active":
            return "有効" if v else "停止"
        return str(v)

    name = e["key"].get("name", "")
    if e["table"] == "auth_state":
        return f"サインインの待ち時間を解除 ユーザー「{name}」"
    new, old = e["new"] or {}, e["old"] or {}
    # In the page's order (the change_log keeps the fields sorted by name).
    new = {k: new[k] for k in sorted(new, key=lambda k: list(labels).index(k) if k in labels else len(labels))}
    if e["action"] == "insert":
        fields = "、".join(f"{labels.get(k, k)}: {shown(k, v)}" for k, v in new.items() if v not in (None, []))
        return f"新規 ユーザー「{name}」（{fields}）"
    fields = "、".join(f"{labels.get(k, k)}: {shown(k, old.get(k))} → {shown(k, v)}" for k, v in new.items())
    return f"変更 ユーザー「{name}」（{fields}）"


MAIL_LABELS = {"host": "送信サーバー", "port": "ポート", "sender": "差出人", "sender_name": "差出人の名前",
               "security": "暗号化", "username": "ユーザー", "password": "パスワード"}


def _mail_text(e: dict[str, Any]) -> str:
    """A mail setting as a sentence; the password only as words (kpi.store.cycle.PASSWORD_WORDS)."""
    name = e["key"].get("name", "")
    label = MAIL_LABELS.get(name, name)
    new = (e["new"] or {}).get("value") or "（空）"
    if e["table"] == "mail_password":
        return f"メールの設定 {label}{new}"
    if e["action"] == "insert":
        return f"メールの設定 {label}: {new}"
    return f"メールの設定 {label}: {(e['old'] or {}).get('value') or '（空）'} → {new}"


def describe_entry(e: dict[str, Any], style: Style = "seireki") -> str:
    """One change_log row as a sentence (the same words as the upload preview), years in style's era."""
    table, action = e["table"], e["action"]
    if table in ("users", "auth_state"):
        return _account_text(e)
    if table in ("mail_settings", "mail_password"):
        return _mail_text(e)
    if table == "plans":
        name = e["key"].get("name", "")
        if action == "insert":
            return f"新規 計画「{name}」"
        if action == "delete":
            return f"削除 計画「{name}」"
        changed = [describe_plan(k, (e["old"] or {}).get(k), v, style=style) for k, v in (e["new"] or {}).items()]
        fields = "、".join(f.text() for f in changed)
        return f"変更 計画「{name}」（{fields}）"
    if table not in TABLES:
        return f"{action} {table}"
    key = _key_tuple(table, e["key"])
    if action == "delete":
        return " ".join(("削除", TABLES[table].label or table, *key_words(table, key, style=style)))
    if action == "insert":
        return Change(table, key, "insert", None, {**e["key"], **(e["new"] or {})}).describe(style)
    return Change(table, key, "update", e["old"] or {}, e["new"] or {}).describe(style)


def changes_of(store: Store, upload_id: int, limit: int = 500, style: Style = "seireki") -> tuple[str, ...]:
    """What one upload changed, as sentences (at most limit, then how many more)."""
    log = store.change_log(upload_id, limit=limit + 1)
    lines = [describe_entry(e, style) for e in log[:limit]]
    if len(log) > limit:
        lines.append(f"ほか {store.change_count(upload_id) - limit} 件")
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
    if rec.kind == ACCOUNT_KIND:
        return UndoDecision(False, "ユーザーの登録・変更は取り消せません。「ユーザー」の画面"
                                   "（または python -m kpi user）で変更し直してください。")
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
        # Issue 20: an undo would put back values of a 確定 (locked) period: refused like an upload.
        from kpi.cycle.submissions import locked_entries
        held = locked_entries(store, rec.plan_id, entries)
        if held:
            raise UndoRefused("確定済みの期間の値を戻すことになるため、取り消していません。\n" + "\n".join(held[:5])
                              + (f"\nほか {len(held) - 5} 件" if len(held) > 5 else ""),
                              hint="管理者が「照会と提出」で確定を解除（理由を記録）してから取り消してください")

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
