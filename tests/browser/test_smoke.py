"""The demo as a manager first sees it, in a real browser."""

from browser.conftest import shot, wait_idle


def test_home_shows_the_demo_plan_and_the_lagging_item(server, page):
    page.goto(server.url)
    wait_idle(page)
    page.get_by_text("遅れている取組（1件）").wait_for()
    assert page.get_by_role("heading", name="新潟市行政改革プラン2015").is_visible()
    assert page.get_by_text("No.28").first.is_visible()
    shot(page, "home")


def test_plan_picker_and_era_toggle_work_in_the_sidebar(server, page):
    page.goto(server.url)
    wait_idle(page)
    page.get_by_text("西暦").click()
    wait_idle(page)
    page.get_by_text("2018年度までの状況").wait_for()


def test_detail_page_chart_renders(server, page):
    page.goto(server.url + "/item_detail")
    wait_idle(page)
    page.get_by_role("heading", name="指標: まちづくりセンター数").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    assert page.locator(".js-plotly-plot").count() == 2
    shot(page, "item_detail")
