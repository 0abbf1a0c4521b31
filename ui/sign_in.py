"""Who uses this session: the sign-in gate, its form, the remembered sign-in cookie and the user box.

The gate runs once per rerun, from the frame call at the top of every page (ui.frame.page); the
rest of the run reads its answer (ui.frame.current_user). Without users and without OIDC the app
stays open as the local administrator (first run, a desktop install).
"""

from __future__ import annotations

import hashlib

import streamlit as st

from kpi.access.permissions import Actor
from kpi.errors import KpiError
from kpi.store.store import Store
from ui import frame

# Session keys of the sign-in (no widget uses them, so a browser cannot set them).
_AUTH_USER = "_auth_user"  # name of the user signed in with a password
_AUTH_PUBLIC = "_auth_public"  # the visitor chose the public view without sign-in
_AUTH_SESSION = "_auth_session"  # the remembered sign-in (kpi.access.auth.Session) behind _AUTH_USER
_AUTH_COOKIE_CHECKED = "_auth_cookie_checked"  # this session has looked at its sign-in cookie once
_AUTH_COOKIE_CODE = "_auth_cookie_code"  # a new cookie waits for the page to fetch it (session_route)
_AUTH_CLEAR_COOKIE = "_auth_clear_cookie"  # the browser's cookie is to be cleared (signed out, refused)
_AUTH_NOTICE = "_auth_notice"  # why a remembered sign-in was refused, shown above the form
_AUTH_OIDC = "_auth_oidc"  # whether an OIDC provider is configured (oidc_configured), read once


def oidc_configured() -> bool:
    """An OIDC provider is set up in .streamlit/secrets.toml ([auth] section) for st.login.

    Read once per session (every page run asks): Streamlit sets up st.login from the secrets when the
    server starts, so a session never sees them change in a way that matters."""
    known = st.session_state.get(_AUTH_OIDC)
    if known is None:
        try:
            known = bool(st.secrets.get("auth"))
        except Exception:  # no secrets file at all
            known = False
        st.session_state[_AUTH_OIDC] = known
    return known


def client_address() -> str:
    """The browser's address, as the key for counting its failed sign-ins (kpi.access.auth.authenticate).

    st.context.ip_address is the connection's peer (None for loopback). Behind a reverse proxy the
    server (uvicorn, under Streamlit 1.67) replaces it with the client from X-Forwarded-For, but only
    for proxies listed in FORWARDED_ALLOW_IPS (default: this machine), so a browser cannot choose
    its own address by sending that header."""
    try:
        return st.context.ip_address or "local"
    except Exception:
        return "local"


def gate(store: Store, version: int | None = None) -> tuple[Actor, str]:
    """Decide who uses this session before the page draws anything; show the sign-in form and stop
    if nobody. Returns the actor and the sign-in mode (kpi.access.auth.sign_in_mode).

    The user is read again from the database on every run, so disabling a user or changing a role
    takes effect at once. A password sign-in survives a reload or a newly opened link through its
    cookie (kpi.access.auth sessions), checked once per page load. The form is drawn on the page the
    link named, so the same page opens once someone has signed in. version: the data version this run
    already read (ui.frame.page), which names the sign-in mode without asking the store again.
    """
    from kpi.access import auth
    from kpi.access.permissions import LOCAL_ADMIN, PUBLIC_VISITOR
    mode = frame.sign_in_mode(store, oidc_configured(), version)
    actor = None
    if mode == "local":
        # Tests and embedded uses may preset a lesser actor; with sign-in off everyone is admin anyway.
        actor = st.session_state.get("actor") or LOCAL_ADMIN
    elif mode == "oidc":
        if st.user.get("is_logged_in"):
            actor = auth.actor_for_email(store, st.user.get("email"), st.user.get("name"))
            if actor is None:
                st.error("このアカウントは停止されています。管理者に連絡してください。", icon=":material/block:")
                if st.button("サインアウト"):
                    st.logout()
                st.stop()
    else:
        name = st.session_state.get(_AUTH_USER)
        if not name:
            name = _remembered(store)
            if name:
                st.session_state[_AUTH_USER] = name
                st.session_state.pop(_AUTH_PUBLIC, None)
        if name:
            actor = auth.actor_for(store, name)
            if actor is None:  # disabled or removed since signing in
                st.session_state.pop(_AUTH_USER, None)
                st.session_state.pop(_AUTH_SESSION, None)
                st.session_state[_AUTH_CLEAR_COOKIE] = True
    if actor is None and st.session_state.get(_AUTH_PUBLIC):
        actor = PUBLIC_VISITOR
    if actor is None:
        st.session_state.pop("actor", None)
        _sign_in_form(store, mode)
        st.stop()
    st.session_state["actor"] = actor
    return actor, mode


def _remembered(store: Store) -> str | None:
    """The user a sign-in cookie sent with this page load names, if it still holds (once per session)."""
    from kpi.access import auth
    if st.session_state.get(_AUTH_COOKIE_CHECKED):
        return None
    st.session_state[_AUTH_COOKIE_CHECKED] = True
    try:
        token = st.context.cookies.get(auth.SESSION_COOKIE)
    except Exception:
        token = None
    if not token:
        return None
    try:
        session = auth.resume_session(store, token)
    except auth.SessionRefused as exc:
        st.session_state[_AUTH_NOTICE] = exc.message
        st.session_state[_AUTH_CLEAR_COOKIE] = True
        return None
    st.session_state[_AUTH_SESSION] = session
    return session.name


def _signed_in(store: Store, name: str) -> None:
    """This session is now `name`'s (just proven); remember it in the browser when the server can."""
    from kpi.access import auth
    from ui import session_route
    st.session_state[_AUTH_USER] = name
    st.session_state.pop(_AUTH_PUBLIC, None)
    st.session_state.pop(_AUTH_NOTICE, None)
    st.session_state.pop(_AUTH_CLEAR_COOKIE, None)
    if session_route.route_path():
        try:
            session, token = auth.issue_session(store, name)
        except auth.AuthError:  # a user without a password (OIDC only): signed in for this page load only
            return
        st.session_state[_AUTH_SESSION] = session
        st.session_state[_AUTH_COOKIE_CODE] = session_route.offer(token, session.expires - session.issued)


# Asks the server route to set or clear the sign-in cookie (ui/session_route.py). A component of
# Streamlit's own (st.components.v2): fixed code, the values passed as data, no HTML built from them.
_COOKIE_JS = """
export default function (component) {
  const d = component.data;
  if (!d || !d.path) return;
  fetch(d.path, {method: d.method, headers: {[d.header]: d.value}, credentials: "same-origin", cache: "no-store"})
    .catch(() => {});
}
"""
_cookie_call = None


def _cookie_script() -> None:
    """Set the new sign-in cookie, or clear the old one, through the server route (once per change)."""
    global _cookie_call
    from ui import session_route
    path = session_route.route_path()
    if not path:
        return
    code = st.session_state.get(_AUTH_COOKIE_CODE)
    if code and not session_route.pending(code):
        st.session_state.pop(_AUTH_COOKIE_CODE, None)
        code = None
    if code:
        method, value = "POST", code
    elif st.session_state.pop(_AUTH_CLEAR_COOKIE, False):
        method, value = "DELETE", "out"
    else:
        return
    if _cookie_call is None:
        _cookie_call = st.components.v2.component("kpi_session_cookie", js=_COOKIE_JS)
    # The code is good once, for a minute, and only sets a cookie for the browser that sends it.
    _cookie_call(data={"path": path, "method": method, "header": session_route.HEADER, "value": value},
                 key=cookie_key(method, value), height=0)


def cookie_key(method: str, value: str) -> str:
    """The cookie component's key, one per change. Streamlit refuses a component key with '__' in it,
    and a code (secrets.token_urlsafe) may hold '_' anywhere: so the key is a digest of the code,
    never the code itself (one sign-in in some 30 failed before)."""
    return f"kpi_session_cookie_{method}_{hashlib.sha256(value.encode()).hexdigest()[:16]}"


def _sign_in_form(store: Store, mode: str) -> None:
    from kpi.access import auth
    from kpi.access.permissions import PUBLIC_VISITOR, visible_plans
    _cookie_script()
    st.title("計画進捗ダッシュボード", anchor=False)
    st.subheader("サインイン", anchor=False)
    notice = st.session_state.pop(_AUTH_NOTICE, None)
    if notice:
        st.info(frame.md(notice), icon=":material/info:")
    if mode == "oidc":
        st.write("組織のアカウントでサインインしてください。")
        if st.button("組織のアカウントでサインイン", type="primary", icon=":material/login:"):
            try:
                st.login()
            except Exception as exc:  # Authlib missing or [auth] incomplete: say so, not a traceback
                frame.show_error(auth.AuthError("サインインの設定に不備があります。",
                                                hint="管理者に .streamlit/secrets.toml の [auth] を確認してもらってください"
                                                     f"（{type(exc).__name__}）"))
    else:
        with st.form("sign_in"):
            name = st.text_input("ユーザー名", key="_login_name")
            password = st.text_input("パスワード", type="password", key="_login_password")
            submitted = st.form_submit_button("サインイン", type="primary")
        if submitted:
            try:
                actor = auth.authenticate(store, name, password, client=client_address())
            except KpiError as exc:
                frame.show_error(exc)
            else:
                _signed_in(store, actor.name)
                st.rerun()  # the same page again, now signed in
    if visible_plans(PUBLIC_VISITOR, store.plans()):
        st.divider()
        st.caption("公開されている計画は、サインインしなくても閲覧できます（閲覧のみ）。")
        if st.button("公開されている計画を見る", icon=":material/public:"):
            st.session_state[_AUTH_PUBLIC] = True
            st.session_state.pop("plan_id", None)  # the public view opens on a public plan, not the last one read
            st.rerun()


def sign_in_as(name: str) -> None:
    """Sign this session in as a user it has just proven to be (the first administrator, created
    from this session while sign-in was still off)."""
    _signed_in(frame.get_store(), name)


def _sign_out(store: Store, mode: str) -> None:
    from kpi.access import auth
    session = st.session_state.pop(_AUTH_SESSION, None)
    if session is not None:
        try:  # refused by every server from now on, even if the browser kept the cookie
            auth.end_session(store, session)
        except KpiError as exc:
            frame.show_error(exc)
    for key in (_AUTH_USER, _AUTH_PUBLIC, _AUTH_COOKIE_CODE, "actor"):
        st.session_state.pop(key, None)
    st.session_state[_AUTH_CLEAR_COOKIE] = True
    st.session_state[_AUTH_COOKIE_CHECKED] = True  # this page load's cookie is the old one
    if mode == "oidc":
        st.logout()


def user_box(store: Store, actor: Actor, mode: str) -> None:
    """Who is using the app, and the way out (sidebar)."""
    with st.sidebar:
        if mode == "local":
            st.caption(f"利用者: {frame.md(actor.label)}（サインインなし）")
            return
        _cookie_script()
        st.caption(f"利用者: {frame.md(actor.label)}")
        if actor.public_only:
            if st.button("サインイン", key="_sign_in_again", icon=":material/login:"):
                st.session_state.pop(_AUTH_PUBLIC, None)
                st.rerun()
        elif st.button("サインアウト", key="_sign_out", icon=":material/logout:"):
            _sign_out(store, mode)
            st.rerun()
