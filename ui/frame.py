"""The shared frame: the one cached store, the plan and fiscal-year pickers, and error display."""

from __future__ import annotations

from datetime import date
from typing import Iterable

import streamlit as st

from kpi.assess import default_as_of
from kpi.demo import ensure_demo
from kpi.errors import KpiError, Problem
from kpi.fiscal import Style, format_fiscal_year
from kpi.grading import GradingRule
from kpi.model import PlanData
from kpi.store import Store, resolve_db_path

ERA_OPTIONS: dict[str, str] = {"wareki": "和暦", "seireki": "西暦"}


@st.cache_resource(show_spinner="データベースを開いています…")
def _open_store(path: str) -> Store:
    store = Store.open(path)
    ensure_demo(store)
    return store


def get_store() -> Store:
    """The one DuckDB connection of this server process (each query takes its own cursor)."""
    try:
        return _open_store(str(resolve_db_path()))
    except KpiError as exc:
        show_error(exc)
        st.stop()
        raise


@st.cache_data(show_spinner=False, max_entries=64)
def _load_plan(path: str, version: int, plan_id: int) -> PlanData:
    return _open_store(path).load_plan(plan_id)


def data_version(store: Store) -> int:
    rows = store.query("SELECT value FROM counters WHERE name = 'upload'")
    return int(rows[0][0]) if rows else 0


def load_plan(store: Store, plan_id: int) -> PlanData:
    return _load_plan(str(store.path), data_version(store), plan_id)


def today() -> date:
    return date.today()


def era() -> Style:
    return st.session_state.get("era", "wareki")


def fy_label(fy: int | None) -> str:
    return format_fiscal_year(fy, era())


def show_error(exc: BaseException) -> None:
    """The one place errors are shown: title, message, and what to do."""
    if isinstance(exc, KpiError):
        text = f"**{exc.title}**\n\n{exc.message}"
        if exc.hint:
            text += f"\n\n→ {exc.hint}"
        problems = getattr(exc, "problems", None)
        st.error(text, icon=":material/error:")
        if problems:
            show_problems(problems)
    else:
        st.error(f"**予期しないエラー**\n\n{type(exc).__name__}。データは変更していません。管理者に連絡してください。",
                 icon=":material/error:")


def show_problems(problems: Iterable[Problem], *, key: str | None = None) -> None:
    problems = list(problems)
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    if errors:
        st.error(f"エラー {len(errors)} 件（直すまで取り込めません）\n\n" +
                 "\n".join(f"- {p.where}: {p.message}" + (f"（{p.hint}）" if p.hint else "") for p in errors),
                 icon=":material/error:")
    if warnings:
        st.warning(f"注意 {len(warnings)} 件\n\n" +
                   "\n".join(f"- {p.where + ': ' if p.where else ''}{p.message}" + (f"（{p.hint}）" if p.hint else "")
                             for p in warnings),
                   icon=":material/warning:")


def sidebar(store: Store) -> tuple[PlanData | None, GradingRule | None, int | None]:
    """Plan and fiscal-year pickers shared by every page; returns the chosen plan's data."""
    plans = store.plans()
    with st.sidebar:
        st.caption("表示する計画と年度")
        if not plans:
            st.info("計画がまだ登録されていません。「データ取込」から登録してください。")
            return None, None, None
        ids = [p.plan_id for p in plans]
        names = {p.plan_id: p.name for p in plans}
        if st.session_state.get("plan_id") not in ids:
            st.session_state["plan_id"] = ids[0]
        plan_id = st.selectbox("計画", ids, format_func=lambda i: names[i], key="plan_id")
        data = load_plan(store, plan_id)
        rule = store.rule(plan_id)
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
            st.caption(f"{data.plan.municipality}　{data.plan.kind}　計画期間 {period}")
    st.session_state["fy"] = fy
    return data, rule, fy


class Context:
    """What the frame's pickers selected, for the page being run."""

    def __init__(self, store: Store, data: PlanData, rule: GradingRule, fy: int, style: Style):
        self.store, self.data, self.rule, self.fy, self.style = store, data, rule, fy, style

    @property
    def plan_id(self) -> int:
        return self.data.plan.plan_id


def context() -> Context | None:
    """The selected plan and year; pages call this first and stop politely when there is none."""
    store = get_store()
    plan_id = st.session_state.get("plan_id")
    if plan_id is None:
        st.info("計画がまだ登録されていません。「データ取込」からExcelを取り込んでください。")
        return None
    data = load_plan(store, plan_id)
    fy = st.session_state.get(f"fy_{plan_id}") or default_as_of(data, today())
    return Context(store, data, store.rule(plan_id), fy, era())


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def md(text: object) -> str:
    """User text for st.markdown: Markdown and HTML characters escaped, line breaks kept."""
    if text is None:
        return ""
    s = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
    return s.replace("\n", "  \n")


def current_user():
    """Who is using this session (kpi.permissions.Actor). Sign-in replaces the local default."""
    from kpi.permissions import LOCAL_ADMIN
    return st.session_state.get("actor") or LOCAL_ADMIN
