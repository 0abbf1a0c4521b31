"""会議モード on a projector-sized window, moved with the keyboard, and the pack downloaded from 会議資料."""

import io

from pptx import Presentation

from browser.conftest import _RENDERED, shot, wait_idle
from browser.test_pages import choose_plan


def _open_home(page, server) -> None:
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("heading", name="新潟市行政改革プラン2015").wait_for()


# The two projector sizes every screen must fit without scrolling (16:9: the second is the first, smaller).
SCREENS = ({"width": 1920, "height": 1080}, {"width": 1366, "height": 768})
# Streamlit scrolls inside its main block, so both the document and that block are measured.
_HEIGHTS = """() => ({doc: document.documentElement.scrollHeight, view: window.innerHeight,
  main: (document.querySelector('[data-testid="stMain"]') || document.body).scrollHeight})"""
_CHART_TEXT = """() => Array.from(document.querySelectorAll(
  '.js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .legendtext, .js-plotly-plot .annotation-text'
)).map(t => parseFloat(getComputedStyle(t).fontSize))"""


def _fits_both_screens(page, name: str) -> None:
    """The screen shown fits 1920×1080 and 1366×768 (screenshots of both), back at 1920×1080 after."""
    for size in SCREENS:
        page.set_viewport_size(size)
        _redrawn(page)
        h = page.evaluate(_HEIGHTS)
        shot(page, f"{name}_{size['width']}")
        assert h["doc"] <= h["view"] and h["main"] <= h["view"], (name, size, h)
    page.set_viewport_size(SCREENS[0])
    _redrawn(page)


def _redrawn(page) -> None:
    """A resize reruns nothing: waiting for the charts to redraw is enough (wait_idle waits for reruns)."""
    page.wait_for_timeout(400)
    page.wait_for_function(_RENDERED, timeout=30_000, polling=100)


def _next(page, position: str) -> None:
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    page.get_by_text(position, exact=False).first.wait_for()


def test_slides_fit_the_screen_and_move_with_the_arrow_keys(server, page):
    page.set_viewport_size(SCREENS[0])
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
    assert page.get_by_text("1 / 4").is_visible()
    page.get_by_text("遅れている取組（1件）").wait_for()
    shot(page, "meeting_summary")

    # No.28 was two screens tall: now its first indicator, then the second, then the comments.
    _next(page, "2 / 4")
    page.get_by_role("heading", name="No.28　地域活動の担い手を育む仕組みづくり", exact=False).wait_for()
    table = page.locator('[data-testid="stTable"]').first
    for number in ("1,090", "1,152", "105.7%"):
        assert table.get_by_text(number, exact=True).is_visible(), number
    assert page.locator('[data-testid="stMetricValue"]').nth(1).inner_text() == "C"  # the self-grade
    assert page.get_by_text("自己評価がB未満").is_visible()
    sizes = page.evaluate(_CHART_TEXT)
    assert sizes and min(sizes) >= 18, sizes  # ticks, legend and line labels read from the back of the room
    _fits_both_screens(page, "meeting_item")

    _next(page, "3 / 4")
    page.get_by_role("heading", name="（指標 続き）", exact=False).wait_for()
    assert page.locator('[data-testid="stTable"]').first.get_by_text("83.3%", exact=True).is_visible()
    shot(page, "meeting_item_indicator")
    _next(page, "4 / 4")
    page.get_by_role("heading", name="担当課の所見").wait_for()
    assert page.get_by_text("これまでの委員意見はありません。").is_visible()
    _fits_both_screens(page, "meeting_item_notes")

    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    page.get_by_text("3 / 4").wait_for()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("heading", name="会議モード").wait_for()
    assert page.locator('[data-testid="stSidebar"]').is_visible()

    # A long item of a plan without yearly values: four indicators named with their targets, no empty
    # table frames or charts.
    choose_plan(page, "小平市第3次行財政再構築プラン")
    page.get_by_role("button", name="スライドを開始").click()
    wait_idle(page)
    _next(page, "2 / 8")
    page.get_by_role("heading", name="No.1　協働推進体制の充実").wait_for()
    assert page.get_by_text("大学との協働事業数（事業）").is_visible()
    assert page.get_by_text("最終目標 60（令和2年度）", exact=False).is_visible()
    assert page.locator('[data-testid="stTable"]').count() == 0
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    _fits_both_screens(page, "meeting_long_item")


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
