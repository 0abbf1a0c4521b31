"""Accounts and sign-in state: the users table and auth_state, read and written only here.

The rules (who may add whom, the last administrator, password strength, how long a cookie lives) are
kpi/access/auth.py's; this module stores what it decided.

- An account change (add, role, departments, e-mail, password, disable/enable) and an unlock are
  writes like any other: one transaction that runs the caller's check on the current accounts, writes,
  and records who and when in the history (an upload of kind 'users' with its change_log), which
  bumps the data version. A password hash is never copied into the history: the change_log says
  only that a password was set or replaced ("password": "（設定）" / "（設定済み）" → "（新しいパスワード）").
- Sign-in machinery (the key that signs sign-in cookies, the revoked sessions of signed-out users) is
  written in its own transaction with who and when on its row, but it is not data: no page shows it
  and nothing is cached on it, so it takes no upload number and stays out of the 取込履歴 (a busy
  morning of sign-outs would otherwise bury the imports). The key itself is never logged anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from kpi.store.records import record

if TYPE_CHECKING:
    import duckdb

    from kpi.store.store import UploadMeta

# The upload kind of account changes: never undone, and kept by a restore like the accounts themselves.
ACCOUNT_KIND = "users"
USER_FIELDS: tuple[str, ...] = ("email", "role", "departments", "password_hash", "active")
_COLS = "name, email, role, departments, password_hash, active, created_at, created_by, updated_at, updated_by"
PASSWORD_SET, PASSWORD_KEPT, PASSWORD_NEW = "（設定）", "（設定済み）", "（新しいパスワード）"


@dataclass(frozen=True)
class UserRow:
    name: str
    email: str | None
    role: str
    departments: tuple[str, ...]
    password_hash: str | None = field(repr=False)  # Argon2id; never printed, never in the history
    active: bool
    created_at: datetime | None
    created_by: str | None
    updated_at: datetime | None
    updated_by: str | None


# check(the account of that name or None, every account) runs inside the transaction and refuses by raising.
UserCheck = Callable[[UserRow | None, list[UserRow]], None]


def _row(r: tuple) -> UserRow:
    return UserRow(name=r[0], email=r[1], role=r[2], departments=tuple(json.loads(r[3])) if r[3] else (),
                   password_hash=r[4], active=bool(r[5]), created_at=r[6], created_by=r[7], updated_at=r[8],
                   updated_by=r[9])


def _stored(field_name: str, value: Any) -> Any:
    if field_name == "departments":
        return json.dumps(list(value or ()), ensure_ascii=False)
    if field_name == "active":
        return bool(value)
    return value


def _logged(field_name: str, value: Any, *, before: bool = False) -> tuple[str, Any]:
    """A field as the history keeps it: the hash becomes the words 'a password is set / replaced'."""
    if field_name == "password_hash":
        if value is None:
            return "password", None
        return "password", PASSWORD_KEPT if before else PASSWORD_SET
    if field_name == "departments":
        return field_name, list(value or ())
    return field_name, value


class Accounts:
    """The Store's accounts and sign-in state (kpi/store/store.py composes it)."""

    # ------------------------------------------------------------------ reads
    def users(self) -> list[UserRow]:
        """Every account, oldest first."""
        with self._read() as cur:
            return [_row(r) for r in cur.execute(f"SELECT {_COLS} FROM users ORDER BY created_at, name").fetchall()]

    def user(self, name: str) -> UserRow | None:
        with self._read() as cur:
            r = cur.execute(f"SELECT {_COLS} FROM users WHERE name = ?", [name]).fetchone()
        return _row(r) if r else None

    def user_by_email(self, email: str) -> UserRow | None:
        """The account with this (lower-case) e-mail, for an OIDC sign-in."""
        with self._read() as cur:
            r = cur.execute(f"SELECT {_COLS} FROM users WHERE email = ?", [email]).fetchone()
        return _row(r) if r else None

    def has_active_users(self) -> bool:
        """Whether sign-in is needed: asked by every page run (once per catalog snapshot on a shared store)."""
        def read() -> bool:
            with self._read() as cur:
                return bool(cur.execute("SELECT count(*) FROM users WHERE active").fetchone()[0])
        return self._snapshot_memo("has_active_users", read)

    # ----------------------------------------------------------------- writes
    def save_user(self, name: str, fields: dict[str, Any], meta: "UploadMeta",
                  check: UserCheck | None = None) -> UserRow | None:
        """Add the account `name` (when there is none) or change its fields, in one transaction.

        fields: any of USER_FIELDS (departments as a sequence). check runs first, inside the
        transaction, on the accounts as they are now; raising there writes nothing. Only fields whose
        value changes are written and recorded; when nothing changes nothing is written (and the
        data version stays). meta.user is who did it (kept on the row and in the history)."""
        unknown = set(fields) - set(USER_FIELDS)
        if unknown:
            raise ValueError(f"unknown user fields: {sorted(unknown)}")

        def write() -> UserRow | None:
            with self.transaction() as cur:
                everyone = [_row(r) for r in cur.execute(f"SELECT {_COLS} FROM users ORDER BY created_at, name")
                            .fetchall()]
                current = next((u for u in everyone if u.name == name), None)
                if check is not None:
                    check(current, everyone)
                now = datetime.now()
                if current is None:
                    self._add_user(cur, name, fields, meta, now)
                else:
                    changed = {f: v for f, v in fields.items() if getattr(current, f) != (
                        tuple(v or ()) if f == "departments" else bool(v) if f == "active" else v)}
                    if not changed:
                        return current
                    self._change_user(cur, current, changed, meta, now)
            return self.user(name)
        return self.retrying(write)

    def _add_user(self, cur: "duckdb.DuckDBPyConnection", name: str, fields: dict[str, Any], meta: "UploadMeta",
                  now: datetime) -> None:
        values = {f: _stored(f, fields.get(f)) for f in USER_FIELDS}
        values["active"] = bool(fields.get("active", True))
        cur.execute(f"INSERT INTO users ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, values["email"], values["role"], values["departments"], values["password_hash"],
                     values["active"], now, meta.user, now, meta.user])
        new = dict(_logged(f, fields.get(f) if f != "active" else values["active"]) for f in USER_FIELDS)
        record(self, cur, meta, [{"table_name": "users", "key": {"name": name}, "action": "insert",
                                  "old": None, "new": new}], n_insert=1, now=now)

    def _change_user(self, cur: "duckdb.DuckDBPyConnection", current: UserRow, changed: dict[str, Any],
                     meta: "UploadMeta", now: datetime) -> None:
        sets = {f: _stored(f, v) for f, v in changed.items()}
        sets["updated_at"] = now
        sets["updated_by"] = meta.user
        # Column names come from USER_FIELDS (checked above), never from input; values are parameters.
        cur.execute(f"UPDATE users SET {', '.join(f'{k} = ?' for k in sets)} WHERE name = ?",
                    [*sets.values(), current.name])
        old = dict(_logged(f, getattr(current, f), before=True) for f in changed)
        new = dict(_logged(f, v) for f, v in changed.items())
        if "password_hash" in changed and changed["password_hash"] is not None:
            new["password"] = PASSWORD_NEW if current.password_hash is not None else PASSWORD_SET
        record(self, cur, meta, [{"table_name": "users", "key": {"name": current.name}, "action": "update",
                                  "old": old, "new": new}], n_update=1, now=now)

    def record_unlock(self, name: str, meta: "UploadMeta") -> None:
        """Forget every client's failed sign-ins for this name on every server (each server compares
        the name's unlock count, unlock_count), recorded in the history as an account change."""
        def write() -> None:
            with self.transaction() as cur:
                now = datetime.now()
                cur.execute("INSERT INTO auth_state (kind, name, value, created_at, created_by, expires_at) "
                            "VALUES ('unlock', ?, NULL, ?, ?, NULL)", [name, now, meta.user])
                record(self, cur, meta, [{"table_name": "auth_state", "key": {"kind": "unlock", "name": name},
                                          "action": "insert", "old": None, "new": {}}], n_insert=1, now=now)
        self.retrying(write)

    # ------------------------------------------------------------ sign-in state
    def unlock_count(self, name: str) -> int:
        with self._read() as cur:
            return int(cur.execute("SELECT count(*) FROM auth_state WHERE kind = 'unlock' AND name = ?",
                                   [name]).fetchone()[0])

    def session_key(self) -> str | None:
        """The key that signs sign-in cookies (hex), or None before the first one is made. Servers that
        each made one at the same moment all use the smallest, so they agree from the next read on."""
        with self._read() as cur:
            row = cur.execute("SELECT min(value) FROM auth_state WHERE kind = 'cookie_secret'").fetchone()
        return row[0] if row else None

    def add_session_key(self, key: str) -> None:
        """Keep a new signing key (made by kpi/access/auth.py on first use), written by 'サーバー'."""
        with self.transaction() as cur:
            cur.execute("INSERT INTO auth_state (kind, name, value, created_at, created_by, expires_at) "
                        "VALUES ('cookie_secret', NULL, ?, ?, 'サーバー', NULL)", [key, datetime.now()])

    def revoke_session(self, name: str, sid: str, at: datetime, expires_at: datetime) -> None:
        """Refuse a signed-out session's cookie from now on, on every server; revocations that have
        expired by `at` are dropped in the same transaction."""
        def write() -> None:
            with self.transaction() as cur:
                cur.execute("DELETE FROM auth_state WHERE kind = 'signed_out' AND expires_at < ?", [at])
                cur.execute("INSERT INTO auth_state (kind, name, value, created_at, created_by, expires_at) "
                            "VALUES ('signed_out', ?, ?, ?, ?, ?)", [name, sid, at, name, expires_at])
        self.retrying(write)

    def session_revoked(self, sid: str) -> bool:
        with self._read() as cur:
            return cur.execute("SELECT 1 FROM auth_state WHERE kind = 'signed_out' AND value = ?",
                               [sid]).fetchone() is not None
