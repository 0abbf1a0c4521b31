"""Sign-in: password hashes, the user table and its rules, the CLI, and the app's sign-in gate."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import NIIGATA_PLAN, ROOT
from helpers import run_kpi, sql
from streamlit.testing.v1 import AppTest

from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN, Actor
from kpi.store.store import Store

PW = "correct-horse-42"


@pytest.fixture(autouse=True)
def no_lockouts():
    auth._failures.clear()
    yield
    auth._failures.clear()


@pytest.fixture
def users(store):
    auth.add_user(store, LOCAL_ADMIN, "kanri", "admin", password=PW, email="Kanri@City.example.jp")
    auth.add_user(store, LOCAL_ADMIN, "tanaka", "editor", ["中央公民館", "市民協働課"], password=PW)
    auth.add_user(store, LOCAL_ADMIN, "yamada", "viewer", password=PW)
    return store


# ------------------------------------------------------------------ hashing
def test_passwords_are_salted_argon2_hashes_never_plain_text(users):
    a, b = auth.hash_password(PW), auth.hash_password(PW)
    assert a != b and a.startswith("$argon2id$")  # a random salt per hash
    assert auth.verify_password(a, PW) and not auth.verify_password(a, PW + "x")
    assert not auth.verify_password(None, "kpi-dashboard-no-such-user")
    stored = sql(users, "SELECT password_hash FROM users")
    assert all(h.startswith("$argon2id$") and PW not in h for (h,) in stored)
    dump = " ".join(str(v) for row in sql(users, "SELECT * FROM users") for v in row)
    assert PW not in dump


def test_a_server_pays_for_an_argon2_hash_only_when_someone_signs_in():
    """An Argon2 hash holds 64 MB while it runs: importing the sign-in code (every page does) must
    not make one, or every server's peak memory grows by that much whether anybody signs in or not."""
    probe = ("import re\n"
             "def peak():\n"
             "    return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024\n"
             "import argon2, kpi.store.store\n"
             "before = peak()\n"
             "from kpi.access import auth\n"
             "imported = peak()\n"
             "assert not auth.verify_password(None, 'x')\n"
             "print(imported - before, peak() - before)\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    on_import, on_sign_in = map(int, out.stdout.split())
    assert on_import < 20, f"importing kpi.access.auth raised the peak by {on_import} MB"
    assert on_sign_in >= 40  # the unknown name's check still runs the full hash (as long as a wrong password)


# ------------------------------------------------------------- user table
def test_users_and_their_roles(users):
    got = {u.name: (u.role, u.departments, u.active) for u in auth.list_users(users)}
    assert got == {"kanri": ("admin", (), True), "tanaka": ("editor", ("中央公民館", "市民協働課"), True),
                   "yamada": ("viewer", (), True)}
    assert auth.get_user(users, "kanri").email == "kanri@city.example.jp"  # matched case-insensitively
    assert auth.get_user(users, "kanri").created_by == LOCAL_ADMIN.name


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="x", role="editor", departments=["財政課"], password=PW), "最初のユーザーは管理者"),
    (dict(name="x", role="admin", password="short"), "8文字以上"),
    (dict(name="adminadmin", role="admin", password="adminadmin"), "ユーザー名と同じ"),
    (dict(name="x", role="superuser", password=PW), "役割「superuser」"),
    (dict(name="x", role="admin"), "パスワード"),
    (dict(name="a\nb", role="admin", password=PW), "改行"),
    (dict(name="x", role="admin", password=PW, email="not-an-address"), "メールアドレス"),
])
def test_refused_user_registrations_say_why(store, kwargs, message):
    with pytest.raises(auth.UserError) as exc:
        auth.add_user(store, LOCAL_ADMIN, **kwargs)
    assert message in exc.value.message
    assert auth.list_users(store) == []


def test_rules_once_users_exist(users):
    with pytest.raises(auth.UserError, match="すでに登録"):
        auth.add_user(users, LOCAL_ADMIN, "tanaka", "viewer", password=PW)
    with pytest.raises(auth.UserError, match="所属課"):
        auth.add_user(users, LOCAL_ADMIN, "suzuki", "editor", password=PW)
    with pytest.raises(auth.UserError, match="ほかのユーザー"):
        auth.add_user(users, LOCAL_ADMIN, "suzuki", "viewer", password=PW, email="kanri@city.example.jp")
    with pytest.raises(auth.UserError, match="最後の管理者"):
        auth.update_user(users, LOCAL_ADMIN, "kanri", active=False)
    with pytest.raises(auth.UserError, match="最後の管理者"):
        auth.update_user(users, LOCAL_ADMIN, "kanri", role="viewer")
    auth.update_user(users, LOCAL_ADMIN, "yamada", role="admin")
    auth.update_user(users, LOCAL_ADMIN, "kanri", active=False)  # now another admin remains
    assert not auth.get_user(users, "kanri").active
    u = auth.update_user(users, Actor("kanri2", "admin"), "tanaka", departments="財政課、市民協働課")
    assert u.departments == ("財政課", "市民協働課") and u.updated_by == "kanri2"


# ----------------------------------------------------------------- sign-in
def test_authenticate_gives_the_users_actor(users):
    a = auth.authenticate(users, "tanaka", PW)
    assert a == Actor("tanaka", "editor", ("中央公民館", "市民協働課"))
    assert auth.authenticate(users, "ｔａｎａｋａ", PW).name == "tanaka"  # full-width typing is the same name


@pytest.mark.parametrize("name, password", [("tanaka", "wrong-password"), ("nobody", PW), ("", ""),
                                            ("tanaka", "")])
def test_wrong_name_or_password_gets_one_message(users, name, password):
    with pytest.raises(auth.AuthError) as exc:
        auth.authenticate(users, name, password)
    assert exc.value.message == "ユーザー名またはパスワードが違います。"


def test_disabled_user_cannot_sign_in_and_is_signed_out(users):
    assert auth.actor_for(users, "tanaka") is not None
    auth.update_user(users, LOCAL_ADMIN, "tanaka", active=False)
    with pytest.raises(auth.AuthError):
        auth.authenticate(users, "tanaka", PW)
    assert auth.actor_for(users, "tanaka") is None  # the next page run drops the session


@pytest.mark.parametrize("failures, wait", [
    (0, 0), (1, 0), (2, 0),           # people mistype: the first three cost nothing
    (3, 2), (4, 4), (5, 8), (6, 16),  # then each failure doubles the wait
    (10, 256), (11, 512),
    (12, 900), (13, 900), (60, 900),  # at most 15 minutes, never a hard lock
])
def test_sign_in_wait_grows_after_three_failures_and_is_capped(failures, wait):
    assert auth.sign_in_wait(failures) == wait


@pytest.mark.parametrize("seconds, text", [(0.2, "1秒"), (2, "2秒"), (59, "59秒"), (61, "2分"), (900, "15分"),
                                           (12 * 3600, "12時間")])
def test_wait_text(seconds, text):
    assert auth.wait_text(seconds) == text


STRANGER, ADMIN_DESK = "203.0.113.66", "10.0.0.5"


def fail(store, name, client, at):
    with pytest.raises(auth.AuthError, match="違います"):
        auth.authenticate(store, name, "guess", client=client, now=at)


def test_failures_from_one_client_never_lock_the_name_for_another(users):
    for i in range(3):
        fail(users, "kanri", STRANGER, 1000.0 + i)
    # The stranger now waits 2 s after the last failure, even with the right password …
    with pytest.raises(auth.AuthError, match="あと1秒お待ちください") as exc:
        auth.authenticate(users, "kanri", PW, client=STRANGER, now=1003.0)
    assert "この端末" in exc.value.message
    # … while the administrator at their own desk signs in at once.
    assert auth.authenticate(users, "kanri", PW, client=ADMIN_DESK, now=1003.0).is_admin
    # The stranger's waits grow: 2, 4, 8 s after each further failure.
    t = 1002.0
    for wait in (2, 4, 8):
        t += wait
        with pytest.raises(auth.AuthError, match="お待ちください"):
            auth.authenticate(users, "kanri", "guess", client=STRANGER, now=t - 0.5)
        fail(users, "kanri", STRANGER, t)
    # Other names from the same client are not slowed down.
    assert auth.authenticate(users, "tanaka", PW, client=STRANGER, now=t).name == "tanaka"
    # No hard lock: once the wait (16 s now) is over, the right password works and the count resets.
    assert auth.authenticate(users, "kanri", PW, client=STRANGER, now=t + 16).is_admin
    fail(users, "kanri", STRANGER, t + 17)
    assert auth.authenticate(users, "kanri", PW, client=STRANGER, now=t + 17.5).is_admin


def test_a_flood_of_failures_never_waits_longer_than_the_cap(users):
    t = 0.0
    for i in range(14):  # the cap is reached at the 12th failure
        t += auth.sign_in_wait(i)
        fail(users, "kanri", STRANGER, t)
    assert auth.authenticate(users, "kanri", PW, client=STRANGER, now=t + auth.MAX_WAIT_SECONDS).is_admin


def test_cli_unlock_clears_a_name_on_every_server(tmp_path):
    db = tmp_path / "unlock.duckdb"
    s = Store.open(db)
    auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
    now = 5000.0
    for i in range(6):
        fail(s, "kanri", STRANGER, now + 100 * i)
    with pytest.raises(auth.AuthError, match="お待ちください"):
        auth.authenticate(s, "kanri", PW, client=STRANGER, now=now + 501)
    s.close()  # the command opens the database itself, as it would with the server stopped
    r = kpi(db, "user", "unlock", "kanri")
    assert r.returncode == 0 and "記録を消しました" in r.stdout, r.stderr
    assert kpi(db, "user", "unlock", "nobody").returncode == 1
    s = Store.open(db)
    try:
        # This process (a server) still holds the failures in memory; the unlock in the database wins.
        assert auth.authenticate(s, "kanri", PW, client=STRANGER, now=now + 502).is_admin
        assert sql(s, "SELECT name, created_by FROM auth_state WHERE kind = 'unlock'")[0][0] == "kanri"
    finally:
        s.close()


def test_oidc_users_are_matched_by_email(users):
    assert auth.actor_for_email(users, "KANRI@city.example.jp", "管理 三郎").role == "admin"
    stranger = auth.actor_for_email(users, "someone@city.example.jp", "市役所 職員")
    assert stranger == Actor("市役所 職員", "viewer")
    auth.add_user(users, LOCAL_ADMIN, "oidc-only", "editor", ["財政課"], email="zaisei@city.example.jp")
    assert auth.get_user(users, "oidc-only").has_password is False
    with pytest.raises(auth.AuthError):
        auth.authenticate(users, "oidc-only", "")  # no password: OIDC only
    auth.update_user(users, LOCAL_ADMIN, "oidc-only", active=False)
    assert auth.actor_for_email(users, "zaisei@city.example.jp") is None


def test_sign_in_mode(store):
    assert auth.sign_in_mode(store, oidc_configured=False) == "local"
    assert auth.default_actor("local") == LOCAL_ADMIN
    assert auth.sign_in_mode(store, oidc_configured=True) == "oidc"
    auth.add_user(store, LOCAL_ADMIN, "kanri", "admin", password=PW)
    assert auth.sign_in_mode(store, oidc_configured=False) == "password"
    assert auth.default_actor("password") is None


# --------------------------------------------------------------------- CLI
def kpi(db, *args, stdin=""):
    """A real `python -m kpi` process: the unlock test needs another process than this one (a server)."""
    env = dict(os.environ, KPI_DB=str(db))
    return subprocess.run([sys.executable, "-m", "kpi", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def kpi_here(db, *args, stdin=""):
    """The same command in this process (helpers.run_kpi): what the command does, without an interpreter's start."""
    return run_kpi(*args, env={"KPI_DB": str(db)}, stdin=stdin, text=True)


def test_cli_manages_users(tmp_path):
    db = tmp_path / "cli.duckdb"
    r = kpi_here(db, "user", "add", "tanaka", "--role", "editor", "--department", "市民協働課", "--password-stdin",
            stdin=PW + "\n")
    assert r.returncode == 1 and "最初のユーザーは管理者" in r.stderr
    r = kpi_here(db, "user", "add", "kanri", "--role", "admin", "--password-stdin", stdin=PW + "\n")
    assert r.returncode == 0 and "サインインが必要" in r.stdout, r.stderr
    r = kpi_here(db, "user", "add", "tanaka", "--role", "editor", "--department", "市民協働課", "--department", "財政課",
            "--password-stdin", stdin=PW + "\n")
    assert r.returncode == 0, r.stderr
    r = kpi_here(db, "user", "disable", "tanaka")
    assert r.returncode == 0
    lines = kpi_here(db, "user", "list").stdout.splitlines()
    assert lines == ["kanri\t管理者\t-\t-\t有効", "tanaka\t担当課（入力）\t市民協働課、財政課\t-\t停止中"]
    s = Store.open(db)
    try:
        assert auth.authenticate(s, "kanri", PW).is_admin
        assert auth.get_user(s, "tanaka").created_by.endswith("（コマンド）")
    finally:
        s.close()


# ---------------------------------------------------------- the app's gate
def add_users(db):
    s = Store.open(db)
    try:
        auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
        auth.add_user(s, LOCAL_ADMIN, "tanaka", "editor", ["中央公民館"], password=PW)
    finally:
        s.close()


def visit(**session) -> AppTest:
    """Open the app in a session that already holds these values. (In streamlit 1.67's AppTest only
    the first run of an st.navigation app executes app.py; later runs execute the page alone, so
    each check of the sign-in gate starts a fresh run with the session it needs.)"""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="_login_name").input(name)
    at.text_input(key="_login_password").input(password)
    next(b for b in at.button if b.label == "サインイン").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_without_users_the_app_opens_as_local_admin(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert not any(t.key == "_login_name" for t in at.text_input)
    assert NIIGATA_PLAN in at.sidebar.selectbox(key="plan_id").options
    assert any("ローカル管理者" in c.value for c in at.sidebar.caption)


def test_once_a_user_exists_the_app_asks_to_sign_in(app_env):
    add_users(app_env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert at.subheader[0].value == "サインイン"
    assert len(at.sidebar.selectbox) == 0  # no plan, no page before signing in
    sign_in(at, "tanaka", "wrong-password")
    assert "ユーザー名またはパスワードが違います" in at.error[0].value
    assert len(at.sidebar.selectbox) == 0
    sign_in(at, "tanaka", PW)
    assert NIIGATA_PLAN in at.sidebar.selectbox(key="plan_id").options
    assert any("tanaka（担当課（入力）・中央公民館）" in c.value for c in at.sidebar.caption)
    assert at.session_state["actor"] == Actor("tanaka", "editor", ("中央公民館",))
    # An administrator disables tanaka: the very next run shows the sign-in form again.
    s = Store.open(app_env)
    auth.update_user(s, LOCAL_ADMIN, "tanaka", active=False)
    s.close()
    at = visit(_auth_user="tanaka", actor=Actor("tanaka", "editor", ("中央公民館",)))
    assert at.subheader[0].value == "サインイン"
    assert "actor" not in at.session_state and "_auth_user" not in at.session_state


def test_public_view_shows_only_public_plans_read_only(app_env):
    add_users(app_env)
    s = Store.open(app_env)
    plans = s.plans()
    niigata = next(p for p in plans if p.name == NIIGATA_PLAN)
    auth.set_public(s, LOCAL_ADMIN, {niigata.plan_id: True})
    s.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    next(b for b in at.button if b.label == "公開されている計画を見る").click()
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="plan_id").options == [NIIGATA_PLAN]
    assert at.session_state["actor"].public_only and not at.session_state["actor"].can_write
    # a plan id that is not public is refused even if it reaches the session somehow
    others = [p.plan_id for p in plans if p.plan_id != niigata.plan_id]
    if others:
        at = visit(_auth_public=True, plan_id=others[0])
        assert at.sidebar.selectbox(key="plan_id").value == niigata.plan_id


def test_without_public_plans_no_public_button(app_env):
    add_users(app_env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not any(b.label == "公開されている計画を見る" for b in at.button)


OIDC = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "kpi",
        "client_secret": "s", "server_metadata_url": "https://idp.example.jp/.well-known/openid-configuration"}


def oidc_visit(user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = OIDC
    if user is not None:
        at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_oidc_configured_shows_the_provider_button(app_env):
    at = oidc_visit()
    assert any(b.label == "組織のアカウントでサインイン" for b in at.button)
    assert not any(t.key == "_login_password" for t in at.text_input)
    assert len(at.sidebar.selectbox) == 0


def test_oidc_user_gets_the_role_registered_for_their_email(app_env):
    s = Store.open(app_env)
    auth.add_user(s, LOCAL_ADMIN, "kanri", "admin", password=PW)
    auth.add_user(s, LOCAL_ADMIN, "koumin", "editor", ["中央公民館"], email="koumin@city.example.jp")
    auth.add_user(s, LOCAL_ADMIN, "gone", "editor", ["財政課"], email="gone@city.example.jp")
    auth.update_user(s, LOCAL_ADMIN, "gone", active=False)
    s.close()
    at = oidc_visit({"is_logged_in": True, "email": "Koumin@city.example.jp", "name": "公民 館子"})
    assert at.session_state["actor"] == Actor("koumin", "editor", ("中央公民館",))
    assert NIIGATA_PLAN in at.sidebar.selectbox(key="plan_id").options
    at = oidc_visit({"is_logged_in": True, "email": "new@city.example.jp", "name": "新人 職員"})
    assert at.session_state["actor"] == Actor("新人 職員", "viewer")
    at = oidc_visit({"is_logged_in": True, "email": "gone@city.example.jp", "name": "退職 者"})
    assert "停止されています" in at.error[0].value and len(at.sidebar.selectbox) == 0


# -------------------------------------------------------------- users page
def users_page(actor: Actor) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "users.py"), default_timeout=120)
    at.session_state["actor"] = actor
    return at.run()


def test_users_page_refuses_non_admins(app_env):
    at = users_page(Actor("tanaka", "editor", ("中央公民館",)))
    assert "管理者だけ" in at.warning[0].value
    assert len(at.text_input) == 0 and len(at.button) == 0  # nothing to submit


def test_admin_registers_the_first_user_on_the_page(app_env):
    at = users_page(LOCAL_ADMIN)
    assert not at.exception, at.exception
    assert "最初のユーザーは管理者" in at.info[0].value
    inputs = at.text_input
    inputs[0].input("kanri")
    inputs[2].input(PW)
    inputs[3].input(PW)
    next(b for b in at.button if b.label == "登録する").click()
    at.run()
    assert not at.exception, at.exception
    assert "「kanri」を管理者として登録しました" in at.success[0].value
    # sign-in is on now; this session goes on as the new administrator
    assert at.session_state["actor"] == Actor("kanri", "admin")
    assert visit().subheader[0].value == "サインイン"  # any other session must sign in
    s = Store.open(app_env)
    try:
        assert auth.authenticate(s, "kanri", PW).is_admin
    finally:
        s.close()


def test_every_page_is_behind_the_sign_in_gate():
    # A page opened by its URL in a new session runs without app.py; the frame call (frame.page,
    # frame.plan_page) runs the gate, so each page must reach it before showing anything.
    import ast
    for p in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        first_st = first_gate = None
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name):
                if node.func.value.id == "frame" and node.func.attr in ("page", "plan_page"):
                    first_gate = min(first_gate or node.lineno, node.lineno)
                elif node.func.value.id == "st" and node.func.attr not in ("cache_data", "cache_resource"):
                    first_st = min(first_st or node.lineno, node.lineno)
        assert first_gate is not None, p.name
        assert first_st is None or first_gate <= first_st, f"{p.name}: shows something before the sign-in gate"


# ------------------------------------------------ account changes are writes like any other
# (issue 15: every write bumps the data version that the frame's caches are keyed by, and is in the history)
@pytest.mark.parametrize("change, note, shown", [
    (lambda s: auth.add_user(s, LOCAL_ADMIN, "suzuki", "viewer", password=PW), "ユーザー「suzuki」を登録",
     "新規 ユーザー「suzuki」（役割: 閲覧、パスワード: （設定）、状態: 有効）"),
    (lambda s: auth.update_user(s, LOCAL_ADMIN, "tanaka", role="viewer"), "ユーザー「tanaka」を変更",
     "変更 ユーザー「tanaka」（役割: 担当課（入力） → 閲覧）"),
    (lambda s: auth.update_user(s, LOCAL_ADMIN, "yamada", active=False), "ユーザー「yamada」を停止",
     "変更 ユーザー「yamada」（状態: 有効 → 停止）"),
    (lambda s: auth.update_user(s, LOCAL_ADMIN, "yamada", password=PW + "!"), "ユーザー「yamada」のパスワードを変更",
     "変更 ユーザー「yamada」（パスワード: （設定済み） → （新しいパスワード））"),
    (lambda s: auth.unlock_user(s, LOCAL_ADMIN, "tanaka"), "ユーザー「tanaka」のサインインの待ち時間を解除",
     "サインインの待ち時間を解除 ユーザー「tanaka」"),
])
def test_an_account_change_bumps_the_data_version_and_is_in_the_history(users, change, note, shown):
    from kpi.intake import history
    before = users.data_version()
    change(users)
    assert users.data_version() == before + 1
    (last,) = users.uploads(limit=1)
    assert (last.upload_id, last.kind, last.uploaded_by, last.note, last.plan_id) == \
        (before + 1, "users", LOCAL_ADMIN.name, note, None)
    assert [history.describe_entry(e) for e in users.change_log(last.upload_id)] == [shown]
    assert not history.can_undo(LOCAL_ADMIN, last).allowed


def test_the_history_of_accounts_never_holds_a_password_hash(users):
    auth.update_user(users, LOCAL_ADMIN, "tanaka", password=PW + "!")
    logged = " ".join(str(v) for row in sql(users, "SELECT * FROM change_log") for v in row)
    assert "$argon2id$" not in logged and PW not in logged
    assert "（新しいパスワード）" in logged


@pytest.mark.parametrize("change, refusal", [
    (lambda s: auth.update_user(s, LOCAL_ADMIN, "tanaka", role="editor"), None),  # already an editor
    (lambda s: auth.update_user(s, LOCAL_ADMIN, "kanri", role="viewer"), "最後の管理者"),
    (lambda s: auth.add_user(s, LOCAL_ADMIN, "tanaka", "viewer", password=PW), "すでに登録"),
])
def test_an_account_change_that_changes_nothing_writes_nothing(users, change, refusal):
    before, uploads = users.data_version(), users.uploads()
    if refusal is None:
        change(users)
    else:
        with pytest.raises(auth.UserError, match=refusal):
            change(users)
    assert users.data_version() == before and users.uploads() == uploads
