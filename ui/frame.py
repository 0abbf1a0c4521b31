"""The shared frame: the frame call every page starts with (page / plan_page), the one cached store,
the plan and fiscal-year pickers, and error display. Sign-in is ui.sign_in, the menu ui.navigation."""

from __future__ import annotations

import re
from datetime import date
from typing import Iterable, NamedTuple

import streamlit as st

from kpi.access.permissions import Actor
from kpi.errors import KpiError, Problem, StoreUnavailable
from kpi.intake.demo import ensure_demo
from kpi.rules.assess import Assessor, PlanResult, assess_plan, default_as_of, latest_reported
from kpi.rules.fiscal import Style, format_fiscal_year
from kpi.rules.grading import GradingRule
from kpi.rules.model import PlanData
from kpi.store.store import Store, resolve_target
from ui import heap

heap.settle()  # the start-up heap is frozen before the first page builds anything (ui/heap.py)

ERA_OPTIONS: dict[str, str] = {"wareki": "和暦", "seireki": "西暦"}


@st.cache_resource(show_spinner="データベースを開いています…")
def _open_store(path: str) -> Store:
    store = Store.open(path)
    ensure_demo(store)
    return store


def get_store() -> Store:
    """The one DuckDB connection of this server process (each query takes its own cursor); a page
    gets it from its frame call (page()), which also runs the sign-in gate."""
    try:
        return _open_store(path=resolve_target())
    except KpiError as exc:
        show_error(exc)
        st.stop()
        raise


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_plan(path: str, version: int, plan_id: int) -> PlanData:
    return _open_store(path).load_plan(plan_id)


@st.cache_resource(show_spinner=False, max_entries=64)
def _shown_plan(path: str, version: int, plan_id: int) -> PlanData:
    """The plan as the pages show it (issue 20, kpi.cycle.shown): values awaiting review marked 未確定
    or hidden, and graded against the original targets, as the plan's cycle settings say."""
    from kpi.cycle.shown import as_shown
    return as_shown(_open_store(path=path), _load_plan(path=path, version=version, plan_id=plan_id))


@st.cache_resource(show_spinner=False, max_entries=64)
def _plan_years(path: str, version: int, plan_id: int):
    return _open_store(path).plan_years(plan_id)


@st.cache_resource(show_spinner=False, max_entries=64)
def _plans(path: str, version: int):
    return _open_store(path).plans()


@st.cache_resource(show_spinner=False, max_entries=64)
def _rule(path: str, version: int, plan_id: int) -> GradingRule:
    return _open_store(path).rule(plan_id)


# Cached functions are called with keywords: Streamlit names each positional argument through
# inspect.signature on every call (about 0.3 ms each, a few ms per run).
# The plan model, the plans, the rules and the extras are immutable (frozen dataclasses): they are
# kept once per process as resources and shared by sessions instead of being copied on every run.


def clear_data_caches() -> None:
    """Forget everything cached per data version (what a write makes stale), but keep the connection."""
    for fn in (_load_plan, _shown_plan, _plan_years, _plans, _rule, _load_extras, _view, _store_view, _assessment, _figure,
               _sign_in_mode):
        fn.clear()


def data_version(store: Store) -> int:
    """The store's upload counter: every write (uploads, undo, rule and user changes) bumps it, on
    whichever server it happens, so caches keyed by it are fresh on the next run everywhere."""
    return store.data_version()


@st.cache_resource(show_spinner=False, max_entries=16)
def _sign_in_mode(path: str, version: int) -> str:
    from kpi.access import auth
    return auth.sign_in_mode(_open_store(path), oidc_configured=False)


def sign_in_mode(store: Store, oidc: bool, version: int | None = None) -> str:
    """kpi.access.auth.sign_in_mode, kept by data version: every change of users bumps it, so the
    sign-in gate of a page run does not ask the store whether anyone is registered (a query a run)."""
    if oidc or version is None:
        from kpi.access import auth
        return auth.sign_in_mode(store, oidc)
    return _sign_in_mode(path=store.target, version=version)


def load_plan(store: Store, plan_id: int, version: int | None = None) -> PlanData:
    return _load_plan(path=store.target, version=data_version(store) if version is None else version, plan_id=plan_id)


def plans(store: Store, version: int | None = None):
    """Every plan (PlanInfo), cached by data version (on a shared store each query is a round trip)."""
    return _plans(path=store.target, version=data_version(store) if version is None else version)


def rule(store: Store, plan_id: int, version: int | None = None) -> GradingRule:
    return _rule(path=store.target, version=data_version(store) if version is None else version, plan_id=plan_id)


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_extras(path: str, version: int, plan_id: int):
    from kpi.views.extras import load_extras
    return load_extras(_open_store(path), plan_id)


@st.cache_resource(show_spinner="評価しています…", max_entries=64)
def _assessment(path: str, version: int, plan_id: int, fy: int, day: date) -> PlanResult:
    # the plan as shown (kpi.cycle.shown): every view grades what the page shows, as ctx.data holds it
    return assess_plan(_shown_plan(path, version, plan_id), _rule(path, version, plan_id), as_of_fy=fy, today=day)


def assessed(ctx: "Context") -> Assessor:
    """The selected plan's assessment as of a fiscal year: one per (data version, plan, year, day).

    The result is plain data with no display style in it, so every view of a run, the pack and
    every session share one frozen PlanResult, and switching 和暦/西暦 only writes the sentences
    again. Every year's result shares the plan's one graded table (kpi.rules.graded, kept with the
    shown plan object of this data version), so the year before costs only its lagging step. A
    write bumps the data version, so the next run assesses afresh; nothing needs clearing.
    """
    path, version, plan_id, day = ctx.store.target, ctx.version, ctx.plan_id, today()
    return lambda fy: _assessment(path, version, plan_id, fy, day)


# Views and figures are kept as resources, not st.cache_data: a cached datum is unpickled afresh on
# every run (about 0.2 s for the meeting deck at prefecture scale), while a view is a frozen result
# that the pages only read, so every run and session can share the one object.
@st.cache_resource(show_spinner="集計しています…", max_entries=128)
def _view(path: str, version: int, plan_id: int, module: str, name: str, fy: int, style: str, day: date,
          options: tuple, _fn, _assessed: Assessor, _read: dict):
    return _fn(_shown_plan(path=path, version=version, plan_id=plan_id), _rule(path=path, version=version, plan_id=plan_id),
               as_of_fy=fy, today=day,
               style=style, assessed=_assessed, **dict(options), **_read)


def _options(options: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


def view(ctx: "Context", fn, *, read: dict | None = None, **options):
    """fn(data, rule, as_of_fy=, today=, style=, assessed=, **options, **read) for the selected plan, kept until the data changes.

    Widgets rerun the page on every click, so the frozen view is cached by the data version and
    the choices that shaped it (fn is named by its module and name in the key); the assessment it
    is made from is the shared one (assessed). read: arguments read from the store for this plan
    at this run's data version (opinions, narratives): the version and plan already name them, so
    they are passed without being hashed into the key (hashing a plan's narratives costs more
    than the view).
    """
    return _view(path=ctx.store.target, version=ctx.version, plan_id=ctx.plan_id, module=fn.__module__,
                 name=fn.__name__, fy=ctx.fy, style=ctx.style, day=today(), options=_options(options), _fn=fn,
                 _assessed=assessed(ctx), _read=read or {})


@st.cache_resource(show_spinner=False, max_entries=128)
def _store_view(path: str, version: int, module: str, name: str, options: tuple, _fn):
    return _fn(_open_store(path), **dict(options))


def store_view(store: Store, fn, *, version: int | None = None, **options):
    """fn(store, **options) — a read that does not depend on the chosen plan (the upload list,
    one upload's changes) — kept until the next write, like view(); version: the data version this
    run already read (Context.version), to save the query."""
    return _store_view(path=store.target, version=data_version(store) if version is None else version,
                       module=fn.__module__, name=fn.__name__, options=_options(options), _fn=fn)


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(path: str, version: int, plan_id: int, fy: int, style: str, day: date, name: str, shape: tuple,
            _build, _args: tuple):
    from ui.charts import drawn
    return drawn(_build(*_args))


def figure(ctx: "Context", name: str, build, *args, **shape):
    """build(*args), a plotly figure, built once per data version and selection and shared by sessions.

    Building a figure costs more than the cached view it draws (plotly validates every
    property), so it is kept beside the view. name and shape (the widget choices the figure
    depends on) make the key; args come from the cached view of the same key and are not
    hashed. st.plotly_chart only reads the figure, so sessions can share one object; its dict
    is made once (ui.charts.Drawn), not on every send.
    """
    return _figure(path=ctx.store.target, version=ctx.version, plan_id=ctx.plan_id, fy=ctx.fy, style=ctx.style,
                   day=today(), name=name, shape=_options(shape), _build=build, _args=args)


def load_extras(store: Store, plan_id: int, version: int | None = None):
    """Schedules, narratives, plan notes and status marks (kpi.views.extras.PlanExtras), cached like load_plan."""
    return _load_extras(path=store.target, version=data_version(store) if version is None else version, plan_id=plan_id)


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


def sidebar(store: Store, version: int | None = None, *, plan_page: bool = True) -> tuple[int | None, int | None]:
    """Plan and fiscal-year pickers shared by every page; returns the chosen plan's id and year.

    A page about the plan (plan_page) reads the years from the plan it opens anyway; a page that
    shows no plan data reads them alone (Store.plan_years) instead of opening the plan (its values,
    items and grades) only to draw the picker."""
    from kpi.access.permissions import no_plan_message, visible_plans
    version = data_version(store) if version is None else version
    every = plans(store, version)
    actor = current_user()
    shown = visible_plans(actor, every)
    with st.sidebar:
        st.caption("表示する計画と年度")
        if not shown:
            st.info(no_plan_message(actor, any_plan=bool(every)))
            return None, None
        ids = [p.plan_id for p in shown]
        names = {p.plan_id: p.name for p in shown}
        # In Streamlit's pages/ mode a widget belongs to its page (the page is part of its id), so the
        # choices made on one page would be dropped on the next; set again as plain values before the
        # widgets are drawn, they carry over (Streamlit's documented way for multipage apps).
        _carry_over("plan_id", "era")
        # A first visit, a plan removed, or a plan this person may not read (however its id got into
        # the session): the first plan they may read. Nothing of the other plan is shown, not even
        # whether it exists.
        if st.session_state.get("plan_id") not in ids:
            if st.session_state.get("plan_id") is not None:
                # This run's page refuses it (context()), in the words used for a missing plan.
                st.session_state["_refused_plan"] = st.session_state["plan_id"]
            st.session_state["plan_id"] = ids[0]
        plan_id = st.selectbox("計画", ids, format_func=lambda i: names[i], key="plan_id")
        if plan_id is None:
            return None, None
        info = next(p for p in shown if p.plan_id == plan_id)
        if plan_page:
            data = load_plan(store, plan_id, version)
            data_years, reported = data.data_years, data.reported_years
        else:
            data_years, reported = _plan_years(path=store.target, version=version, plan_id=plan_id)
        years = sorted(set(info.years) | set(data_years))
        default = latest_reported(info, reported, today())
        if years and default not in years:
            years.append(default)
            years.sort()
        fy_key = f"fy_{plan_id}"
        _carry_over(fy_key)
        if st.session_state.get(fy_key) not in years:
            st.session_state[fy_key] = default
        fy = st.selectbox("年度（この年度までの状況）", years, format_func=fy_label, key=fy_key) if years else None
        if st.session_state.get("era") not in ERA_OPTIONS:
            st.session_state["era"] = "wareki"
        st.radio("年度の表示", list(ERA_OPTIONS), format_func=ERA_OPTIONS.get, key="era", horizontal=True)
        if info.municipality or info.start_fy:
            period = (f"{fy_label(info.start_fy)}〜{fy_label(info.end_fy)}"
                      if info.start_fy and info.end_fy else "")
            st.caption(f"{md(info.municipality)}　{md(info.kind)}　計画期間 {period}")
    st.session_state["fy"] = fy
    return plan_id, fy


def _carry_over(*keys: str) -> None:
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


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


def context(store: Store | None = None, version: int | None = None) -> Context | None:
    """The selected plan and year, or None with a notice why there is none (read by page(plan=True))."""
    store = store or get_store()
    from kpi.access.permissions import no_plan_message, readable_plan
    from kpi.errors import PermissionDenied
    version = data_version(store) if version is None else version
    every = plans(store, version)
    actor = current_user()
    plan_id = st.session_state.get("plan_id")
    if plan_id is None:
        st.info(no_plan_message(actor, any_plan=bool(every)))
        return None
    try:
        readable_plan(actor, every, st.session_state.pop("_refused_plan", plan_id))
    except PermissionDenied as exc:
        st.info(exc.message)
        return None
    data = _shown_plan(path=store.target, version=version, plan_id=plan_id)
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
    """Who is using this session (kpi.access.permissions.Actor), as the sign-in gate of this run's frame
    call decided: the signed-in user, the public visitor, or the local administrator when sign-in is off."""
    if "actor" not in st.session_state:  # before any frame call of this session (a widget callback)
        from ui import sign_in
        sign_in.gate(get_store())  # sets the actor, or shows the sign-in form and stops
    return st.session_state["actor"]


def sign_in_as(name: str) -> None:
    """Sign this session in as a user it has just proven to be (the users page, after creating the
    first administrator while sign-in was still off)."""
    from ui import sign_in
    sign_in.sign_in_as(name)


def oidc_configured() -> bool:
    """An OIDC provider is set up for st.login (ui.sign_in)."""
    from ui import sign_in
    return sign_in.oidc_configured()


# ------------------------------------------------------------------ the frame call
class Page(NamedTuple):
    """What the frame call gives the page below it."""
    store: Store
    actor: Actor
    ctx: Context | None  # the chosen plan and year, when the page asked for them (plan=True)


def page(file: str, *, plan: bool = False) -> Page:
    """The frame around a page: every page file starts with this one call (page(__file__)).

    Streamlit runs the page file alone (its pages/ folder mode; app.py is only the "/" page), so the
    frame is here rather than in a router: the page settings, the store, the sign-in gate (once per
    run: the form, and st.stop() until someone is signed in), a page this person may not open sent
    to ホーム (ui.navigation), the menu, the plan and year pickers and the user box in the sidebar,
    and with plan=True the chosen plan (None, with the reason shown, when there is none).
    """
    from ui import navigation, sign_in
    st.set_page_config(page_title="計画進捗ダッシュボード", page_icon=":material/monitoring:", layout="wide")
    store = get_store()
    # Every read of this run, the frame's and the page's, from one snapshot of a shared store (one
    # catalog check per run instead of one per query); the next run reads afresh.
    store.pin_reads()
    # A shared store whose server is down raises StoreUnavailable from any query of the frame: the
    # page says so with a retry button, and the next run works once the server is back.
    try:
        # One data version per run for the sign-in gate, the pickers and the page's caches (each read
        # is a query, a round trip on a shared store); a page that writes reads it afresh (data_version).
        version = data_version(store)
        actor, mode = sign_in.gate(store, version)
        if not navigation.may_open(actor, navigation.entry(file)):
            navigation.go_home()
        navigation.draw_menu(actor)
        with st.sidebar:
            st.markdown("### 計画進捗ダッシュボード")
        sidebar(store, version, plan_page=plan)
        sign_in.user_box(store, actor, mode)
        return Page(store, actor, context(store, version) if plan else None)
    except StoreUnavailable as exc:
        show_error(exc)
        st.stop()
        raise


def plan_page(file: str) -> Context:
    """page(file, plan=True) for a page about the chosen plan; stops politely when there is none."""
    ctx = page(file, plan=True).ctx
    if ctx is None:
        st.stop()
    return ctx


def script_error(exc: Exception) -> bool:
    """st.App's on_script_error (serve.py): an error for people (KpiError) that a page did not catch
    is shown the one way (show_error) instead of Streamlit's message; anything else is left to it."""
    if isinstance(exc, KpiError):
        show_error(exc)
        return True
    return False
