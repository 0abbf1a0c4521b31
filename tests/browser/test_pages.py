"""Every dashboard page in a real browser, reached through the sidebar as a person would, on the
demo plans and on the large synthetic plan. Screenshots go to tests/_artifacts/ (look at them)."""

from __future__ import annotations


import re

import pytest

from browser.conftest import MENU, serve_copy, shot, wait_idle

# (sidebar title, screenshot name, a text the page must show)
PAGES = (
    ("ホーム", "home", "取組 × 年度の評価（ヒートマップ）"),
    ("計画の体系", "hierarchy", "体系ごとの集計"),
    ("取組・指標の詳細", "item_detail", "評価の経過"),
    ("遅れている取組", "lagging", "遅れている取組"),
    ("担当課別", "departments", "担当課の一覧"),
    ("進捗状況・実施状況", "qualitative", "ごとの進捗"),
    ("計画の概要", "plan", "評価の基準"),
    ("評価ルール", "settings", "保存する前に"),
)


def go(page, title: str) -> None:
    page.locator(MENU).get_by_role("link", name=title, exact=True).click()
    wait_idle(page)


def choose_plan(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.keyboard.type(name)  # the list shows only the first plans; typing narrows it, as a person would
    page.get_by_role("option", name=name, exact=True).click()
    wait_idle(page)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


@pytest.fixture(scope="module")
def synthetic_server(tmp_path_factory):
    from conftest import _synthetic_db
    s = serve_copy(tmp_path_factory, _synthetic_db(tmp_path_factory), "synthetic_server")
    yield s
    s.stop()


def test_every_page_on_the_demo_plan(server, page):
    page.goto(server.url)  # the app's own entry first (a fresh server does not honour deep links yet)
    wait_idle(page)
    for title, name, must in PAGES:
        go(page, title)
        no_exception(page)
        page.get_by_text(must).first.wait_for()
        shot(page, f"page_{name}")


def test_no28_lagging_and_its_chart_in_the_browser(server, page):
    page.goto(server.url)
    wait_idle(page)
    go(page, "遅れている取組")
    page.get_by_text("上半期の進捗に遅れ").first.wait_for()
    page.get_by_role("button", name="詳細を見る").click()
    wait_idle(page)
    page.get_by_role("heading", name="指標: まちづくりセンター数").wait_for()
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(1)
    for label in ("42", "43 A", "50", "48 B", "58", "54 B", "66", "55 B"):
        assert chart.get_by_text(label, exact=True).count() >= 1, label
    # the baseline is written beside the plot on three lines: 基準値 / 37 / （見込み）
    assert chart.locator("text.annotation-text").filter(has_text=re.compile(r"基準値\s*37\s*（見込み）")).count() == 1
    no_exception(page)


QUALITATIVE = (
    ("富里市協働のまちづくり推進計画", "進捗状況・実施状況", "tomisato_qualitative", "推進項目ごとの進捗"),
    ("小平市まち・ひと・しごと創生総合戦略", "進捗状況・実施状況", "sousei_qualitative", "年度ごとの実施状況"),
    ("小平市協働の推進に関する指針", "計画の概要", "guideline_plan", "これまでの経過"),
    ("小平市第3次行財政再構築プラン", "取組・指標の詳細", "plan3_item", "工程（年度ごとの予定）"),
)


def test_qualitative_plans_and_the_narrative_search(server, page):
    page.goto(server.url)
    wait_idle(page)
    for plan, title, name, must in QUALITATIVE:
        choose_plan(page, plan)
        go(page, title)
        no_exception(page)
        page.get_by_text(must).first.wait_for()
        shot(page, f"page_{name}")
    choose_plan(page, "小平市まち・ひと・しごと創生総合戦略")
    go(page, "進捗状況・実施状況")
    box = page.get_by_label("キーワードで探す（スペース区切りで AND）")
    box.fill("認定農業者")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text("認定農業者の更新や新規認定").first.wait_for()
    no_exception(page)


def test_every_page_on_the_synthetic_plan(synthetic_server, page):
    page.goto(synthetic_server.url)
    wait_idle(page)
    for title, name, must in PAGES:
        go(page, title)
        no_exception(page)
        page.get_by_text(must).first.wait_for()
        shot(page, f"synthetic_{name}")
