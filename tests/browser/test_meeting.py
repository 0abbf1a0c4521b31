"""会議モード on a projector-sized window, moved with the keyboard, and the pack downloaded from 会議資料."""

import io

from pptx import Presentation

from browser.conftest import shot, wait_idle


def _open_home(page, server) -> None:
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("heading", name="新潟市行政改革プラン2015").wait_for()


def test_slides_fill_the_screen_and_move_with_the_arrow_keys(server, page):
    page.set_viewport_size({"width": 1600, "height": 900})
    # The home page first, fully run: until app.py has reached st.navigation once in the server process,
    # Streamlit runs a deep-linked file of pages/ on its own (legacy multipage mode).
    _open_home(page, server)
    page.goto(server.url + "/meeting")
    wait_idle(page)
    try:
        page.get_by_role("heading", name="会議モード").wait_for()
    except Exception:
        shot(page, "meeting_debug")
        raise
    page.get_by_role("button", name="スライドを開始").click()
    wait_idle(page)
    page.get_by_role("heading", name="新潟市行政改革プラン2015　進捗状況").wait_for()
    assert page.locator('[data-testid="stSidebar"]').is_hidden()  # the app's chrome is out of the way
    assert page.get_by_text("1 / 2").is_visible()
    page.get_by_text("遅れている取組（1件）").wait_for()
    shot(page, "meeting_summary")

    page.keyboard.press("ArrowRight")
    wait_idle(page)
    page.get_by_role("heading", name="No.28　地域活動の担い手を育む仕組みづくり", exact=False).wait_for()
    assert page.get_by_text("2 / 2").is_visible()
    table = page.locator('[data-testid="stTable"]').first
    for number in ("1,090", "1,152", "105.7%"):
        assert table.get_by_text(number, exact=True).is_visible(), number
    page.locator(".js-plotly-plot").nth(1).wait_for()
    assert page.locator('[data-testid="stMetricValue"]').nth(1).inner_text() == "C"  # the self-grade
    shot(page, "meeting_item")

    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    page.get_by_text("1 / 2").wait_for()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("heading", name="会議モード").wait_for()
    assert page.locator('[data-testid="stSidebar"]').is_visible()


def test_the_pack_downloads_as_powerpoint(server, page):
    _open_home(page, server)
    page.goto(server.url + "/pack")
    wait_idle(page)
    page.get_by_text("取組 1 件、スライド 3 枚", exact=False).wait_for()
    shot(page, "pack_page")
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="PowerPointをダウンロード").click()
    d = dl.value
    assert d.suggested_filename == "新潟市行政改革プラン2015_平成30年度_会議資料.pptx"
    prs = Presentation(io.BytesIO(open(d.path(), "rb").read()))
    assert len(prs.slides) == 3  # summary, No.28, its reasons and comments
    texts = [c.text for shp in prs.slides[1].shapes if shp.has_table for row in shp.table.rows for c in row.cells]
    assert "1,152" in texts and "1,090" in texts
