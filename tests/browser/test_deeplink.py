"""A link to a page, opened first thing on a freshly started server, shows that page in the frame.

Streamlit serves the pages/ folder the old way (page alone, English page list) until some
session has run st.navigation; ui/frame.py routes such a run back through app.py.
"""

from browser.conftest import shot, wait_idle


def test_deep_link_on_a_fresh_server_runs_inside_the_frame(server, page):
    # This module's server has served nothing yet: the deep link is its first request.
    page.goto(server.url + "/lagging")
    wait_idle(page)
    page.get_by_role("heading", name="遅れている取組").wait_for()
    assert page.get_by_text("表示する計画と年度").is_visible()  # the frame's pickers
    assert page.get_by_text("No.28").first.is_visible()
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text("departments").count() == 0  # no folder list
    shot(page, "deeplink_lagging")
