"""The app on the demo data, as a manager reads it (AppTest)."""

from __future__ import annotations

import json

from conftest import NIIGATA_PLAN, ROOT
from streamlit.testing.v1 import AppTest


def plan_id(name: str) -> int:
    import os

    from kpi.store.store import Store
    s = Store.open(os.environ["KPI_DB"])
    try:
        return s.plan_by_name(name).plan_id
    finally:
        s.close()


def start(page: str | None = None, plan: str | None = None, **state) -> AppTest:
    """Open the app like a person would; sidebar choices are preset in session state, because
    AppTest drops sidebar widgets of st.navigation apps after they are changed (streamlit#9814).
    The real widgets are exercised by the browser tests."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if plan:
        at.session_state["plan_id"] = plan_id(plan)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def test_first_start_creates_the_database_and_shows_the_demo(app_env, tmp_path, monkeypatch):
    fresh = tmp_path / "fresh" / "kpi.duckdb"
    monkeypatch.setenv("KPI_DB", str(fresh))
    at = start()
    assert fresh.exists()
    assert NIIGATA_PLAN in at.sidebar.selectbox(key="plan_id").options


def test_home_shows_counts_grades_and_lagging_no28(app_env):
    at = start(plan=NIIGATA_PLAN)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["取組数"] == "1" and metrics["指標数"] == "2"
    assert metrics["遅れている取組"] == "1"
    assert metrics["計画値を達成した指標"] == "50%"  # 2018: 1671/1570 yes, 55/66 no
    assert "平成30年度までの状況" in at.caption[0].value
    (lag,) = [e for e in at.expander if e.label.startswith("⚠")]
    assert "No.28" in lag.label
    body = " ".join(m.value for m in lag.markdown)
    assert "自己評価がB未満" in body and "上半期の進捗に遅れ" in body
    assert "まちづくりセンター数" in body and "計画値を下回りました" in body
    gaps = at.dataframe[-1].value
    assert list(gaps["自己評価"]) == ["C", "C", "C", "B"]
    assert list(gaps["自動評価"]) == ["B", "B", "B", "A"]
    grades = {m.label: (m.value, m.proto.delta) for m in at.metric if m.label.startswith("評価 ")}
    assert grades == {"評価 A": ("0件", "±0件"), "評価 B": ("1件", "±0件"), "評価 C": ("0件", "±0件")}
    heat = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-heatmap"))
    cells, letters = json.loads(heat.proto.spec)["data"][:2]
    assert cells["x"] == ["H27", "H28", "H29", "H30"] and letters["text"] == ["A", "B", "B", "B"]  # No.28


def test_detail_page_shows_the_no28_numbers_and_formulas(app_env):
    at = start("pages/item_detail.py", NIIGATA_PLAN)
    assert at.title[0].value.startswith("No.28")
    tables = [df.value for df in at.dataframe]
    series = next(t for t in tables if "達成率" in t.columns and (t["計画"] == "1,090").any())
    assert list(series["計画"]) == ["1,090", "1,250", "1,410", "1,570"]
    assert list(series["実績"]) == ["1,152", "1,345", "1,454", "1,671"]
    assert series["達成率"].iloc[0] == "達成率 105.7%（達成率 = 実績 ÷ 計画: 1,152 ÷ 1,090 = 105.7%）"
    centres = next(t for t in tables if "達成率" in t.columns and (t["計画"] == "42").any())
    assert list(centres["実績"]) == ["43", "48", "54", "55"]
    assert list(centres["自動評価"]) == ["A", "B", "B", "B"]
    assert len(at.get("plotly_chart")) == 2


def test_era_toggle_switches_to_western_years(app_env):
    at = start(plan=NIIGATA_PLAN, era="seireki")
    assert "2018年度までの状況" in at.caption[0].value
