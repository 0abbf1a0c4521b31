"""Sign-in: local users with salted password hashes, OIDC users matched by e-mail, and the public view.

How the app decides who you are (sign_in_mode):
- no user registered and no OIDC provider configured → "local": the app runs for one trusted
  desktop user as the local administrator, exactly as before sign-in existed;
- an OIDC provider in .streamlit/secrets.toml ([auth]) → "oidc": st.login; the signed-in
  e-mail is looked up in the user table for the role (unknown e-mails may only read);
- otherwise, once a user exists → "password": a login form against the user table.
Without sign-in a visitor sees only the plans an administrator made public, read-only.

Passwords are hashed with Argon2id (argon2-cffi, a random salt per hash); the hash is the
only thing stored. Users are managed by administrators (the ユーザー page or
`python -m kpi user …`); every change is a write of the store (kpi/store/users.py): one transaction,
recorded in the history with who made it (the hash left out) and bumping the data version.

Wrong passwords slow down one name from one client only (sign_in_wait: 3 free, then 2, 4, 8 … s,
at most 15 minutes; `user unlock` clears a name), so nobody can lock another person out. A password
sign-in is kept across reloads by a signed, expiring cookie (issue_session / resume_session).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kpi.access.permissions import LOCAL_ADMIN, ROLE_LABELS, ROLES, Actor, require
from kpi.errors import KpiError, NotFound
from kpi.store.journal import Batch
from kpi.store.store import ApplyResult, Store, UploadMeta
from kpi.store.users import ACCOUNT_KIND, UserRow

Mode = Literal["local", "password", "oidc"]

MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 40
# Failed sign-ins are counted per name AND client (sign_in_wait): a stranger's guesses slow down the
# stranger, never the administrator signing in from their own desk.
FREE_FAILURES = 3
MAX_WAIT_SECONDS = 15 * 60
FAILURES_FORGOTTEN_AFTER = 24 * 3600  # a mistyped password last week does not count today

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so that a wrong name takes as long as a wrong password.
    Made on the first sign-in, not on import: an Argon2 hash takes 64 MB for its moment (memory-hard
    by design), which every server would otherwise pay at start, signed-in users or not."""
    return _hasher.hash("kpi-dashboard-no-such-user")


class AuthError(KpiError):
    title = "サインインできません"


class UserError(KpiError):
    title = "ユーザーを登録・変更できません"


@dataclass(frozen=True)
class UserRecord:
    name: str
    email: str | None
    role: str
    departments: tuple[str, ...]
    active: bool
    has_password: bool
    created_at: datetime | None
    created_by: str | None
    updated_at: datetime | None
    updated_by: str | None

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role, self.departments)  # type: ignore[arg-type]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


# ----------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_rule(password: str, name: str = "") -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください。")
    if name and password.strip().lower() == name.strip().lower():
        raise UserError("ユーザー名と同じパスワードは使えません。")


# --------------------------------------------------------------------- users
def _record(u: UserRow) -> UserRecord:
    return UserRecord(name=u.name, email=u.email, role=u.role, departments=u.departments, active=u.active,
                      has_password=bool(u.password_hash), created_at=u.created_at, created_by=u.created_by,
                      updated_at=u.updated_at, updated_by=u.updated_by)


def _clean_name(name: str) -> str:
    n = unicodedata.normalize("NFKC", str(name or "")).strip()
    if not n:
        raise UserError("ユーザー名を入力してください。")
    if len(n) > MAX_NAME_CHARS or any(unicodedata.category(c).startswith("C") for c in n):
        raise UserError(f"ユーザー名は{MAX_NAME_CHARS}文字以内で、改行や制御文字を含めないでください。")
    return n


def _clean_email(email: str | None) -> str | None:
    e = (email or "").strip().lower()
    if not e:
        return None
    if "@" not in e or any(c.isspace() for c in e) or len(e) > 200:
        raise UserError(f"メールアドレス「{email}」の形式が正しくありません。")
    return e


def _clean_departments(departments: Iterable[str] | str | None) -> tuple[str, ...]:
    if departments is None:
        return ()
    if isinstance(departments, str):
        departments = departments.replace("、", ",").split(",")
    out: list[str] = []
    for d in departments:
        d = unicodedata.normalize("NFKC", str(d)).strip()
        if d and d not in out:
            out.append(d)
    return tuple(out)


def list_users(store: Store) -> list[UserRecord]:
    return [_record(u) for u in store.users()]


def get_user(store: Store, name: str) -> UserRecord | None:
    u = store.user(_clean_name(name))
    return _record(u) if u else None


def has_users(store: Store) -> bool:
    """Whether sign-in is switched on: at least one active user exists."""
    return store.has_active_users()


def _active_admins(everyone: list[UserRow]) -> int:
    return sum(1 for u in everyone if u.active and u.role == "admin")


def _meta(actor: Actor, note: str) -> UploadMeta:
    return UploadMeta(user=actor.name, kind=ACCOUNT_KIND, note=note)


def add_user(store: Store, actor: Actor, name: str, role: str, departments: Iterable[str] | str | None = (),
             password: str | None = None, email: str | None = None) -> UserRecord:
    """Register a user (administrators only). The first user must be an administrator, so that
    switching sign-in on never locks everyone out of user management."""
    require(actor, "users")
    name = _clean_name(name)
    if role not in ROLES:
        raise UserError(f"役割「{role}」はありません（{'・'.join(ROLES)} のいずれか）。")
    depts = _clean_departments(departments)
    if role == "editor" and not depts:
        raise UserError("担当課（入力）のユーザーには所属課を1つ以上指定してください。")
    email = _clean_email(email)
    if password is None and email is None:
        raise UserError("パスワード（またはOIDCで使うメールアドレス）を指定してください。")
    if password is not None:
        check_password_rule(password, name)
    pw_hash = hash_password(password) if password is not None else None

    def check(current: UserRow | None, everyone: list[UserRow]) -> None:
        if current is not None:
            raise UserError(f"ユーザー「{name}」はすでに登録されています。",
                            hint="パスワードや役割の変更は一覧の「変更」から行ってください")
        if email and any(u.email == email for u in everyone):
            raise UserError(f"メールアドレス「{email}」はほかのユーザーが使っています。")
        if role != "admin" and _active_admins(everyone) == 0:
            raise UserError("最初のユーザーは管理者にしてください。",
                            hint="ユーザーを1人登録するとサインインが必要になります。管理者がいないとユーザーを管理できなくなります")

    store.save_user(name, {"email": email, "role": role, "departments": depts, "password_hash": pw_hash,
                           "active": True}, _meta(actor, f"ユーザー「{name}」を登録"), check=check)
    return get_user(store, name)  # type: ignore[return-value]


def update_user(store: Store, actor: Actor, name: str, *, role: str | None = None,
                departments: Iterable[str] | str | None = None, email: str | None = None,
                password: str | None = None, active: bool | None = None) -> UserRecord:
    """Change a user (administrators only). The last active administrator cannot be demoted or disabled."""
    require(actor, "users")
    name = _clean_name(name)
    sets: dict[str, object] = {}
    if role is not None:
        if role not in ROLES:
            raise UserError(f"役割「{role}」はありません（{'・'.join(ROLES)} のいずれか）。")
        sets["role"] = role
    if departments is not None:
        sets["departments"] = _clean_departments(departments)
    if email is not None:
        sets["email"] = _clean_email(email)
    if password is not None:
        check_password_rule(password, name)
        sets["password_hash"] = hash_password(password)
    if active is not None:
        sets["active"] = bool(active)

    def check(old: UserRow | None, everyone: list[UserRow]) -> None:
        if old is None:
            raise NotFound(f"ユーザー「{name}」は登録されていません。")
        new_role = sets.get("role", old.role)
        new_depts = sets["departments"] if "departments" in sets else old.departments
        if new_role == "editor" and not new_depts:
            raise UserError("担当課（入力）のユーザーには所属課を1つ以上指定してください。")
        if sets.get("email") and any(u.email == sets["email"] and u.name != name for u in everyone):
            raise UserError(f"メールアドレス「{sets['email']}」はほかのユーザーが使っています。")
        losing_admin = old.active and old.role == "admin" and (new_role != "admin" or sets.get("active") is False)
        if losing_admin and _active_admins(everyone) <= 1:
            raise UserError("最後の管理者の役割は変更・停止できません。",
                            hint="先にほかのユーザーを管理者にしてください")

    store.save_user(name, sets, _meta(actor, _change_note(name, sets)), check=check)
    return get_user(store, name)  # type: ignore[return-value]


def _change_note(name: str, sets: dict[str, object]) -> str:
    """The history's one-line note of an account change (the change_log holds each field)."""
    if sets.get("active") is False:
        return f"ユーザー「{name}」を停止"
    if sets.get("active") is True and len(sets) == 1:
        return f"ユーザー「{name}」を再開"
    if set(sets) == {"password_hash"}:
        return f"ユーザー「{name}」のパスワードを変更"
    return f"ユーザー「{name}」を変更"


# ------------------------------------------------------------------ sign-in
def sign_in_wait(failures: int) -> int:
    """Seconds a client must wait, after its last failure, before trying one name again.

    The first FREE_FAILURES wrong passwords cost nothing (people mistype); each one after that
    doubles the wait: 2, 4, 8, … seconds, at most MAX_WAIT_SECONDS. There is no hard lock: the
    right password always works once the wait is over, and another client is never affected.
    """
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_WAIT_SECONDS)


def wait_text(seconds: float) -> str:
    """A duration as people say it: 8秒, 3分, 12時間 (rounded up)."""
    s = max(1, int(seconds + 0.999))
    if s < 60:
        return f"{s}秒"
    if s < 3600:
        return f"{(s + 59) // 60}分"
    return f"{(s + 3599) // 3600}時間"


@dataclass
class _Failures:
    times: list[float]
    generation: int  # the name's unlock count when the failures began (unlock_user bumps it)


# Per server process: (name, client) → failures. A restart forgets them; `user unlock` clears a
# name on every server through the database (its unlock count).
_failures: dict[tuple[str, str], _Failures] = {}
_failures_lock = threading.Lock()
_MAX_TRACKED = 50_000  # (name, client) pairs kept; older entries are dropped first


def _unlock_generation(store: Store, name: str) -> int:
    return store.unlock_count(name)


def _recent(key: tuple[str, str], now: float, generation: int | None) -> list[float]:
    f = _failures.get(key)
    if f is None:
        return []
    if generation is not None and f.generation != generation:
        _failures.pop(key, None)
        return []
    f.times = [t for t in f.times if now - t < FAILURES_FORGOTTEN_AFTER]
    return f.times


def _record_failure(key: tuple[str, str], now: float, generation: int) -> None:
    f = _failures.setdefault(key, _Failures([], generation))
    f.times.append(now)
    if len(_failures) > _MAX_TRACKED:  # an attacker cycling names: forget the stalest pairs
        for k in sorted(_failures, key=lambda k: _failures[k].times[-1] if _failures[k].times else 0)[
                : len(_failures) - _MAX_TRACKED]:
            _failures.pop(k, None)


def authenticate(store: Store, name: str, password: str, *, client: str = "", now: float | None = None) -> Actor:
    """The Actor for a correct name and password; AuthError otherwise (same message either way).

    client: who is asking (the browser's address, ui.frame.client_address). Failures slow down only
    the same name from the same client (sign_in_wait)."""
    now = time.time() if now is None else now
    try:
        who = _clean_name(name)
    except UserError:
        who = ""
    key = (who, str(client or ""))
    with _failures_lock:
        pending = bool(_failures.get(key))
    # The unlock count is read only while this client has failures for the name (the rare path).
    generation = _unlock_generation(store, who) if pending else 0
    with _failures_lock:
        recent = _recent(key, now, generation if pending else None)
        ready_at = recent[-1] + sign_in_wait(len(recent)) if recent else now
    if now < ready_at:
        raise AuthError(f"パスワードを続けて間違えたため、このユーザー名でのサインインはあと{wait_text(ready_at - now)}"
                        "お待ちください（この端末からのサインインだけが待ちになります）。",
                        hint="間違えるたびに待ち時間が延びます。パスワードを忘れた場合は管理者に再設定を依頼してください")
    user = store.user(who) if who else None
    stored = user.password_hash if user else None
    ok = verify_password(stored, password or "") and user is not None and user.active
    if not ok:
        generation = _unlock_generation(store, who) if not pending else generation
        with _failures_lock:
            _record_failure(key, now, generation)
        raise AuthError("ユーザー名またはパスワードが違います。",
                        hint="パスワードを忘れた場合は管理者に再設定を依頼してください")
    with _failures_lock:
        _failures.pop(key, None)
    return Actor(user.name, user.role, user.departments)  # type: ignore[arg-type, union-attr]


def unlock_user(store: Store, actor: Actor, name: str) -> None:
    """Forget every client's failed sign-ins for this name, on every server (administrators only;
    `python -m kpi user unlock NAME`). Recorded in the history with who did it."""
    require(actor, "users")
    who = _clean_name(name)
    if get_user(store, who) is None:
        raise NotFound(f"ユーザー「{who}」は登録されていません。")
    store.record_unlock(who, _meta(actor, f"ユーザー「{who}」のサインインの待ち時間を解除"))


# ------------------------------------------------ staying signed in (cookie)
# A password sign-in is kept across reloads and opened links by a signed, expiring cookie (HttpOnly,
# set by the app server's /_kpi/session route, ui/session_route.py). The token names the user and
# a random session id, and is signed (HMAC-SHA256) with a key kept in the database (never in git,
# shared by every server of a shared store) together with a fingerprint of the user's password
# hash: changing the password refuses every earlier cookie. A disabled user is refused because the
# user is read again on every run; signing out revokes the session id on every server.
SESSION_COOKIE = "kpi_session"
DEFAULT_SESSION_HOURS = 12  # one working day; KPI_SESSION_HOURS changes it


def session_seconds() -> int:
    try:
        hours = float(os.environ.get("KPI_SESSION_HOURS", DEFAULT_SESSION_HOURS))
    except ValueError:
        hours = DEFAULT_SESSION_HOURS
    return int(max(0.1, min(hours, 24 * 30)) * 3600)


@dataclass(frozen=True)
class Session:
    name: str
    sid: str
    issued: int
    expires: int


class SessionRefused(AuthError):
    """A sign-in cookie that is not (or no longer) good: the person signs in again."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def password_stamp(name: str, password_hash: str | None) -> str:
    """What a cookie is bound to besides the key: the user and their current password hash."""
    return hashlib.sha256(f"{name}\x00{password_hash or ''}".encode()).hexdigest()


def sign_session(secret: bytes, session: Session, stamp: str) -> str:
    """The cookie value: payload.signature (URL-safe base64, no padding)."""
    payload = _b64(json.dumps({"v": 1, "u": session.name, "sid": session.sid, "iat": session.issued,
                               "exp": session.expires}, ensure_ascii=False, separators=(",", ":")).encode())
    mac = hmac.new(secret, f"{payload}.{stamp}".encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def read_session(secret: bytes, token: str, stamp_of, now: float) -> Session:
    """The session a cookie names, once its signature, its user's password stamp and its expiry hold.

    stamp_of(name) gives the user's current password_stamp, or None when the user is unknown or
    disabled. Raises SessionRefused with the reason in Japanese."""
    forged = SessionRefused("サインインの情報が正しくありません。もう一度サインインしてください。")
    try:
        payload, mac = str(token or "").split(".")
        data = json.loads(_unb64(payload))
        session = Session(str(data["u"]), str(data["sid"]), int(data["iat"]), int(data["exp"]))
        given = _unb64(mac)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise forged from None
    stamp = stamp_of(session.name)
    expected = hmac.new(secret, f"{payload}.{stamp or ''}".encode(), hashlib.sha256).digest()
    if stamp is None or not hmac.compare_digest(given, expected):
        # A forged cookie, a changed password or a disabled user: the same answer for all three.
        raise forged
    if now >= session.expires:
        raise SessionRefused(f"サインインの有効期限（{wait_text(session.expires - session.issued)}）が切れました。"
                             "もう一度サインインしてください。")
    return session


def session_secret(store: Store, *, create: bool = True) -> bytes | None:
    """The key that signs sign-in cookies, made on first use and kept in the database (None when
    there is none yet and create is False: no cookie can be good then).

    Two servers starting at once may each add one; every server then uses the smallest, so they
    agree from the next read on."""
    key = store.session_key()
    if key is None and not create:
        return None
    if key is None:
        store.add_session_key(secrets.token_hex(32))
        key = store.session_key()
    return bytes.fromhex(key)  # type: ignore[arg-type]


def _stamp_of(store: Store):
    def stamp_of(name: str) -> str | None:
        user = store.user(name)
        if user is None or not user.active or user.password_hash is None:
            return None
        return password_stamp(name, user.password_hash)
    return stamp_of


def issue_session(store: Store, name: str, *, now: float | None = None) -> tuple[Session, str]:
    """A new session for a user who has just proven who they are, and its cookie value."""
    now = int(time.time() if now is None else now)
    session = Session(name, secrets.token_urlsafe(18), now, now + session_seconds())
    stamp = _stamp_of(store)(name)
    if stamp is None:
        raise AuthError("このユーザーはサインインできません。")
    return session, sign_session(session_secret(store), session, stamp)


def resume_session(store: Store, token: str, *, now: float | None = None) -> Session:
    """The session of a sign-in cookie sent with a new page load; SessionRefused if it is forged,
    expired, signed out, or its user's password changed or the user was disabled since."""
    now = time.time() if now is None else now
    secret = session_secret(store, create=False)  # a cookie arriving before any key exists is forged
    session = read_session(secret or secrets.token_bytes(32), token, _stamp_of(store), now)
    if store.session_revoked(session.sid):
        raise SessionRefused("サインアウトしたため、もう一度サインインしてください。")
    return session


def end_session(store: Store, session: Session, *, now: float | None = None) -> None:
    """Sign out: the session's cookie is refused from now on, by every server (kept until it would
    have expired anyway; older records are removed)."""
    now = time.time() if now is None else now
    store.revoke_session(session.name, session.sid, datetime.fromtimestamp(now), datetime.fromtimestamp(session.expires))


def actor_for(store: Store, name: str) -> Actor | None:
    """The current Actor of a signed-in user, read again on every page run so that a disabled
    user or a changed role takes effect at once. None when the user is gone or disabled."""
    try:
        u = get_user(store, name)
    except UserError:
        return None
    return u.actor if u is not None and u.active else None


def actor_for_email(store: Store, email: str | None, display_name: str | None = None) -> Actor | None:
    """An OIDC user: the registered user with this e-mail, or a reader if none is registered.

    None when the e-mail belongs to a disabled user (they may not sign in at all).
    """
    e = (email or "").strip().lower()
    if e:
        u = store.user_by_email(e)
        if u is not None:
            return _record(u).actor if u.active else None
    return Actor(display_name or e or "サインインしたユーザー", "viewer")


def sign_in_mode(store: Store, oidc_configured: bool) -> Mode:
    if oidc_configured:
        return "oidc"
    return "password" if has_users(store) else "local"


def default_actor(mode: Mode) -> Actor | None:
    """Who a session is before anyone signs in: the local administrator when sign-in is off."""
    return LOCAL_ADMIN if mode == "local" else None


# -------------------------------------------------------------- public view
def set_public(store: Store, actor: Actor, wanted: dict[int, bool]) -> list[ApplyResult]:
    """Switch plans' public (read-only, no sign-in) view on or off, {plan_id: public}, in one
    transaction. Administrators only; each plan's change is recorded as a settings change by actor."""
    from kpi.access.permissions import apply_check
    require(actor, "public")
    batches, metas = [], []
    for plan_id, public in wanted.items():
        plan = store.plan(plan_id)
        if plan.public == bool(public):
            continue
        batches.append(Batch(plan_name=plan.name, plan={"public": bool(public)}, source="公開設定"))
        metas.append(UploadMeta(user=actor.name, kind="settings",
                                note=f"公開設定: {'公開する' if public else '公開しない'}"))
    if not batches:
        return []
    return store.apply_many(batches, metas, check=apply_check(actor, store, "public"))


# ---------------------------------------------------------------- the page
@dataclass(frozen=True)
class PlanAccess:
    plan_id: int
    name: str
    public: bool


@dataclass(frozen=True)
class UsersView:
    """What the ユーザー page shows."""

    allowed: bool
    reason: str
    mode: Mode
    mode_text: str
    users: tuple[UserRecord, ...]
    departments: tuple[str, ...]  # known departments, for the pickers
    plans: tuple[PlanAccess, ...]
    first_user_note: str


MODE_TEXT: dict[str, str] = {
    "local": "サインインなし（ユーザー未登録）: この画面を開いた人はすべてローカル管理者として操作できます。",
    "password": "ユーザー名とパスワードでサインインします。",
    "oidc": "組織のアカウント（OIDC）でサインインします。役割はメールアドレスでこの一覧と照合し、"
            "登録のない人は閲覧のみです。",
}


def users_view(store: Store, actor: Actor, oidc_configured: bool = False) -> UsersView:
    from kpi.access.permissions import decide
    d = decide(actor, "users")
    mode = sign_in_mode(store, oidc_configured)
    if not d.allowed:
        return UsersView(False, d.reason, mode, MODE_TEXT[mode], (), (), (), "")
    depts = store.departments()
    users = tuple(list_users(store))
    plans = tuple(PlanAccess(p.plan_id, p.name, p.public) for p in store.plans())
    note = ("最初のユーザーは管理者として登録してください。登録すると、次からサインインが必要になります"
            "（公開にした計画はサインインなしでも閲覧できます）。") if not users else ""
    return UsersView(True, d.reason, mode, MODE_TEXT[mode], users, depts, plans, note)
