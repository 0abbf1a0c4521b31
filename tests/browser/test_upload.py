"""Each sample workbook through the upload page in a real browser: preview, confirm, then the dashboard."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, TEST_DATA, TODAY

from browser.conftest import shot, wait_idle
from kpi.intake.pipeline import prepare
from kpi.store.store import Store

# The two most different layouts: the progress sheet of numbers (one sheet per item) and the action
# list whose targets are read from sentences (a second, editable table in the preview). The other
# samples go through the same page in tests/test_upload_page.py (AppTest), all five through the CLI
# in tests/test_samples_cli.py.
SAMPLE_FILES = ["niigata_kaikaku_no28.xlsx", "kodaira_plan3_actions.xlsx"]


def expected(tmp_path, name: str, plan: str) -> tuple[int, str]:
    """What the page must show for a sample: the number of items, and the layout's label."""
    s = Store.open(tmp_path / "expect.duckdb")
    try:
        prep = prepare(s, SAMPLES / name, plan_name=plan, today=TODAY)
        assert prep.batch is not None, prep.problems
        return len({r["item_no"] for r in prep.batch.table("items")}), prep.layout_label
    finally:
        s.close()


def settle(page) -> None:
    """Wait for the script run to finish. (wait_idle also waits for every dataframe's canvas, which the
    home page's off-screen tables may never draw in headless chromium; the checks below wait for the
    elements they read.)"""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(300)


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label).first.click()
    page.get_by_role("option", name=option).click()
    wait_idle(page)


def open_upload(server, page) -> None:
    page.goto(server.url + "/upload")
    wait_idle(page)
    page.get_by_role("heading", name="データ取込").wait_for()


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_uploads_through_the_page(server, page, tmp_path, name):
    plan = f"取込テスト {name.removesuffix('.xlsx')}"
    n_items, layout = expected(tmp_path, name, plan)
    open_upload(server, page)
    choose(page, "取り込み先の計画", "新しい計画として取り込む…")
    box = page.get_by_label("新しい計画の名前")
    box.fill(plan)
    box.press("Enter")
    wait_idle(page)
    page.locator('input[type="file"]').set_input_files(str(SAMPLES / name))
    wait_idle(page)
    page.get_by_text(f"{plan}（新しい計画）").wait_for()
    assert page.get_by_text(layout).first.is_visible()
    metrics = page.locator('[data-testid="stMetric"]')
    new = metrics.filter(has_text="新規").locator('[data-testid="stMetricValue"]').inner_text()
    assert int(new) > 0
    page.locator('[data-testid="stDataFrame"]').first.wait_for()  # the preview table
    if page.get_by_text("成果指標の文章から読み取った目標").count():
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
    accept = page.get_by_text(re.compile(r"注意 \d+ 件を確認しました"))
    if accept.count():
        accept.click()
        wait_idle(page)
    shot(page, f"upload_preview_{name.removesuffix('.xlsx')}")
    page.get_by_role("button", name="取り込む").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"取り込みました（取込番号 \d+")).wait_for()

    page.goto(server.url)
    settle(page)
    page.get_by_label("計画", exact=True).first.click()
    page.keyboard.type(plan)  # the list shows only the first plans; typing narrows it, as a person would
    page.get_by_role("option", name=plan).click()
    settle(page)
    page.get_by_role("heading", name=plan).wait_for()
    count = page.locator('[data-testid="stMetric"]').filter(has_text="取組数").locator(
        '[data-testid="stMetricValue"]').first.inner_text()
    assert int(count) == n_items
    shot(page, f"upload_done_{name.removesuffix('.xlsx')}")


def test_a_bad_file_shows_its_message(server, page):
    open_upload(server, page)
    page.locator('input[type="file"]').set_input_files(str(TEST_DATA / "bad" / "pdf_renamed.xlsx"))
    wait_idle(page)
    page.get_by_text("PDFファイルです（拡張子だけが .xlsx になっています）").wait_for()
    assert page.get_by_role("button", name="取り込む").is_disabled()
    shot(page, "upload_bad_file")
