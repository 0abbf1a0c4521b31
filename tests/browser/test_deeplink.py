"""A link to a page, opened first thing on a freshly started server, shows that page in the frame.

Streamlit serves the pages/ folder itself and runs the page file alone; the frame call at the top
of every page (ui.frame.page) draws the sign-in, the menu and the pickers, and Streamlit's own
English page list is switched off.
"""

from browser.conftest import MENU, shot, wait_idle


def test_deep_link_on_a_fresh_server_runs_inside_the_frame(server, page):
    # This module's server has served nothing yet: the deep link is its first request.
    page.goto(server.url + "/lagging")
    wait_idle(page)
    page.get_by_role("heading", name="遅れている取組").wait_for()
    assert page.get_by_text("表示する計画と年度").is_visible()  # the frame's pickers
    assert page.get_by_text("No.28").first.is_visible()
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("departments").count() == 0  # no folder list
    page.locator(MENU).get_by_role("link", name="担当課別").wait_for()  # the frame's menu instead
    shot(page, "deeplink_lagging")
