"""The shared frame: the one cached store, the plan and fiscal-year pickers, and error display."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

import streamlit as st

from kpi.errors import KpiError, Problem, StoreUnavailable
from kpi.intake.demo import ensure_demo
from kpi.rules.assess import Assessor, PlanResult, assess_plan, default_as_of
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import GradingRule
from kpi.rules.model import PlanData
from kpi.store.store import Store, resolve_target

ERA_OPTIONS: dict[str, str] = {"wareki": "和暦", "seireki": "西暦"}


@st.cache_resource(show_spinner="データベースを開いています…")
def _open_store(path: str) -> Store:
    store = Store.open(path)
    ensure_demo(store)
    return store


def get_store(pages: Sequence[tuple[str, str, str]] | None = None) -> Store:
    """The one DuckDB connection of this server process (each query takes its own cursor).

    Every page gets the store through here, so every page is behind the sign-in: a browser
    that opens a page by its URL in a new session runs that page file without app.py
    (streamlit serves pages/ itself until app.py has called st.navigation once).
    pages: the router's (file, title, icon), home first, from app.py (see sign_in_gate).
    """
    _route_through_app()
    try:
        store = _open_store(resolve_target())
    except KpiError as exc:
        show_error(exc)
        st.stop()
        raise
    sign_in_gate(store, pages)
    return store


def _route_through_app() -> None:
    """Run every page inside app.py's frame, even on a deep link to a fresh server.

    Until some session has run st.navigation, streamlit treats the pages/ folder the old way
    (one script per page, its own English page list) and runs a deep-linked page file alone,
    without the frame's pickers. Switching the server to st.navigation routing and rerunning
    serves the same URL through app.py. (PagesManager is streamlit's own switch, pinned by
    streamlit==1.67.0 in requirements.txt; st.navigation sets the same flag itself.)
    """
    try:
        from unittest.mock import NonCallableMock

        from streamlit.runtime import Runtime
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a later streamlit without the folder mode: nothing to do
        return
    # Only on a real server: AppTest (whose runtime is a mock) resets the switch before every
    # run by design and drives the pages itself; tests/browser/test_deeplink.py covers the server.
    if isinstance(Runtime.instance(), NonCallableMock):
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _under_apptest() -> bool:
    """Whether this run is streamlit's AppTest (its runtime is a mock), not a real server."""
    try:
        from unittest.mock import NonCallableMock

        from streamlit.runtime import Runtime
        return Runtime.exists() and isinstance(Runtime.instance(), NonCallableMock)
    except Exception:
        return False


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_plan(path: str, version: int, plan_id: int) -> PlanData:
    return _open_store(path).load_plan(plan_id)


@st.cache_resource(show_spinner=False, max_entries=64)
def _plans(path: str, version: int):
    return _open_store(path).plans()


@st.cache_resource(show_spinner=False, max_entries=64)
def _rule(path: str, version: int, plan_id: int) -> GradingRule:
    return _open_store(path).rule(plan_id)


# The plan model, the plans, the rules and the extras are immutable (frozen dataclasses): they are
# kept once per process as resources and shared by sessions instead of being copied on every run.


def clear_data_caches() -> None:
    """Forget everything cached per data version (what a write makes stale), but keep the connection."""
    for fn in (_load_plan, _plans, _rule, _load_extras, _view, _store_view, _figure):
        fn.clear()


def data_version(store: Store) -> int:
    """The store's upload counter: every write (uploads, undo, rule and user changes) bumps it, on
    whichever server it happens, so caches keyed by it are fresh on the next run everywhere."""
    rows = store.query("SELECT value FROM counters WHERE name = 'upload'")
    return int(rows[0][0]) if rows else 0


def load_plan(store: Store, plan_id: int, version: int | None = None) -> PlanData:
    return _load_plan(store.target, data_version(store) if version is None else version, plan_id)


def plans(store: Store, version: int | None = None):
    """Every plan (PlanInfo), cached by data version (on a shared store each query is a round trip)."""
    return _plans(store.target, data_version(store) if version is None else version)


def rule(store: Store, plan_id: int, version: int | None = None) -> GradingRule:
    return _rule(store.target, data_version(store) if version is None else version, plan_id)


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_extras(path: str, version: int, plan_id: int):
    from kpi.views.extras import load_extras
    return load_extras(_open_store(path), plan_id)


@st.cache_resource(show_spinner="評価しています…", max_entries=64)
def _assessment(path: str, version: int, plan_id: int, fy: int, day: date) -> PlanResult:
    return assess_plan(_load_plan(path, version, plan_id), _rule(path, version, plan_id), as_of_fy=fy, today=day)


def assessed(ctx: "Context") -> Assessor:
    """The selected plan's assessment as of a fiscal year: one per (data version, plan, year, day).

    Assessing is the costly part of a page (about 2 ms per item). The result is plain data with
    no display style in it, so every view of a run, the pack and every session share one frozen
    PlanResult, and switching 和暦/西暦 only writes the sentences again. A write bumps the data
    version, so the next run assesses afresh; nothing needs clearing.
    """
    path, version, plan_id, day = ctx.store.target, ctx.version, ctx.plan_id, today()
    return lambda fy: _assessment(path, version, plan_id, fy, day)


@st.cache_data(show_spinner="集計しています…", max_entries=128)
def _view(path: str, version: int, plan_id: int, module: str, name: str, fy: int, style: str, day: date,
          options: tuple, _fn, _assessed: Assessor):
    return _fn(_load_plan(path, version, plan_id), _rule(path, version, plan_id), as_of_fy=fy, today=day,
               style=style, assessed=_assessed, **dict(options))


def _options(options: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


def view(ctx: "Context", fn, **options):
    """fn(data, rule, as_of_fy=, today=, style=, assessed=, **options) for the selected plan, kept until the data changes.

    Widgets rerun the page on every click, so the frozen view is cached by the data version and
    the choices that shaped it (fn is named by its module and name in the key); the assessment it
    is made from is the shared one (assessed).
    """
    return _view(ctx.store.target, ctx.version, ctx.plan_id, fn.__module__, fn.__name__, ctx.fy, ctx.style,
                 today(), _options(options), fn, assessed(ctx))


@st.cache_data(show_spinner=False, max_entries=128)
def _store_view(path: str, version: int, module: str, name: str, options: tuple, _fn):
    return _fn(_open_store(path), **dict(options))


def store_view(store: Store, fn, **options):
    """fn(store, **options) — a read that does not depend on the chosen plan (the upload list,
    one upload's changes) — kept until the next write, like view()."""
    return _store_view(store.target, data_version(store), fn.__module__, fn.__name__, _options(options), fn)


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(path: str, version: int, plan_id: int, fy: int, style: str, day: date, name: str, shape: tuple,
            _build, _args: tuple):
    return _build(*_args)


def figure(ctx: "Context", name: str, build, *args, **shape):
    """build(*args), a plotly figure, built once per data version and selection and shared by sessions.

    Building a figure costs more than the cached view it draws (plotly validates every
    property), so it is kept beside the view. name and shape (the widget choices the figure
    depends on) make the key; args come from the cached view of the same key and are not
    hashed. st.plotly_chart only reads the figure, so sessions can share one object.
    """
    return _figure(ctx.store.target, ctx.version, ctx.plan_id, ctx.fy, ctx.style, today(), name, _options(shape),
                   build, args)


def load_extras(store: Store, plan_id: int, version: int | None = None):
    """Schedules, narratives, plan notes and status marks (kpi.views.extras.PlanExtras), cached like load_plan."""
    return _load_extras(store.target, data_version(store) if version is None else version, plan_id)


def today() -> date:
    return date.today()


def era() -> Style:
    return st.session_state.get("era", "wareki")


def fy_label(fy: int | None) -> str:
    return format_fiscal_year(fy, era())


def show_error(exc: BaseException) -> None:
    """The one place errors are shown: title, message, and what to do."""
    if isinstance(exc, KpiError):
        # Messages quote file names and cell text: escaped so they show as typed, never as Markdown.
        text = f"**{md(exc.title)}**\n\n{md(exc.message)}"
        if exc.hint:
            text += f"\n\n→ {md(exc.hint)}"
        problems = getattr(exc, "problems", None)
        st.error(text, icon=":material/error:")
        if problems:
            show_problems(problems)
        if isinstance(exc, StoreUnavailable):
            # The connection comes back by itself once the server returns; a click reruns the page.
            st.button("もう一度試す", icon=":material/refresh:", key="store_retry")
    else:
        st.error(f"**予期しないエラー**\n\n{type(exc).__name__}。データは変更していません。管理者に連絡してください。",
                 icon=":material/error:")


def show_problems(problems: Iterable[Problem], *, key: str | None = None) -> None:
    """Errors and warnings: the first ones listed (kpi.intake.problem_report.SHOWN), and when there are more,
    the count of each kind and the whole list as a CSV download."""
    from kpi.intake.problem_report import problems_csv, summarize
    problems = list(problems)
    s = summarize(problems)
    if s.n_errors:
        st.error(f"エラー {s.n_errors:,} 件（直すまで取り込めません）\n\n" +
                 "\n".join(f"- {md(p.where)}: {md(p.message)}" + (f"（{md(p.hint)}）" if p.hint else "")
                           for p in s.errors),
                 icon=":material/error:")
    if s.n_warnings and s.warnings:
        st.warning(f"注意 {s.n_warnings:,} 件\n\n" +
                   "\n".join(f"- {md(p.where) + ': ' if p.where else ''}{md(p.message)}" +
                             (f"（{md(p.hint)}）" if p.hint else "") for p in s.warnings),
                   icon=":material/warning:")
    elif s.n_warnings:
        st.warning(f"注意 {s.n_warnings:,} 件（一覧はCSVでご覧ください）", icon=":material/warning:")
    if s.truncated:
        st.markdown(f"**全 {s.total:,} 件のうち最初の {s.shown:,} 件を表示しています。** 種類ごとの件数:\n\n" +
                    "\n".join(f"- {'エラー' if k.level == 'error' else '注意'}・{md(k.label)}: {k.count:,} 件" for k in s.kinds))
        files = sorted({p.file for p in problems if p.file})
        st.download_button(f"問題の一覧（全 {s.total:,} 件）をCSVでダウンロード", problems_csv(problems),
                           file_name="問題一覧.csv", mime="text/csv", icon=":material/download:",
                           key=key or f"problems_csv_{'_'.join(files)}_{s.total}")


def sidebar(store: Store) -> tuple[PlanData | None, GradingRule | None, int | None]:
    """Plan and fiscal-year pickers shared by every page; returns the chosen plan's data."""
    from kpi.access.permissions import no_plan_message, visible_plans
    version = data_version(store)
    every = plans(store, version)
    actor = current_user()
    shown = visible_plans(actor, every)
    with st.sidebar:
        st.caption("表示する計画と年度")
        if not shown:
            st.info(no_plan_message(actor, any_plan=bool(every)))
            return None, None, None
        ids = [p.plan_id for p in shown]
        names = {p.plan_id: p.name for p in shown}
        if st.session_state.get("plan_id") not in ids:
            st.session_state["plan_id"] = ids[0]
        plan_id = st.selectbox("計画", ids, format_func=lambda i: names[i], key="plan_id")
        data = load_plan(store, plan_id, version)
        plan_rule = rule(store, plan_id, version)
        years = sorted(set(data.plan.years) | set(data.data_years))
        default = default_as_of(data, today())
        if years and default not in years:
            years.append(default)
            years.sort()
        fy_key = f"fy_{plan_id}"
        if st.session_state.get(fy_key) not in years:
            st.session_state[fy_key] = default
        fy = st.selectbox("年度（この年度までの状況）", years, format_func=fy_label, key=fy_key) if years else None
        if st.session_state.get("era") not in ERA_OPTIONS:
            st.session_state["era"] = "wareki"
        st.radio("年度の表示", list(ERA_OPTIONS), format_func=ERA_OPTIONS.get, key="era", horizontal=True)
        if data.plan.municipality or data.plan.start_fy:
            period = (f"{fy_label(data.plan.start_fy)}〜{fy_label(data.plan.end_fy)}"
                      if data.plan.start_fy and data.plan.end_fy else "")
            st.caption(f"{md(data.plan.municipality)}　{md(data.plan.kind)}　計画期間 {period}")
    st.session_state["fy"] = fy
    return data, plan_rule, fy


class Context:
    """What the frame's pickers selected, for the page being run."""

    def __init__(self, store: Store, data: PlanData, rule: GradingRule, fy: int, style: Style, version: int):
        self.store, self.data, self.rule, self.fy, self.style = store, data, rule, fy, style
        self.version = version  # the data version read once for this run (frame.data_version)

    @property
    def plan_id(self) -> int:
        return self.data.plan.plan_id

    @property
    def extras(self):
        """Schedules, narratives and notes of the plan (read on first use, cached by data version)."""
        return load_extras(self.store, self.plan_id, self.version)


def context() -> Context | None:
    """The selected plan and year; pages call this first and stop politely when there is none."""
    store = get_store()
    from kpi.access.permissions import no_plan_message, readable_plan
    from kpi.errors import PermissionDenied
    version = data_version(store)
    every = plans(store, version)
    actor = current_user()
    plan_id = st.session_state.get("plan_id")
    if plan_id is None:
        st.info(no_plan_message(actor, any_plan=bool(every)))
        return None
    try:
        readable_plan(actor, every, plan_id)
    except PermissionDenied as exc:
        st.info(exc.message)
        return None
    data = load_plan(store, plan_id, version)
    fy = st.session_state.get(f"fy_{plan_id}") or default_as_of(data, today())
    plan_rule = rule(store, plan_id, version)
    # Stored records the readers had to stand in for (an unreadable rule, a value that is not a
    # number): every page of the plan says which, instead of failing or hiding it.
    for notice in ((plan_rule.notice,) if plan_rule.notice else ()) + data.notices:
        st.warning(md(notice), icon=":material/report:")
    return Context(store, data, plan_rule, fy, era(), version)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """User text for st.markdown: Markdown and HTML characters escaped, line breaks kept."""
    if text is None:
        return ""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def current_user():
    """Who is using this session (kpi.access.permissions.Actor), as set by sign_in_gate() on every run:
    the signed-in user, the public visitor, or the local administrator when sign-in is off."""
    if "actor" not in st.session_state:
        get_store()  # runs the sign-in gate: sets the actor, or shows the sign-in form and stops
    return st.session_state["actor"]


# Session keys of the sign-in (no widget uses them, so a browser cannot set them).
_AUTH_USER = "_auth_user"  # name of the user signed in with a password
_AUTH_PUBLIC = "_auth_public"  # the visitor chose the public view without sign-in
_AUTH_SESSION = "_auth_session"  # the remembered sign-in (kpi.access.auth.Session) behind _AUTH_USER
_AUTH_COOKIE_CHECKED = "_auth_cookie_checked"  # this session has looked at its sign-in cookie once
_AUTH_COOKIE_CODE = "_auth_cookie_code"  # a new cookie waits for the page to fetch it (session_route)
_AUTH_CLEAR_COOKIE = "_auth_clear_cookie"  # the browser's cookie is to be cleared (signed out, refused)
_AUTH_NOTICE = "_auth_notice"  # why a remembered sign-in was refused, shown above the form


def oidc_configured() -> bool:
    """An OIDC provider is set up in .streamlit/secrets.toml ([auth] section) for st.login."""
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # no secrets file at all
        return False


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
                 key=f"kpi_session_cookie_{method}_{value[:12]}", height=0)


def _keep_the_page_asked_for(pages: Sequence[tuple[str, str, str]] | None) -> None:
    """Before the sign-in form, let the router resolve the page the link names (every page, none of
    them listed), so that the same URL opens that page once someone has signed in — if app.py's list
    for them holds it; otherwise the router opens ホーム, as for any page a role does not see."""
    if not pages or _under_apptest():
        # AppTest runs only the first run of an st.navigation app through app.py and every later
        # run as the resolved page alone, so a navigation here would take its sign-in runs out of
        # the gate's hands; tests/browser/test_access.py covers this on the real server.
        return
    root = Path(__file__).resolve().parent.parent
    st.navigation([st.Page(path, title=title, icon=icon, default=i == 0)
                   for i, (path, title, icon) in enumerate(pages) if (root / path).exists()], position="hidden")


def sign_in_gate(store: Store, pages: Sequence[tuple[str, str, str]] | None = None):
    """Decide who uses this session before any page runs; show the sign-in form and stop if nobody.

    Without users and without OIDC the app stays open as the local administrator (first run,
    a desktop install). The user is read again from the database on every run, so disabling
    a user or changing a role takes effect at once. A password sign-in survives a reload or a
    newly opened link through its cookie (kpi.access.auth sessions), checked once per page load.
    """
    from kpi.access import auth
    from kpi.access.permissions import LOCAL_ADMIN, PUBLIC_VISITOR
    mode = auth.sign_in_mode(store, oidc_configured())
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
        _keep_the_page_asked_for(pages)
        _sign_in_form(store, mode)
        st.stop()
    st.session_state["actor"] = actor
    return actor


def _sign_in_form(store: Store, mode: str) -> None:
    from kpi.access import auth
    from kpi.access.permissions import PUBLIC_VISITOR, visible_plans
    _cookie_script()
    st.title("計画進捗ダッシュボード", anchor=False)
    st.subheader("サインイン", anchor=False)
    notice = st.session_state.pop(_AUTH_NOTICE, None)
    if notice:
        st.info(md(notice), icon=":material/info:")
    if mode == "oidc":
        st.write("組織のアカウントでサインインしてください。")
        if st.button("組織のアカウントでサインイン", type="primary", icon=":material/login:"):
            try:
                st.login()
            except Exception as exc:  # Authlib missing or [auth] incomplete: say so, not a traceback
                show_error(auth.AuthError("サインインの設定に不備があります。",
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
                show_error(exc)
            else:
                _signed_in(store, actor.name)
                st.rerun()
    if visible_plans(PUBLIC_VISITOR, store.plans()):
        st.divider()
        st.caption("公開されている計画は、サインインしなくても閲覧できます（閲覧のみ）。")
        if st.button("公開されている計画を見る", icon=":material/public:"):
            st.session_state[_AUTH_PUBLIC] = True
            st.rerun()


def sign_in_as(name: str) -> None:
    """Sign this session in as a user it has just proven to be (the first administrator, created
    from this session while sign-in was still off)."""
    _signed_in(_open_store(resolve_target()), name)  # not get_store(): its gate would ask this session to sign in


def _sign_out(mode: str) -> None:
    from kpi.access import auth
    session = st.session_state.pop(_AUTH_SESSION, None)
    if session is not None:
        try:  # refused by every server from now on, even if the browser kept the cookie
            auth.end_session(get_store(), session)
        except KpiError as exc:
            show_error(exc)
    for key in (_AUTH_USER, _AUTH_PUBLIC, _AUTH_COOKIE_CODE, "actor"):
        st.session_state.pop(key, None)
    st.session_state[_AUTH_CLEAR_COOKIE] = True
    st.session_state[_AUTH_COOKIE_CHECKED] = True  # this page load's cookie is the old one
    if mode == "oidc":
        st.logout()


def user_box(actor) -> None:
    """Who is using the app, and the way out (sidebar)."""
    from kpi.access import auth
    mode = auth.sign_in_mode(get_store(), oidc_configured())
    with st.sidebar:
        if mode == "local":
            st.caption(f"利用者: {md(actor.label)}（サインインなし）")
            return
        _cookie_script()
        st.caption(f"利用者: {md(actor.label)}")
        if actor.public_only:
            if st.button("サインイン", key="_sign_in_again", icon=":material/login:"):
                st.session_state.pop(_AUTH_PUBLIC, None)
                st.rerun()
        elif st.button("サインアウト", key="_sign_out", icon=":material/logout:"):
            _sign_out(mode)
            st.rerun()
