"""Every dashboard page, as a manager uses it (AppTest): on each demo plan and on the large synthetic plan."""

from __future__ import annotations

import os

import pytest
from conftest import NIIGATA_PLAN, ROOT
from streamlit.testing.v1 import AppTest

from kpi.store.store import Store

PAGES = ("pages/home.py", "pages/hierarchy.py", "pages/item_detail.py", "pages/lagging.py", "pages/departments.py",
         "pages/qualitative.py", "pages/plan.py", "pages/settings.py")
TITLES = {"pages/hierarchy.py": "計画の体系", "pages/lagging.py": "遅れている取組", "pages/departments.py": "担当課別",
          "pages/qualitative.py": "進捗状況・実施状況", "pages/settings.py": "評価ルール"}


def plans() -> dict[str, int]:
    s = Store.open(os.environ["KPI_DB"])
    try:
        return {p.name: p.plan_id for p in s.plans()}
    finally:
        s.close()


def open_page(page: str, plan_id: int | None = None, **state) -> AppTest:
    """Straight to a page with the sidebar choices preset (AppTest drops changed sidebar widgets:
    streamlit#9814; the browser tests use the real sidebar)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if plan_id is not None:
        at.session_state["plan_id"] = plan_id
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(parts).replace("\\", "")  # as read on screen: without Markdown escapes


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_every_demo_plan(app_env, page):
    found = plans()
    assert NIIGATA_PLAN in found
    for name, pid in found.items():
        at = open_page(page, pid)
        titles = [t.value for t in at.title]
        if not titles:  # a plan without items (e.g. the guideline's notes only) says so instead
            assert "取組がまだありません" in text_of(at), (page, name)
            continue
        assert titles[0] == TITLES.get(page, titles[0]), (page, name)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_large_synthetic_plan(synthetic_env, page):
    (pid,) = plans().values()
    at = open_page(page, pid)
    assert at.title and not at.exception


def niigata() -> int:
    return plans()[NIIGATA_PLAN]


def test_lagging_page_lists_no28_with_its_reasons_and_links_to_the_detail(app_env):
    at = open_page("pages/lagging.py", niigata())
    body = text_of(at)
    assert "1件中 1件" in body and "No.28" in body
    assert "自己評価がB未満" in body and "上半期の進捗に遅れ" in body and "平成30年度の担当課の自己評価は C" in body
    assert "まちづくりセンター数: 平成28年度〜平成30年度に計画値を下回りました" in body
    at.multiselect(key="lag_grades").select("A").run()
    assert "1件中 0件" in text_of(at)
    at.multiselect(key="lag_grades").unselect("A").select("B").run()
    at.button(key="lag_go_28").click().run()
    assert at.title[0].value.startswith("No.28")


def test_detail_page_shows_baseline_estimate_schedule_and_timeline(app_env):
    at = open_page("pages/item_detail.py", niigata())
    charts = {c.proto.id.rsplit("-", 1)[-1]: c for c in at.get("plotly_chart")}
    import json
    students = json.loads(charts["chart_0"].proto.spec)["data"]
    bars = {t["name"]: t for t in students if t["type"] == "bar"}
    assert bars["計画"]["y"] == [1090, 1250, 1410, 1570] and bars["実績"]["y"] == [1152, 1345, 1454, 1671]
    base = next(t for t in students if t["name"] == "基準値")
    assert base["x"] == ["H26"] and base["y"] == [930] and "基準値 930（平成26年度・見込み）" in base["hovertemplate"]
    # the baseline's value is written beside the plot, off the bars, with its 見込み
    side = [a["text"] for a in json.loads(charts["chart_0"].proto.spec)["layout"]["annotations"]]
    assert "基準値<br>930<br>（見込み）" in side
    centres = json.loads(charts["chart_1"].proto.spec)["data"]
    assert {t["name"]: t["y"] for t in centres if t["type"] == "bar"} == {"計画": [42, 50, 58, 66], "実績": [43, 48, 54, 55]}
    timeline = at.dataframe[0].value
    assert list(timeline["上半期"]) == ["進捗に遅れあり"] * 4 and list(timeline["計画期間"])[-1] == "C"


def test_hierarchy_page_rolls_up_and_clicks_through(app_env):
    at = open_page("pages/hierarchy.py", niigata())
    tree = at.dataframe[0].value
    assert list(tree["取組数"]) == [1, 1, 1] and list(tree["B"]) == [1, 1, 1]
    path = next(o for o in at.selectbox(key="hier_node").options if "3 地域活動" in str(o))
    assert path
    at.button(key="hier_go").click().run()
    assert at.title[0].value.startswith("No.28")


def test_departments_page_shows_items_and_what_is_missing(synthetic_env):
    at = open_page("pages/departments.py", next(iter(plans().values())))
    summary = at.dataframe[0].value
    assert summary["取組数"].sum() >= 300  # an item counts for each of its departments
    first = summary.iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["取組数"] == f"{first['取組数']}件" and metrics["うち期限切れ"] == f"{first['うち期限切れ']}件"


def test_qualitative_page_searches_the_narratives(synthetic_env):
    at = open_page("pages/qualitative.py", next(iter(plans().values())))
    assert "2100件中 2100件" in text_of(at)
    at.text_input(key="qual_query").input("取組7 防災").run()
    body = text_of(at)
    hits = int(body.split("2100件中 ")[1].split("件")[0])
    assert 0 < hits < 100
    assert all("防災" in m.value for m in at.markdown if m.value.startswith("2") and "年度：" in m.value)


def test_settings_preview_and_save_as_admin(app_env):
    pid = niigata()
    at = open_page("pages/settings.py", pid)
    assert at.button(key="rule_save").disabled  # the form starts as the current rule: nothing to save
    at.selectbox(key=f"rule_base_{pid}").select("sabcd").run()
    body = text_of(at)
    assert "S: 120%以上 / A: 100%以上 / B: 80%以上 / C: 60%以上 / D: それ以外" in body
    assert "平成30年度の自動評価が変わる取組 0件" in body  # No.28 stays B (55/66 = 83%)
    at.button(key="rule_save").click().run()
    assert not at.exception
    s = Store.open(os.environ["KPI_DB"])
    try:
        assert s.rule(pid).name == "S・A・B・C・D（達成率）" and s.uploads(limit=1)[0].kind == "settings"
    finally:
        s.close()
    assert "評価ルールを保存しました" in "\n".join(x.value for x in at.success)


def test_settings_cannot_be_saved_by_a_viewer(app_env):
    from kpi.access.permissions import Actor
    pid = niigata()
    at = open_page("pages/settings.py", pid, actor=Actor("閲覧者", "viewer"))
    at.selectbox(key=f"rule_base_{pid}").select("sabcd").run()
    assert at.button(key="rule_save").disabled
    assert "管理者だけ" in text_of(at)


def test_era_toggle_reaches_every_page(app_env):
    at = open_page("pages/departments.py", niigata(), era="seireki")
    assert "2018年度の状況" in text_of(at)
    at = open_page("pages/plan.py", niigata(), era="seireki")
    assert "2015年度〜2018年度（4年間）" in text_of(at)


def test_home_lists_every_lagging_item_ten_to_a_page(synthetic_env):
    """Home shows the lagging items ten at a time; the 「ページ」 picker reaches every one of them, the
    last page included (before, only the first 30 were listed)."""
    at = open_page("pages/home.py", next(iter(plans().values())))
    heading = [s.value for s in at.subheader if s.value.startswith("遅れている取組（")][0]
    n = int(heading.removeprefix("遅れている取組（").removesuffix("件）"))
    assert n > 30
    lagging = lambda: [e.label for e in at.expander if e.label.startswith("⚠ No.")]  # noqa: E731
    first = lagging()
    assert len(first) == 10
    picker = at.selectbox(key="home_lag_page")
    last = picker.options[-1]
    assert last == f"{-(-n // 10)} / {-(-n // 10)}"
    picker.set_value(len(picker.options)).run()  # the page number itself (AppTest's options are the shown texts)
    shown = lagging()
    assert len(shown) == n - 10 * (len(picker.options) - 1) and not set(shown) & set(first)


@pytest.mark.parametrize("page", ["pages/upload.py", "pages/history.py", "pages/users.py"])
def test_a_page_without_plan_data_offers_the_plans_years_without_opening_the_plan(app_env, monkeypatch, page):
    """データ取込, 取込履歴 and ユーザー show no plan data: their year picker offers the same years and the
    same default year as ホーム, and the plan itself (its values, items and grades) is never read."""
    from kpi.store.reads import PlanReads
    from ui import frame
    pid = plans()[NIIGATA_PLAN]
    home = open_page("pages/home.py", pid)
    home_years = home.selectbox(key=f"fy_{pid}")
    frame.clear_data_caches()  # as after an upload: nothing of the plan kept
    reads = []
    real = PlanReads.load_plan
    monkeypatch.setattr(PlanReads, "load_plan", lambda self, plan_id: reads.append(plan_id) or real(self, plan_id))
    at = open_page(page, pid)
    years = at.selectbox(key=f"fy_{pid}")
    assert (years.options, years.value) == (home_years.options, home_years.value)
    assert reads == []
