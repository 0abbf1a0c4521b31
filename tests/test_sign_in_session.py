"""Staying signed in: the signed, expiring sign-in cookie and every way it is refused (issue 14, item 9).

The browser side (a reload and a newly opened link keep the sign-in, signing out ends it, a forged
or expired cookie is refused by the real server) is tests/browser/test_sign_in_session.py.
"""

from __future__ import annotations

import pytest

from helpers import sql

from kpi.access import auth
from kpi.access.permissions import LOCAL_ADMIN
from kpi.store.store import Store

PW = "correct-horse-42"
NOW = 1_800_000_000.0


@pytest.fixture
def users(store):
    auth.add_user(store, LOCAL_ADMIN, "kanri", "admin", password=PW)
    auth.add_user(store, LOCAL_ADMIN, "tanaka", "editor", ["中央公民館"], password=PW)
    return store


def test_a_new_session_resumes_until_it_expires(users, monkeypatch):
    monkeypatch.setenv("KPI_SESSION_HOURS", "12")
    session, token = auth.issue_session(users, "kanri", now=NOW)
    assert session.expires - session.issued == 12 * 3600
    assert auth.resume_session(users, token, now=NOW + 3600) == session
    with pytest.raises(auth.SessionRefused, match="有効期限（12時間）が切れました"):
        auth.resume_session(users, token, now=session.expires)
    assert "kanri" not in token.split(".")[1]  # the signature part names no one


def forge(token: str, **changes) -> str:
    import base64
    import json
    payload, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{raw}.{mac}"


@pytest.mark.parametrize("make, reason", [
    (lambda t, s: forge(t, u="tanaka"), "正しくありません"),            # someone else's name, same signature
    (lambda t, s: forge(t, exp=NOW + 10 ** 9), "正しくありません"),     # a longer life, same signature
    (lambda t, s: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), "正しくありません"),  # another signature
    (lambda t, s: t.split(".")[0], "正しくありません"),                 # no signature at all
    (lambda t, s: "garbage", "正しくありません"),
    (lambda t, s: "", "正しくありません"),
    (lambda t, s: "a.b.c", "正しくありません"),
    (lambda t, s: auth.sign_session(b"not-the-servers-key" * 2, s, auth.password_stamp(s.name, "x")), "正しくありません"),
])
def test_forged_cookies_are_refused(users, make, reason):
    session, token = auth.issue_session(users, "kanri", now=NOW)
    with pytest.raises(auth.SessionRefused, match=reason):
        auth.resume_session(users, make(token, session), now=NOW + 1)


def test_a_changed_password_a_disabled_user_and_signing_out_end_the_session(users):
    _s1, kanri = auth.issue_session(users, "kanri", now=NOW)
    s2, tanaka = auth.issue_session(users, "tanaka", now=NOW)
    _s3, tanaka_other_browser = auth.issue_session(users, "tanaka", now=NOW)
    auth.update_user(users, LOCAL_ADMIN, "kanri", password="another-horse-43")
    with pytest.raises(auth.SessionRefused, match="正しくありません"):
        auth.resume_session(users, kanri, now=NOW + 1)
    auth.end_session(users, s2, now=NOW + 2)
    with pytest.raises(auth.SessionRefused, match="サインアウト"):
        auth.resume_session(users, tanaka, now=NOW + 3)
    assert auth.resume_session(users, tanaka_other_browser, now=NOW + 3).name == "tanaka"  # only that one
    auth.update_user(users, LOCAL_ADMIN, "tanaka", active=False)
    with pytest.raises(auth.SessionRefused):
        auth.resume_session(users, tanaka_other_browser, now=NOW + 4)


def test_the_key_is_made_once_in_the_database_and_never_restored(users, tmp_path):
    key = auth.session_secret(users)
    assert len(key) == 32 and auth.session_secret(users) == key
    assert sql(users, "SELECT count(*) FROM auth_state WHERE kind = 'cookie_secret'") == [(1,)]
    from kpi.intake.backup import NOT_RESTORED
    assert "auth_state" in NOT_RESTORED  # a restore never brings back an old key or un-revokes a sign-out


def test_the_key_and_secrets_stay_out_of_git():
    import subprocess

    from conftest import ROOT
    for path in (".streamlit/secrets.toml", "data/kpi.duckdb", "data/backups/kpi-x.duckdb"):
        r = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert r.returncode == 0, f"{path} is not ignored by git"


def test_old_sign_out_records_are_pruned(users):
    s1, _t = auth.issue_session(users, "kanri", now=NOW)
    auth.end_session(users, s1, now=NOW)
    s2, _t = auth.issue_session(users, "kanri", now=s1.expires + 10)
    auth.end_session(users, s2, now=s1.expires + 10)
    assert [r[0] for r in sql(users, "SELECT value FROM auth_state WHERE kind = 'signed_out'")] == [s2.sid]


def test_shared_key_between_two_stores_on_one_file(tmp_path):
    db = tmp_path / "k.duckdb"
    a = Store.open(db)
    auth.add_user(a, LOCAL_ADMIN, "kanri", "admin", password=PW)
    _s, token = auth.issue_session(a, "kanri", now=NOW)
    a.close()
    b = Store.open(db)  # the next start of the server: the cookie still holds
    try:
        assert auth.resume_session(b, token, now=NOW + 60).name == "kanri"
    finally:
        b.close()


def test_a_cookie_before_any_key_exists_is_refused_and_makes_no_key(users):
    other = auth.sign_session(b"k" * 32, auth.Session("kanri", "x", int(NOW), int(NOW) + 60),
                              auth.password_stamp("kanri", sql(users, "SELECT password_hash FROM users "
                                                                       "WHERE name = 'kanri'")[0][0]))
    with pytest.raises(auth.SessionRefused):
        auth.resume_session(users, other, now=NOW)
    assert sql(users, "SELECT count(*) FROM auth_state") == [(0,)]  # a stranger's cookie writes nothing


@pytest.mark.parametrize("code", ["_starts-with-underscore", "has__two_underscores", "ends_", "-_-_-_", "plain"])
def test_the_cookie_components_key_is_one_streamlit_accepts_whatever_the_code(code):
    """A sign-in code is secrets.token_urlsafe, so '_' may be anywhere in it; Streamlit refuses a
    component key holding its event delimiter '__' (the sign-in then failed with an error)."""
    from streamlit.components.v2.bidi_component.main import EVENT_DELIM

    from ui.sign_in import cookie_key
    for method in ("POST", "DELETE"):
        key = cookie_key(method, code)
        assert EVENT_DELIM not in key and not key.endswith("_"), key
    assert cookie_key("POST", code) != cookie_key("POST", code + "x")  # one key per code
