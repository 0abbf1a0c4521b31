"""The yearly cycle's reads (issue 20): calls, department records, period locks, plan settings,
target revisions from the change log, and the server's mail settings.

Calls, records, locks and plan settings are journal tables (kpi/store/journal.py): they are written
through Store.apply like every other row (kpi/cycle builds the Batch). The mail settings belong to the
server, not to a plan, so they are written here in one journalled transaction, like the layouts.
Rows come back as plain dicts or tuples; kpi/cycle turns them into its records.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kpi.store.store import Store

_CALL_COLS = ("fiscal_year", "stages", "deadline", "instructions", "departments", "status", "remind_before",
              "remind_every", "opened_at", "opened_by", "closed_at", "closed_by", "upload_id")
_EVENT_COLS = ("fiscal_year", "stages", "department", "event_id", "action", "acted_at", "actor", "comment", "refs",
               "upload_id")
_LOCK_COLS = ("fiscal_year", "stage", "locked", "locked_at", "locked_by", "reason", "changed_at", "changed_by")


def _rows(store: Store, sql: str, params: list[Any], cols: tuple[str, ...]) -> list[dict[str, Any]]:
    with store._read() as cur:
        return [dict(zip(cols, r)) for r in cur.execute(sql, params).fetchall()]


def calls(store: Store, plan_id: int) -> list[dict[str, Any]]:
    """Every call of a plan, newest fiscal year first."""
    return _rows(store, f"SELECT {', '.join(_CALL_COLS)} FROM cycle_calls WHERE plan_id = ? "
                        "ORDER BY fiscal_year DESC, opened_at DESC", [plan_id], _CALL_COLS)


def all_calls(store: Store) -> list[tuple[int, dict[str, Any]]]:
    """(plan_id, call) for every plan: what the reminder job walks through."""
    cols = ("plan_id",) + _CALL_COLS
    return [(r.pop("plan_id"), r) for r in _rows(
        store, f"SELECT {', '.join(cols)} FROM cycle_calls ORDER BY plan_id, fiscal_year", [], cols)]


def events(store: Store, plan_id: int, fiscal_year: int, stages: str) -> list[dict[str, Any]]:
    """A call's records (提出・確認・差し戻し・催促), in the order they were written."""
    rows = _rows(store, f"SELECT {', '.join(_EVENT_COLS)} FROM cycle_events WHERE plan_id = ? AND fiscal_year = ? "
                        "AND stages = ? ORDER BY upload_id, acted_at", [plan_id, fiscal_year, stages], _EVENT_COLS)
    for r in rows:
        r["refs"] = tuple(json.loads(r["refs"])) if r["refs"] else ()
    return rows


def locks(store: Store, plan_id: int) -> list[dict[str, Any]]:
    return _rows(store, f"SELECT {', '.join(_LOCK_COLS)} FROM period_locks WHERE plan_id = ? "
                        "ORDER BY fiscal_year, stage", [plan_id], _LOCK_COLS)


def plan_settings(store: Store, plan_id: int) -> dict[str, str]:
    with store._read() as cur:
        return {r[0]: r[1] for r in cur.execute("SELECT name, value FROM plan_settings WHERE plan_id = ?",
                                                [plan_id]).fetchall()}


def applied_uploads(store: Store, upload_ids: list[int]) -> set[int]:
    """Which of these uploads still stand (not undone)."""
    if not upload_ids:
        return set()
    marks = ", ".join("?" for _ in upload_ids)
    with store._read() as cur:
        return {r[0] for r in cur.execute(f"SELECT upload_id FROM uploads WHERE status = 'applied' "
                                          f"AND upload_id IN ({marks})", list(upload_ids)).fetchall()}


def change_entries(store: Store, upload_ids: list[int], tables: tuple[str, ...]) -> list[dict[str, Any]]:
    """The change_log of these uploads for these tables, oldest first: what a pending submission replaced."""
    if not upload_ids:
        return []
    marks = ", ".join("?" for _ in upload_ids)
    tmarks = ", ".join("?" for _ in tables)
    with store._read() as cur:
        rows = cur.execute(
            f"SELECT upload_id, seq, table_name, key_json, action, old_json, new_json FROM change_log "
            f"WHERE upload_id IN ({marks}) AND table_name IN ({tmarks}) ORDER BY upload_id, seq",
            list(upload_ids) + list(tables)).fetchall()
    return [{"upload_id": r[0], "seq": r[1], "table": r[2], "key": json.loads(r[3]), "action": r[4],
             "old": json.loads(r[5]) if r[5] else None, "new": json.loads(r[6]) if r[6] else None} for r in rows]


def target_changes(store: Store, plan_id: int) -> list[dict[str, Any]]:
    """Every standing change of a target of the plan (a year's 計画 or an indicator's final target),
    oldest first, with when, by whom and the reason written on the upload (its note)."""
    with store._read() as cur:
        rows = cur.execute(
            "SELECT c.upload_id, u.uploaded_at, u.uploaded_by, u.note, c.table_name, c.key_json, c.old_json, "
            "c.new_json FROM change_log c JOIN uploads u ON u.upload_id = c.upload_id "
            "WHERE c.plan_id = ? AND c.action = 'update' AND u.status = 'applied' AND u.kind <> 'undo' "
            "AND (c.table_name = 'indicators' OR (c.table_name = 'indicator_values' "
            "AND c.key_json LIKE '%\"kind\": \"target\"%')) ORDER BY c.upload_id, c.seq", [plan_id]).fetchall()
    return [{"upload_id": r[0], "at": r[1], "by": r[2], "note": r[3], "table": r[4], "key": json.loads(r[5]),
             "old": json.loads(r[6]) if r[6] else {}, "new": json.loads(r[7]) if r[7] else {}} for r in rows]


def department_users(store: Store) -> list[tuple[str, str | None, tuple[str, ...], bool]]:
    """(name, email, departments, active) of every editor: who a department's reminder goes to."""
    with store._read() as cur:
        rows = cur.execute("SELECT name, email, departments, active FROM users WHERE role = 'editor' "
                           "ORDER BY name").fetchall()
    return [(r[0], r[1], tuple(json.loads(r[2])) if r[2] else (), bool(r[3])) for r in rows]


def plan_departments(store: Store, plan_id: int) -> list[tuple[str, str]]:
    """(item_no, department) of the plan's responsible departments (担当, not 関連)."""
    with store._read() as cur:
        return [(r[0], r[1]) for r in cur.execute(
            "SELECT item_no, department FROM item_departments WHERE plan_id = ? AND coalesce(role, '担当') <> '関連' "
            "ORDER BY department, item_no", [plan_id]).fetchall()]


# ---------------------------------------------------------------- mail settings (the server's)
def mail_settings(store: Store) -> dict[str, str]:
    """Every setting but the password (mail_password), which no page reads back."""
    with store._read() as cur:
        return {r[0]: r[1] for r in cur.execute("SELECT name, value FROM mail_settings WHERE name <> ?",
                                                [MAIL_PASSWORD]).fetchall()}


# The SMTP password: kept in its row for the sending server to log in, never read back to a page and
# never copied into the history (the change_log says only that it was set, replaced or removed).
MAIL_PASSWORD = "password"
PASSWORD_WORDS = {"insert": "（設定）", "update": "（新しいパスワード）", "delete": "（削除）"}
KEEP_PASSWORD = object()


def mail_password(store: Store) -> str | None:
    """For the sender only (kpi.cycle.mail.send)."""
    with store._read() as cur:
        row = cur.execute("SELECT value FROM mail_settings WHERE name = ?", [MAIL_PASSWORD]).fetchone()
    return row[0] if row and row[0] else None


def save_mail_settings(store: Store, values: dict[str, str | None], who: str, *,
                       password: Any = KEEP_PASSWORD) -> int | None:
    """Write the mail settings in one transaction, journalled like any write: an upload (kind
    'settings', no plan) with a change_log row per setting that changed, so the history shows who
    changed what and undo puts the old values back. Every named setting keeps its row (an empty
    value clears it), so undo can restore it. password: KEEP_PASSWORD leaves it as it is, None or ''
    removes it, text replaces it; the history gets only the words of PASSWORD_WORDS, and undo leaves
    the password as it is. Returns the upload id, or None when nothing changed."""
    def write() -> int | None:
        with store.transaction() as cur:
            current = {r[0]: r[1] for r in cur.execute("SELECT name, value FROM mail_settings").fetchall()}
            log: list[tuple[str, str, str, dict | None, dict | None]] = []  # table, name, action, old, new
            for name, value in values.items():
                value = "" if value is None else str(value)
                if name not in current:
                    log.append(("mail_settings", name, "insert", None, {"value": value}))
                elif (current[name] or "") != value:
                    log.append(("mail_settings", name, "update", {"value": current[name]}, {"value": value}))
            had = bool(current.get(MAIL_PASSWORD))
            if password is not KEEP_PASSWORD and (password or had) and password != current.get(MAIL_PASSWORD):
                action = "delete" if not password else ("update" if had else "insert")
                log.append(("mail_password", MAIL_PASSWORD, action, None, {"value": PASSWORD_WORDS[action]}))
            if not log:
                return None
            upload_id = store._next_id(cur, "upload")
            now = datetime.now()
            for table, name, action, _old, new in log:
                if table == "mail_password":
                    cur.execute("DELETE FROM mail_settings WHERE name = ?", [MAIL_PASSWORD])
                    if password:
                        store._insert_rows(cur, "mail_settings", [{"name": MAIL_PASSWORD, "value": password,
                                                                   "updated_at": now, "updated_by": who}])
                elif action == "insert":
                    store._insert_rows(cur, "mail_settings", [{"name": name, "value": new["value"], "updated_at": now,
                                                               "updated_by": who, "upload_id": upload_id}])
                else:
                    cur.execute("UPDATE mail_settings SET value = ?, updated_at = ?, updated_by = ?, upload_id = ? "
                                "WHERE name = ?", [new["value"], now, who, upload_id, name])
            store._insert_rows(cur, "change_log", [
                {"upload_id": upload_id, "seq": i, "table_name": table, "plan_id": None,
                 "key_json": json.dumps({"name": name}, ensure_ascii=False), "action": action,
                 "old_json": json.dumps(old, ensure_ascii=False) if old is not None else None,
                 "new_json": json.dumps(new, ensure_ascii=False) if new is not None else None}
                for i, (table, name, action, old, new) in enumerate(log)])
            store._insert_rows(cur, "uploads", [{
                "upload_id": upload_id, "kind": "settings", "uploaded_by": who, "uploaded_at": now,
                "file_name": "メールの設定", "n_insert": sum(e[2] == "insert" for e in log),
                "n_update": sum(e[2] != "insert" for e in log), "n_unchanged": 0,
                "note": "メールの送信サーバー（SMTP）の設定", "status": "applied"}])
            return upload_id
    return store.retrying(write)
